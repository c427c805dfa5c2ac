/**
 * The fetcher: one long-poll loop per leader, fetching that broker's assigned partitions
 * from their fetch positions into each partition's bounded prefetch queue (so that the
 * application's processing and the next fetch overlap). It resolves missing positions
 * with ListOffsets, resets out-of-range ones by the reset policy, retries failed fetches
 * after a backoff, and refreshes metadata when a leader is unknown or moved.
 *
 * Fetches go on connections of the fetcher's own, one per broker, not on the client's
 * shared ones: a broker answers a connection's requests in order, so a long poll (up to
 * maxWaitMs) on a shared connection would hold back every other request of the client —
 * another consumer's fetch, a producer's Produce, an admin request. Kafka's Java client
 * gets the same by giving each consumer its own client.
 */
import type { Logger } from '../../contracts/logger.ts';
import { TributaryError, kafkaError } from '../../errors.ts';
import { KafkaCode } from '../../kafka-error-codes.ts';
import type { ApiResponse } from '../../protocol/api-messages.ts';
import { ApiKey } from '../../protocol/api-keys.ts';
import type { Registry } from '../../registry.ts';
import type { Transport } from '../transport.ts';
import { type Cluster, needsRefresh } from '../cluster.ts';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, listOffsets } from '../list-offsets.ts';
import { type RetryPolicy, backoff, reconnectBackoff, sleep } from '../retry.ts';
import { decodeFetched, recordBuffers } from './fetched-batch.ts';
import { type ConsumerState, type PartitionState, partitionKey } from './state.ts';
import type { AutoOffsetReset } from './types.ts';

type FetchResponse = ApiResponse<typeof ApiKey.Fetch>;
type FetchPartitionAnswer = FetchResponse['responses'][number]['partitions'][number];

/** Settings and collaborators of a {@link Fetcher}. */
export interface FetcherOptions {
  readonly cluster: Cluster;
  /** Decompresses fetched batches. */
  readonly registry: Registry;
  readonly logger: Logger;
  readonly retry: RetryPolicy;
  readonly state: ConsumerState;
  readonly autoOffsetReset: AutoOffsetReset;
  readonly maxWaitMs: number;
  readonly minBytes: number;
  readonly maxBytes: number;
  readonly maxBytesPerPartition: number;
  readonly maxPrefetchBytes: number;
  readonly isolationLevel: number;
  /** New batches are queued: the handler runner may go on. */
  readonly fetched: () => void;
  /** A failure that stops the consumer. */
  readonly crash: (error: unknown) => void;
}

/** Per-broker fetch loops over the consumer's assigned partitions. */
export class Fetcher {
  readonly #cluster: Cluster;
  readonly #registry: Registry;
  readonly #logger: Logger;
  readonly #retry: RetryPolicy;
  readonly #state: ConsumerState;
  readonly #options: FetcherOptions;
  readonly #maxWaitMs: number;
  readonly #maxPrefetchBytes: number;
  /** The running fetch loop of each broker. */
  readonly #loops = new Map<number, Promise<void>>();
  #wakers: Array<() => void> = [];
  #refreshing = false;
  /** This fetcher's own connection to each broker (opened on first fetch, reopened once broken). */
  readonly #connections = new Map<number, Promise<Transport>>();
  /** The `host:port` each of {@link #connections} went to: a broker that moved gets a new one. */
  readonly #addresses = new Map<number, string>();

  constructor(options: FetcherOptions) {
    this.#options = options;
    this.#cluster = options.cluster;
    this.#registry = options.registry;
    this.#logger = options.logger;
    this.#retry = options.retry;
    this.#state = options.state;
    this.#maxWaitMs = options.maxWaitMs;
    this.#maxPrefetchBytes = options.maxPrefetchBytes;
  }

  /** Wakes fetch loops waiting for work (a partition resumed, sought, or its queue drained). */
  wake(): void {
    const fs = this.#wakers;
    this.#wakers = [];
    for (const f of fs) f();
  }

  /** Forgets the loops of an ended run (they end on the generation). */
  clear(): void {
    this.#loops.clear();
  }

  /**
   * Closes the fetch connections (the consumer stopped): a long poll still pending ends
   * now rather than at its maxWaitMs, and its answer is dropped (its generation is over).
   * A later run opens new ones.
   */
  closeConnections(): void {
    const all = [...this.#connections.values()];
    this.#connections.clear();
    for (const pending of all) pending.then((t) => t.close(), () => undefined).catch(() => undefined);
  }

  /** The fetch connection to broker `node`: opened on first use, reopened once broken. */
  async #connection(node: number): Promise<Transport> {
    const address = this.#addressOf(node);
    const pending = this.#connections.get(node);
    if (pending) {
      const existing = await pending.catch(() => undefined);
      if (existing?.connected && this.#addresses.get(node) === address) return existing;
      if (this.#connections.get(node) === pending) {
        this.#connections.delete(node);
        void existing?.close();
      } else if (this.#connections.has(node)) {
        return this.#connection(node);
      }
    }
    const opening = this.#cluster.openConnection(node);
    this.#connections.set(node, opening);
    this.#addresses.set(node, address);
    opening.catch(() => {
      if (this.#connections.get(node) === opening) this.#connections.delete(node);
    });
    const transport = await opening;
    // Closed by stop() while opening: not this run's to keep.
    if (this.#connections.get(node) !== opening) {
      void transport.close();
      throw new TributaryError('ERR_CONNECTION_CLOSED', 'The consumer stopped while connecting', { retriable: true });
    }
    return transport;
  }

  /** Where broker `node` is now, per the metadata ('' when unknown: openConnection then fails). */
  #addressOf(node: number): string {
    for (const b of this.#cluster.brokers()) if (b.nodeId === node) return `${b.host}:${b.port}`;
    return '';
  }

  /** Drops a fetch connection after a failure on it (a timeout leaves it unusable), so that the next fetch reconnects. */
  #dropConnection(node: number, transport: Transport | undefined): void {
    const pending = this.#connections.get(node);
    if (!pending || !transport) return;
    void pending.then((t) => {
      if (t !== transport || this.#connections.get(node) !== pending) return;
      this.#connections.delete(node);
      void t.close();
    }, () => undefined);
  }

  /** Starts a loop for every leader of an assigned partition that has none, and refreshes metadata for partitions without a known leader. */
  start(): void {
    const states = this.#state.partitions;
    if (!this.#state.running) return;
    for (const s of states.values()) {
      const leader = this.#cluster.leaderOf(s.topic, s.partition);
      if (leader >= 0 && !this.#loops.has(leader)) {
        const loop = this.#fetchLoop(leader).catch((error) => this.#options.crash(error)).finally(() => {
          if (this.#loops.get(leader) === loop) this.#loops.delete(leader);
        });
        this.#loops.set(leader, loop);
      }
    }
    // Partitions without a leader in the cache need fresh metadata.
    if ([...states.values()].some((s) => this.#cluster.leaderOf(s.topic, s.partition) < 0)) void this.#refresh();
  }

  async #refresh(): Promise<void> {
    if (this.#refreshing) return;
    const state = this.#state;
    this.#refreshing = true;
    try {
      for (let attempt = 1; state.running; attempt++) {
        try {
          await this.#cluster.refresh([...new Set([...state.partitions.values()].map((s) => s.topic))]);
          break;
        } catch (error) {
          this.#logger.debug('metadata refresh failed', { error: String(error) });
          await sleep(reconnectBackoff(this.#retry, attempt));
        }
      }
    } finally {
      this.#refreshing = false;
    }
    this.start();
    if (state.running && [...state.partitions.values()].some((s) => this.#cluster.leaderOf(s.topic, s.partition) < 0)) {
      await sleep(reconnectBackoff(this.#retry, 1));
      if (state.running) void this.#refresh();
    }
  }

  #waitForWork(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      const wakers = this.#wakers;
      function done() {
        clearTimeout(timer);
        const i = wakers.indexOf(done);
        if (i >= 0) wakers.splice(i, 1);
        resolve();
      }
      wakers.push(done);
    });
  }

  /** Positions of partitions needing one are looked up (fromBeginning/latest or the reset policy). */
  async #resolvePositions(states: PartitionState[]): Promise<void> {
    const queries = states.map((s) => ({ topic: s.topic, partition: s.partition, timestamp: s.resetTo }));
    const epochs = states.map((s) => s.epoch);
    const offsets = await listOffsets(this.#cluster, queries, this.#retry, this.#options.isolationLevel);
    states.forEach((s, i) => {
      if (s.epoch !== epochs[i] || s.fetchPosition !== null) return;
      const found = offsets.find((o) => o.topic === s.topic && o.partition === s.partition);
      if (found) {
        s.fetchPosition = found.offset;
        s.position = found.offset;
      }
    });
  }

  async #fetchLoop(node: number): Promise<void> {
    const state = this.#state;
    const generation = state.generation;
    while (state.running && state.generation === generation) {
      const now = Date.now();
      const mine: PartitionState[] = [];
      const unresolved: PartitionState[] = [];
      let waitMs = this.#maxWaitMs;
      let owned = 0;
      for (const s of state.partitions.values()) {
        if (this.#cluster.leaderOf(s.topic, s.partition) !== node) continue;
        owned++;
        if (s.paused || s.fetching || s.queuedBytes >= this.#maxPrefetchBytes) continue;
        if (s.retryAt > now) {
          waitMs = Math.min(waitMs, s.retryAt - now);
          continue;
        }
        if (s.fetchPosition === null) unresolved.push(s);
        else mine.push(s);
      }
      if (owned === 0) return;
      if (unresolved.length > 0) {
        await this.#resolvePositions(unresolved).catch((error) => this.#fetchFailed(unresolved, error));
        continue;
      }
      if (mine.length === 0) {
        await this.#waitForWork(waitMs);
        continue;
      }
      await this.#fetch(node, mine, generation);
    }
  }

  async #fetch(node: number, states: PartitionState[], generation: number): Promise<void> {
    const options = this.#options;
    this.#cluster.refreshIfStale();
    const topics = new Map<string, Array<Record<string, number>>>();
    const epochs = new Map<PartitionState, number>();
    for (const s of states) {
      let list = topics.get(s.topic);
      if (!list) topics.set(s.topic, (list = []));
      list.push({ partition: s.partition, currentLeaderEpoch: -1, fetchOffset: s.fetchPosition!, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: options.maxBytesPerPartition });
      epochs.set(s, s.epoch);
      s.fetching = true;
    }
    const body = {
      replicaId: -1,
      maxWaitMs: this.#maxWaitMs,
      minBytes: options.minBytes,
      maxBytes: options.maxBytes,
      isolationLevel: options.isolationLevel,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
      forgottenTopicsData: [],
      rackId: '',
    };
    let response: FetchResponse;
    let transport: Transport | undefined;
    try {
      transport = await this.#connection(node);
      response = await this.#cluster.send(transport, ApiKey.Fetch, body, { extraTimeoutMs: this.#maxWaitMs });
      if (response.errorCode) throw kafkaError(response.errorCode, 'Fetch failed');
    } catch (error) {
      if (generation !== this.#state.generation) return;
      for (const s of states) s.fetching = false;
      if (error instanceof TributaryError && error.kafkaCode === undefined && needsRefresh(error)) this.#dropConnection(node, transport);
      this.#fetchFailed(states, error);
      return;
    }
    if (generation !== this.#state.generation) return;
    const byKey = new Map<string, PartitionState>();
    for (const s of states) byKey.set(s.key, s);
    try {
      for (const t of response.responses) {
        for (const p of t.partitions) {
          const s = byKey.get(partitionKey(t.topic, p.partitionIndex));
          if (!s) continue;
          await this.#partitionAnswer(s, epochs.get(s)!, p);
        }
      }
    } finally {
      for (const s of states) s.fetching = false;
    }
  }

  async #partitionAnswer(s: PartitionState, epoch: number, p: FetchPartitionAnswer): Promise<void> {
    if (s.epoch !== epoch || s.revoked) return;
    const code = p.errorCode;
    if (code !== 0) {
      if (code === KafkaCode.OFFSET_OUT_OF_RANGE) {
        const reset = this.#options.autoOffsetReset;
        if (reset === 'none') {
          this.#options.crash(kafkaError(KafkaCode.OFFSET_OUT_OF_RANGE, `Offset ${s.fetchPosition} is out of range for ${s.topic}-${s.partition}`, { details: { topic: s.topic, partition: s.partition, offset: s.fetchPosition } }));
          return;
        }
        this.#logger.info('offset out of range: resetting', { topic: s.topic, partition: s.partition, offset: s.fetchPosition, to: reset });
        s.resetTo = reset === 'earliest' ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP;
        s.fetchPosition = null;
        s.invalidate();
        return;
      }
      this.#fetchFailed([s], kafkaError(code, `Fetch ${s.topic}-${s.partition} failed`, { details: { topic: s.topic, partition: s.partition } }));
      return;
    }
    s.failures = 0;
    const buffers = recordBuffers(p.records);
    if (buffers.length === 0) return;
    const { batches, nextOffset } = await decodeFetched(buffers, s.fetchPosition!, p.highWatermark, this.#registry);
    if (s.epoch !== epoch || s.revoked) return;
    s.failures = 0;
    s.fetchPosition = nextOffset;
    for (const b of batches) {
      s.queue.push(b);
      s.queuedBytes += b.bytes;
    }
    if (batches.length > 0) this.#options.fetched();
  }

  /**
   * A fetch (or position lookup) failed. A retriable failure — a broker restarting or
   * moving, a leader changing — is retried for as long as the consumer runs, as Kafka's
   * clients do: after the retry backoff for the first `retries` attempts, then at the
   * reconnect backoff's ceiling. Only a non-retriable error stops the consumer.
   */
  #fetchFailed(states: PartitionState[], error: unknown): void {
    if (!this.#state.running) return;
    const retriable = error instanceof TributaryError && error.retriable;
    if (!retriable) {
      this.#options.crash(error);
      return;
    }
    let first = false;
    for (const s of states) {
      s.failures++;
      if (s.failures === 1) first = true;
      const wait = s.failures <= this.#retry.retries ? Math.min(backoff(this.#retry, s.failures), this.#retry.reconnectBackoffMaxMs) : reconnectBackoff(this.#retry, s.failures);
      s.retryAt = Date.now() + wait;
    }
    // Once per outage at warn (what librdkafka prints for a broker it cannot reach), then at debug.
    if (first && !(error instanceof TributaryError && error.kafkaCode !== undefined)) this.#logger.warn('fetch failed; retrying until the broker is back', { error: String(error) });
    else this.#logger.debug('fetch failed; retrying', { error: String(error) });
    if (needsRefresh(error)) void this.#refresh();
  }
}
