/**
 * The client's view of the cluster: bootstrap from any listed broker, a metadata cache
 * (brokers by node id, topics, partition leaders) refreshed on demand, on routing errors
 * and when older than `metadataMaxAgeMs`, and one pipelined connection per broker.
 */
import type { Logger } from '../contracts/logger.ts';
import { TributaryError, kafkaError } from '../errors.ts';
import { KafkaCode } from '../kafka-error-codes.ts';
import { ApiKey } from '../protocol/api-keys.ts';
import type { ApiRequestInput, ApiResponse } from '../protocol/api-messages.ts';
import { pickVersion } from './client-versions.ts';
import type { BrokerAddress, RequestOptions, ResponseOf, Transport, TransportFactory, TransportOptions } from './transport.ts';

/** One partition as Metadata describes it. */
export interface PartitionMetadata {
  readonly partition: number;
  /** Leader node id (-1 when none is available). */
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly offlineReplicas: readonly number[];
  /** Kafka error code for this partition (0 when fine). */
  readonly errorCode: number;
}

/** One topic as Metadata describes it. */
export interface TopicMetadata {
  readonly name: string;
  readonly topicId: string;
  readonly isInternal: boolean;
  /** Partitions by index. */
  readonly partitions: readonly PartitionMetadata[];
}

/** A broker of the cluster. */
export interface BrokerInfo {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
}

/** Settings of a {@link Cluster}. */
export interface ClusterOptions extends TransportOptions {
  /** Bootstrap addresses, `host:port`. */
  readonly brokers: readonly string[];
  readonly transport: TransportFactory;
  /** Refresh metadata older than this (Kafka's metadata.max.age.ms). Default 300000. */
  readonly metadataMaxAgeMs?: number;
  /** Ask the broker to create topics on first use (Metadata's allowAutoTopicCreation). Default true. */
  readonly allowAutoTopicCreation?: boolean;
}

/** Error codes after which the cached leaders are stale and metadata must be refreshed. */
export const REFRESH_CODES: ReadonlySet<number> = new Set([
  KafkaCode.UNKNOWN_TOPIC_OR_PARTITION,
  KafkaCode.LEADER_NOT_AVAILABLE,
  KafkaCode.NOT_LEADER_OR_FOLLOWER,
  KafkaCode.FENCED_LEADER_EPOCH,
  KafkaCode.UNKNOWN_LEADER_EPOCH,
  KafkaCode.UNKNOWN_TOPIC_ID,
]);

/** True when `error` means the metadata (leaders, connections) should be refreshed. */
export function needsRefresh(error: unknown): boolean {
  if (!(error instanceof TributaryError)) return false;
  if (error.kafkaCode !== undefined) return REFRESH_CODES.has(error.kafkaCode);
  return error.code === 'ERR_CONNECTION_CLOSED' || error.code === 'ERR_CONNECT_FAILED' || error.code === 'ERR_REQUEST_TIMEOUT';
}

/** Parses `host:port` (and `[v6]:port`). */
export function parseAddress(address: string): BrokerAddress {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(address) ?? /^([^:]+):(\d+)$/.exec(address);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TributaryError('ERR_INVALID_ARGUMENT', `A broker address must be host:port, got "${address}"`);
  }
  return { host: m[1]!, port };
}

/** Cluster state with a lifecycle: connections are opened lazily and closed by {@link close}. */
export class Cluster {
  /** The client's logger. */
  readonly logger: Logger;
  readonly #options: ClusterOptions;
  readonly #transportOptions: TransportOptions;
  readonly #bootstrap: BrokerAddress[];
  readonly #maxAgeMs: number;
  #brokers = new Map<number, BrokerInfo>();
  #topics = new Map<string, TopicMetadata>();
  /** Topics the last Metadata answered TOPIC_AUTHORIZATION_FAILED for. */
  readonly #unauthorized = new Set<string>();
  /** Topics whose metadata the client keeps fresh (the ones it has used). */
  #wanted = new Set<string>();
  #connections = new Map<number, Promise<Transport>>();
  /** Connections opened with {@link openConnection}, closed with the cluster. */
  readonly #dedicated = new Set<Transport>();
  #bootstrapConnection: Transport | undefined;
  #bootstrapAddress: BrokerAddress | undefined;
  #refreshing: Promise<void> | undefined;
  #refreshedAt = 0;
  #clusterId: string | null = null;
  #controllerId = -1;
  #closed = false;

  constructor(options: ClusterOptions) {
    if (!Array.isArray(options.brokers) || options.brokers.length === 0) {
      throw new TributaryError('ERR_INVALID_ARGUMENT', 'brokers must list at least one host:port');
    }
    if (typeof options.transport !== 'function') throw new TributaryError('ERR_INVALID_ARGUMENT', 'transport must be a TransportFactory');
    this.#options = options;
    this.logger = options.logger;
    this.#transportOptions = {
      clientId: options.clientId,
      requestTimeoutMs: options.requestTimeoutMs,
      connectTimeoutMs: options.connectTimeoutMs,
      logger: options.logger,
      ...(options.ssl !== undefined ? { ssl: options.ssl } : {}),
      ...(options.sasl !== undefined ? { sasl: options.sasl } : {}),
    };
    this.#bootstrap = options.brokers.map(parseAddress);
    this.#maxAgeMs = options.metadataMaxAgeMs ?? 300_000;
  }

  /** The cluster id from the last Metadata answer (null before). */
  get clusterId(): string | null {
    return this.#clusterId;
  }

  /** The controller's node id (-1 before metadata). */
  get controllerId(): number {
    return this.#controllerId;
  }

  /** The known brokers. */
  brokers(): BrokerInfo[] {
    return [...this.#brokers.values()];
  }

  /** The cached metadata of `topic`, or undefined. */
  cachedTopic(topic: string): TopicMetadata | undefined {
    return this.#topics.get(topic);
  }

  /** Every cached topic. */
  cachedTopics(): TopicMetadata[] {
    return [...this.#topics.values()];
  }

  /** Bootstraps: metadata of the wanted topics from the first listed broker that answers. */
  async connect(): Promise<void> {
    await this.refresh();
  }

  /**
   * Refreshes the metadata of every wanted topic plus `topics` (which become wanted).
   * Concurrent calls share one request when it covers them.
   */
  refresh(topics: readonly string[] = []): Promise<void> {
    this.#checkOpen();
    const fresh = topics.filter((t) => !this.#wanted.has(t));
    for (const t of fresh) this.#wanted.add(t);
    if (this.#refreshing && fresh.length === 0) return this.#refreshing;
    const previous = this.#refreshing ?? Promise.resolve();
    const next: Promise<void> = previous.catch(() => {}).then(() => this.#fetchMetadata()).finally(() => {
      if (this.#refreshing === next) this.#refreshing = undefined;
    });
    this.#refreshing = next;
    return next;
  }

  /**
   * Metadata of `topics` (fetched when missing or stale). A topic that does not exist is
   * `UNKNOWN_TOPIC_OR_PARTITION`; a topic still being created is retried by callers.
   */
  async topicMetadata(topics: readonly string[]): Promise<TopicMetadata[]> {
    const missing = topics.filter((t) => !this.#topics.has(t) || !this.#wanted.has(t));
    if (missing.length > 0 || Date.now() - this.#refreshedAt > this.#maxAgeMs) await this.refresh(missing);
    return topics.map((t) => {
      const meta = this.#topics.get(t);
      // The broker's authorizer refused it: say so rather than "unknown" (Kafka's clients do the same).
      if (!meta && this.#unauthorized.has(t)) throw kafkaError(KafkaCode.TOPIC_AUTHORIZATION_FAILED, `Not authorized to access topic ${t}`, { details: { topic: t } });
      if (!meta) throw kafkaError(KafkaCode.UNKNOWN_TOPIC_OR_PARTITION, `Unknown topic ${t}`, { details: { topic: t } });
      return meta;
    });
  }

  /**
   * Starts a background refresh when the metadata is older than `metadataMaxAgeMs`
   * (a cheap check for hot paths that read the cache directly).
   */
  refreshIfStale(): void {
    if (this.#closed || this.#refreshing || Date.now() - this.#refreshedAt <= this.#maxAgeMs) return;
    this.refresh().catch((error) => this.logger.debug('background metadata refresh failed', { error: String(error) }));
  }

  /** Stops keeping `topics` fresh and forgets them (after they are deleted). */
  forget(topics: readonly string[]): void {
    for (const t of topics) {
      this.#wanted.delete(t);
      this.#topics.delete(t);
    }
  }

  /** The leader of a partition from the cache; -1 when unknown. */
  leaderOf(topic: string, partition: number): number {
    return this.#topics.get(topic)?.partitions[partition]?.leader ?? -1;
  }

  /** The connection to broker `nodeId` (opened on first use, reopened once broken). */
  async connection(nodeId: number): Promise<Transport> {
    this.#checkOpen();
    let pending = this.#connections.get(nodeId);
    if (pending) {
      const existing = await pending.catch(() => undefined);
      if (existing?.connected) return existing;
      if (this.#connections.get(nodeId) === pending) this.#connections.delete(nodeId);
      pending = this.#connections.get(nodeId);
      if (pending) return this.connection(nodeId);
    }
    const broker = this.#brokers.get(nodeId);
    if (!broker) throw kafkaError(KafkaCode.BROKER_NOT_AVAILABLE, `Broker ${nodeId} is not in the metadata`, { details: { nodeId } });
    const opening = this.#options.transport({ host: broker.host, port: broker.port, nodeId }, this.#transportOptions);
    this.#connections.set(nodeId, opening);
    opening.catch(() => {
      if (this.#connections.get(nodeId) === opening) this.#connections.delete(nodeId);
    });
    const transport = await opening;
    if (this.#closed) {
      await transport.close();
      this.#checkOpen();
    }
    return transport;
  }

  /**
   * Opens a connection to broker `nodeId` that is not shared: for requests that may wait
   * long on the broker (a group's JoinGroup), which on a shared connection would hold back
   * every answer queued behind them (answers come in request order). The caller closes it;
   * the cluster closes what is left when it closes.
   */
  async openConnection(nodeId: number): Promise<Transport> {
    this.#checkOpen();
    const broker = this.#brokers.get(nodeId);
    if (!broker) throw kafkaError(KafkaCode.BROKER_NOT_AVAILABLE, `Broker ${nodeId} is not in the metadata`, { details: { nodeId } });
    const transport = await this.#options.transport({ host: broker.host, port: broker.port, nodeId }, this.#transportOptions);
    if (this.#closed) {
      await transport.close();
      this.#checkOpen();
    }
    for (const t of this.#dedicated) if (!t.connected) this.#dedicated.delete(t);
    this.#dedicated.add(transport);
    return transport;
  }

  /** A connection to any broker: an open one if there is one, else the controller's, else a bootstrap one. */
  async anyConnection(): Promise<Transport> {
    this.#checkOpen();
    for (const pending of this.#connections.values()) {
      const t = await pending.catch(() => undefined);
      if (t?.connected) return t;
    }
    if (this.#bootstrapConnection?.connected) return this.#bootstrapConnection;
    const ids = [...this.#brokers.keys()];
    if (this.#controllerId >= 0 && this.#brokers.has(this.#controllerId)) ids.unshift(this.#controllerId);
    for (const id of ids) {
      try {
        return await this.connection(id);
      } catch (error) {
        this.logger.debug('broker unreachable', { nodeId: id, error: String(error) });
      }
    }
    return this.#connectBootstrap();
  }

  /**
   * Sends a request on `transport` in the highest version both sides speak; resolves the
   * decoded response (null when `options.expectResponse` is false).
   */
  send<K extends ApiKey, O extends RequestOptions | undefined = undefined>(transport: Transport, apiKey: K, body: ApiRequestInput<K>, options?: O): Promise<ResponseOf<K, O>> {
    return transport.request(apiKey, pickVersion(transport.apiVersions, apiKey), body, options);
  }

  /** Sends a request to broker `nodeId`. */
  async sendTo<K extends ApiKey, O extends RequestOptions | undefined = undefined>(nodeId: number, apiKey: K, body: ApiRequestInput<K>, options?: O): Promise<ResponseOf<K, O>> {
    return this.send(await this.connection(nodeId), apiKey, body, options);
  }

  /** Sends a request to any broker (admin requests on a cluster of one, metadata). */
  async sendAny<K extends ApiKey, O extends RequestOptions | undefined = undefined>(apiKey: K, body: ApiRequestInput<K>, options?: O): Promise<ResponseOf<K, O>> {
    return this.send(await this.anyConnection(), apiKey, body, options);
  }

  /** Closes every connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const all = [...this.#connections.values()];
    this.#connections.clear();
    const closing = all.map((p) => p.then((t) => t.close(), () => undefined));
    if (this.#bootstrapConnection) closing.push(this.#bootstrapConnection.close());
    for (const t of [...this.#dedicated]) closing.push(t.close());
    await Promise.all(closing);
  }

  #checkOpen(): void {
    if (this.#closed) throw new TributaryError('ERR_CLIENT_CLOSED', 'The client is closed');
  }

  async #connectBootstrap(): Promise<Transport> {
    let last: unknown;
    // A broker that answered and refused (a failed login, an untrusted certificate) says more than "none answered".
    let refused: TributaryError | undefined;
    for (const address of this.#bootstrap) {
      try {
        const t = await this.#options.transport(address, this.#transportOptions);
        this.#bootstrapConnection = t;
        this.#bootstrapAddress = address;
        return t;
      } catch (error) {
        last = error;
        if (error instanceof TributaryError && !error.retriable) refused = error;
        this.logger.debug('bootstrap broker unreachable', { host: address.host, port: address.port, error: String(error) });
      }
    }
    if (refused !== undefined) throw refused;
    throw new TributaryError('ERR_NO_BROKERS', `None of the brokers answered: ${this.#bootstrap.map((a) => `${a.host}:${a.port}`).join(', ')}`, {
      retriable: true,
      cause: last,
    });
  }

  async #fetchMetadata(): Promise<void> {
    let transport: Transport;
    try {
      transport = await this.anyConnection();
    } catch (error) {
      // Every known broker may have moved: go back to the bootstrap list.
      if (this.#brokers.size === 0) throw error;
      transport = await this.#connectBootstrap();
    }
    const wanted = [...this.#wanted];
    let body: ApiResponse<typeof ApiKey.Metadata>;
    try {
      body = await this.send(transport, ApiKey.Metadata, {
        topics: wanted.map((name) => ({ name })),
        allowAutoTopicCreation: this.#options.allowAutoTopicCreation ?? true,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      });
    } catch (error) {
      if (transport === this.#bootstrapConnection || !(error instanceof TributaryError) || !error.retriable) throw error;
      body = await this.send(await this.#connectBootstrap(), ApiKey.Metadata, { topics: wanted.map((name) => ({ name })), allowAutoTopicCreation: this.#options.allowAutoTopicCreation ?? true });
    }
    this.#apply(body);
    this.#adoptBootstrap();
  }

  #apply(body: ApiResponse<typeof ApiKey.Metadata>): void {
    const brokers = new Map<number, BrokerInfo>();
    for (const b of body.brokers) brokers.set(b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack ?? null });
    // A broker that left (or moved) loses its connection.
    for (const [id, old] of this.#brokers) {
      const now = brokers.get(id);
      if (!now || now.host !== old.host || now.port !== old.port) {
        const pending = this.#connections.get(id);
        this.#connections.delete(id);
        pending?.then((t) => t.close(), () => undefined);
      }
    }
    this.#brokers = brokers;
    this.#clusterId = body.clusterId ?? null;
    this.#controllerId = body.controllerId ?? -1;
    for (const t of body.topics) {
      // Metadata ≥ 12 may answer a topic by id only; we ask by name, so the name is there.
      const name = t.name ?? '';
      const code = t.errorCode;
      if (code === KafkaCode.TOPIC_AUTHORIZATION_FAILED) this.#unauthorized.add(name);
      else this.#unauthorized.delete(name);
      if (code !== KafkaCode.NONE) {
        this.#topics.delete(name);
        // LEADER_NOT_AVAILABLE right after auto-creation is transient: the caller retries.
        if (code === KafkaCode.UNKNOWN_TOPIC_OR_PARTITION || code === KafkaCode.LEADER_NOT_AVAILABLE) continue;
        this.logger.debug('topic metadata error', { topic: name, errorCode: code });
        continue;
      }
      const partitions: PartitionMetadata[] = [];
      for (const p of t.partitions) {
        partitions[p.partitionIndex] = {
          partition: p.partitionIndex,
          // REPLICA_NOT_AVAILABLE still names the leader.
          leader: p.errorCode === KafkaCode.NONE || p.errorCode === KafkaCode.REPLICA_NOT_AVAILABLE ? p.leaderId : -1,
          leaderEpoch: p.leaderEpoch ?? -1,
          replicas: p.replicaNodes ?? [],
          isr: p.isrNodes ?? [],
          offlineReplicas: p.offlineReplicas ?? [],
          errorCode: p.errorCode,
        };
      }
      this.#topics.set(name, { name, topicId: t.topicId ?? '', isInternal: !!t.isInternal, partitions });
    }
    this.#refreshedAt = Date.now();
  }

  /** Keeps the bootstrap connection as its broker's connection when the addresses match. */
  #adoptBootstrap(): void {
    const t = this.#bootstrapConnection;
    if (!t) return;
    this.#bootstrapConnection = undefined;
    if (!t.connected) return;
    const address = this.#bootstrapAddress;
    for (const b of this.#brokers.values()) {
      if (this.#connections.has(b.nodeId)) continue;
      if (address && address.host === b.host && address.port === b.port) {
        this.#connections.set(b.nodeId, Promise.resolve(t));
        return;
      }
    }
    void t.close();
  }
}
