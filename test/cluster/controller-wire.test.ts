/**
 * The wire between brokers and the controller, over real TCP on 127.0.0.1: a controller
 * listener (serveController) in front of a small in-test controller and metadata quorum,
 * reached by a broker's ControllerChannel and RemoteMetadataReader through tcpTransport.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { memoryStorage } from '../../adapters/memory/index.ts';
import { serveController, startServer, type ControllerListener } from '../../adapters/server/index.ts';
import { tcpTransport } from '../../adapters/transport/index.ts';
import { ControllerChannel, producerIdBlocksFrom, type ControllerChannelOptions } from '../../core/broker/controller/controller-channel.ts';
import { Broker } from '../../core/broker/broker.ts';
import { DEFAULT_HANDLERS } from '../../core/broker/api/preset.ts';
import { ProducerIdManager } from '../../core/broker/producer-state/producer-ids.ts';
import { METADATA_TOPIC, METADATA_TOPIC_ID, decodeMetadataBatches } from '../../core/broker/quorum/metadata-batch-codec.ts';
import type { QuorumVoter } from '../../core/broker/quorum/metadata-quorum.ts';
import { RemoteMetadataReader } from '../../core/broker/quorum/remote-metadata-reader.ts';
import { silentLogger } from '../../core/contracts/logger.ts';
import { KafkaCode, TributaryError } from '../../core/errors.ts';
import { ApiKey } from '../../core/protocol/index.ts';
import { TestController, TestQuorum, tcpProxy } from './controller-test-parts.ts';

const transport = tcpTransport();
const INCARNATION = '0f8fad5b-d9cb-469f-a165-70867728950e';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function controllerNode(nodeId: number, quorum = new TestQuorum(nodeId), controller = new TestController(quorum)): Promise<{ listener: ControllerListener; quorum: TestQuorum; controller: TestController; voter: QuorumVoter }> {
  const listener = await serveController({ nodeId, controller, quorum, host: '127.0.0.1', port: 0 });
  cleanups.push(() => listener.close());
  return { listener, quorum, controller, voter: { nodeId, host: '127.0.0.1', port: listener.port } };
}

function channel(voters: QuorumVoter[], options: Partial<ControllerChannelOptions> = {}): ControllerChannel {
  const c = new ControllerChannel({ voters, transport, defaultNumPartitions: 1, retryBackoffMs: 5, retryBackoffMaxMs: 20, retryTimeoutMs: 10_000, ...options });
  cleanups.push(() => c.close());
  return c;
}

function reader(voters: QuorumVoter[], options: { retryTimeoutMs?: number } = {}): RemoteMetadataReader {
  const r = new RemoteMetadataReader({ voters, transport, nodeId: 7, retryBackoffMs: 5, retryBackoffMaxMs: 20, retryTimeoutMs: options.retryTimeoutMs ?? 10_000 });
  cleanups.push(() => r.close());
  return r;
}

/** A port nothing listens on (bound, then released). */
async function deadPort(): Promise<number> {
  const node = await controllerNode(99);
  const port = node.voter.port;
  await node.listener.close();
  return port;
}

async function rejection(promise: Promise<unknown>): Promise<TributaryError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(TributaryError);
  return error as TributaryError;
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 2));
}

const registration = { nodeId: 3, clusterId: 'test-cluster', incarnationId: INCARNATION, host: 'b3.local', port: 39092, rack: 'r1' };

describe('controller channel over TCP', () => {
  it('registers, heartbeats, alters an ISR and allocates producer ids, answers carrying the controller\'s codes', async () => {
    const node = await controllerNode(1);
    const ch = channel([node.voter]);
    const registered = await ch.registerBroker(registration);
    expect(registered).toEqual({ errorCode: 0, errorMessage: null, brokerEpoch: 0 });
    // The registration went through the listener intact.
    expect(node.quorum.batches[0]!.records).toEqual([{ type: 'register-broker', nodeId: 3, host: 'b3.local', port: 39092, rack: 'r1', incarnationId: INCARNATION, brokerEpoch: 0, fenced: true }]);
    expect(await ch.registerBroker({ ...registration, incarnationId: '1f8fad5b-d9cb-469f-a165-70867728950e' })).toMatchObject({ errorCode: KafkaCode.DUPLICATE_BROKER_REGISTRATION, brokerEpoch: -1 });
    expect(await ch.registerBroker({ ...registration, clusterId: 'other' })).toMatchObject({ errorCode: KafkaCode.INCONSISTENT_CLUSTER_ID });

    expect(await ch.brokerHeartbeat({ nodeId: 3, brokerEpoch: 0, currentMetadataOffset: 5, wantFence: false, wantShutdown: true }))
      .toEqual({ errorCode: 0, isCaughtUp: true, isFenced: false, shouldShutdown: true });
    expect(await ch.brokerHeartbeat({ nodeId: 3, brokerEpoch: 12, currentMetadataOffset: 5, wantFence: false, wantShutdown: false })).toMatchObject({ errorCode: KafkaCode.STALE_BROKER_EPOCH });
    expect(await ch.brokerHeartbeat({ nodeId: 4, brokerEpoch: 0, currentMetadataOffset: 5, wantFence: true, wantShutdown: false })).toMatchObject({ errorCode: KafkaCode.BROKER_ID_NOT_REGISTERED });

    const topic = await ch.createTopic({ name: 'orders', numPartitions: 2, replicationFactor: 1 });
    const items = [
      { topicId: topic.id, partition: 0, leaderEpoch: 0, partitionEpoch: 0, newIsr: [1, 3] },
      { topicId: topic.id, partition: 1, leaderEpoch: 0, partitionEpoch: 4, newIsr: [1] },
      { topicId: '00000000-0000-4000-8000-00000000ffff', partition: 0, leaderEpoch: 0, partitionEpoch: 0, newIsr: [1] },
    ];
    expect(await ch.alterPartition({ brokerId: 3, brokerEpoch: 0, items })).toEqual([
      { topicId: topic.id, partition: 0, errorCode: 0, leader: 1, leaderEpoch: 0, partitionEpoch: 1, isr: [1, 3] },
      { topicId: topic.id, partition: 1, errorCode: KafkaCode.INVALID_UPDATE_VERSION, leader: 1, leaderEpoch: 0, partitionEpoch: 0, isr: [1] },
      { topicId: '00000000-0000-4000-8000-00000000ffff', partition: 0, errorCode: KafkaCode.UNKNOWN_TOPIC_OR_PARTITION, leader: -1, leaderEpoch: -1, partitionEpoch: -1, isr: [] },
    ]);
    // A stale broker epoch refuses the whole request: every partition carries it.
    expect((await ch.alterPartition({ brokerId: 3, brokerEpoch: 9, items: items.slice(0, 2) })).map((r) => r.errorCode)).toEqual([KafkaCode.STALE_BROKER_EPOCH, KafkaCode.STALE_BROKER_EPOCH]);

    expect(await ch.allocateProducerIds({ brokerId: 3, brokerEpoch: 0 })).toEqual({ errorCode: 0, firstProducerId: 0, size: 1000 });
    expect(await ch.allocateProducerIds({ brokerId: 3, brokerEpoch: 0 })).toEqual({ errorCode: 0, firstProducerId: 1000, size: 1000 });
    expect(await ch.allocateProducerIds({ brokerId: 3, brokerEpoch: 5 })).toMatchObject({ errorCode: KafkaCode.STALE_BROKER_EPOCH });
  });

  it('forwards topic operations and throws the controller\'s coded errors, as the local controller does', async () => {
    const node = await controllerNode(1);
    const ch = channel([node.voter]);
    const created = await ch.createTopic({ name: 'events', numPartitions: 3, replicationFactor: 1, configs: [['retention.ms', '60000'], ['cleanup.policy', null]] });
    expect(created).toMatchObject({ name: 'events', id: node.controller.topic('events')!.id, replicationFactor: 1 });
    expect(created.partitions.map((p) => p.partition)).toEqual([0, 1, 2]);
    expect([...created.configs]).toEqual([['retention.ms', '60000']]);
    expect((await rejection(ch.createTopic({ name: 'events', numPartitions: 1, replicationFactor: 1 }))).code).toBe('TOPIC_ALREADY_EXISTS');
    expect((await rejection(ch.createTopic({ name: 'wide', numPartitions: 1, replicationFactor: 3 }))).code).toBe('INVALID_REPLICATION_FACTOR');
    expect((await rejection(ch.createTopic({ name: 'cfg', numPartitions: 1, replicationFactor: 1, configs: [['bad.config', 'x']] }))).code).toBe('INVALID_CONFIG');
    // validateOnly creates nothing.
    await ch.createTopic({ name: 'dry', numPartitions: 1, replicationFactor: 1 }, true);
    expect(node.controller.topic('dry')).toBeUndefined();
    // getOrCreateTopic: creates once; an existing topic this broker has not learned yet is LEADER_NOT_AVAILABLE (retriable).
    expect((await ch.getOrCreateTopic('auto')).name).toBe('auto');
    const notYet = await rejection(ch.getOrCreateTopic('auto'));
    expect(notYet.code).toBe('LEADER_NOT_AVAILABLE');
    expect(notYet.retriable).toBe(true);
    const seeing = channel([node.voter], { topic: (name) => node.controller.topic(name) });
    expect((await seeing.getOrCreateTopic('auto')).id).toBe(node.controller.topic('auto')!.id);
    // Waiting for the broker's image: the created topic comes back with its replicas and leaders.
    const waited: string[] = [];
    const waiting = channel([node.voter], { awaitTopic: async (name, id) => (waited.push(name), node.controller.topic(name)?.id === id ? node.controller.topic(name) : undefined) });
    expect((await waiting.createTopic({ name: 'placed', numPartitions: 2, replicationFactor: 1 })).partitions.map((p) => p.leader)).toEqual([1, 1]);
    expect(waited).toEqual(['placed']);

    await ch.createPartitions('events', 5, null);
    expect(node.controller.topic('events')!.partitions).toHaveLength(5);
    expect((await rejection(ch.createPartitions('events', 2, null))).code).toBe('INVALID_PARTITIONS');
    expect((await rejection(ch.createPartitions('nope', 2, [[1], [1]]))).code).toBe('UNKNOWN_TOPIC_OR_PARTITION');

    await ch.alterTopicConfigs('events', [['retention.ms', '1000']]);
    expect([...node.controller.topic('events')!.configs]).toEqual([['retention.ms', '1000']]);
    expect((await rejection(ch.alterTopicConfigs('events', [['bad.config', '1']]))).code).toBe('INVALID_CONFIG');
    await ch.incrementalAlterTopicConfigs('events', [{ name: 'cleanup.policy', op: 0, value: 'compact' }, { name: 'retention.ms', op: 1, value: null }]);
    expect([...node.controller.topic('events')!.configs]).toEqual([['cleanup.policy', 'compact']]);
    expect((await rejection(ch.incrementalAlterTopicConfigs('nope', [{ name: 'retention.ms', op: 1, value: null }]))).code).toBe('UNKNOWN_TOPIC_OR_PARTITION');

    await ch.deleteTopic('events');
    expect(node.controller.topic('events')).toBeUndefined();
    expect((await rejection(ch.deleteTopic('events'))).code).toBe('UNKNOWN_TOPIC_OR_PARTITION');
  });

  it('finds the active controller across two voters: NOT_CONTROLLER moves to the next one', async () => {
    const quorum = new TestQuorum(2);
    const one = await controllerNode(1, quorum);
    const two = await controllerNode(2, quorum, new TestController(quorum));
    one.controller.active = false;
    const ch = channel([one.voter, two.voter]);
    expect(ch.activeController).toBe(1);
    expect(await ch.registerBroker(registration)).toMatchObject({ errorCode: 0 });
    expect(ch.activeController).toBe(2);
    expect(one.controller.calls).toEqual(['register 3']);
    expect(two.controller.calls).toEqual(['register 3']);
    // Later calls go straight to the active controller.
    await ch.createTopic({ name: 't', numPartitions: 1, replicationFactor: 1 });
    expect(one.controller.calls).toEqual(['register 3']);
    // Leadership moves back: topic operations follow it too.
    two.controller.active = false;
    one.controller.active = true;
    await ch.createTopic({ name: 'u', numPartitions: 1, replicationFactor: 1 });
    expect(ch.activeController).toBe(1);
    expect(one.controller.topic('u')).toBeDefined();
  });

  it('answers NOT_CONTROLLER only after every retry met a node that is not the controller', async () => {
    const node = await controllerNode(1);
    node.controller.active = false;
    const ch = channel([node.voter], { retryTimeoutMs: 100 });
    expect(await ch.brokerHeartbeat({ nodeId: 3, brokerEpoch: 0, currentMetadataOffset: 0, wantFence: true, wantShutdown: false })).toMatchObject({ errorCode: KafkaCode.NOT_CONTROLLER });
    expect(node.controller.calls.length).toBeGreaterThan(1);
    expect((await rejection(ch.deleteTopic('x'))).code).toBe('NOT_CONTROLLER');
  });

  it('skips a voter it cannot reach', async () => {
    const node = await controllerNode(2);
    const ch = channel([{ nodeId: 1, host: '127.0.0.1', port: await deadPort() }, node.voter]);
    expect(await ch.registerBroker(registration)).toMatchObject({ errorCode: 0 });
    expect(ch.activeController).toBe(2);
  });

  it('retries a call whose connection was cut mid-call, on a new connection', async () => {
    const node = await controllerNode(1);
    const proxy = await tcpProxy(node.voter.port);
    cleanups.push(() => proxy.close());
    const ch = channel([{ nodeId: 1, host: '127.0.0.1', port: proxy.port }]);
    await ch.registerBroker(registration);
    let arrived!: () => void;
    const firstArrived = new Promise<void>((resolve) => (arrived = resolve));
    let release!: () => void;
    node.controller.beforeHeartbeat = (count) => {
      if (count !== 1) return Promise.resolve();
      arrived();
      return new Promise<void>((resolve) => (release = resolve));
    };
    const heartbeat = ch.brokerHeartbeat({ nodeId: 3, brokerEpoch: 0, currentMetadataOffset: 1, wantFence: false, wantShutdown: false });
    await firstArrived;
    proxy.cut();
    const result = await heartbeat;
    release();
    expect(result).toEqual({ errorCode: 0, isCaughtUp: true, isFenced: false, shouldShutdown: false });
    expect(node.controller.calls.filter((c) => c.startsWith('heartbeat'))).toHaveLength(2);
    expect(proxy.connections()).toBe(2);
  });

  it('gives up with REQUEST_TIMED_OUT (retriable) when no voter answers within the retry time', async () => {
    const ch = channel([{ nodeId: 1, host: '127.0.0.1', port: await deadPort() }], { retryTimeoutMs: 150 });
    const error = await rejection(ch.registerBroker(registration));
    expect(error.code).toBe('REQUEST_TIMED_OUT');
    expect(error.retriable).toBe(true);
    expect((error.cause as TributaryError).code).toBe('ERR_CONNECT_FAILED');
  });

  it('says so at once when a voter address is a broker, not a controller listener', async () => {
    const broker = new Broker({ handlers: DEFAULT_HANDLERS, storage: memoryStorage(), retentionCheckIntervalMs: 0 });
    const server = await startServer(broker, { host: '127.0.0.1', port: 0, logger: silentLogger });
    cleanups.push(() => server.close());
    const ch = channel([{ nodeId: 1, host: '127.0.0.1', port: server.port }], { retryTimeoutMs: 60_000 });
    const error = await rejection(ch.registerBroker(registration));
    expect(error.code).toBe('UNSUPPORTED_VERSION');
    expect(error.message).toContain('--controller-quorum');
  });

  it('feeds a ProducerIdManager with the controller\'s blocks: two brokers never share an id', async () => {
    const node = await controllerNode(1);
    const ch = channel([node.voter]);
    const one = await ch.registerBroker({ ...registration, nodeId: 1 });
    const two = await ch.registerBroker({ ...registration, nodeId: 2, incarnationId: '2f8fad5b-d9cb-469f-a165-70867728950e' });
    const managers = [
      new ProducerIdManager(memoryStorage().metadata, { allocateBlock: producerIdBlocksFrom(ch, () => ({ brokerId: 1, brokerEpoch: one.brokerEpoch })) }),
      new ProducerIdManager(memoryStorage().metadata, { allocateBlock: producerIdBlocksFrom(ch, () => ({ brokerId: 2, brokerEpoch: two.brokerEpoch })) }),
    ];
    for (const m of managers) await m.load();
    const ids = new Set<number>();
    for (let i = 0; i < 3; i++) for (const m of managers) ids.add((await m.initProducerId()).producerId);
    expect([...ids].sort((a, b) => a - b)).toEqual([0, 1, 2, 1000, 1001, 1002]);
    // No block to be had (a stale epoch here): the producer is told to retry.
    const stale = new ProducerIdManager(memoryStorage().metadata, { allocateBlock: producerIdBlocksFrom(ch, () => ({ brokerId: 1, brokerEpoch: 99 })) });
    expect(await stale.initProducerId()).toEqual({ errorCode: KafkaCode.COORDINATOR_LOAD_IN_PROGRESS, producerId: -1, producerEpoch: -1 });
  });
});

describe('the controller listener\'s answers to other versions', () => {
  it('answers CreateTopics v0 and v7, DeleteTopics by name and (with a way to name ids) by id, AlterPartition v2', async () => {
    const quorum = new TestQuorum(1);
    const controller = new TestController(quorum);
    const listener = await serveController({ nodeId: 1, controller, quorum, port: 0, topicName: (id) => [...['a', 'b', 'c']].find((n) => controller.topic(n)?.id === id) });
    cleanups.push(() => listener.close());
    const raw = await transport({ host: '127.0.0.1', port: listener.port }, { clientId: 'raw', requestTimeoutMs: 10_000, connectTimeoutMs: 5000, logger: silentLogger });
    cleanups.push(() => raw.close());
    const topic = (name: string, numPartitions = 1) => ({ name, numPartitions, replicationFactor: 1, assignments: [], configs: [{ name: 'retention.ms', value: '9' }] });
    const v0 = await raw.request(ApiKey.CreateTopics, 0, { topics: [topic('d'), topic('d', 2), topic('b'), topic('a')], timeoutMs: 1000 });
    expect(v0.topics.map((t) => [t.name, t.errorCode])).toEqual([['d', KafkaCode.INVALID_REQUEST], ['d', KafkaCode.INVALID_REQUEST], ['b', 0], ['a', 0]]);
    expect(controller.topic('d')).toBeUndefined();
    const v7 = await raw.request(ApiKey.CreateTopics, 7, { topics: [topic('c', 3), topic('b')], timeoutMs: 1000, validateOnly: false });
    expect(v7.topics[0]).toMatchObject({ name: 'c', errorCode: 0, topicId: controller.topic('c')!.id, numPartitions: 3, replicationFactor: 1, configs: [{ name: 'retention.ms', value: '9', configSource: 1 }] });
    expect(v7.topics[1]).toMatchObject({ name: 'b', errorCode: KafkaCode.TOPIC_ALREADY_EXISTS, errorMessage: 'Topic "b" already exists' });

    const byId = await raw.request(ApiKey.DeleteTopics, 6, { topics: [{ name: null, topicId: controller.topic('c')!.id }, { name: null, topicId: '00000000-0000-4000-8000-0000000000ff' }], timeoutMs: 1000 });
    expect(byId.responses.map((r) => [r.name, r.errorCode])).toEqual([['c', 0], [null, KafkaCode.UNKNOWN_TOPIC_ID]]);
    const byName = await raw.request(ApiKey.DeleteTopics, 1, { topicNames: ['b', 'zzz'], timeoutMs: 1000 });
    expect(byName.responses.map((r) => [r.name, r.errorCode])).toEqual([['b', 0], ['zzz', KafkaCode.UNKNOWN_TOPIC_OR_PARTITION]]);

    const { brokerEpoch } = await controller.registerBroker({ nodeId: 1, clusterId: 'test-cluster', incarnationId: INCARNATION, host: 'h', port: 1, rack: null });
    const a = controller.topic('a')!;
    const v2 = await raw.request(ApiKey.AlterPartition, 2, { brokerId: 1, brokerEpoch, topics: [{ topicId: a.id, partitions: [{ partitionIndex: 0, leaderEpoch: 0, newIsr: [1, 2], partitionEpoch: 0 }] }] });
    expect(v2).toMatchObject({ errorCode: 0, topics: [{ topicId: a.id, partitions: [{ partitionIndex: 0, errorCode: 0, isr: [1, 2], partitionEpoch: 1 }] }] });
    const stale = await raw.request(ApiKey.AlterPartition, 3, { brokerId: 1, brokerEpoch: brokerEpoch + 5, topics: [{ topicId: a.id, partitions: [{ partitionIndex: 0, leaderEpoch: 0, newIsrWithEpochs: [{ brokerId: 1, brokerEpoch: 5 }], partitionEpoch: 1 }] }] });
    expect(stale).toMatchObject({ errorCode: KafkaCode.STALE_BROKER_EPOCH, topics: [] });
  });
});

describe('the metadata log over TCP', () => {
  async function seeded(): Promise<Awaited<ReturnType<typeof controllerNode>>> {
    const node = await controllerNode(1);
    const ch = channel([node.voter]);
    await ch.registerBroker(registration);
    await ch.createTopic({ name: 'orders', numPartitions: 2, replicationFactor: 1, configs: [['retention.ms', '5']] });
    await ch.createTopic({ name: 'audit', numPartitions: 1, replicationFactor: 1 });
    return node;
  }

  it('answers the committed batches as they were appended, from any batch on', async () => {
    const node = await seeded();
    const r = reader([node.voter]);
    const all = await r.read(0, 0);
    expect(all.batches).toEqual(node.quorum.batches);
    expect(all.highWatermark).toBe(node.quorum.highWatermark);
    const second = node.quorum.batches[1]!.baseOffset;
    expect((await r.read(second, 0)).batches).toEqual(node.quorum.batches.slice(1));
    expect(await r.read(node.quorum.highWatermark, 0)).toEqual({ batches: [], highWatermark: node.quorum.highWatermark });
    expect(r.leader()).toEqual({ nodeId: 1, epoch: 1 });
    expect((await rejection(r.append([], 1))).code).toBe('NOT_CONTROLLER');
  });

  it('long-polls until the next append', async () => {
    const node = await seeded();
    const r = reader([node.voter]);
    const end = node.quorum.highWatermark;
    let answered = false;
    const waiting = r.read(end, 60_000).then((read) => {
      answered = true;
      return read;
    });
    await until(() => node.quorum.waiting > 0);
    expect(answered).toBe(false);
    await node.quorum.append([{ type: 'fence-broker', nodeId: 3, brokerEpoch: 0, fenced: false }]);
    const read = await waiting;
    expect(read.batches).toEqual(node.quorum.batches.slice(-1));
    expect(read.highWatermark).toBe(end + 1);
  });

  it('serves __cluster_metadata by name up to Fetch v12 and by topic id from v13, the same bytes', async () => {
    const node = await seeded();
    const raw = await transport({ host: '127.0.0.1', port: node.voter.port }, { clientId: 'raw', requestTimeoutMs: 10_000, connectTimeoutMs: 5000, logger: silentLogger });
    cleanups.push(() => raw.close());
    const fetch = (version: number, topic: string, topicId: string, fetchOffset = 0) => raw.request(ApiKey.Fetch, version, {
      replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic, topicId, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
      forgottenTopicsData: [], rackId: '',
    });
    const zero = '00000000-0000-0000-0000-000000000000';
    const answers = await Promise.all([fetch(4, METADATA_TOPIC, zero), fetch(12, METADATA_TOPIC, zero), fetch(13, '', METADATA_TOPIC_ID), fetch(17, '', METADATA_TOPIC_ID)]);
    for (const answer of answers) {
      const p = answer.responses[0]!.partitions[0]!;
      expect(p.errorCode).toBe(0);
      expect(p.highWatermark).toBe(node.quorum.highWatermark);
      expect(decodeMetadataBatches(p.records!)).toEqual(node.quorum.batches);
    }
    expect(Buffer.from(answers[3]!.responses[0]!.partitions[0]!.records!)).toEqual(Buffer.from(answers[0]!.responses[0]!.partitions[0]!.records!));
    expect(answers[1]!.responses[0]!.partitions[0]!.currentLeader).toEqual({ leaderId: 1, leaderEpoch: 1 });
    // Any other partition is unknown; an offset past the end is out of range.
    expect((await fetch(12, 'orders', zero)).responses[0]!.partitions[0]!.errorCode).toBe(KafkaCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect((await fetch(13, '', '00000000-0000-4000-8000-000000000001')).responses[0]!.partitions[0]!.errorCode).toBe(KafkaCode.UNKNOWN_TOPIC_ID);
    expect((await fetch(13, '', METADATA_TOPIC_ID, node.quorum.highWatermark + 5)).responses[0]!.partitions[0]!.errorCode).toBe(KafkaCode.OFFSET_OUT_OF_RANGE);
  });

  it('follows the leader a voter that does not lead names', async () => {
    const quorum = new TestQuorum(2, 4);
    const one = await controllerNode(1, quorum);
    const two = await controllerNode(2, quorum);
    await quorum.append([{ type: 'fence-broker', nodeId: 3, brokerEpoch: 0, fenced: true }], 4);
    const r = reader([one.voter, two.voter]);
    const leaders: number[] = [];
    r.onLeaderChange((l) => leaders.push(l.nodeId));
    expect((await r.read(0, 0)).batches).toEqual(quorum.batches);
    expect(r.leader()).toEqual({ nodeId: 2, epoch: 4 });
    expect(leaders).toEqual([2]);
    void one;
    void two;
  });

  it('ends a long poll when the controller listener closes', async () => {
    const node = await seeded();
    const r = reader([node.voter], { retryTimeoutMs: 100 });
    const end = node.quorum.highWatermark;
    const waiting = r.read(end, 60_000);
    await until(() => node.quorum.waiting > 0);
    await node.listener.close();
    expect(await waiting).toEqual({ batches: [], highWatermark: end });
  });

  it('a read pending when the reader closes answers with nothing', async () => {
    const node = await seeded();
    const r = reader([node.voter]);
    await r.read(0, 0);
    const waiting = r.read(node.quorum.highWatermark, 60_000);
    await until(() => node.quorum.waiting > 0);
    await r.close();
    expect((await waiting).batches).toEqual([]);
  });
});
