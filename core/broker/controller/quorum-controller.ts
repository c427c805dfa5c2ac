/**
 * The controller of a cluster (Kafka's QuorumController with its ClusterControlManager,
 * ReplicationControlManager and ProducerIdControlManager): a state machine over the
 * metadata log. It is active while its node leads the metadata quorum; on becoming active
 * it replays the committed log it has not applied yet into its own image, then serves (each
 * voter of a Raft quorum runs one; only the leader's is active). Every operation
 * runs alone, in arrival order (an event queue, as Kafka's): it computes records from the
 * current image, appends them at the quorum epoch it became active in, and applies them
 * once committed — so the image is always exactly the committed log. When it is not
 * active every call answers NOT_CONTROLLER (41).
 *
 * Rules (Kafka's):
 * - registration writes a fenced broker whose epoch is the offset of its record; a second
 *   live process with the same node id is refused (DUPLICATE_BROKER_REGISTRATION), one
 *   of another cluster too (INCONSISTENT_CLUSTER_ID);
 * - a broker is unfenced once it heartbeats caught up with the log up to its
 *   registration; leaderless partitions whose ISR has it then elect it;
 * - a broker that misses its session (broker.session.timeout.ms) is fenced: it leaves
 *   every ISR (but never empties one) and its partitions elect a new leader from the ISR
 *   (partition-change.ts); a controlled shutdown does the same before it lets the broker go;
 * - AlterPartition from the leader commits ISR changes computed from the current epochs;
 * - producer ids go out in blocks recorded in the log, never handed out twice.
 */
import type { Clock } from '../../clock.ts';
import type { Logger } from '../../contracts/logger.ts';
import { kafkaError, KafkaCode, TributaryError } from '../../errors.ts';
import { MetadataDelta } from '../metadata/metadata-delta.ts';
import { imageFromRecords } from '../metadata/image-records.ts';
import { MetadataImage, type PartitionRegistration, type TopicImage } from '../metadata/metadata-image.ts';
import type { MetadataRecord, PartitionRecord, RegisterBrokerRecord } from '../metadata/records.ts';
import { type MetadataQuorum, nextOffsetAfter, type QuorumLeader } from '../quorum/metadata-quorum.ts';
import { BrokerHeartbeats } from './broker-heartbeats.ts';
import type {
  AllocateProducerIdsRequest,
  AllocateProducerIdsResult,
  AlterPartitionItemResult,
  AlterPartitionRequest,
  BrokerHeartbeatRequest,
  BrokerHeartbeatResult,
  BrokerRegistrationRequest,
  BrokerRegistrationResult,
  BrokerToController,
} from './broker-to-controller.ts';
import type { ConfigOp, CreateTopicSpec, ScramCredentialChanges } from './controller.ts';
import { scramCredentialRecords } from './scram-records.ts';
import type { AclBinding, AclBindingFilter } from '../../contracts/authorizer.ts';
import { type AclCreationResult, type AclDeletionResult, planAclCreations, planAclDeletions } from '../acl/acl-control.ts';
import { sameMembers } from './partition-change.ts';
import { placementStart, placeReplicas } from './replica-placement.ts';
import { checkAlterPartition, electionsOnUnfence, isrChangeRecord, newPartitionRecord, removeBrokerFromPartitions } from './replication-control.ts';
import type { BrokerConfigOperations, ClusterOperations } from './cluster-operations.ts';
import { brokerConfigRecords, checkBrokerResource, nextBrokerConfigs } from '../dynamic-broker-configs.ts';
import { ClusterOperationsControl, type LeaderRebalanceConfig } from './cluster-operations-control.ts';
import {
  applyConfigOps,
  checkConfigOps,
  checkNewTopicName,
  checkPartitionLimit,
  checkReplicationFactor,
  checkTopicConfigs,
  configChangeRecords,
  DEFAULT_MAX_PARTITIONS,
  planNewPartitions,
  planTopicReplicas,
} from './topic-planning.ts';

/** Kafka's broker.session.timeout.ms default. */
export const DEFAULT_SESSION_TIMEOUT_MS = 9000;

/** Producer ids per AllocateProducerIds block (Kafka's ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE). */
export const DEFAULT_PRODUCER_ID_BLOCK_SIZE = 1000;

/** Options of {@link QuorumController}. */
export interface QuorumControllerOptions {
  /** Where the metadata log lives. */
  readonly quorum: MetadataQuorum;
  /** This node's id: the controller is active while the quorum leader is this node. */
  readonly nodeId: number;
  /** Session timers and creation times. */
  readonly clock: Clock;
  readonly logger: Logger;
  /** num.partitions. */
  readonly numPartitions: number;
  /** default.replication.factor. */
  readonly defaultReplicationFactor: number;
  /** Most partitions in the cluster (default {@link DEFAULT_MAX_PARTITIONS}): more is POLICY_VIOLATION. */
  readonly maxPartitions?: number;
  /** socket.request.max.bytes: a topic's max.message.bytes above it is INVALID_CONFIG. */
  readonly socketRequestMaxBytes?: number;
  /** broker.session.timeout.ms (default {@link DEFAULT_SESSION_TIMEOUT_MS}). */
  readonly sessionTimeoutMs?: number;
  /** Producer ids per block (default {@link DEFAULT_PRODUCER_ID_BLOCK_SIZE}). */
  readonly producerIdBlockSize?: number;
  /**
   * The cluster id, written to the log when the controller first becomes active over a
   * log without one. Without it the first broker to register gives it.
   */
  readonly clusterId?: string;
  /** Makes a new topic's id, and a new ACL's (default crypto.randomUUID; a simulation passes a seeded one). */
  readonly newTopicId?: () => string;
  /** auto.leader.rebalance.enable, leader.imbalance.check.interval.seconds (as ms), leader.imbalance.per.broker.percentage; Kafka's defaults when unset. */
  readonly leaderRebalance?: Partial<LeaderRebalanceConfig>;
}

/** Answered to a topic operation while this controller is not active. */
function notController(nodeId: number, leader: QuorumLeader): TributaryError {
  return kafkaError(KafkaCode.NOT_CONTROLLER, `Node ${nodeId} is not the active controller (the metadata quorum leader is ${leader.nodeId} at epoch ${leader.epoch})`);
}

function isNotController(error: unknown): boolean {
  return error instanceof TributaryError && error.kafkaCode === KafkaCode.NOT_CONTROLLER;
}

/** The active controller of a cluster, over a {@link MetadataQuorum}. */
export class QuorumController implements BrokerToController, ClusterOperations, BrokerConfigOperations {
  readonly #options: QuorumControllerOptions;
  readonly #quorum: MetadataQuorum;
  readonly #heartbeats: BrokerHeartbeats;
  readonly #unsubscribe: () => void;
  #image: MetadataImage = MetadataImage.EMPTY;
  // Offset of the next record the log will take (everything before it is in #image).
  #nextOffset = 0;
  // The quorum epoch this controller is active in (-1: not active).
  #activeEpoch = -1;
  // An append failed in a way that leaves it unknown whether it was committed: read the log again first.
  #stale = false;
  #closed = false;
  #queue: Promise<unknown> = Promise.resolve();
  // Ends the wait of an append in flight when this controller stops being active.
  readonly #deposed = new Set<() => void>();
  // Brokers in controlled shutdown: they may not lead or join an ISR (in memory, as Kafka's).
  readonly #shuttingDown = new Set<number>();
  // Reassignment, elections, unregistration and the leader rebalance (cluster-operations-control.ts).
  readonly #operations: ClusterOperationsControl;

  constructor(options: QuorumControllerOptions) {
    this.#options = options;
    this.#quorum = options.quorum;
    this.#heartbeats = new BrokerHeartbeats(options.clock, options.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS, (nodeId) => {
      void this.#enqueue(() => this.#sessionExpired(nodeId)).catch((error: unknown) => this.#options.logger.error('fencing after a missed session failed', { nodeId, error: String(error) }));
    });
    this.#operations = new ClusterOperationsControl({
      clock: options.clock,
      logger: options.logger,
      rebalance: options.leaderRebalance,
      image: () => this.#image,
      isActive: this.#isActive,
      commit: (records) => this.#commit(records),
      call: (fn, notActive) => this.#brokerCall(fn, notActive),
      enqueue: (fn) => this.#enqueue(fn),
      active: () => this.active,
    });
    this.#unsubscribe = this.#quorum.onLeaderChange((leader) => this.#onLeaderChange(leader));
    this.#onLeaderChange(this.#quorum.leader());
  }

  /** This node's id. */
  get nodeId(): number {
    return this.#options.nodeId;
  }

  /** Partitions of a topic created with numPartitions -1 (num.partitions). */
  get defaultNumPartitions(): number {
    return this.#options.numPartitions;
  }

  /** The controller's image: the committed metadata log as replayed so far. */
  get image(): MetadataImage {
    return this.#image;
  }

  /** True while this controller serves (its node leads the quorum and it has replayed the log). */
  get active(): boolean {
    const leader = this.#quorum.leader();
    return !this.#closed && this.#activeEpoch !== -1 && leader.nodeId === this.#options.nodeId && leader.epoch === this.#activeEpoch;
  }

  /** Resolves once every operation queued so far (activation included) has run. */
  async whenIdle(): Promise<void> {
    await this.#enqueue(async () => undefined);
  }

  /** Stops serving: timers end, every later call answers NOT_CONTROLLER. */
  close(): void {
    this.#closed = true;
    this.#unsubscribe();
    this.#deactivate();
  }

  // ---- broker-facing operations ----

  registerBroker(request: BrokerRegistrationRequest): Promise<BrokerRegistrationResult> {
    const refused = (errorCode: number, errorMessage: string): BrokerRegistrationResult => ({ errorCode, errorMessage, brokerEpoch: -1 });
    return this.#brokerCall(
      async () => {
        const records: MetadataRecord[] = [];
        const clusterId = this.#image.clusterId;
        if (clusterId === null) records.push({ type: 'cluster-id', clusterId: request.clusterId });
        else if (clusterId !== request.clusterId) {
          this.#options.logger.warn('broker registration refused: another cluster id', { nodeId: request.nodeId, clusterId: request.clusterId, expected: clusterId });
          return refused(KafkaCode.INCONSISTENT_CLUSTER_ID, `Broker ${request.nodeId} has cluster id ${request.clusterId}; this cluster's id is ${clusterId}`);
        }
        const existing = this.#image.registration(request.nodeId);
        if (existing && existing.incarnationId !== null && existing.incarnationId === request.incarnationId) {
          // The same process asking again (a retry): the same registration, its address amended if it changed (Kafka's rule).
          if (existing.host !== request.host || existing.port !== request.port || existing.rack !== request.rack) {
            await this.#commit([{ ...this.#registrationRecord(request, existing.brokerEpoch), fenced: existing.fenced }]);
          }
          this.#heartbeats.touch(request.nodeId);
          return { errorCode: 0, errorMessage: null, brokerEpoch: existing.brokerEpoch };
        }
        // A process that announced its controlled shutdown is going: its successor may register at
        // once — as may a node that names the registration as the one it shut down cleanly with.
        const successor = this.#shuttingDown.has(request.nodeId) || (existing !== undefined && request.previousBrokerEpoch !== undefined && request.previousBrokerEpoch >= 0 && request.previousBrokerEpoch === existing.brokerEpoch);
        if (existing && this.#heartbeats.hasLiveSession(request.nodeId) && !successor) {
          const message = `Node id ${request.nodeId} is already registered by another live broker process (incarnation ${existing.incarnationId}, at ${existing.host}:${existing.port}); two brokers cannot share a node id — give this one another --node-id, or stop the other and wait for its session (${this.#options.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS} ms) to end`;
          this.#options.logger.warn('duplicate broker registration refused', { nodeId: request.nodeId, host: request.host, port: request.port, incarnationId: request.incarnationId, existing: existing.incarnationId });
          return refused(KafkaCode.DUPLICATE_BROKER_REGISTRATION, message);
        }
        // A new process for a node id: its predecessor's leaderships and ISR places go first (its log may have lost an unsynced tail).
        if (existing) records.push(...removeBrokerFromPartitions(this.#image, request.nodeId, this.#isActive));
        const brokerEpoch = this.#nextOffset + records.length;
        records.push(this.#registrationRecord(request, brokerEpoch));
        await this.#commit(records);
        this.#shuttingDown.delete(request.nodeId);
        this.#heartbeats.touch(request.nodeId);
        this.#options.logger.info('broker registered', { nodeId: request.nodeId, brokerEpoch, host: request.host, port: request.port });
        return { errorCode: 0, errorMessage: null, brokerEpoch };
      },
      (message) => refused(KafkaCode.NOT_CONTROLLER, message),
    );
  }

  brokerHeartbeat(request: BrokerHeartbeatRequest): Promise<BrokerHeartbeatResult> {
    const answer = (errorCode: number, isCaughtUp = false, isFenced = true, shouldShutdown = false): BrokerHeartbeatResult => ({ errorCode, isCaughtUp, isFenced, shouldShutdown });
    return this.#brokerCall(
      async () => {
        const nodeId = request.nodeId;
        const registration = this.#image.registration(nodeId);
        if (!registration) return answer(KafkaCode.BROKER_ID_NOT_REGISTERED);
        if (registration.brokerEpoch !== request.brokerEpoch) return answer(KafkaCode.STALE_BROKER_EPOCH);
        this.#heartbeats.touch(nodeId);
        const isCaughtUp = request.currentMetadataOffset >= registration.brokerEpoch;
        if (request.wantShutdown) {
          // Controlled shutdown: leadership and ISR places move away, then the broker is fenced and may go.
          this.#shuttingDown.add(nodeId);
          const records: MetadataRecord[] = removeBrokerFromPartitions(this.#image, nodeId, this.#isActive);
          if (!registration.fenced) records.push({ type: 'fence-broker', nodeId, brokerEpoch: registration.brokerEpoch, fenced: true });
          if (records.length > 0) await this.#commit(records);
          if (!registration.fenced) this.#options.logger.info('broker in controlled shutdown fenced', { nodeId });
          return answer(0, isCaughtUp, this.#image.isFenced(nodeId), this.#image.partitionsLedBy(nodeId).length === 0);
        }
        if (registration.fenced && isCaughtUp && !request.wantFence) {
          this.#shuttingDown.delete(nodeId);
          const records: MetadataRecord[] = [{ type: 'fence-broker', nodeId, brokerEpoch: registration.brokerEpoch, fenced: false }];
          records.push(...electionsOnUnfence(this.#image, nodeId, this.#isActive));
          await this.#commit(records);
          this.#options.logger.info('broker unfenced', { nodeId, brokerEpoch: registration.brokerEpoch, elected: records.length - 1 });
        } else if (!registration.fenced && request.wantFence) {
          await this.#commit([...removeBrokerFromPartitions(this.#image, nodeId, this.#isActive), { type: 'fence-broker', nodeId, brokerEpoch: registration.brokerEpoch, fenced: true }]);
        }
        return answer(0, isCaughtUp, this.#image.isFenced(nodeId), false);
      },
      () => answer(KafkaCode.NOT_CONTROLLER),
    );
  }

  alterPartition(request: AlterPartitionRequest): Promise<AlterPartitionItemResult[]> {
    const failed = (errorCode: number, item: { topicId: string; partition: number }, current?: PartitionRegistration): AlterPartitionItemResult => ({
      topicId: item.topicId,
      partition: item.partition,
      errorCode,
      leader: current?.leader ?? -1,
      leaderEpoch: current?.leaderEpoch ?? -1,
      partitionEpoch: current?.partitionEpoch ?? -1,
      isr: current ? [...current.isr] : [],
    });
    return this.#brokerCall(
      async () => {
        const registration = this.#image.registration(request.brokerId);
        if (!registration || registration.brokerEpoch !== request.brokerEpoch) {
          return request.items.map((item) => failed(KafkaCode.STALE_BROKER_EPOCH, item, this.#image.partition(item.topicId, item.partition)));
        }
        const results: Array<AlterPartitionItemResult | null> = [];
        const records: PartitionRecord[] = [];
        for (const item of request.items) {
          const current = this.#image.partition(item.topicId, item.partition);
          const error = current ? checkAlterPartition(request.brokerId, item, current, this.#isActive) : KafkaCode.UNKNOWN_TOPIC_OR_PARTITION;
          if (error !== 0 || !current) {
            results.push(failed(error, item, current));
            continue;
          }
          results.push(null);
          if (sameMembers(item.newIsr, current.isr)) continue;
          records.push(isrChangeRecord(item.topicId, current, item.newIsr, this.#isActive));
        }
        if (records.length > 0) await this.#commit(records);
        // The accepted items answer with the partition as committed.
        return results.map((result, i) => result ?? failed(0, request.items[i]!, this.#image.partition(request.items[i]!.topicId, request.items[i]!.partition)));
      },
      () => request.items.map((item) => failed(KafkaCode.NOT_CONTROLLER, item)),
    );
  }

  allocateProducerIds(request: AllocateProducerIdsRequest): Promise<AllocateProducerIdsResult> {
    return this.#brokerCall(
      async () => {
        const registration = this.#image.registration(request.brokerId);
        if (!registration || registration.brokerEpoch !== request.brokerEpoch) return { errorCode: KafkaCode.STALE_BROKER_EPOCH, firstProducerId: -1, size: 0 };
        const size = this.#options.producerIdBlockSize ?? DEFAULT_PRODUCER_ID_BLOCK_SIZE;
        const firstProducerId = this.#image.nextProducerId;
        await this.#commit([{ type: 'producer-ids', nodeId: request.brokerId, brokerEpoch: request.brokerEpoch, firstProducerId, size }]);
        return { errorCode: 0, firstProducerId, size };
      },
      () => ({ errorCode: KafkaCode.NOT_CONTROLLER, firstProducerId: -1, size: 0 }),
    );
  }

  // ---- operator operations (ClusterOperations: cluster-operations-control.ts) ----

  alterPartitionReassignments(request: Parameters<ClusterOperations['alterPartitionReassignments']>[0]): ReturnType<ClusterOperations['alterPartitionReassignments']> {
    return this.#operations.alterPartitionReassignments(request);
  }

  listPartitionReassignments(request: Parameters<ClusterOperations['listPartitionReassignments']>[0]): ReturnType<ClusterOperations['listPartitionReassignments']> {
    return this.#operations.listPartitionReassignments(request);
  }

  electLeaders(request: Parameters<ClusterOperations['electLeaders']>[0]): ReturnType<ClusterOperations['electLeaders']> {
    return this.#operations.electLeaders(request);
  }

  unregisterBroker(request: Parameters<ClusterOperations['unregisterBroker']>[0]): ReturnType<ClusterOperations['unregisterBroker']> {
    return this.#operations.unregisterBroker(request);
  }

  // ---- topic operations (Controller) ----

  /** Commits SCRAM credential changes to the metadata log: every broker replays them. */
  async alterUserScramCredentials(request: ScramCredentialChanges): Promise<void> {
    const records = await scramCredentialRecords(request);
    return this.#topicCall(async () => {
      if (records.length > 0) await this.#commit(records);
    });
  }

  createTopic(spec: CreateTopicSpec, validateOnly = false): Promise<TopicImage> {
    return this.#topicCall(() => this.#createTopic(spec, validateOnly));
  }

  getOrCreateTopic(name: string): Promise<TopicImage> {
    return this.#topicCall(async () => this.#image.topic(name) ?? this.#createTopic({ name, numPartitions: -1, replicationFactor: -1 }, false));
  }

  deleteTopic(name: string): Promise<void> {
    return this.#topicCall(async () => {
      const topic = this.#existing(name);
      await this.#commit([{ type: 'remove-topic', topicId: topic.id }]);
      this.#options.logger.info('topic deleted', { topic: name });
    });
  }

  createPartitions(name: string, count: number, assignments: number[][] | null, validateOnly = false): Promise<void> {
    return this.#topicCall(async () => {
      const topic = this.#existing(name);
      const live = this.#activeBrokerIds();
      const replicas = planNewPartitions(topic, count, assignments, live, (first, added) => {
        checkReplicationFactor(topic.replicationFactor, live.length);
        return placeReplicas(live, placementStart(topic.id, live.length), first, added, topic.replicationFactor);
      });
      this.#checkLimit(replicas.length);
      if (validateOnly) return;
      const first = topic.partitions.length;
      await this.#commit(replicas.map((ids, i) => newPartitionRecord(topic.id, first + i, ids)));
    });
  }

  alterTopicConfigs(name: string, configs: Iterable<readonly [string, string | null | undefined]>, validateOnly = false): Promise<void> {
    return this.#topicCall(async () => {
      const topic = this.#existing(name);
      const checked = checkTopicConfigs(configs, this.#options.socketRequestMaxBytes);
      if (validateOnly) return;
      const records = configChangeRecords(name, topic.configs, checked, false);
      if (records.length > 0) await this.#commit(records);
    });
  }

  incrementalAlterTopicConfigs(name: string, ops: readonly ConfigOp[], validateOnly = false): Promise<void> {
    return this.#topicCall(async () => {
      const topic = this.#existing(name);
      checkConfigOps(ops);
      const checked = applyConfigOps(topic.configs, ops);
      if (validateOnly) return;
      const records = configChangeRecords(name, topic.configs, checked, true);
      if (records.length > 0) await this.#commit(records);
    });
  }

  // ---- ACLs (Kafka's AclControlManager) ----

  createAcls(bindings: readonly AclBinding[]): Promise<AclCreationResult[]> {
    return this.#topicCall(async () => {
      const { records, results } = planAclCreations(this.#image, bindings, this.#options.newTopicId);
      if (records.length > 0) await this.#commit(records);
      return results;
    });
  }

  deleteAcls(filters: readonly (AclBindingFilter | null)[]): Promise<AclDeletionResult[]> {
    return this.#topicCall(async () => {
      const { records, results } = planAclDeletions(this.#image, filters);
      if (records.length > 0) await this.#commit(records);
      return results;
    });
  }

  alterBrokerConfigs(resource: string, configs: Iterable<readonly [string, string | null | undefined]>, validateOnly = false): Promise<void> {
    return this.#topicCall(() => this.#changeBrokerConfigs(resource, { replace: configs }, validateOnly));
  }

  incrementalAlterBrokerConfigs(resource: string, ops: readonly ConfigOp[], validateOnly = false): Promise<void> {
    return this.#topicCall(() => this.#changeBrokerConfigs(resource, { ops }, validateOnly));
  }

  // ---- the state machine ----

  // A dynamic broker config change (dynamic-broker-configs.ts): checked, then written as broker-config records.
  async #changeBrokerConfigs(resource: string, change: Parameters<typeof nextBrokerConfigs>[1], validateOnly: boolean): Promise<void> {
    checkBrokerResource(resource);
    const before = this.#image.brokerConfigs(resource);
    const after = nextBrokerConfigs(before, change, this.#options.socketRequestMaxBytes);
    if (validateOnly) return;
    const records = brokerConfigRecords(resource, before, after);
    if (records.length > 0) await this.#commit(records);
    this.#options.logger.info('dynamic broker configs changed', { resource: resource === '' ? '(cluster default)' : resource, changed: records.length });
  }

  async #createTopic(spec: CreateTopicSpec, validateOnly: boolean): Promise<TopicImage> {
    const image = this.#image;
    // A CreateTopics forwarded over the wire cannot say `internal`: the cluster's controller
    // lets the offsets topic be created by name, as KRaft's does (brokers create it, clients cannot
    // produce to it).
    checkNewTopicName(spec.name, (name) => image.topic(name) !== undefined, image.topics().map((t) => t.name), { internal: spec.internal ?? spec.name === '__consumer_offsets' });
    const configs = checkTopicConfigs(spec.configs ?? [], this.#options.socketRequestMaxBytes);
    const live = this.#activeBrokerIds();
    const topicId = (this.#options.newTopicId ?? (() => crypto.randomUUID()))();
    const { replicationFactor, replicas } = planTopicReplicas(spec, {
      numPartitions: this.#options.numPartitions,
      defaultReplicationFactor: this.#options.defaultReplicationFactor,
      liveIds: live,
      place: (count, rf) => placeReplicas(live, placementStart(topicId, live.length), 0, count, rf),
    });
    this.#checkLimit(replicas.length);
    const records: MetadataRecord[] = [{ type: 'topic', name: spec.name, topicId, replicationFactor, createdAt: this.#options.clock.now() }];
    replicas.forEach((ids, i) => records.push(newPartitionRecord(topicId, i, ids)));
    for (const [name, value] of configs) records.push({ type: 'config', resourceType: 'topic', resourceName: spec.name, name, value });
    if (validateOnly) return new MetadataDelta(image).replay(records).apply().topicById(topicId)!;
    await this.#commit(records);
    this.#options.logger.info('topic created', { topic: spec.name, partitions: replicas.length, replicationFactor });
    return this.#image.topicById(topicId)!;
  }

  // A registration as written: fenced until the broker has caught up and asks to be unfenced.
  #registrationRecord(request: BrokerRegistrationRequest, brokerEpoch: number): RegisterBrokerRecord {
    return { type: 'register-broker', nodeId: request.nodeId, host: request.host, port: request.port, rack: request.rack, incarnationId: request.incarnationId, brokerEpoch, fenced: true };
  }

  #existing(name: string): TopicImage {
    const topic = this.#image.topic(name);
    if (!topic) throw kafkaError(KafkaCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic "${name}" does not exist`);
    return topic;
  }

  #checkLimit(count: number): void {
    const existing = this.#image.topics().reduce((n, t) => n + t.partitions.length, 0);
    checkPartitionLimit(existing, 0, count, this.#options.maxPartitions ?? DEFAULT_MAX_PARTITIONS);
  }

  /** Registered, unfenced and not in controlled shutdown: may lead, join an ISR, get new replicas. */
  readonly #isActive = (nodeId: number): boolean => {
    const registration = this.#image.registration(nodeId);
    return registration !== undefined && !registration.fenced && !this.#shuttingDown.has(nodeId);
  };

  #activeBrokerIds(): number[] {
    return this.#image.allBrokers().filter((b) => this.#isActive(b.nodeId)).map((b) => b.nodeId);
  }

  async #sessionExpired(nodeId: number): Promise<void> {
    if (!this.active) return;
    const registration = this.#image.registration(nodeId);
    // Fenced already, or heard from again since the timer fired.
    if (!registration || registration.fenced || this.#heartbeats.hasLiveSession(nodeId)) return;
    await this.#catchUpIfStale();
    const records: MetadataRecord[] = removeBrokerFromPartitions(this.#image, nodeId, this.#isActive);
    records.push({ type: 'fence-broker', nodeId, brokerEpoch: registration.brokerEpoch, fenced: true });
    await this.#commit(records);
    this.#options.logger.warn('broker fenced: no heartbeat within the session timeout', { nodeId, brokerEpoch: registration.brokerEpoch, partitionsChanged: records.length - 1 });
  }

  // ---- activation, the queue, commits ----

  #onLeaderChange(leader: QuorumLeader): void {
    if (this.#closed) return;
    if (leader.nodeId === this.#options.nodeId) {
      if (this.#activeEpoch === leader.epoch) return;
      this.#deactivate();
      void this.#enqueue(() => this.#activate(leader.epoch)).catch((error: unknown) => this.#options.logger.error('controller activation failed', { epoch: leader.epoch, error: String(error) }));
    } else if (this.#activeEpoch !== -1) {
      this.#options.logger.info('controller no longer active', { nodeId: this.#options.nodeId, leader: leader.nodeId, epoch: leader.epoch });
      this.#deactivate();
    }
  }

  #deactivate(): void {
    this.#activeEpoch = -1;
    for (const deposed of [...this.#deposed]) deposed();
    this.#deposed.clear();
    this.#heartbeats.clear();
    this.#shuttingDown.clear();
    this.#operations.stopRebalance();
  }

  // Replays what it has not applied of the committed log, then serves at `epoch`. The image
  // only ever holds committed batches (a batch is applied once its append resolved, or when
  // read back), so a controller that led before — or followed part of the log — goes on
  // from where it stopped: a batch it appended that a successor committed is read back here.
  async #activate(epoch: number): Promise<void> {
    const leader = this.#quorum.leader();
    if (this.#closed || leader.nodeId !== this.#options.nodeId || leader.epoch !== epoch) return;
    await this.#catchUp();
    this.#stale = false;
    // Deposed again while replaying (a read waits on the quorum): the next activation goes on.
    const now = this.#quorum.leader();
    if (this.#closed || now.nodeId !== this.#options.nodeId || now.epoch !== epoch) return;
    this.#activeEpoch = epoch;
    // Every registered, unfenced broker starts a fresh session, as Kafka's controller does on
    // activation: it never saw their heartbeats, and fencing them all would be a failover's
    // worst effect. Fenced brokers have no session (a restarted one may register at once).
    for (const broker of this.#image.allBrokers()) if (!broker.fenced) this.#heartbeats.touch(broker.nodeId);
    const wanted = this.#options.clusterId;
    if (wanted !== undefined && this.#image.clusterId === null) await this.#commit([{ type: 'cluster-id', clusterId: wanted }]);
    else if (wanted !== undefined && this.#image.clusterId !== wanted) {
      this.#options.logger.warn('the metadata log names another cluster id than this node proposed (another voter named it first)', { clusterId: this.#image.clusterId, proposed: wanted });
    }
    this.#operations.scheduleRebalance();
    this.#options.logger.info('controller active', { nodeId: this.#options.nodeId, epoch, offset: this.#nextOffset, brokers: this.#image.allBrokers().length, topics: this.#image.topics().length });
  }

  // Applies every committed batch from #nextOffset to the high watermark.
  async #catchUp(): Promise<void> {
    for (;;) {
      const read = await this.#quorum.read(this.#nextOffset, 0);
      if (read.snapshot && read.snapshot.endOffset > this.#nextOffset) {
        // The log before this offset is in a snapshot: its image replaces ours (never a delta on it).
        this.#image = imageFromRecords(read.snapshot.records);
        this.#nextOffset = read.snapshot.endOffset;
      }
      for (const batch of read.batches) {
        if (batch.baseOffset < this.#nextOffset) continue;
        this.#image = new MetadataDelta(this.#image).replay(batch.records).apply();
        this.#nextOffset = nextOffsetAfter(batch);
      }
      if ((read.batches.length === 0 && !read.snapshot) || this.#nextOffset >= read.highWatermark) return;
    }
  }

  async #catchUpIfStale(): Promise<void> {
    if (!this.#stale) return;
    await this.#catchUp();
    this.#stale = false;
  }

  // Appends `records` as one batch at the active epoch and applies them once committed.
  async #commit(records: readonly MetadataRecord[]): Promise<void> {
    const expected = this.#nextOffset;
    let baseOffset: number;
    try {
      baseOffset = await this.#appendWhileActive(records);
    } catch (error) {
      // Whether the batch made it is unknown (a storage error after the write): read before the next decision.
      this.#stale = true;
      if (isNotController(error)) this.#deactivate();
      throw error;
    }
    if (baseOffset !== expected) {
      // Only another writer could cause this: our epochs and offsets no longer describe the log.
      this.#options.logger.error('metadata batch landed at an unexpected offset', { expected, baseOffset });
      this.#stale = true;
      await this.#catchUpIfStale();
      return;
    }
    this.#image = new MetadataDelta(this.#image).replay(records).apply();
    this.#nextOffset = baseOffset + Math.max(1, records.length);
  }

  // The quorum's append, given up as NOT_CONTROLLER as soon as this controller is deposed:
  // a quorum whose leader resigns may leave the append undecided (a successor can still
  // commit it), and the queue must not wait on it — whether it landed is read back later.
  #appendWhileActive(records: readonly MetadataRecord[]): Promise<number> {
    const epoch = this.#activeEpoch;
    if (epoch === -1) return Promise.reject(notController(this.#options.nodeId, this.#quorum.leader()));
    let stop: (() => void) | undefined;
    const deposed = new Promise<never>((_, reject) => {
      stop = () => reject(notController(this.#options.nodeId, this.#quorum.leader()));
    });
    this.#deposed.add(stop!);
    const append = this.#quorum.append(records, epoch);
    // The append's own failure after a deposition is not news.
    append.catch(() => undefined);
    return Promise.race([append, deposed]).finally(() => this.#deposed.delete(stop!));
  }

  #enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn);
    this.#queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  // Runs a broker request in the queue; not active (or lost while running) → the NOT_CONTROLLER answer.
  #brokerCall<T>(fn: () => Promise<T>, notActive: (message: string) => T): Promise<T> {
    return this.#enqueue(async () => {
      if (!this.active) return notActive(notController(this.#options.nodeId, this.#quorum.leader()).message);
      try {
        await this.#catchUpIfStale();
        return await fn();
      } catch (error) {
        if (isNotController(error)) return notActive((error as Error).message);
        throw error;
      }
    });
  }

  // Runs a topic operation in the queue; rejects with NOT_CONTROLLER when not active.
  #topicCall<T>(fn: () => Promise<T>): Promise<T> {
    return this.#enqueue(async () => {
      if (!this.active) throw notController(this.#options.nodeId, this.#quorum.leader());
      await this.#catchUpIfStale();
      return fn();
    });
  }
}
