/**
 * Test parts for the controller wire: a small in-memory metadata quorum (the real
 * MemoryQuorum lives on another branch as this is written; this one follows the same
 * contract) and a tiny BrokerToController over it that writes real metadata records, plus
 * a TCP proxy that can cut every connection through it.
 */
import { type AddressInfo, type Server, type Socket, connect, createServer } from 'node:net';
import { kafkaError, KafkaCode } from '../../core/errors.ts';
import type {
  AlterPartitionItemResult, AlterPartitionRequest, AllocateProducerIdsRequest, AllocateProducerIdsResult, BrokerHeartbeatRequest,
  BrokerHeartbeatResult, BrokerRegistrationRequest, BrokerRegistrationResult, BrokerToController,
} from '../../core/broker/controller/broker-to-controller.ts';
import type { ConfigOp, CreateTopicSpec } from '../../core/broker/controller/controller.ts';
import type { PartitionRegistration, TopicImage } from '../../core/broker/metadata/metadata-image.ts';
import type { MetadataRecord } from '../../core/broker/metadata/records.ts';
import { type MetadataBatch, type MetadataQuorum, type MetadataRead, type QuorumLeader, nextOffsetAfter } from '../../core/broker/quorum/metadata-quorum.ts';

/** A metadata log in memory: appends commit at once; reads wait for the next append. */
export class TestQuorum implements MetadataQuorum {
  readonly batches: MetadataBatch[] = [];
  #leader: QuorumLeader;
  #end = 0;
  #waiters = new Set<() => void>();
  #closed = false;

  constructor(leaderId: number, epoch = 1) {
    this.#leader = { nodeId: leaderId, epoch };
  }

  /** Reads waiting for an append now. */
  get waiting(): number {
    return this.#waiters.size;
  }

  get highWatermark(): number {
    return this.#end;
  }

  leader(): QuorumLeader {
    return this.#leader;
  }

  elect(nodeId: number): void {
    this.#leader = { nodeId, epoch: this.#leader.epoch + 1 };
  }

  async append(records: readonly MetadataRecord[], expectedEpoch: number = this.#leader.epoch): Promise<number> {
    if (expectedEpoch !== this.#leader.epoch) throw kafkaError(KafkaCode.NOT_CONTROLLER, 'stale epoch');
    const batch: MetadataBatch = { baseOffset: this.#end, epoch: this.#leader.epoch, appendTimeMs: 1_700_000_000_000 + this.#end, records: JSON.parse(JSON.stringify(records)) };
    this.batches.push(batch);
    this.#end = nextOffsetAfter(batch);
    for (const wake of [...this.#waiters]) wake();
    return batch.baseOffset;
  }

  async read(fromOffset: number, waitMs: number): Promise<MetadataRead> {
    const collect = () => ({ batches: this.batches.filter((b) => b.baseOffset >= fromOffset), highWatermark: this.#end });
    const now = collect();
    if (now.batches.length > 0 || waitMs <= 0 || this.#closed) return now;
    await new Promise<void>((resolve) => {
      const wake = () => {
        this.#waiters.delete(wake);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(wake, waitMs);
      this.#waiters.add(wake);
    });
    return collect();
  }

  onLeaderChange(): () => void {
    return () => undefined;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const wake of [...this.#waiters]) wake();
  }
}

interface Registration {
  readonly incarnationId: string;
  readonly brokerEpoch: number;
}

/**
 * A tiny controller: registrations, heartbeats, ISR changes checked against the partition
 * epoch, producer-id blocks and topic operations with Kafka's error codes, each change a
 * record in the quorum. `active = false` makes every call answer NOT_CONTROLLER.
 */
export class TestController implements BrokerToController {
  readonly defaultNumPartitions = 1;
  active = true;
  readonly calls: string[] = [];
  /** Called on each heartbeat before it is answered (a test may hold it there). */
  beforeHeartbeat: ((count: number) => Promise<void>) | undefined;
  readonly #quorum: TestQuorum;
  readonly #clusterId: string;
  readonly #brokers = new Map<number, Registration>();
  readonly #topics = new Map<string, TopicImage>();
  #partitionEpochs = new Map<string, number>();
  #nextProducerId = 0;
  #heartbeats = 0;
  #nextTopic = 1;

  constructor(quorum: TestQuorum, clusterId = 'test-cluster') {
    this.#quorum = quorum;
    this.#clusterId = clusterId;
  }

  /** ACLs are not what these tests exercise (test/acl covers them over the real controllers). */
  async createAcls(): Promise<never> {
    throw kafkaError(KafkaCode.UNSUPPORTED_VERSION, 'the test controller keeps no ACLs');
  }

  async deleteAcls(): Promise<never> {
    throw kafkaError(KafkaCode.UNSUPPORTED_VERSION, 'the test controller keeps no ACLs');
  }

  #notController(): Error {
    return kafkaError(KafkaCode.NOT_CONTROLLER, 'not the active controller');
  }

  async registerBroker(request: BrokerRegistrationRequest): Promise<BrokerRegistrationResult> {
    this.calls.push(`register ${request.nodeId}`);
    if (!this.active) return { errorCode: KafkaCode.NOT_CONTROLLER, errorMessage: null, brokerEpoch: -1 };
    if (request.clusterId !== this.#clusterId) return { errorCode: KafkaCode.INCONSISTENT_CLUSTER_ID, errorMessage: 'other cluster', brokerEpoch: -1 };
    const known = this.#brokers.get(request.nodeId);
    if (known && known.incarnationId !== request.incarnationId) return { errorCode: KafkaCode.DUPLICATE_BROKER_REGISTRATION, errorMessage: 'taken', brokerEpoch: -1 };
    const brokerEpoch = await this.#quorum.append([{
      type: 'register-broker', nodeId: request.nodeId, host: request.host, port: request.port, rack: request.rack, incarnationId: request.incarnationId, brokerEpoch: this.#quorum.highWatermark, fenced: true,
    }]);
    this.#brokers.set(request.nodeId, { incarnationId: request.incarnationId, brokerEpoch });
    return { errorCode: 0, errorMessage: null, brokerEpoch };
  }

  async brokerHeartbeat(request: BrokerHeartbeatRequest): Promise<BrokerHeartbeatResult> {
    this.calls.push(`heartbeat ${request.nodeId}`);
    const count = ++this.#heartbeats;
    await this.beforeHeartbeat?.(count);
    const no = { isCaughtUp: false, isFenced: true, shouldShutdown: false };
    if (!this.active) return { errorCode: KafkaCode.NOT_CONTROLLER, ...no };
    const known = this.#brokers.get(request.nodeId);
    if (!known) return { errorCode: KafkaCode.BROKER_ID_NOT_REGISTERED, ...no };
    if (known.brokerEpoch !== request.brokerEpoch) return { errorCode: KafkaCode.STALE_BROKER_EPOCH, ...no };
    return { errorCode: 0, isCaughtUp: request.currentMetadataOffset >= known.brokerEpoch, isFenced: request.wantFence, shouldShutdown: request.wantShutdown };
  }

  async alterPartition(request: AlterPartitionRequest): Promise<AlterPartitionItemResult[]> {
    this.calls.push(`alter-partition ${request.brokerId}`);
    const known = this.#brokers.get(request.brokerId);
    const whole = !this.active ? KafkaCode.NOT_CONTROLLER : !known || known.brokerEpoch !== request.brokerEpoch ? KafkaCode.STALE_BROKER_EPOCH : 0;
    const out: AlterPartitionItemResult[] = [];
    for (const item of request.items) {
      const topic = [...this.#topics.values()].find((t) => t.id === item.topicId);
      const p = topic?.partitions[item.partition];
      const key = `${item.topicId}-${item.partition}`;
      const epoch = this.#partitionEpochs.get(key) ?? 0;
      const none = { topicId: item.topicId, partition: item.partition, leader: -1, leaderEpoch: -1, partitionEpoch: -1, isr: [] as number[] };
      if (whole) out.push({ ...none, errorCode: whole });
      else if (!topic || !p) out.push({ ...none, errorCode: KafkaCode.UNKNOWN_TOPIC_OR_PARTITION });
      else if (item.partitionEpoch !== epoch) out.push({ ...none, errorCode: KafkaCode.INVALID_UPDATE_VERSION, leader: p.leader, leaderEpoch: p.leaderEpoch, partitionEpoch: epoch, isr: [...p.isr] });
      else {
        this.#partitionEpochs.set(key, epoch + 1);
        await this.#quorum.append([{ type: 'partition', topicId: item.topicId, partitionId: item.partition, replicas: [...p.replicas], isr: [...item.newIsr], leader: p.leader, leaderEpoch: p.leaderEpoch, partitionEpoch: epoch + 1 }]);
        out.push({ topicId: item.topicId, partition: item.partition, errorCode: 0, leader: p.leader, leaderEpoch: p.leaderEpoch, partitionEpoch: epoch + 1, isr: [...item.newIsr] });
      }
    }
    return out;
  }

  async allocateProducerIds(request: AllocateProducerIdsRequest): Promise<AllocateProducerIdsResult> {
    this.calls.push(`allocate-producer-ids ${request.brokerId}`);
    if (!this.active) return { errorCode: KafkaCode.NOT_CONTROLLER, firstProducerId: -1, size: 0 };
    const known = this.#brokers.get(request.brokerId);
    if (!known || known.brokerEpoch !== request.brokerEpoch) return { errorCode: KafkaCode.STALE_BROKER_EPOCH, firstProducerId: -1, size: 0 };
    const firstProducerId = this.#nextProducerId;
    this.#nextProducerId += 1000;
    await this.#quorum.append([{ type: 'producer-ids', nodeId: request.brokerId, brokerEpoch: request.brokerEpoch, firstProducerId, size: 1000 }]);
    return { errorCode: 0, firstProducerId, size: 1000 };
  }

  async createTopic(spec: CreateTopicSpec, validateOnly = false): Promise<TopicImage> {
    this.calls.push(`create-topic ${spec.name}`);
    if (!this.active) throw this.#notController();
    if (this.#topics.has(spec.name)) throw kafkaError(KafkaCode.TOPIC_ALREADY_EXISTS, `Topic "${spec.name}" already exists`);
    const count = spec.numPartitions === -1 ? this.defaultNumPartitions : spec.numPartitions;
    if (count < 1) throw kafkaError(KafkaCode.INVALID_PARTITIONS, 'at least one partition');
    if (spec.replicationFactor > 1) throw kafkaError(KafkaCode.INVALID_REPLICATION_FACTOR, `replication factor ${spec.replicationFactor} is larger than the 1 live broker`);
    const configs = new Map<string, string>();
    for (const [name, value] of spec.configs ?? []) {
      if (name === 'bad.config') throw kafkaError(KafkaCode.INVALID_CONFIG, 'bad.config is not a config');
      if (value !== null && value !== undefined) configs.set(name, value);
    }
    const id = `00000000-0000-4000-8000-${String(this.#nextTopic++).padStart(12, '0')}`;
    const partitions: PartitionRegistration[] = Array.from({ length: count }, (_, partition) => ({ partition, replicas: [1], isr: [1], leader: 1, leaderEpoch: 0, partitionEpoch: 0 }));
    const topic: TopicImage = { name: spec.name, id, replicationFactor: 1, createdAt: 0, partitions, configs };
    if (validateOnly) return topic;
    this.#topics.set(spec.name, topic);
    await this.#quorum.append([
      { type: 'topic', name: spec.name, topicId: id, replicationFactor: 1, createdAt: 0 },
      ...partitions.map((p): MetadataRecord => ({ type: 'partition', topicId: id, partitionId: p.partition, replicas: [1], isr: [1], leader: 1, leaderEpoch: 0, partitionEpoch: 0 })),
      ...[...configs].map(([name, value]): MetadataRecord => ({ type: 'config', resourceType: 'topic', resourceName: spec.name, name, value })),
    ]);
    return topic;
  }

  async getOrCreateTopic(name: string): Promise<TopicImage> {
    return this.#topics.get(name) ?? this.createTopic({ name, numPartitions: -1, replicationFactor: -1 });
  }

  async deleteTopic(name: string): Promise<void> {
    this.calls.push(`delete-topic ${name}`);
    if (!this.active) throw this.#notController();
    const topic = this.#topics.get(name);
    if (!topic) throw kafkaError(KafkaCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic "${name}" does not exist`);
    this.#topics.delete(name);
    await this.#quorum.append([{ type: 'remove-topic', topicId: topic.id }]);
  }

  async createPartitions(name: string, count: number, _assignments: number[][] | null, validateOnly = false): Promise<void> {
    this.calls.push(`create-partitions ${name}`);
    if (!this.active) throw this.#notController();
    const topic = this.#topics.get(name);
    if (!topic) throw kafkaError(KafkaCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic "${name}" does not exist`);
    if (count <= topic.partitions.length) throw kafkaError(KafkaCode.INVALID_PARTITIONS, `Topic has ${topic.partitions.length} partitions`);
    if (validateOnly) return;
    const partitions = [...topic.partitions];
    for (let p = partitions.length; p < count; p++) partitions.push({ partition: p, replicas: [1], isr: [1], leader: 1, leaderEpoch: 0, partitionEpoch: 0 });
    this.#topics.set(name, { ...topic, partitions });
  }

  async alterTopicConfigs(name: string, configs: Iterable<readonly [string, string | null | undefined]>, validateOnly = false): Promise<void> {
    this.calls.push(`alter-configs ${name}`);
    if (!this.active) throw this.#notController();
    const topic = this.#topics.get(name);
    if (!topic) throw kafkaError(KafkaCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic "${name}" does not exist`);
    const next = new Map<string, string>();
    for (const [key, value] of configs) {
      if (key === 'bad.config') throw kafkaError(KafkaCode.INVALID_CONFIG, 'bad.config is not a config');
      if (value !== null && value !== undefined) next.set(key, value);
    }
    if (!validateOnly) this.#topics.set(name, { ...topic, configs: next });
  }

  async incrementalAlterTopicConfigs(name: string, ops: readonly ConfigOp[], validateOnly = false): Promise<void> {
    this.calls.push(`incremental-alter-configs ${name}`);
    if (!this.active) throw this.#notController();
    const topic = this.#topics.get(name);
    if (!topic) throw kafkaError(KafkaCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic "${name}" does not exist`);
    const next = new Map(topic.configs);
    for (const op of ops) {
      if (op.op === 0 && op.value !== null) next.set(op.name, op.value);
      else if (op.op === 1) next.delete(op.name);
      else throw kafkaError(KafkaCode.INVALID_REQUEST, `op ${op.op} is not for ${op.name}`);
    }
    if (!validateOnly) this.#topics.set(name, { ...topic, configs: next });
  }

  /** The topic as this controller has it. */
  topic(name: string): TopicImage | undefined {
    return this.#topics.get(name);
  }
}

/** A TCP proxy to 127.0.0.1:`targetPort` whose connections a test can cut. */
export async function tcpProxy(targetPort: number): Promise<{ port: number; connections(): number; cut(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server: Server = createServer((client) => {
    accepted++;
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => accepted,
    cut: () => {
      for (const s of sockets) s.destroy();
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
