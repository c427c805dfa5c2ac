/**
 * The metadata pieces on their own: records replayed by a delta into the next image, the
 * loader that publishes them, and the local controller that produces them.
 */
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../adapters/memory/index.ts';
import { LocalController } from '../../core/broker/controller/local-controller.ts';
import { MetadataDelta } from '../../core/broker/metadata/metadata-delta.ts';
import { MetadataImage } from '../../core/broker/metadata/metadata-image.ts';
import { MetadataLoader, type MetadataPublisher } from '../../core/broker/metadata/metadata-publisher.ts';
import type { MetadataRecord } from '../../core/broker/metadata/records.ts';
import { silentLogger } from '../../core/contracts/logger.ts';

const topic = (name: string, topicId: string): MetadataRecord => ({ type: 'topic', name, topicId, replicationFactor: 1, createdAt: 1 });
const partition = (topicId: string, partitionId: number, leaderEpoch = 0): MetadataRecord => ({ type: 'partition', topicId, partitionId, replicas: [1], isr: [1], leader: 1, leaderEpoch });

describe('metadata delta and image', () => {
  it('replays topic, partition, config and removal records into a new image, leaving the old one as it was', () => {
    const delta = new MetadataDelta(MetadataImage.EMPTY).replay([
      topic('a', 'id-a'),
      partition('id-a', 0),
      partition('id-a', 1),
      { type: 'config', resourceType: 'topic', resourceName: 'a', name: 'retention.ms', value: '1000' },
      { type: 'register-broker', nodeId: 1, host: 'h', port: 9, rack: null },
    ]);
    const first = delta.apply();
    expect([...delta.createdTopics]).toEqual(['id-a']);
    expect([...delta.changedPartitions.get('id-a')!]).toEqual([0, 1]);
    expect(first.topic('a')!.partitions.map((p) => [p.partition, p.leader, p.leaderEpoch])).toEqual([[0, 1, 0], [1, 1, 0]]);
    expect(Object.fromEntries(first.topic('a')!.configs)).toEqual({ 'retention.ms': '1000' });
    expect(first.brokers()).toEqual([{ nodeId: 1, host: 'h', port: 9, rack: null }]);
    expect(MetadataImage.EMPTY.topics()).toEqual([]);

    const second = new MetadataDelta(first).replay([partition('id-a', 1, 3), { type: 'config', resourceType: 'topic', resourceName: 'a', name: 'retention.ms', value: null }]);
    const image2 = second.apply();
    expect(image2.topic('a')!.partitions[1]!.leaderEpoch).toBe(3);
    expect(image2.topic('a')!.configs.size).toBe(0);
    expect(first.topic('a')!.partitions[1]!.leaderEpoch).toBe(0);

    const removal = new MetadataDelta(image2).replay([{ type: 'remove-topic', topicId: 'id-a' }]);
    expect(removal.apply().topic('a')).toBeUndefined();
    expect(removal.deletedTopics.get('id-a')!.name).toBe('a');
  });

  it('lets publishers prepare before the image changes, and replays each publish onto the current image', async () => {
    const loader = new MetadataLoader();
    const seen: string[] = [];
    const publisher: MetadataPublisher = {
      name: 'test',
      prepare: async (records) => {
        seen.push(`prepare ${records.length} (image has ${loader.image.topics().length})`);
        await new Promise((r) => setTimeout(r, 5));
      },
      onMetadataUpdate: (_delta, image) => void seen.push(`update ${image.topics().map((t) => t.name).join(',')}`),
    };
    loader.install(publisher);
    await Promise.all([loader.publish([topic('a', 'A'), partition('A', 0)]), loader.publish([topic('b', 'B'), partition('B', 0)])]);
    expect(loader.image.topics().map((t) => t.name)).toEqual(['a', 'b']);
    expect(seen).toEqual(['prepare 2 (image has 0)', 'prepare 2 (image has 0)', 'update a', 'update a,b']);
  });
});

describe('local controller', () => {
  it('places partitions on the live broker, persists topics and restores them into a new image', async () => {
    const storage = memoryStorage();
    await storage.open();
    const make = () => {
      const loader = new MetadataLoader();
      const controller = new LocalController({ store: storage.metadata, nodeId: 7, logger: silentLogger, numPartitions: 2, defaultReplicationFactor: 1, loader });
      controller.registerBroker({ nodeId: 7, host: 'localhost', port: 9092, rack: null });
      return { loader, controller };
    };
    const first = make();
    const created = await first.controller.createTopic({ name: 't', numPartitions: -1, replicationFactor: -1, configs: [['retention.ms', '5000']] });
    expect(created.partitions.map((p) => ({ replicas: p.replicas, isr: p.isr, leader: p.leader }))).toEqual([
      { replicas: [7], isr: [7], leader: 7 },
      { replicas: [7], isr: [7], leader: 7 },
    ]);
    await expect(first.controller.createTopic({ name: 't', numPartitions: 1, replicationFactor: 1 })).rejects.toMatchObject({ kafkaCode: 36 });
    await expect(first.controller.createTopic({ name: 'u', numPartitions: 1, replicationFactor: 2 })).rejects.toMatchObject({ kafkaCode: 38 });
    await first.controller.createPartitions('t', 3, null);
    await first.controller.alterTopicConfigs('t', [['cleanup.policy', 'delete']]);

    const second = make();
    await second.controller.load();
    const restored = second.loader.image.topic('t')!;
    expect(restored.id).toBe(created.id);
    expect(restored.partitions).toHaveLength(3);
    expect(Object.fromEntries(restored.configs)).toEqual({ 'cleanup.policy': 'delete' });

    await second.controller.deleteTopic('t');
    expect(second.loader.image.topic('t')).toBeUndefined();
    const third = make();
    await third.controller.load();
    expect(third.loader.image.topics()).toEqual([]);
    await storage.close();
  });
});

describe('handlers over a context of their own', () => {
  it('Metadata answers from the image it is given, not from a Broker', async () => {
    const { metadataHandler } = await import('../../core/broker/api/handlers/metadata.ts');
    const image = new MetadataDelta(MetadataImage.EMPTY)
      .replay([{ type: 'register-broker', nodeId: 3, host: 'h3', port: 9093, rack: null }, topic('a', 'A'), partition('A', 0, 5)])
      .apply();
    const ctx = { nodeId: 3, clusterId: 'c', controllerId: 3, autoCreateTopics: false, image } as unknown as import('../../core/broker/api/context.ts').BrokerContext;
    const answer = (await metadataHandler.handle(ctx, { apiKey: 3, apiVersion: 9, correlationId: 1, clientId: null }, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false })) as Record<string, any>;
    expect(answer.brokers).toEqual([{ nodeId: 3, host: 'h3', port: 9093, rack: null }]);
    expect(answer.topics[0].partitions[0]).toMatchObject({ partitionIndex: 0, leaderId: 1, leaderEpoch: 5, replicaNodes: [1], isrNodes: [1] });
  });
});
