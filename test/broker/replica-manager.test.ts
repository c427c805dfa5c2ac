/**
 * The replica manager follows metadata: it hosts the partitions that name this node, as
 * leader or follower per the registration, and stops hosting (and deletes the logs of)
 * removed topics.
 */
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../adapters/memory/index.ts';
import { MetadataLoader } from '../../core/broker/metadata/metadata-publisher.ts';
import { ProducerStateManager } from '../../core/broker/producer-state/producer-state-manager.ts';
import { ReplicaManager } from '../../core/broker/replica-manager.ts';
import { silentLogger } from '../../core/contracts/logger.ts';

describe('replica manager', () => {
  it('hosts from metadata deltas: leader, follower, epoch changes, removal', async () => {
    const storage = memoryStorage();
    await storage.open();
    const replicas = new ReplicaManager({ nodeId: 1, logger: silentLogger, storage, topicDefaults: {}, producerState: new ProducerStateManager(storage.metadata, silentLogger) });
    const loader = new MetadataLoader();
    loader.install(replicas);
    await loader.publish([
      { type: 'topic', name: 't', topicId: 'T', replicationFactor: 2, createdAt: 0 },
      { type: 'partition', topicId: 'T', partitionId: 0, replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 0 },
      { type: 'partition', topicId: 'T', partitionId: 1, replicas: [2, 1], isr: [2, 1], leader: 2, leaderEpoch: 4 },
      { type: 'partition', topicId: 'T', partitionId: 2, replicas: [2, 3], isr: [2, 3], leader: 2, leaderEpoch: 0 },
      { type: 'config', resourceType: 'topic', resourceName: 't', name: 'max.message.bytes', value: '2000' },
    ]);
    expect(replicas.partition('t', 0)!.isLeader).toBe(true);
    expect(replicas.partition('t', 1)!.isLeader).toBe(false);
    expect(replicas.partition('t', 1)!.leaderEpoch).toBe(4);
    expect(replicas.partition('t', 2)).toBeUndefined();
    expect(replicas.hostedTopic('t')!.logConfig.maxMessageBytes).toBe(2000);

    // Leadership moves here with a new epoch.
    await loader.publish([{ type: 'partition', topicId: 'T', partitionId: 1, replicas: [2, 1], isr: [1], leader: 1, leaderEpoch: 5 }]);
    expect(replicas.partition('t', 1)!.isLeader).toBe(true);
    expect(replicas.partition('t', 1)!.leaderEpoch).toBe(5);

    const p0 = replicas.partition('t', 0)!;
    await loader.publish([{ type: 'remove-topic', topicId: 'T' }]);
    expect(p0.open).toBe(false);
    expect(replicas.hostedTopics()).toEqual([]);
    expect(await storage.listPartitions()).toEqual([]);
    await storage.close();
  });
});
