/**
 * The broker: a cluster of one that already speaks in cluster terms (node ids, leaders,
 * leader epochs, in-sync sets, high watermarks), holding topics over a Storage adapter and
 * answering decoded Kafka requests. Runtime-neutral: the TCP layer lives in adapters/server.
 */
import type { Logger } from '../contracts/logger.ts';
import { silentLogger } from '../contracts/logger.ts';
import type { Storage } from '../contracts/storage.ts';
import type { CodecSource } from '../records/record-batch.ts';
import { TributaryError } from '../errors.ts';
import { type FlushPolicy, FlushScheduler, validateFlushPolicy } from '../storage/flush-policy.ts';
import { guardStorage } from '../storage/guard.ts';
import { BROKER_VERSIONS, advertisedVersions } from '../protocol/version-policy.ts';
import { GroupCoordinator } from './groups/coordinator.ts';
import type { GroupCoordinatorOptions } from './groups/options.ts';
import { DEFAULT_HANDLERS } from './handlers/index.ts';
import { ProducerStateManager } from './producer-state/producer-state-manager.ts';
import type { ShutdownWatch } from './fetch-waiter.ts';
import { RetentionManager } from '../storage/retention-manager.ts';
import { type TopicConfigDefaults, validateTopicConfigs } from './topic-config.ts';
import { TopicRegistry } from './topic-registry.ts';

/** The request header fields handlers see (structurally the protocol's RequestHeader). */
export interface BrokerRequestHeader {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  /**
   * Where the request came from, as Kafka shows it (`/127.0.0.1`): DescribeGroups reports
   * it per member. Absent for in-process callers.
   */
  readonly clientHost?: string;
}

/** A decoded response body, or null when the request gets no response (acks=0). */
export type ResponseBody = Record<string, unknown> | null;

/** Answers one API over decoded request bodies. */
export type RequestHandler = (broker: Broker, header: BrokerRequestHeader, body: any) => Promise<ResponseBody> | ResponseBody;

/** A handler with the version range it fully implements. */
export interface HandlerEntry {
  readonly minVersion: number;
  readonly maxVersion: number;
  readonly handle: RequestHandler;
}

/** One version range per API key, as ApiVersions advertises it. */
export interface ApiRange {
  readonly apiKey: number;
  readonly minVersion: number;
  readonly maxVersion: number;
}

/** A broker's address as Metadata and DescribeCluster list it. */
export interface BrokerEndpoint {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
}

/** Options of {@link createBroker}. */
export interface BrokerOptions {
  /** Where logs and metadata live (opened by {@link Broker.start}, closed by {@link Broker.close}). */
  readonly storage: Storage;
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
   * Finds a decompressor by Kafka codec id (a Registry is one). The broker never
   * decompresses produced or fetched data; only ListOffsets by timestamp looks inside a
   * compressed CreateTime batch to answer the exact record, as Kafka does. Without it such
   * a lookup answers the batch's first offset (never after the record sought).
   */
  readonly codecs?: CodecSource;
  /** Group coordinator settings (session timeout bounds, initial rebalance delay, offset retention, timers). */
  readonly groups?: GroupCoordinatorOptions;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

// Kafka's cluster ids are 16 random bytes in URL-safe base64 without padding.
function newClusterId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** A broker instance: state with a lifecycle (start, serve, shut down, close). */
export class Broker {
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
  /** Topics and partitions. */
  readonly topics: TopicRegistry;
  /** Broker-wide topic config defaults, by topic config name. */
  readonly topicDefaults: TopicConfigDefaults;
  /** Broker-level settings as DescribeConfigs shows them (name → value, source). */
  readonly brokerConfigs: ReadonlyMap<string, { value: string; explicit: boolean; type: number; doc: string }>;
  /** The coordinator of every consumer group (this node coordinates all of them). */
  readonly groups: GroupCoordinator;
  /** Producer ids and idempotent-producer sequences per partition. */
  readonly producerState: ProducerStateManager;
  /** Decompressors for ListOffsets by timestamp, when given. */
  readonly codecs: CodecSource | undefined;

  #clusterId: string | undefined;
  #host: string;
  #explicitHost: string | undefined;
  #explicitPort: number | undefined;
  #port: number;
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

  constructor(options: BrokerOptions) {
    const nodeId = options.nodeId ?? 1;
    if (!Number.isInteger(nodeId) || nodeId < 0) throw new TributaryError('ERR_INVALID_ARGUMENT', `nodeId must be a non-negative integer, got ${nodeId}`);
    const numPartitions = options.numPartitions ?? 1;
    if (!Number.isInteger(numPartitions) || numPartitions < 1) throw new TributaryError('ERR_INVALID_ARGUMENT', `numPartitions must be at least 1, got ${numPartitions}`);
    const defaultReplicationFactor = options.defaultReplicationFactor ?? 1;
    const topicDefaults = Object.fromEntries(validateTopicConfigs(Object.entries(options.topicDefaults ?? {})));
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
    this.#host = options.host ?? 'localhost';
    this.#port = options.port ?? 9092;
    const flushPolicy = validateFlushPolicy(options.flushPolicy ?? { mode: 'never' });
    this.#flush = new FlushScheduler({ logger: this.logger });
    this.topics = new TopicRegistry({
      storage: options.storage,
      nodeId,
      logger: this.logger,
      topicDefaults,
      numPartitions,
      defaultReplicationFactor,
      liveBrokerIds: () => this.brokers().map((b) => b.nodeId),
      // Capabilities, not instanceof: a storage that is not durable has nothing to flush,
      // so its logs skip the flush book-keeping and timer entirely.
      wrapLog: (log) => (flushPolicy.mode === 'never' || !options.storage.supports.durable ? log : this.#flush.wrap(log, flushPolicy)),
      // A topic created again under the name must not inherit the old topic's committed offsets.
      onDeleted: (name) => this.groups.removeTopicOffsets(name),
    });
    this.topicDefaults = topicDefaults;
    this.brokerConfigs = brokerConfigTable(this, numPartitions, defaultReplicationFactor, options);
    this.#retentionIntervalMs = options.retentionCheckIntervalMs ?? 300_000;
    // The policy (core/storage) decides; partitions report their log and high watermark.
    this.#retention = new RetentionManager({
      intervalMs: this.#retentionIntervalMs > 0 ? this.#retentionIntervalMs : 300_000,
      logger: this.logger,
      targets: () =>
        this.topics.all().flatMap((topic) =>
          topic.partitions.filter((p) => p.open).map((p) => ({ log: p.log, config: topic.settings, highWatermark: p.highWatermark })),
        ),
      onRun: (outcomes) => {
        for (const o of outcomes) this.topics.get(o.topic)?.partitions[o.partition]?.resync();
        // Idle producers' dedup state goes on the same clock (Kafka's producer.id.expiration.ms).
        this.producerState.expire(this.topics.all(), Date.now());
      },
    });
    for (const [apiKey, entry] of DEFAULT_HANDLERS) this.#handlers.set(apiKey, entry);
    this.groups = new GroupCoordinator(
      { store: options.storage.metadata, logger: this.logger, partitionExists: (t, p) => this.topics.get(t)?.partitions[p] !== undefined },
      options.groups,
    );
    this.producerState = new ProducerStateManager(options.storage.metadata, this.logger);
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

  /** True between a successful start and the beginning of shutdown. */
  get running(): boolean {
    return this.#state === 'running';
  }

  /** Opens storage, restores the cluster id and topics, starts retention. */
  async start(): Promise<void> {
    if (this.#state !== 'new') throw new TributaryError('ERR_ALREADY_STARTED', 'The broker was already started');
    this.#state = 'starting';
    await this.storage.open();
    const stored = await this.storage.metadata.get('cluster/id');
    if (stored) {
      const id = decoder.decode(stored);
      if (this.#clusterId !== undefined && this.#clusterId !== id) {
        throw kafkaInconsistentCluster(this.#clusterId, id);
      }
      this.#clusterId = id;
    } else {
      this.#clusterId ??= newClusterId();
      await this.storage.metadata.put('cluster/id', encoder.encode(this.#clusterId));
    }
    await this.topics.load();
    await this.producerState.load(this.topics.all());
    await this.groups.load();
    if (this.#retentionIntervalMs > 0) this.#retention.start();
    this.#flush.start();
    this.#state = 'running';
    this.logger.info('broker started', { nodeId: this.nodeId, clusterId: this.#clusterId, topics: this.topics.all().length });
  }

  /** Sets the advertised address. */
  advertise(host: string, port: number): void {
    this.#host = host;
    this.#port = port;
  }

  /**
   * Sets the advertised host and port where the options did not (the server calls it
   * with the address it listens on, which may be an ephemeral port).
   */
  advertiseDefault(host: string, port: number): void {
    if (this.#explicitHost === undefined) this.#host = host;
    if (this.#explicitPort === undefined) this.#port = port;
  }

  /** The live brokers, by id: just this one until clusters exist. */
  brokers(): BrokerEndpoint[] {
    return [{ nodeId: this.nodeId, host: this.#host, port: this.#port, rack: this.rack }];
  }

  /** The controller's node id: this node on a cluster of one. */
  get controllerId(): number {
    return this.nodeId;
  }

  /**
   * Adds or replaces the handler of an API (the group coordinator and later features
   * register theirs here). It is advertised within the codec's range.
   */
  registerHandler(apiKey: number, entry: HandlerEntry): void {
    this.#handlers.set(apiKey, entry);
    this.#advertised = undefined;
  }

  /**
   * What ApiVersions advertises: each handler's range cut to the codec's range. The same
   * array is returned until a handler is registered (the codec caches lookups per array).
   */
  apiVersions(): readonly ApiRange[] {
    this.#advertised ??= advertisedVersions(this.#handlers, this.#codecVersions);
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
    return entry.handle(this, header, body);
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

  /** Shuts down: stops retention, wakes waiters, lets appends finish, closes storage. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.beginShutdown();
    this.#retention.stop();
    await this.#retention.idle();
    await this.groups.close();
    this.#flush.stop();
    for (const topic of this.topics.all()) for (const partition of topic.partitions) await partition.settle();
    await this.producerState.snapshot(this.topics.all()).catch((error: unknown) => this.logger.error('producer state snapshot failed', { error: String(error) }));
    await this.#flush.flushAll();
    this.topics.closeAll();
    this.#state = 'closed';
    await this.storage.close();
    this.logger.info('broker closed', { nodeId: this.nodeId });
  }
}

function kafkaInconsistentCluster(wanted: string, stored: string): TributaryError {
  return new TributaryError('INCONSISTENT_CLUSTER_ID', `Storage belongs to cluster ${stored}, not ${wanted}`, { kafkaCode: 104 });
}

function brokerConfigTable(
  broker: Broker,
  numPartitions: number,
  replicationFactor: number,
  options: BrokerOptions,
): Map<string, { value: string; explicit: boolean; type: number; doc: string }> {
  const table = new Map<string, { value: string; explicit: boolean; type: number; doc: string }>();
  table.set('node.id', { value: String(broker.nodeId), explicit: options.nodeId !== undefined, type: 3, doc: 'This broker\'s id.' });
  table.set('broker.id', { value: String(broker.nodeId), explicit: options.nodeId !== undefined, type: 3, doc: 'This broker\'s id.' });
  table.set('num.partitions', { value: String(numPartitions), explicit: options.numPartitions !== undefined, type: 3, doc: 'Partitions of auto-created topics.' });
  table.set('default.replication.factor', { value: String(replicationFactor), explicit: options.defaultReplicationFactor !== undefined, type: 3, doc: 'Replication factor of auto-created topics.' });
  table.set('auto.create.topics.enable', { value: String(broker.autoCreateTopics), explicit: options.autoCreateTopics !== undefined, type: 1, doc: 'Create unknown topics on Metadata and Produce.' });
  table.set('log.retention.check.interval.ms', {
    value: String(options.retentionCheckIntervalMs ?? 300_000),
    explicit: options.retentionCheckIntervalMs !== undefined,
    type: 5,
    doc: 'How often retention runs.',
  });
  return table;
}
