/**
 * The Consumer. Partitions reach it from an assignment source — explicit `assign()` for
 * simple readers (this file), group membership later — and it fetches them from their
 * leaders with long polls, prefetching into a bounded per-partition queue so that the
 * application's processing and the next fetch overlap.
 *
 * How group membership plugs in: a group implementation is an {@link AssignmentSource}
 * given to `consumer.useAssignmentSource(source)` before `run()`. `run()` calls
 * `source.start(target)`; the source then hands partitions in with
 * `target.assign([...])` (offset = the committed one, or undefined to apply
 * `fromBeginning`) and takes them away with `target.revoke([...])`, which resolves once
 * no handler is running for them, with the positions to commit. `target.positions()`
 * gives the processed positions at any time (auto-commit reads them on its interval),
 * and `stop()` calls `source.stop()` (leave the group) after processing has ended.
 */
import type { Logger } from '../contracts/logger.ts';
import type { SerdeContext, Serializer } from '../contracts/serializer.ts';
import { TributaryError, kafkaError } from '../errors.ts';
import { ApiKey } from '../protocol/api-keys.ts';
import type { RecordHeader } from '../records/record.ts';
import type { Registry } from '../registry.ts';
import type { AsyncScope } from './async-scope.ts';
import { type Cluster, needsRefresh } from './cluster.ts';
import { type FetchedBatch, decodeFetched, recordBuffers } from './consumer/fetched-batch.ts';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, listOffsets } from './list-offsets.ts';
import { type RetryOptions, type RetryPolicy, backoff, retryPolicy, sleep, withRetry } from './retry.ts';
import { SerdeTable, type SerializerChoices, type TopicSettings, mergeTopicSettings } from './serde.ts';

/** A partition of a topic. */
export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** A partition and where to start (undefined: `fromBeginning` decides). */
export interface TopicPartitionOffset extends TopicPartition {
  readonly offset?: number;
}

/** What the consumer does where its position is out of range (or, for `none`, fails with `OFFSET_OUT_OF_RANGE`). */
export type AutoOffsetReset = 'earliest' | 'latest' | 'none';

/** Consumer settings. */
export interface ConsumerOptions {
  /** Key and value deserializers (override the client's). */
  readonly serializers?: SerializerChoices;
  /** Per-topic deserializers. */
  readonly topics?: Readonly<Record<string, TopicSettings>>;
  /** Where a partition without an offset starts: earliest (true) or latest (false, the default). */
  readonly fromBeginning?: boolean;
  /** On OFFSET_OUT_OF_RANGE. Default: earliest when fromBeginning, else latest. */
  readonly autoOffsetReset?: AutoOffsetReset;
  /** Long-poll time of a Fetch. Default 500 (fetch.max.wait.ms). */
  readonly maxWaitMs?: number;
  /** Bytes a Fetch waits for. Default 1. */
  readonly minBytes?: number;
  /** Bytes per Fetch answer. Default 50 MiB (fetch.max.bytes). */
  readonly maxBytes?: number;
  /** Bytes per partition per Fetch. Default 1 MiB (max.partition.fetch.bytes). */
  readonly maxBytesPerPartition?: number;
  /**
   * A partition is fetched again only while fewer bytes than this wait unprocessed in its
   * queue, so memory stays within about this plus one fetch per partition. Default 1 MiB.
   */
  readonly maxPrefetchBytes?: number;
  /** 0 read_uncommitted (default), 1 read_committed. */
  readonly isolationLevel?: 0 | 1;
  /** Retries (fetch errors, handler failures) before the consumer crashes. Default: the client's. */
  readonly retry?: RetryOptions;
}

/** A consumed message, deserialized. */
export interface ConsumerMessage<K = any, V = any> {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** Create time, or append time for LogAppendTime topics (ms). */
  readonly timestamp: number;
  readonly key: K | null;
  readonly value: V | null;
  /** Headers in wire order (repeated keys kept); values are bytes. */
  readonly headers: readonly RecordHeader[];
}

/** Argument of an `eachMessage` handler. */
export interface EachMessagePayload<K = any, V = any> {
  readonly topic: string;
  readonly partition: number;
  readonly message: ConsumerMessage<K, V>;
  /** Pauses this partition after this message. */
  pause(): void;
  /** For group consumers (a no-op in assign mode). */
  heartbeat(): Promise<void>;
}

/** The batch of an `eachBatch` handler. */
export interface ConsumerBatch<K = any, V = any> {
  readonly topic: string;
  readonly partition: number;
  readonly highWatermark: number;
  readonly messages: ReadonlyArray<ConsumerMessage<K, V>>;
  firstOffset(): number | null;
  lastOffset(): number;
  isEmpty(): boolean;
}

/** Argument of an `eachBatch` handler. */
export interface EachBatchPayload<K = any, V = any> {
  readonly batch: ConsumerBatch<K, V>;
  /**
   * Marks messages up to `offset` processed. When the handler marks any, the position
   * moves past the last marked one; when it marks none, past the whole batch.
   */
  resolveOffset(offset: number): void;
  /** False once the consumer is stopping. */
  isRunning(): boolean;
  /** True when a seek or revoke made this batch obsolete. */
  isStale(): boolean;
  /** Pauses this partition after this batch. */
  pause(): void;
  heartbeat(): Promise<void>;
  /** Group consumers: commits the resolved positions when the auto-commit interval has passed (a no-op in assign mode). */
  commitOffsetsIfNecessary(): Promise<void>;
}

/** Argument of {@link Consumer.run}. */
export interface RunOptions {
  readonly eachMessage?: (payload: EachMessagePayload) => Promise<void> | void;
  readonly eachBatch?: (payload: EachBatchPayload) => Promise<void> | void;
}

/** Where partitions come from (see the module comment). */
export interface AssignmentSource {
  start(target: AssignmentTarget): Promise<void>;
  stop(): Promise<void>;
  /** What handlers' `heartbeat()` calls (group membership: heartbeat now if one is due). */
  heartbeat?(): Promise<void>;
  /** What eachBatch's `commitOffsetsIfNecessary()` calls. */
  commitOffsetsIfNecessary?(): Promise<void>;
}

/** What an assignment source may do to the consumer. */
export interface AssignmentTarget {
  /** Adds partitions (offset undefined: fromBeginning/latest via ListOffsets). */
  assign(partitions: readonly TopicPartitionOffset[]): Promise<void>;
  /** Removes partitions once no handler runs for them; resolves their processed positions. */
  revoke(partitions: readonly TopicPartition[]): Promise<TopicPartitionOffset[]>;
  /** Processed positions (the next offset to process) of the assigned partitions. */
  positions(): TopicPartitionOffset[];
  /** Stops the consumer with `error` (done() rejects with it): a fatal group error. */
  fail(error: unknown): void;
}

/** What the consumer needs from its client. */
export interface ConsumerContext {
  readonly cluster: Cluster;
  readonly registry: Registry;
  readonly logger: Logger;
  readonly retry: RetryOptions | undefined;
  readonly serializers: SerializerChoices | undefined;
  readonly topics: Readonly<Record<string, TopicSettings>> | undefined;
  /** Recognises calls made from inside this consumer's handlers (see async-scope.ts). */
  readonly asyncScope?: AsyncScope | undefined;
}

class PartitionState {
  readonly topic: string;
  readonly partition: number;
  readonly key: string;
  /** Next offset to fetch; null until resolved by ListOffsets. */
  fetchPosition: number | null;
  /** Next offset to hand to the application. */
  position: number | null;
  /** Offset reset policy for a null position: earliest/latest timestamp. */
  resetTo: number;
  paused = false;
  readonly queue: FetchedBatch[] = [];
  queuedBytes = 0;
  /** Bumped by seek and revoke: fetches and batches of an older epoch are dropped. */
  epoch = 0;
  revoked = false;
  fetching = false;
  /** Consecutive failed fetches. */
  failures = 0;
  /** Consecutive handler failures (reset when a handler succeeds). */
  handlerFailures = 0;
  retryAt = 0;

  constructor(topic: string, partition: number, offset: number | undefined, resetTo: number) {
    this.topic = topic;
    this.partition = partition;
    this.key = `${topic}\u0000${partition}`;
    this.fetchPosition = offset ?? null;
    this.position = offset ?? null;
    this.resetTo = resetTo;
  }
}

function checkPartition(tp: TopicPartition): void {
  if (!tp || typeof tp.topic !== 'string' || tp.topic.length === 0 || !Number.isInteger(tp.partition) || tp.partition < 0) {
    throw new TributaryError('ERR_INVALID_ARGUMENT', 'A partition needs { topic, partition ≥ 0 }');
  }
}

function checkOffset(offset: unknown): void {
  if (offset !== undefined && (!Number.isSafeInteger(offset) || (offset as number) < 0)) {
    throw new TributaryError('ERR_INVALID_ARGUMENT', `An offset must be a non-negative integer, got ${String(offset)}`);
  }
}

/** A consumer with its fetchers and processing loop. */
export class Consumer {
  readonly #cluster: Cluster;
  readonly #registry: Registry;
  readonly #logger: Logger;
  readonly #serdes: SerdeTable;
  readonly #retry: RetryPolicy;
  readonly #fromBeginning: boolean;
  readonly #autoOffsetReset: AutoOffsetReset;
  readonly #maxWaitMs: number;
  readonly #minBytes: number;
  readonly #maxBytes: number;
  readonly #maxBytesPerPartition: number;
  readonly #maxPrefetchBytes: number;
  readonly #isolationLevel: number;
  readonly #states = new Map<string, PartitionState>();
  readonly #fetchers = new Map<number, Promise<void>>();
  #source: AssignmentSource | null = null;
  /** Bumped by stop(): fetch loops of an earlier run end. */
  #generation = 0;
  #running = false;
  #handlers: RunOptions | null = null;
  #processing: Promise<void> | null = null;
  #wakeProcessor: (() => void) | null = null;
  #wakeFetchers: Array<() => void> = [];
  #cursor = 0;
  #current: PartitionState | null = null;
  #currentDone: Promise<void> | null = null;
  #done: Promise<void>;
  #resolveDone!: () => void;
  #rejectDone!: (error: unknown) => void;
  #crashed: unknown = undefined;
  /** The latest stop() in progress or done (a second stop() waits for it too). */
  #stopped: Promise<void> = Promise.resolve();
  readonly #scope: AsyncScope | undefined;
  /** True during the synchronous part of a handler call (the fallback without a scope). */
  #inHandlerCall = false;

  constructor(context: ConsumerContext, options: ConsumerOptions = {}) {
    this.#cluster = context.cluster;
    this.#registry = context.registry;
    this.#logger = context.logger;
    this.#serdes = new SerdeTable(context.registry, { ...context.serializers, ...options.serializers }, mergeTopicSettings(context.topics, options.topics));
    this.#retry = retryPolicy(options.retry ?? context.retry);
    this.#fromBeginning = options.fromBeginning ?? false;
    const reset = options.autoOffsetReset ?? (this.#fromBeginning ? 'earliest' : 'latest');
    if (reset !== 'earliest' && reset !== 'latest' && reset !== 'none') {
      throw new TributaryError('ERR_INVALID_ARGUMENT', `autoOffsetReset must be earliest, latest or none, got ${String(reset)}`);
    }
    this.#autoOffsetReset = reset;
    this.#maxWaitMs = options.maxWaitMs ?? 500;
    this.#minBytes = options.minBytes ?? 1;
    this.#maxBytes = options.maxBytes ?? 50 * 1024 * 1024;
    this.#maxBytesPerPartition = options.maxBytesPerPartition ?? 1024 * 1024;
    this.#maxPrefetchBytes = options.maxPrefetchBytes ?? 1024 * 1024;
    this.#isolationLevel = options.isolationLevel ?? 0;
    this.#scope = context.asyncScope;
    this.#done = this.#newDone();
  }

  /** True when the caller runs inside one of this consumer's handlers (it must not wait for the handler). */
  #insideHandler(): boolean {
    return this.#inHandlerCall || (this.#scope !== undefined && this.#scope.get() === this);
  }

  /**
   * Calls a handler so that {@link #insideHandler} recognises calls made in its synchronous
   * part (the scope, set once per batch by the processing loop, covers the rest).
   */
  #callHandler<P>(handler: (payload: P) => Promise<void> | void, payload: P): Promise<void> | void {
    this.#inHandlerCall = true;
    try {
      return handler(payload);
    } finally {
      this.#inHandlerCall = false;
    }
  }

  #newDone(): Promise<void> {
    const done = new Promise<void>((resolve, reject) => {
      this.#resolveDone = resolve;
      this.#rejectDone = reject;
    });
    done.catch(() => {});
    return done;
  }

  /** Bytes fetched and waiting for the handler, over all partitions (bounded by maxPrefetchBytes plus one fetch each). */
  get prefetchedBytes(): number {
    let n = 0;
    for (const s of this.#states.values()) n += s.queuedBytes;
    return n;
  }

  /** True between run() and stop(). */
  get running(): boolean {
    return this.#running;
  }

  /** Connects to the cluster (optional: run() does it). */
  async connect(): Promise<void> {
    await this.#cluster.connect();
  }

  /**
   * Sets the partitions to consume (assign mode, no group): replaces the current
   * assignment; partitions kept keep their position unless an offset is given.
   */
  assign(partitions: readonly TopicPartitionOffset[]): Promise<void> {
    if (!Array.isArray(partitions)) throw new TributaryError('ERR_INVALID_ARGUMENT', 'assign needs an array of { topic, partition, offset? }');
    for (const p of partitions) {
      checkPartition(p);
      checkOffset(p.offset);
    }
    const keep = new Set(partitions.map((p) => `${p.topic}\u0000${p.partition}`));
    const gone = [...this.#states.values()].filter((s) => !keep.has(s.key));
    return this.#revoke(gone).then(() => this.#assign(partitions));
  }

  /** The assigned partitions. */
  assignment(): TopicPartition[] {
    return [...this.#states.values()].map((s) => ({ topic: s.topic, partition: s.partition }));
  }

  /**
   * Makes `source` hand partitions in and out (group membership). Must be called before
   * run(); `assign()` should then not be used.
   */
  useAssignmentSource(source: AssignmentSource): void {
    if (this.#running) throw new TributaryError('ERR_CONSUMER_RUNNING', 'Set the assignment source before run()');
    this.#source = source;
  }

  /** The target handed to assignment sources. */
  #target(): AssignmentTarget {
    return {
      assign: (partitions) => this.#assign(partitions),
      revoke: (partitions) => this.#revoke(partitions.map((p) => this.#states.get(`${p.topic}\u0000${p.partition}`)).filter((s): s is PartitionState => s !== undefined)),
      positions: () => this.positions(),
      fail: (error) => this.#crash(error),
    };
  }

  /** Processed positions (next offset to process) of the assigned partitions whose position is known. */
  positions(): TopicPartitionOffset[] {
    const out: TopicPartitionOffset[] = [];
    for (const s of this.#states.values()) if (s.position !== null) out.push({ topic: s.topic, partition: s.partition, offset: s.position });
    return out;
  }

  async #assign(partitions: readonly TopicPartitionOffset[]): Promise<void> {
    const initial = this.#fromBeginning ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP;
    for (const p of partitions) {
      const key = `${p.topic}\u0000${p.partition}`;
      const existing = this.#states.get(key);
      if (existing) {
        if (p.offset !== undefined) this.seek({ topic: p.topic, partition: p.partition, offset: p.offset });
        continue;
      }
      this.#states.set(key, new PartitionState(p.topic, p.partition, p.offset, initial));
    }
    if (this.#running) {
      await this.#cluster.topicMetadata([...new Set(partitions.map((p) => p.topic))]).catch(() => undefined);
      this.#startFetchers();
    }
  }

  async #revoke(states: readonly PartitionState[]): Promise<TopicPartitionOffset[]> {
    const out: TopicPartitionOffset[] = [];
    for (const s of states) {
      s.revoked = true;
      s.epoch++;
      s.queue.length = 0;
      s.queuedBytes = 0;
      this.#states.delete(s.key);
      if (s.position !== null) out.push({ topic: s.topic, partition: s.partition, offset: s.position });
    }
    // A handler still running for a revoked partition finishes before the caller commits,
    // unless the caller is that handler (stop() from inside it): its message stays uncommitted.
    if (this.#current && this.#current.revoked && this.#currentDone && !this.#insideHandler()) await this.#currentDone;
    return out;
  }

  /** Moves a partition's position: queued and in-flight data for it is dropped. */
  seek(target: { topic: string; partition: number; offset: number | string }): void {
    checkPartition(target);
    const offset = typeof target.offset === 'string' ? Number(target.offset) : target.offset;
    checkOffset(offset);
    const s = this.#states.get(`${target.topic}\u0000${target.partition}`);
    if (!s) throw new TributaryError('ERR_NOT_ASSIGNED', `${target.topic}-${target.partition} is not assigned`, { details: { topic: target.topic, partition: target.partition } });
    s.epoch++;
    s.queue.length = 0;
    s.queuedBytes = 0;
    s.fetchPosition = offset;
    s.position = offset;
    s.failures = 0;
    s.retryAt = 0;
    this.#wake();
  }

  /** Stops fetching and processing the given partitions (all of a topic when `partitions` is omitted). */
  pause(topics: ReadonlyArray<{ topic: string; partitions?: readonly number[] }>): void {
    for (const s of this.#select(topics)) s.paused = true;
  }

  /** Resumes paused partitions. */
  resume(topics: ReadonlyArray<{ topic: string; partitions?: readonly number[] }>): void {
    for (const s of this.#select(topics)) s.paused = false;
    this.#wake();
  }

  /** The paused partitions. */
  paused(): TopicPartition[] {
    return [...this.#states.values()].filter((s) => s.paused).map((s) => ({ topic: s.topic, partition: s.partition }));
  }

  #select(topics: ReadonlyArray<{ topic: string; partitions?: readonly number[] }>): PartitionState[] {
    if (!Array.isArray(topics)) throw new TributaryError('ERR_INVALID_ARGUMENT', 'pause/resume need [{ topic, partitions? }]');
    const out: PartitionState[] = [];
    for (const t of topics) {
      for (const s of this.#states.values()) {
        if (s.topic === t.topic && (t.partitions === undefined || t.partitions.includes(s.partition))) out.push(s);
      }
    }
    return out;
  }

  /**
   * Starts consuming: resolves once started. Failures that stop the consumer (a handler
   * that keeps failing, `autoOffsetReset: 'none'` out of range) reject {@link done}.
   */
  async run(handlers: RunOptions): Promise<void> {
    if (this.#running) throw new TributaryError('ERR_CONSUMER_RUNNING', 'The consumer is already running');
    if (!handlers || (typeof handlers.eachMessage !== 'function') === (typeof handlers.eachBatch !== 'function')) {
      throw new TributaryError('ERR_INVALID_ARGUMENT', 'run needs exactly one of eachMessage or eachBatch');
    }
    await withRetry(this.#retry, () => this.#cluster.connect());
    this.#handlers = handlers;
    this.#running = true;
    this.#crashed = undefined;
    this.#done = this.#newDone();
    if (this.#source) await this.#source.start(this.#target());
    const topics = [...new Set([...this.#states.values()].map((s) => s.topic))];
    if (topics.length > 0) await this.#cluster.topicMetadata(topics).catch(() => undefined);
    this.#processing = this.#processLoop();
    this.#startFetchers();
  }

  /** Resolves when the consumer stops; rejects with the error that crashed it. */
  done(): Promise<void> {
    return this.#done;
  }

  /**
   * Stops fetching and processing; the assignment stays. Waits for the running handler —
   * except when called from inside that handler (directly or through `client.close()`):
   * then the loop ends once the handler returns, and stop() resolves when everything else
   * is stopped; the handler's own message counts as not processed (at least once).
   */
  stop(): Promise<void> {
    if (!this.#running) return this.#stopped;
    this.#running = false;
    // Fetch loops and a fetch still long-polling end on the generation; their answers are dropped.
    this.#generation++;
    this.#wake();
    this.#stopped = this.#finishStop(this.#insideHandler());
    return this.#stopped;
  }

  async #finishStop(insideHandler: boolean): Promise<void> {
    if (!insideHandler) await this.#processing;
    this.#fetchers.clear();
    if (this.#source) await this.#source.stop();
    for (const s of this.#states.values()) {
      s.epoch++;
      s.fetching = false;
      s.queue.length = 0;
      s.queuedBytes = 0;
      s.fetchPosition = s.position;
    }
    if (this.#crashed !== undefined) this.#rejectDone(this.#crashed);
    else this.#resolveDone();
  }

  /** Stops and releases the consumer (the client's connections stay). */
  async close(): Promise<void> {
    await this.stop();
  }

  /** Same as {@link close} (kafkajs's name). */
  disconnect(): Promise<void> {
    return this.close();
  }

  #crash(error: unknown): void {
    if (this.#crashed !== undefined || !this.#running) return;
    this.#crashed = error;
    this.#logger.error('consumer crashed', { error: String(error) });
    void this.stop();
  }

  #wake(): void {
    const p = this.#wakeProcessor;
    this.#wakeProcessor = null;
    p?.();
    const fs = this.#wakeFetchers;
    this.#wakeFetchers = [];
    for (const f of fs) f();
  }

  // ------------------------------------------------------------------ fetching

  #startFetchers(): void {
    if (!this.#running) return;
    for (const s of this.#states.values()) {
      const leader = this.#cluster.leaderOf(s.topic, s.partition);
      if (leader >= 0 && !this.#fetchers.has(leader)) {
        const loop = this.#fetchLoop(leader).catch((error) => this.#crash(error)).finally(() => {
          if (this.#fetchers.get(leader) === loop) this.#fetchers.delete(leader);
        });
        this.#fetchers.set(leader, loop);
      }
    }
    // Partitions without a leader in the cache need fresh metadata.
    if ([...this.#states.values()].some((s) => this.#cluster.leaderOf(s.topic, s.partition) < 0)) void this.#refresh();
  }

  #refreshing = false;
  async #refresh(): Promise<void> {
    if (this.#refreshing) return;
    this.#refreshing = true;
    try {
      for (let attempt = 1; this.#running; attempt++) {
        try {
          await this.#cluster.refresh([...new Set([...this.#states.values()].map((s) => s.topic))]);
          break;
        } catch (error) {
          this.#logger.debug('metadata refresh failed', { error: String(error) });
          await sleep(backoff(this.#retry, Math.min(attempt, 10)));
        }
      }
    } finally {
      this.#refreshing = false;
    }
    this.#startFetchers();
    if (this.#running && [...this.#states.values()].some((s) => this.#cluster.leaderOf(s.topic, s.partition) < 0)) {
      await sleep(backoff(this.#retry, 1));
      if (this.#running) void this.#refresh();
    }
  }

  #waitForWork(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      const wakers = this.#wakeFetchers;
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
    const offsets = await listOffsets(this.#cluster, queries, this.#retry, this.#isolationLevel);
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
    const generation = this.#generation;
    while (this.#running && this.#generation === generation) {
      const now = Date.now();
      const mine: PartitionState[] = [];
      const unresolved: PartitionState[] = [];
      let waitMs = this.#maxWaitMs;
      let owned = 0;
      for (const s of this.#states.values()) {
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
    this.#cluster.refreshIfStale();
    const topics = new Map<string, Array<Record<string, number>>>();
    const epochs = new Map<PartitionState, number>();
    for (const s of states) {
      let list = topics.get(s.topic);
      if (!list) topics.set(s.topic, (list = []));
      list.push({ partition: s.partition, currentLeaderEpoch: -1, fetchOffset: s.fetchPosition!, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: this.#maxBytesPerPartition });
      epochs.set(s, s.epoch);
      s.fetching = true;
    }
    const body = {
      replicaId: -1,
      maxWaitMs: this.#maxWaitMs,
      minBytes: this.#minBytes,
      maxBytes: this.#maxBytes,
      isolationLevel: this.#isolationLevel,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
      forgottenTopicsData: [],
      rackId: '',
    };
    let response: any;
    try {
      response = await this.#cluster.sendTo(node, ApiKey.Fetch, body, { extraTimeoutMs: this.#maxWaitMs });
      if (response.errorCode) throw kafkaError(response.errorCode, 'Fetch failed');
    } catch (error) {
      if (generation !== this.#generation) return;
      for (const s of states) s.fetching = false;
      this.#fetchFailed(states, error);
      return;
    }
    if (generation !== this.#generation) return;
    const byKey = new Map<string, PartitionState>();
    for (const s of states) byKey.set(s.key, s);
    try {
      for (const t of response.responses as any[]) {
        for (const p of t.partitions as any[]) {
          const s = byKey.get(`${t.topic}\u0000${p.partitionIndex}`);
          if (!s) continue;
          await this.#partitionAnswer(s, epochs.get(s)!, p);
        }
      }
    } finally {
      for (const s of states) s.fetching = false;
    }
  }

  async #partitionAnswer(s: PartitionState, epoch: number, p: any): Promise<void> {
    if (s.epoch !== epoch || s.revoked) return;
    const code: number = p.errorCode;
    if (code !== 0) {
      if (code === 1) {
        if (this.#autoOffsetReset === 'none') {
          this.#crash(kafkaError(1, `Offset ${s.fetchPosition} is out of range for ${s.topic}-${s.partition}`, { details: { topic: s.topic, partition: s.partition, offset: s.fetchPosition } }));
          return;
        }
        this.#logger.info('offset out of range: resetting', { topic: s.topic, partition: s.partition, offset: s.fetchPosition, to: this.#autoOffsetReset });
        s.resetTo = this.#autoOffsetReset === 'earliest' ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP;
        s.fetchPosition = null;
        s.epoch++;
        s.queue.length = 0;
        s.queuedBytes = 0;
        return;
      }
      this.#fetchFailed([s], kafkaError(code, `Fetch ${s.topic}-${s.partition} failed`, { details: { topic: s.topic, partition: s.partition } }));
      return;
    }
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
    if (batches.length > 0) this.#wakeProcessorNow();
  }

  #fetchFailed(states: PartitionState[], error: unknown): void {
    if (!this.#running) return;
    const retriable = error instanceof TributaryError && error.retriable;
    for (const s of states) {
      s.failures++;
      if (!retriable || s.failures > this.#retry.retries) {
        this.#crash(error);
        return;
      }
      s.retryAt = Date.now() + backoff(this.#retry, s.failures);
    }
    this.#logger.debug('fetch failed; retrying', { error: String(error) });
    if (needsRefresh(error)) void this.#refresh();
  }

  // ------------------------------------------------------------------ processing

  #wakeProcessorNow(): void {
    const p = this.#wakeProcessor;
    this.#wakeProcessor = null;
    p?.();
  }

  /** The next partition with queued data, round-robin so that one busy partition does not starve others. */
  #nextReady(): PartitionState | null {
    const states = [...this.#states.values()];
    const n = states.length;
    for (let i = 0; i < n; i++) {
      const s = states[(this.#cursor + i) % n]!;
      if (!s.paused && s.queue.length > 0) {
        this.#cursor = (this.#cursor + i + 1) % n;
        return s;
      }
    }
    return null;
  }

  async #processLoop(): Promise<void> {
    // A stop from inside a handler does not wait for this loop: a run() right after it
    // starts a new loop, and this one must end rather than process beside it.
    const generation = this.#generation;
    while (this.#running && this.#generation === generation) {
      const s = this.#nextReady();
      if (!s) {
        await new Promise<void>((resolve) => (this.#wakeProcessor = resolve));
        continue;
      }
      const batch = s.queue.shift()!;
      s.queuedBytes -= batch.bytes;
      // The fetcher may have stopped on a full queue.
      if (s.queuedBytes < this.#maxPrefetchBytes) {
        const fs = this.#wakeFetchers;
        this.#wakeFetchers = [];
        for (const f of fs) f();
      }
      this.#current = s;
      // One scope per batch rather than per message: entering it costs about 10% of a message's handling.
      const process = () => (this.#handlers!.eachBatch ? this.#runBatch(s, batch) : this.#runMessages(s, batch));
      const run = this.#scope ? this.#scope.run(this, process) : process();
      this.#currentDone = run.then(() => undefined, () => undefined);
      try {
        await run;
        s.handlerFailures = 0;
      } catch (error) {
        await this.#handlerFailed(s, error);
      } finally {
        this.#current = null;
        this.#currentDone = null;
      }
    }
  }

  async #handlerFailed(s: PartitionState, error: unknown): Promise<void> {
    s.handlerFailures++;
    this.#logger.warn('handler failed', { topic: s.topic, partition: s.partition, offset: s.position, attempt: s.handlerFailures, error: String(error) });
    if (s.handlerFailures > this.#retry.retries) {
      this.#crash(error);
      return;
    }
    // At least once: the failed message is fetched and handed over again after a backoff.
    s.epoch++;
    s.queue.length = 0;
    s.queuedBytes = 0;
    s.fetchPosition = s.position;
    // The backoff grows with consecutive handler failures (not fetch failures, 0 after a good fetch).
    s.retryAt = Date.now() + backoff(this.#retry, s.handlerFailures);
  }

  #message(s: PartitionState, r: { offset: number; timestamp: number; key: Uint8Array | null; value: Uint8Array | null; headers: readonly RecordHeader[] }, key: Serializer<any>, value: Serializer<any>, kc: SerdeContext, vc: SerdeContext): ConsumerMessage {
    return {
      topic: s.topic,
      partition: s.partition,
      offset: r.offset,
      timestamp: r.timestamp,
      key: key.deserialize(r.key, kc),
      value: value.deserialize(r.value, vc),
      headers: r.headers,
    };
  }

  async #runMessages(s: PartitionState, batch: FetchedBatch): Promise<void> {
    const handler = this.#handlers!.eachMessage!;
    const serde = this.#serdes.forTopic(s.topic);
    const kc: SerdeContext = { topic: s.topic, isKey: true };
    const vc: SerdeContext = { topic: s.topic, isKey: false };
    const epoch = s.epoch;
    const records = batch.records;
    let pauseAfter = false;
    const payload = {
      topic: s.topic,
      partition: s.partition,
      message: undefined as unknown as ConsumerMessage,
      pause: () => {
        pauseAfter = true;
      },
      heartbeat: () => this.#source?.heartbeat?.() ?? Promise.resolve(),
    };
    for (let i = 0; i < records.length; i++) {
      if (!this.#running || s.epoch !== epoch || s.paused) return this.#requeueRest(s, epoch, batch, i);
      const r = records[i]!;
      if (s.position !== null && r.offset < s.position) continue;
      payload.message = this.#message(s, r, serde.key, serde.value, kc, vc);
      await this.#callHandler(handler, payload);
      if (s.epoch !== epoch) return;
      s.position = r.offset + 1;
      if (pauseAfter) {
        s.paused = true;
        return this.#requeueRest(s, epoch, batch, i + 1);
      }
    }
    if (s.epoch === epoch && (s.position === null || s.position < batch.nextOffset)) s.position = batch.nextOffset;
  }

  /** Puts the unprocessed rest of a batch back at the head of the queue (pause mid-batch). */
  #requeueRest(s: PartitionState, epoch: number, batch: FetchedBatch, from: number): void {
    if (s.epoch !== epoch || !this.#running) return;
    const rest = batch.records.slice(from);
    if (rest.length === 0) {
      if (s.position === null || s.position < batch.nextOffset) s.position = batch.nextOffset;
      return;
    }
    s.queue.unshift({ ...batch, records: rest });
    s.queuedBytes += batch.bytes;
  }

  async #runBatch(s: PartitionState, batch: FetchedBatch): Promise<void> {
    const handler = this.#handlers!.eachBatch!;
    const serde = this.#serdes.forTopic(s.topic);
    const kc: SerdeContext = { topic: s.topic, isKey: true };
    const vc: SerdeContext = { topic: s.topic, isKey: false };
    const epoch = s.epoch;
    const messages: ConsumerMessage[] = [];
    for (const r of batch.records) {
      if (s.position !== null && r.offset < s.position) continue;
      messages.push(this.#message(s, r, serde.key, serde.value, kc, vc));
    }
    let resolved = -1;
    let pauseAfter = false;
    const last = batch.nextOffset - 1;
    await this.#callHandler(handler, {
      batch: {
        topic: s.topic,
        partition: s.partition,
        highWatermark: batch.highWatermark,
        messages,
        firstOffset: () => (messages.length > 0 ? messages[0]!.offset : null),
        lastOffset: () => (messages.length > 0 ? messages[messages.length - 1]!.offset : last),
        isEmpty: () => messages.length === 0,
      },
      resolveOffset: (offset: number) => {
        if (offset > resolved) resolved = offset;
        // Visible at once, so that a commit during the batch covers what is resolved.
        if (s.epoch === epoch && offset + 1 > (s.position ?? -1)) s.position = offset + 1;
      },
      isRunning: () => this.#running,
      isStale: () => s.epoch !== epoch,
      pause: () => {
        pauseAfter = true;
      },
      heartbeat: () => this.#source?.heartbeat?.() ?? Promise.resolve(),
      commitOffsetsIfNecessary: () => this.#source?.commitOffsetsIfNecessary?.() ?? Promise.resolve(),
    });
    if (s.epoch !== epoch) return;
    s.position = resolved >= 0 ? resolved + 1 : batch.nextOffset;
    if (resolved >= 0 && resolved + 1 < batch.nextOffset) {
      // Unresolved messages are handed over again.
      s.epoch++;
      s.queue.length = 0;
      s.queuedBytes = 0;
      s.fetchPosition = s.position;
    }
    if (pauseAfter) s.paused = true;
  }
}
