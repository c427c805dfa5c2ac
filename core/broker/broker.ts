/**
 * The broker: lifecycle and wiring. It builds the pieces — metadata loader and image, the
 * local controller, the replica manager, the group coordinator, producer state, retention
 * and flushing — starts and closes them in order, and dispatches decoded requests to the
 * handlers it was given (see README.md in this folder). A cluster of one that already
 * speaks in cluster terms; runtime-neutral: the TCP layer lives in adapters/server.
 */
import type { Logger } from '../contracts/logger.ts';
import { silentLogger } from '../contracts/logger.ts';
import type { Storage } from '../contracts/storage.ts';
import type { CodecSource } from '../records/record-batch.ts';
import { TributaryError } from '../errors.ts';
import { type FlushPolicy, FlushScheduler, validateFlushPolicy } from '../storage/flush-policy.ts';
import { guardStorage } from '../storage/guard.ts';
import { LiveTopicDefaults } from './dynamic-broker-configs.ts';
import { BROKER_VERSIONS, advertisedVersions } from '../protocol/version-policy.ts';
import type { ApiRange, BrokerConfigValue, BrokerContext, BrokerEndpoint } from './api/context.ts';
import type { BrokerRequestHeader, HandlerEntry, ResponseBody } from './api/handler.ts';
import type { ApiKey } from '../protocol/api-keys.ts';
import type { ApiRequest } from '../protocol/api-messages.ts';
import { GroupCoordinator } from './groups/coordinator.ts';
import { GROUP_OFFSETS_LOG, GROUP_OFFSETS_TOPIC, LogGroupStore } from './groups/log-group-store.ts';
import type { GroupCoordinatorOptions } from './groups/options.ts';
import type { GroupService } from './groups/group-service.ts';
import type { GroupPartitioningOptions } from './groups/group-partitioning.ts';
import { PartitionedGroupCoordinator } from './groups/partitioned-coordinator.ts';
import { ProducerStateManager } from './producer-state/producer-state-manager.ts';
import type { ShutdownWatch } from './partition/delayed-operations.ts';
import type { ProducerIdManager } from './producer-state/producer-ids.ts';
import { ReplicaManager } from './replica-manager.ts';
import { RetentionManager } from '../storage/retention-manager.ts';
import { type TopicConfigDefaults, validateTopicConfigs } from './topic-config.ts';
import { type BrokerLimits, brokerConfigTable, checkMaxMessageBytes, resolveBrokerLimits } from './broker-configs.ts';
import { TopicsView } from './topics-view.ts';
import { LocalController } from './controller/local-controller.ts';
import type { Controller } from './controller/controller.ts';
import { ClusterMember } from './cluster/cluster-member.ts';
import type { ClusterOptions } from './cluster/cluster-options.ts';
import { type ClusterParts, clusterParts } from './cluster/cluster-parts.ts';
import { CLUSTER_DEFAULTS } from './cluster/cluster-options.ts';
import { ReplicaFetcherManager } from './replication/replica-fetcher-manager.ts';
import { producerIdBlocksFrom } from './controller/controller-channel.ts';
import { newClusterId } from './cluster/cluster-id.ts';
import { type Clock, systemClock } from '../clock.ts';
import type { MetadataImage } from './metadata/metadata-image.ts';
import { MetadataLoader } from './metadata/metadata-publisher.ts';
import type { Authorizer, AuthorizerSettings } from '../contracts/authorizer.ts';
import { StandardAuthorizer } from './acl/standard-authorizer.ts';
import type { SaslCredentials } from './security/sasl-mechanisms.ts';
import { plainUserCredentials } from './security/plain-users.ts';

export type { BrokerRequestHeader, HandlerEntry, RequestHandler, ResponseBody } from './api/handler.ts';
export type { ApiRange, BrokerEndpoint } from './api/context.ts';

/** Options of {@link createBroker}. */
export interface BrokerOptions {
  /** Where logs and metadata live (opened by {@link Broker.start}, closed by {@link Broker.close}). */
  readonly storage: Storage;
  /** The storage's data directory (log.dirs; what DescribeLogDirs names). Default: the storage's name, e.g. "memory". */
  readonly logDir?: string;
  /**
   * The APIs this broker answers (`DEFAULT_HANDLERS` from api/preset.ts is what
   * `createBroker` passes). Later entries for the same API key replace earlier ones.
   */
  readonly handlers: readonly HandlerEntry[];
  /**
   * The codec's ranges; advertised ranges are each handler's range cut to these. Default:
   * the version policy's BROKER_VERSIONS (only APIs with a handler are advertised, so
   * group APIs appear once their handlers are registered).
   */
  readonly protocolVersions?: readonly ApiRange[];
  /** This broker's node id (Kafka's node.id). Default 1. */
  readonly nodeId?: number;
  /** Cluster id; default: generated once and kept in the metadata store. */
  readonly clusterId?: string;
  /** Host advertised to clients. Default `localhost` (the server sets what it binds to). */
  readonly host?: string;
  /** Port advertised to clients. Default 9092 (the server sets what it listens on). */
  readonly port?: number;
  /** Rack id, or null. */
  readonly rack?: string | null;
  /** Create unknown topics on Metadata and Produce (auto.create.topics.enable). Default true. */
  readonly autoCreateTopics?: boolean;
  /** Partitions of auto-created and default-sized topics (num.partitions). Default 1. */
  readonly numPartitions?: number;
  /** default.replication.factor. Default 1. */
  readonly defaultReplicationFactor?: number;
  /**
   * Most partitions this broker hosts (default 10,000): creations past it are refused with
   * POLICY_VIOLATION, auto-creations included.
   */
  readonly maxPartitions?: number;
  /** Broker-wide defaults for topic configs, by topic config name (`retention.ms`, …). */
  readonly topicDefaults?: TopicConfigDefaults;
  /** How often retention runs (log.retention.check.interval.ms). Default 300000; 0 disables. */
  readonly retentionCheckIntervalMs?: number;
  /**
   * When appends become durable (Kafka's flush.messages / flush.ms, broker-wide). Default
   * `{ mode: 'never' }` as in Kafka: the adapter and the OS decide; close() still syncs.
   */
  readonly flushPolicy?: FlushPolicy;
  /** Logger; default silent. */
  readonly logger?: Logger;
  /**
   * Finds a compressor by Kafka codec id (a Registry is one). The broker decompresses
   * produced data in one case only: a topic whose `compression.type` names a codec gets
   * batches in other codecs recompressed to it (partition/recompress.ts); without codecs
   * such batches are refused with UNSUPPORTED_COMPRESSION_TYPE. ListOffsets by timestamp
   * also looks inside a compressed CreateTime batch to answer the exact record, as Kafka
   * does; without codecs it answers the batch's first offset (never after the record sought).
   */
  readonly codecs?: CodecSource;
  /** Group coordinator settings (session timeout bounds, initial rebalance delay, offset retention, timers). */
  readonly groups?: GroupCoordinatorOptions;
  /**
   * Cluster mode for groups: committed offsets and group metadata in the replicated
   * internal topic `__consumer_offsets` (offsets.topic.num.partitions, .replication.factor,
   * offsets.commit.timeout.ms), created through the controller on the first
   * FindCoordinator; this node coordinates the groups of the partitions it leads and
   * answers NOT_COORDINATOR for the others. Absent (the default): this node coordinates
   * every group, in its own offsets log in storage, as a single node always has — unless
   * `cluster` is set: a cluster member always places groups by partition (these options,
   * or Kafka's defaults).
   */
  readonly groupPartitioning?: GroupPartitioningOptions;
  /**
   * Resource limits (socket.request.max.bytes, fetch.max.bytes, queued.max.request.bytes,
   * max.connections, …); unset ones take Kafka's defaults (see {@link BrokerLimits}). The
   * TCP listener enforces the connection and socket ones. Checked against each other:
   * INVALID_CONFIG when they cannot work together.
   */
  readonly limits?: Partial<BrokerLimits>;
  /**
   * Makes this broker a member of a cluster: its metadata comes from the controller
   * quorum's log, it registers and heartbeats, and it replicates partitions with its peers.
   * Absent: a cluster of one, which controls itself (today's single broker).
   */
  readonly cluster?: ClusterOptions;
  /**
   * Who may do what (Kafka's authorizer.class.name): `{ name: 'standard', superUsers,
   * allowEveryoneIfNoAclFound }` for the built-in StandardAuthorizer over the ACLs of the
   * metadata log, or an {@link Authorizer} of your own. Absent: no authorizer — every
   * request is allowed, as today, and the ACL APIs answer SECURITY_DISABLED.
   */
  readonly authorizer?: ({ readonly name: 'standard' } & AuthorizerSettings) | Authorizer;
  /**
   * Users of SASL/PLAIN: name → password, as Kafka's JAAS `user_<name>="<password>"`
   * entries (PLAIN compares the password itself, so it must be known). SCRAM users live in
   * the metadata store instead (AlterUserScramCredentials), salted.
   */
  readonly plainUsers?: ReadonlyMap<string, string>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();


/** A broker instance: state with a lifecycle (start, serve, shut down, close). */
export class Broker implements BrokerContext {
  /** Node id. */
  readonly nodeId: number;
  /** Rack, or null. */
  readonly rack: string | null;
  /** Whether unknown topics are created on Metadata and Produce. */
  readonly autoCreateTopics: boolean;
  /** The storage adapter. */
  readonly storage: Storage;
  /** Logger. */
  readonly logger: Logger;
  /** Topics as an embedding program sees them (image joined with hosted partitions, controller operations). */
  readonly topics: TopicsView;
  /** The current metadata image and its publishers. */
  readonly metadata: MetadataLoader;
  /**
   * Where metadata changes go: the local controller of a cluster of one, or, in a cluster,
   * the active controller (forwarded; answers once this broker's image shows the change).
   */
  readonly controller: Controller;
  /** This broker's part in a cluster (metadata replay, registration, heartbeats); undefined for a cluster of one. */
  readonly cluster: ClusterMember | undefined;
  /** Time source of the cluster parts. */
  readonly clock: Clock;
  /** Broker-wide topic config defaults, by topic config name. */
  readonly topicDefaults: TopicConfigDefaults;
  /** Broker-level settings as DescribeConfigs shows them (name → value, source). */
  readonly brokerConfigs: ReadonlyMap<string, BrokerConfigValue>;
  /**
   * The group coordinator: a {@link GroupCoordinator} of every group on a single node, a
   * {@link PartitionedGroupCoordinator} with `groupPartitioning` (cluster mode).
   */
  readonly groups: GroupService;
  /** Producer ids and idempotent-producer sequences per partition. */
  readonly producerState: ProducerStateManager;
  /** Decompressors for ListOffsets by timestamp, when given. */
  readonly codecs: CodecSource | undefined;
  /** The partitions this node hosts. */
  readonly replicaManager: ReplicaManager;
  /** Resource limits, defaults filled in. */
  readonly limits: BrokerLimits;
  /** Who may do what; undefined: no authorizer, everything allowed. */
  readonly authorizer: Authorizer | undefined;
  /** Where SASL listeners find users: PLAIN's configured passwords, SCRAM's credentials in the image. */
  readonly saslCredentials: SaslCredentials;

  #clusterId: string | undefined;
  // The broker epoch of this node's last clean shutdown (-1: none), read and cleared at start.
  #previousBrokerEpoch = -1;
  #explicitHost: string | undefined;
  #explicitPort: number | undefined;
  #handlers = new Map<number, HandlerEntry>();
  #codecVersions: readonly ApiRange[];
  #advertised: ApiRange[] | undefined;
  // Shutdown listeners in a Set rather than on an AbortSignal: every waiting fetch adds
  // one, and an EventTarget warns past ten listeners though nothing leaks.
  #shutdownListeners = new Set<() => void>();
  #shuttingDown = false;
  #retention: RetentionManager;
  #retentionIntervalMs: number;
  #flush: FlushScheduler;
  #state: 'new' | 'starting' | 'running' | 'closing' | 'closed' = 'new';
  // The single node's controller (persists topics in the metadata store); absent in a cluster.
  readonly #local: LocalController | undefined;
  readonly #parts: ClusterParts | undefined;
  // Replica fetchers (one per leader this node follows); cluster members only.
  #fetchers: ReplicaFetcherManager | undefined;
  #endpoint: BrokerEndpoint;
  readonly #listenerAddresses = new Map<string, { host: string; port: number }>();
  // The listener whose address is the broker's registered one (the first the server opened).
  #registeredListener: string | undefined;

  constructor(options: BrokerOptions) {
    const nodeId = options.nodeId ?? 1;
    if (!Number.isInteger(nodeId) || nodeId < 0) throw new TributaryError('ERR_INVALID_ARGUMENT', `nodeId must be a non-negative integer, got ${nodeId}`);
    const numPartitions = options.numPartitions ?? 1;
    if (!Number.isInteger(numPartitions) || numPartitions < 1) throw new TributaryError('ERR_INVALID_ARGUMENT', `numPartitions must be at least 1, got ${numPartitions}`);
    if (options.maxPartitions !== undefined && (!Number.isInteger(options.maxPartitions) || options.maxPartitions < 1)) {
      throw new TributaryError('ERR_INVALID_ARGUMENT', `maxPartitions must be a positive integer, got ${options.maxPartitions}`);
    }
    const defaultReplicationFactor = options.defaultReplicationFactor ?? 1;
    const limits = resolveBrokerLimits(options.limits);
    const topicDefaults = Object.fromEntries(validateTopicConfigs(Object.entries(options.topicDefaults ?? {})));
    checkMaxMessageBytes(topicDefaults['max.message.bytes'], limits.socketRequestMaxBytes, 'message.max.bytes (the broker default of max.message.bytes)');
    this.limits = limits;
    this.saslCredentials = plainUserCredentials(options.plainUsers ?? new Map(), () => this.image);
    this.#codecVersions = options.protocolVersions ?? BROKER_VERSIONS;
    this.nodeId = nodeId;
    this.rack = options.rack ?? null;
    this.autoCreateTopics = options.autoCreateTopics ?? true;
    // Guarded here too (a no-op for our adapters' guarded storage), so that every later use of options.storage sees the guard.
    this.storage = (options = { ...options, storage: guardStorage(options.storage) }).storage;
    this.logger = options.logger ?? silentLogger;
    this.codecs = options.codecs;
    this.#clusterId = options.clusterId;
    this.#explicitHost = options.host;
    this.#explicitPort = options.port;
    const flushPolicy = validateFlushPolicy(options.flushPolicy ?? { mode: 'never' });
    this.#flush = new FlushScheduler({ logger: this.logger });
    this.topicDefaults = topicDefaults;
    // A cluster splits groups across brokers by their __consumer_offsets partition; a single node keeps them all.
    const partitioning = options.groupPartitioning ?? (options.cluster ? {} : undefined);
    this.brokerConfigs = brokerConfigTable(this, numPartitions, defaultReplicationFactor, { ...options, groupPartitioning: partitioning, storageName: options.storage.name }, limits);
    this.#retentionIntervalMs = options.retentionCheckIntervalMs ?? 300_000;
    // The policy (core/storage) decides; partitions report their log and high watermark.
    this.#retention = new RetentionManager({
      intervalMs: this.#retentionIntervalMs > 0 ? this.#retentionIntervalMs : 300_000,
      logger: this.logger,
      targets: () =>
        this.replicaManager.hostedTopics().flatMap((topic) =>
          topic.partitions.filter((p) => p.open).map((p) => ({ log: p.log, config: topic.logConfig, highWatermark: p.highWatermark })),
        ),
      onRun: (outcomes) => {
        for (const o of outcomes) this.replicaManager.partition(o.topic, o.partition)?.resync();
        // Idle producers' dedup state goes on the same clock (Kafka's producer.id.expiration.ms).
        this.producerState.expire(this.replicaManager.hostedTopics(), Date.now());
      },
    });
    for (const entry of options.handlers) this.#handlers.set(entry.apiKey, entry);
    // A single node coordinates every group, in an append-and-compact log in storage (Kafka's __consumer_offsets on one node).
    const singleNodeGroups = (): GroupCoordinator =>
      new GroupCoordinator(
        {
          store: options.storage.metadata,
          groupStore: new LogGroupStore({ openLog: () => this.storage.openPartition(GROUP_OFFSETS_TOPIC, 0, GROUP_OFFSETS_LOG), legacy: this.storage.metadata }),
          logger: this.logger,
          partitionExists: (t, p) => this.image.topic(t)?.partitions[p] !== undefined,
        },
        options.groups,
      );
    const singleNode = partitioning === undefined ? singleNodeGroups() : undefined;
    // In a cluster producer ids come in blocks from the controller, so no two brokers hand out the same id.
    this.producerState = new ProducerStateManager(
      options.storage.metadata,
      this.logger,
      options.cluster ? { allocateBlock: () => producerIdBlocksFrom(this.#parts!.controller, () => ({ brokerId: nodeId, brokerEpoch: this.cluster!.lifecycle.brokerEpoch }))() } : {},
    );
    this.metadata = new MetadataLoader();
    this.replicaManager = new ReplicaManager({
      nodeId,
      logger: this.logger,
      storage: this.storage,
      topicDefaults,
      dynamicDefaults: new LiveTopicDefaults(topicDefaults, nodeId),
      // Capabilities, not instanceof: a storage that is not durable has nothing to flush,
      // so its logs skip the flush book-keeping and timer entirely.
      wrapLog: (log) => (flushPolicy.mode === 'never' || !this.storage.supports.durable ? log : this.#flush.wrap(log, flushPolicy)),
      producerState: this.producerState,
      shutdown: this.#shutdownWatch,
      codecs: options.codecs,
      ...(options.cluster
        ? {
            clock: options.cluster.clock ?? systemClock,
            replicaLagTimeMaxMs: options.cluster.replicaLagTimeMaxMs ?? CLUSTER_DEFAULTS.replicaLagTimeMaxMs,
            // Only once this incarnation is registered and unfenced: before, the image may name
            // this node leader from a previous life whose unsynced tail a crash took.
            leadershipAllowed: () => this.cluster !== undefined && this.cluster.lifecycle.brokerEpoch >= 0 && !this.cluster.lifecycle.fenced,
            // ISR changes are proposed to the controller under this broker's current registration.
            alterPartition: async (item) => {
              const [result] = await this.#parts!.controller.alterPartition({ brokerId: nodeId, brokerEpoch: this.cluster!.lifecycle.brokerEpoch, items: [item] });
              return result!;
            },
          }
        : {}),
    });
    if (options.cluster) {
      const transport = options.cluster.transport;
      if (!transport) throw new TributaryError('ERR_INVALID_ARGUMENT', 'A cluster member needs cluster.transport to reach its peers (replication)');
      this.#fetchers = new ReplicaFetcherManager({
        nodeId,
        logs: this.replicaManager,
        transportFactory: transport,
        resolveAddress: (id) => {
          const b = this.image.broker(id) ?? this.image.allBrokers().find((x) => x.nodeId === id);
          return b ? { host: b.host, port: b.port, nodeId: id } : undefined;
        },
        logger: this.logger,
        clock: options.cluster.clock ?? systemClock,
        config: {
          fetchWaitMaxMs: options.cluster.replicaFetchWaitMaxMs ?? CLUSTER_DEFAULTS.replicaFetchWaitMaxMs,
          fetchBackoffMs: options.cluster.replicaFetchBackoffMs ?? CLUSTER_DEFAULTS.replicaFetchBackoffMs,
        },
      });
      this.replicaManager.useFetchers(this.#fetchers);
    }
    // The replica manager hears of every change first: it opens logs before the image names them.
    this.metadata.install(this.replicaManager);
    let partitioned: PartitionedGroupCoordinator | undefined;
    if (partitioning !== undefined) {
      // After the replica manager: a partition it has just made leader here is loaded at once.
      partitioned = new PartitionedGroupCoordinator(
        {
          nodeId,
          logger: this.logger,
          replicaManager: this.replicaManager,
          image: () => this.image,
          createTopic: (spec) => this.controller.createTopic(spec),
        },
        // Group sessions and offset expiry run on the cluster's clock (the simulation drives it) unless told otherwise.
        options.cluster?.clock && !options.groups?.timers ? { ...options.groups, timers: options.cluster.clock } : options.groups,
        partitioning,
      );
      this.metadata.install(partitioned);
    }
    this.groups = partitioned ?? singleNode!;
    this.clock = options.cluster?.clock ?? systemClock;
    this.#endpoint = { nodeId, host: options.host ?? 'localhost', port: options.port ?? 9092, rack: this.rack };
    if (options.cluster) {
      const parts = clusterParts(options.cluster, {
        nodeId,
        storage: this.storage,
        clock: this.clock,
        logger: this.logger,
        numPartitions,
        defaultReplicationFactor,
        socketRequestMaxBytes: limits.socketRequestMaxBytes,
        ...(options.maxPartitions !== undefined ? { maxPartitions: options.maxPartitions } : {}),
      });
      this.#parts = parts;
      this.cluster = new ClusterMember({
        nodeId,
        cluster: options.cluster,
        clock: this.clock,
        logger: this.logger,
        loader: this.metadata,
        source: parts.source,
        controller: parts.controller,
        controllerId: () => parts.controllerId(),
        clusterId: () => this.#clusterId ?? '',
        defaultNumPartitions: numPartitions,
        previousBrokerEpoch: () => this.#previousBrokerEpoch,
      });
      this.controller = this.cluster.controller;
      this.#local = undefined;
    } else {
      this.cluster = undefined;
      this.#parts = undefined;
      this.controller = this.#local = this.#localController(options, nodeId, numPartitions, defaultReplicationFactor, limits);
      this.#local.registerBroker(this.#endpoint);
    }
    this.topics = new TopicsView(() => this.image, this.controller, this.replicaManager, topicDefaults);
    const authorizer = options.authorizer;
    // The built-in one decides over this broker's image: the ACL records it replayed.
    this.authorizer = authorizer === undefined ? undefined : 'authorize' in authorizer ? authorizer : new StandardAuthorizer(authorizer, () => this.image.aclIndex);
  }

  #localController(options: BrokerOptions, nodeId: number, numPartitions: number, defaultReplicationFactor: number, limits: BrokerLimits): LocalController {
    return new LocalController({
      store: this.storage.metadata,
      nodeId,
      logger: this.logger,
      numPartitions,
      defaultReplicationFactor,
      socketRequestMaxBytes: limits.socketRequestMaxBytes,
      ...(options.maxPartitions !== undefined ? { maxPartitions: options.maxPartitions } : {}),
      loader: this.metadata,
      // A topic created again under the name must not inherit the old topic's committed offsets.
      onDeleted: (name) => this.groups.removeTopicOffsets(name),
    });
  }

  /** The cluster id (known after {@link start}). */
  get clusterId(): string {
    if (this.#clusterId === undefined) throw new TributaryError('ERR_NOT_STARTED', 'The broker has not been started');
    return this.#clusterId;
  }

  /** Tells when shutdown begins: long polls end and answer with what they have. */
  get shutdown(): ShutdownWatch {
    return this.#shutdownWatch;
  }

  readonly #shutdownWatch: ShutdownWatch = {
    aborted: () => this.#shuttingDown,
    onAbort: (listener) => {
      this.#shutdownListeners.add(listener);
      return () => this.#shutdownListeners.delete(listener);
    },
  };

  /** Producer id allocation (InitProducerId). */
  get producerIds(): ProducerIdManager {
    return this.producerState.ids;
  }

  /** True between a successful start and the beginning of shutdown. */
  get running(): boolean {
    return this.#state === 'running';
  }

  /** Opens storage, restores the cluster id and topics, starts retention. */
  async start(): Promise<void> {
    if (this.#state !== 'new') throw new TributaryError('ERR_ALREADY_STARTED', 'The broker was already started');
    this.#state = 'starting';
    await this.storage.open();
    if (this.cluster) await this.#startClusterMember();
    else {
      await this.#restoreClusterId();
      await this.#local!.load();
    }
    // A cluster member's image is the committed log replayed: a replica it no longer names is stray.
    await this.replicaManager.removeStrayLogs(this.image, this.cluster !== undefined);
    await this.producerState.load(this.replicaManager.hostedTopics());
    await this.groups.load();
    // An address given in the options is final: register now (a server calls advertise otherwise).
    if (this.cluster && this.#explicitPort !== undefined) {
      this.cluster.register(this.#endpoint);
      // Kafka's initialCatchUpFuture: serve only once the metadata log is replayed past this
      // incarnation's registration — the controller took the old incarnation's leaderships
      // and ISR places away in that commit, so a stale image cannot make this node a leader.
      await this.#awaitOwnRegistration();
    }
    if (this.#retentionIntervalMs > 0) this.#retention.start();
    this.#flush.start();
    this.#state = 'running';
    this.logger.info('broker started', { nodeId: this.nodeId, clusterId: this.#clusterId, topics: this.image.topics().length });
  }

  async #awaitOwnRegistration(): Promise<void> {
    const member = this.cluster!;
    while (member.lifecycle.brokerEpoch < 0 && member.fatalError === undefined) await new Promise<void>((resolve) => this.clock.setTimeout(resolve, 50));
    if (member.fatalError !== undefined) return;
    await member.follower.waitForOffset(member.lifecycle.brokerEpoch + 1);
  }

  /** A cluster of one: the stored cluster id, or a new one (kept from now on). */
  async #restoreClusterId(): Promise<void> {
    const stored = await this.storage.metadata.get('cluster/id');
    if (stored) {
      const id = decoder.decode(stored);
      if (this.#clusterId !== undefined && this.#clusterId !== id) throw kafkaInconsistentCluster(this.#clusterId, id);
      this.#clusterId = id;
    } else {
      this.#clusterId ??= newClusterId();
      await this.storage.metadata.put('cluster/id', encoder.encode(this.#clusterId));
    }
  }

  /**
   * A cluster member: checks its node id, opens what it hosts (a voter's log and
   * controller), replays the metadata log until caught up, then takes the cluster's id —
   * a data directory of another cluster refuses to start, saying so.
   */
  async #startClusterMember(): Promise<void> {
    await this.#checkNodeId();
    await this.#takeCleanShutdownEpoch();
    const stored = await this.storage.metadata.get('cluster/id');
    const storedId = stored ? decoder.decode(stored) : undefined;
    if (storedId !== undefined && this.#clusterId !== undefined && storedId !== this.#clusterId) throw kafkaInconsistentCluster(this.#clusterId, storedId);
    // A voter names the cluster when its log has no id yet.
    const proposed = storedId ?? this.#clusterId ?? newClusterId();
    await this.#parts!.open(proposed);
    await this.cluster!.start();
    if (this.#parts!.clusterIdFromLog) await this.#awaitClusterIdFromLog();
    const clusterId = this.image.clusterId ?? proposed;
    if (storedId !== undefined && storedId !== clusterId) {
      throw new TributaryError('INCONSISTENT_CLUSTER_ID', `This data directory belongs to cluster ${storedId}, but the controller quorum runs cluster ${clusterId}: give this node a fresh --data-dir, or point it at its own cluster's --controller-quorum`, { kafkaCode: 104 });
    }
    if (storedId === undefined) await this.storage.metadata.put('cluster/id', encoder.encode(clusterId));
    this.#clusterId = clusterId;
  }

  /**
   * Waits until the metadata log names the cluster (a Raft quorum's first leader writes its
   * proposal right after its election): a member that took its own proposal instead would
   * store another cluster's id and be refused at registration.
   */
  async #awaitClusterIdFromLog(): Promise<void> {
    const follower = this.cluster!.follower;
    while (this.image.clusterId === null) {
      const before = follower.nextOffset;
      await follower.waitForOffset(before + 1);
      if (follower.nextOffset === before) throw new TributaryError('ERR_NOT_STARTED', 'The metadata log stopped before it named the cluster');
    }
  }

  /**
   * Reads the epoch a clean shutdown left (Kafka's clean-shutdown marker with
   * PreviousBrokerEpoch) and deletes it before anything else happens: if this run crashes,
   * the next start must not claim a clean shutdown. Storage that several processes may
   * open at once proves nothing about who ran before, so it never gets one.
   */
  async #takeCleanShutdownEpoch(): Promise<void> {
    if (this.storage.supports.shared) return;
    const stored = await this.storage.metadata.get(CLEAN_SHUTDOWN_EPOCH_KEY);
    if (stored === undefined) return;
    const epoch = Number(decoder.decode(stored));
    await this.storage.metadata.delete(CLEAN_SHUTDOWN_EPOCH_KEY);
    if (Number.isSafeInteger(epoch) && epoch >= 0) this.#previousBrokerEpoch = epoch;
  }

  /**
   * A cluster member's data directory belongs to one node id: another id would serve
   * replicas under the wrong name (and claim another node's partitions). The first start
   * records the id; a later start with another refuses, saying so.
   */
  async #checkNodeId(): Promise<void> {
    const stored = await this.storage.metadata.get('node/id');
    if (stored === undefined) {
      await this.storage.metadata.put('node/id', encoder.encode(String(this.nodeId)));
      return;
    }
    const id = Number(decoder.decode(stored));
    if (id !== this.nodeId) {
      throw new TributaryError('ERR_INVALID_ARGUMENT', `This data directory belongs to node ${id}, not node ${this.nodeId}: start with --node-id ${id}, or give node ${this.nodeId} its own --data-dir`);
    }
  }

  /** Sets the advertised address (in a cluster: registers with the controller at it). */
  advertise(host: string, port: number): void {
    this.#endpoint = { nodeId: this.nodeId, host, port, rack: this.rack };
    // The registered address is the first listener's: clients that came in on it get this one.
    if (this.#registeredListener !== undefined) this.#listenerAddresses.set(this.#registeredListener, { host, port });
    if (this.#local) this.#local.registerBroker(this.#endpoint);
    else if (this.#state === 'running' || this.#state === 'starting') this.cluster!.register(this.#endpoint);
  }

  /**
   * Sets the advertised host and port where the options did not (the server calls it
   * with the address it listens on, which may be an ephemeral port).
   */
  advertiseDefault(host: string, port: number): void {
    const self = this.#endpoint;
    this.advertise(this.#explicitHost === undefined ? host : self.host, this.#explicitPort === undefined ? port : self.port);
  }

  /** Sets this node's advertised address on a named listener (the server calls it for each). */
  advertiseListener(name: string, host: string, port: number): void {
    this.#registeredListener ??= name;
    this.#listenerAddresses.set(name, { host, port });
  }

  /** This node's advertised address on listener `name`, if it has one. */
  listenerAddress(name: string): { readonly host: string; readonly port: number } | undefined {
    return this.#listenerAddresses.get(name);
  }

  /** The current metadata image. */
  get image(): MetadataImage {
    return this.metadata.image;
  }

  /** The live brokers, by id: just this one until clusters exist. */
  brokers(): BrokerEndpoint[] {
    return this.image.brokers();
  }

  /** The controller this node runs as a voter of the quorum (to serve on its controller listener), if any. */
  get hostedController(): ClusterParts['hosted'] {
    return this.#parts?.hosted;
  }

  /**
   * The controller id clients see (Metadata, DescribeCluster): this node on a cluster of
   * one; in a cluster also this node, as KRaft brokers answer a live broker — clients send
   * admin requests there and brokers forward them to the active controller, which clients
   * cannot reach.
   */
  get controllerId(): number {
    return this.cluster ? this.nodeId : this.controller.controllerId;
  }

  /**
   * Adds or replaces the handler of an API (the group coordinator and later features
   * register theirs here). It is advertised within the codec's range.
   */
  registerHandler<K extends ApiKey>(entry: HandlerEntry<K>): void {
    this.#handlers.set(entry.apiKey, entry);
    this.#advertised = undefined;
  }

  /**
   * What ApiVersions advertises: each handler's range cut to the codec's range. The same
   * array is returned until a handler is registered (the codec caches lookups per array).
   */
  apiVersions(): readonly ApiRange[] {
    // handler ∩ schema ∩ policy (core/protocol/version-policy.ts): each handler declares its range.
    this.#advertised ??= advertisedVersions(
      [...this.#handlers].map(([apiKey, h]) => [apiKey, { minVersion: h.versions.min, maxVersion: h.versions.max }] as const),
      this.#codecVersions,
    );
    return this.#advertised;
  }

  /** True when `apiKey` is served by a handler at all. */
  handles(apiKey: number): boolean {
    return this.apiVersions().some((r) => r.apiKey === apiKey);
  }

  /** True when `apiKey` at `version` is advertised. */
  supports(apiKey: number, version: number): boolean {
    return this.apiVersions().some((r) => r.apiKey === apiKey && version >= r.minVersion && version <= r.maxVersion);
  }

  /**
   * Answers one decoded request: the response body, or null for no response (acks=0).
   * Throws `UNSUPPORTED_VERSION` / `ERR_UNKNOWN_API` for what is not advertised; other
   * throws mean the connection should be closed (as Kafka does for acks=0 failures).
   */
  async handle(header: BrokerRequestHeader, body: unknown): Promise<ResponseBody> {
    const entry = this.#handlers.get(header.apiKey);
    if (!entry) throw new TributaryError('ERR_UNKNOWN_API', `API key ${header.apiKey} is not served`);
    if (!this.supports(header.apiKey, header.apiVersion)) {
      throw new TributaryError('UNSUPPORTED_VERSION', `API ${header.apiKey} v${header.apiVersion} is not supported`, { kafkaCode: 35 });
    }
    // The one trust boundary: the session decoded `body` as the request of `header.apiKey`.
    return entry.handle(this, header, body as ApiRequest<ApiKey>) as Promise<ResponseBody> | ResponseBody;
  }

  /** Runs retention once over every partition (also runs on its timer). */
  async runRetention(): Promise<void> {
    await this.#retention.run();
  }

  /** Begins shutdown: waiting fetches answer now; new long polls do not wait. */
  beginShutdown(): void {
    if (this.#state === 'running' || this.#state === 'starting') this.#state = 'closing';
    if (!this.#shuttingDown) {
      this.#shuttingDown = true;
      for (const listener of [...this.#shutdownListeners]) listener();
      this.#shutdownListeners.clear();
    }
  }

  /**
   * Stops at once, as a killed process would: no controlled shutdown, no flush, no producer
   * state snapshot; the cluster learns of it only when heartbeats stop. Storage is closed
   * without a sync (what was written stays as the adapter left it). For fault injection
   * (`createCluster().kill(id)`); a real shutdown is {@link close}.
   */
  async crash(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    await this.cluster?.halt();
    this.beginShutdown();
    await this.#fetchers?.shutdown();
    this.#retention.stop();
    this.#flush.stop();
    await this.groups.close().catch(() => undefined);
    this.replicaManager.closeAll();
    await this.#parts?.close(true).catch(() => undefined);
    await this.storage.close().catch(() => undefined);
    this.logger.info('broker crashed (fault injection)', { nodeId: this.nodeId });
  }

  /** Shuts down: stops retention, wakes waiters, lets appends finish, closes storage. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    // Controlled shutdown first, while this broker still serves: leadership moves to peers.
    if (this.cluster && this.#state === 'running') await this.cluster.shutdown();
    else if (this.cluster) await this.cluster.halt();
    this.beginShutdown();
    await this.#fetchers?.shutdown();
    this.#retention.stop();
    await this.#retention.idle();
    await this.groups.close();
    this.#flush.stop();
    await this.replicaManager.settle();
    await this.producerState.snapshot(this.replicaManager.hostedTopics()).catch((error: unknown) => this.logger.error('producer state snapshot failed', { error: String(error) }));
    await this.#flush.flushAll();
    this.replicaManager.closeAll();
    // Everything is flushed: mark the shutdown clean with this incarnation's epoch, so the next
    // start may take over its registration at once (see #takeCleanShutdownEpoch).
    const epoch = this.cluster?.lifecycle.brokerEpoch ?? -1;
    if (epoch >= 0 && !this.storage.supports.shared) {
      await this.storage.metadata.put(CLEAN_SHUTDOWN_EPOCH_KEY, encoder.encode(String(epoch))).catch((error: unknown) => this.logger.warn('cannot record the clean shutdown', { error: String(error) }));
    }
    this.#state = 'closed';
    await this.#parts?.close();
    await this.storage.close();
    this.logger.info('broker closed', { nodeId: this.nodeId });
  }
}

/** Where a clean shutdown leaves its broker epoch in the storage's metadata store. */
const CLEAN_SHUTDOWN_EPOCH_KEY = 'broker/clean-shutdown-epoch';

function kafkaInconsistentCluster(wanted: string, stored: string): TributaryError {
  return new TributaryError('INCONSISTENT_CLUSTER_ID', `Storage belongs to cluster ${stored}, not ${wanted}`, { kafkaCode: 104 });
}
