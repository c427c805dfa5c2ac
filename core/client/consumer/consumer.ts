/**
 * The Consumer. Partitions reach it from an assignment source — explicit `assign()` for
 * simple readers, group membership otherwise — and it fetches them from their leaders
 * with long polls, prefetching into a bounded per-partition queue so that the
 * application's processing and the next fetch overlap.
 *
 * This file is the front: options, the assignment (assign, seek, pause, revoke) and the
 * lifecycle (run, stop, done). The work is done by its parts: fetcher.ts (per-broker
 * fetch loops, positions) and handler-runner.ts (eachMessage/eachBatch, handler
 * retries), over the state they share (state.ts).
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
import type { Logger } from '../../contracts/logger.ts';
import { TributaryError } from '../../errors.ts';
import type { Cluster } from '../cluster.ts';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP } from '../list-offsets.ts';
import { type RetryPolicy, retryPolicy, withRetry } from '../retry.ts';
import { SerdeTable, mergeTopicSettings } from '../serde.ts';
import { Fetcher } from './fetcher.ts';
import { HandlerRunner } from './handler-runner.ts';
import { ConsumerState, PartitionState, checkOffset, checkPartition, partitionKey } from './state.ts';
import type {
  AssignmentSource,
  AssignmentTarget,
  AutoOffsetReset,
  ConsumerContext,
  ConsumerEventListener,
  ConsumerEventName,
  ConsumerOptions,
  RunOptions,
  TopicPartition,
  TopicPartitionOffset,
} from './types.ts';

/** A consumer with its fetchers and processing loop. */
export class Consumer {
  readonly #cluster: Cluster;
  readonly #logger: Logger;
  readonly #retry: RetryPolicy;
  readonly #fromBeginning: boolean;
  readonly #state = new ConsumerState();
  readonly #states = this.#state.partitions;
  readonly #fetcher: Fetcher;
  readonly #runner: HandlerRunner;
  #source: AssignmentSource | null = null;
  #processing: Promise<void> | null = null;
  #done: Promise<void>;
  #resolveDone!: () => void;
  #rejectDone!: (error: unknown) => void;
  #crashed: unknown = undefined;
  readonly #crashListeners = new Set<ConsumerEventListener<'crash'>>();
  /** The latest stop() in progress or done (a second stop() waits for it too). */
  #stopped: Promise<void> = Promise.resolve();

  constructor(context: ConsumerContext, options: ConsumerOptions = {}) {
    this.#cluster = context.cluster;
    const serdes = new SerdeTable(context.registry, { ...context.serializers, ...options.serializers }, mergeTopicSettings(context.topics, options.topics));
    this.#retry = retryPolicy(options.retry ?? context.retry);
    this.#fromBeginning = options.fromBeginning ?? false;
    const reset: AutoOffsetReset = options.autoOffsetReset ?? (this.#fromBeginning ? 'earliest' : 'latest');
    if (reset !== 'earliest' && reset !== 'latest' && reset !== 'none') {
      throw new TributaryError('ERR_INVALID_ARGUMENT', `autoOffsetReset must be earliest, latest or none, got ${String(reset)}`);
    }
    const maxPrefetchBytes = options.maxPrefetchBytes ?? 1024 * 1024;
    const crash = (error: unknown) => this.#crash(error);
    this.#fetcher = new Fetcher({
      cluster: this.#cluster,
      registry: context.registry,
      logger: context.logger,
      retry: this.#retry,
      state: this.#state,
      autoOffsetReset: reset,
      maxWaitMs: options.maxWaitMs ?? 500,
      minBytes: options.minBytes ?? 1,
      maxBytes: options.maxBytes ?? 50 * 1024 * 1024,
      maxBytesPerPartition: options.maxBytesPerPartition ?? 1024 * 1024,
      maxPrefetchBytes,
      isolationLevel: options.isolationLevel ?? 0,
      fetched: () => this.#runner.wake(),
      crash,
    });
    this.#runner = new HandlerRunner({
      state: this.#state,
      serdes,
      logger: context.logger,
      retry: this.#retry,
      maxPrefetchBytes,
      scope: context.asyncScope,
      scopeValue: this,
      source: () => this.#source,
      drained: () => this.#fetcher.wake(),
      crash,
    });
    this.#logger = context.logger;
    this.#done = this.#newDone();
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
    return this.#state.running;
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
    const keep = new Set(partitions.map((p) => partitionKey(p.topic, p.partition)));
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
    if (this.#state.running) throw new TributaryError('ERR_CONSUMER_RUNNING', 'Set the assignment source before run()');
    this.#source = source;
  }

  /** The target handed to assignment sources. */
  #target(): AssignmentTarget {
    return {
      assign: (partitions) => this.#assign(partitions),
      revoke: (partitions) => this.#revoke(partitions.map((p) => this.#states.get(partitionKey(p.topic, p.partition))).filter((s): s is PartitionState => s !== undefined)),
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
      const key = partitionKey(p.topic, p.partition);
      const existing = this.#states.get(key);
      if (existing) {
        if (p.offset !== undefined) this.seek({ topic: p.topic, partition: p.partition, offset: p.offset });
        continue;
      }
      this.#states.set(key, new PartitionState(p.topic, p.partition, p.offset, initial));
    }
    if (this.#state.running) {
      await this.#cluster.topicMetadata([...new Set(partitions.map((p) => p.topic))]).catch(() => undefined);
      this.#fetcher.start();
    }
  }

  async #revoke(states: readonly PartitionState[]): Promise<TopicPartitionOffset[]> {
    // Kafka's rule for a partition given up: what was fetched for it is dropped, fetches
    // still out for it are ignored (`revoked`), and the record in flight is finished and
    // counted — so the positions are read only once its handler is done. The epoch stays
    // until then: bumping it would make the handler's record not count, and the next
    // owner would read it again.
    for (const s of states) {
      s.revoked = true;
      s.queue.length = 0;
      s.queuedBytes = 0;
      this.#states.delete(s.key);
    }
    // A handler still running for a revoked partition finishes before the caller commits,
    // unless the caller is that handler (stop() from inside it): its message stays uncommitted.
    const current = this.#runner.current;
    const currentDone = this.#runner.currentDone;
    if (current && current.revoked && currentDone && !this.#runner.insideHandler()) await currentDone;
    const out: TopicPartitionOffset[] = [];
    for (const s of states) {
      s.invalidate();
      if (s.position !== null) out.push({ topic: s.topic, partition: s.partition, offset: s.position });
    }
    return out;
  }

  /** Moves a partition's position: queued and in-flight data for it is dropped. */
  seek(target: { topic: string; partition: number; offset: number | string }): void {
    checkPartition(target);
    const offset = typeof target.offset === 'string' ? Number(target.offset) : target.offset;
    checkOffset(offset);
    const s = this.#states.get(partitionKey(target.topic, target.partition));
    if (!s) throw new TributaryError('ERR_NOT_ASSIGNED', `${target.topic}-${target.partition} is not assigned`, { details: { topic: target.topic, partition: target.partition } });
    s.invalidate();
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
    if (this.#state.running) throw new TributaryError('ERR_CONSUMER_RUNNING', 'The consumer is already running');
    if (!handlers || (typeof handlers.eachMessage !== 'function') === (typeof handlers.eachBatch !== 'function')) {
      throw new TributaryError('ERR_INVALID_ARGUMENT', 'run needs exactly one of eachMessage or eachBatch');
    }
    await withRetry(this.#retry, () => this.#cluster.connect());
    this.#state.running = true;
    this.#crashed = undefined;
    this.#done = this.#newDone();
    if (this.#source) await this.#source.start(this.#target());
    const topics = [...new Set([...this.#states.values()].map((s) => s.topic))];
    if (topics.length > 0) await this.#cluster.topicMetadata(topics).catch(() => undefined);
    this.#processing = this.#runner.run(handlers);
    this.#fetcher.start();
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
    if (!this.#state.running) return this.#stopped;
    this.#state.running = false;
    // Fetch loops and a fetch still long-polling end on the generation; their answers are dropped.
    this.#state.generation++;
    // A long poll pending on the consumer's own connection ends now, not at its maxWaitMs.
    this.#fetcher.closeConnections();
    this.#wake();
    this.#stopped = this.#finishStop(this.#runner.insideHandler());
    return this.#stopped;
  }

  async #finishStop(insideHandler: boolean): Promise<void> {
    if (!insideHandler) await this.#processing;
    this.#fetcher.clear();
    if (this.#source) await this.#source.stop();
    for (const s of this.#states.values()) {
      s.invalidate();
      s.fetching = false;
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

  /**
   * Listens to consumer events (`'crash'`: the consumer stopped on a fatal error, which
   * `done()` rejects with too); returns a function that removes the listener.
   */
  on<E extends ConsumerEventName>(event: E, listener: ConsumerEventListener<E>): () => void {
    if (event !== 'crash') return () => {};
    const crash = listener as ConsumerEventListener<'crash'>;
    this.#crashListeners.add(crash);
    return () => this.#crashListeners.delete(crash);
  }

  /** The group of this consumer (null without one): what crash events carry. */
  protected get eventGroupId(): string | null {
    return null;
  }

  #crash(error: unknown): void {
    if (this.#crashed !== undefined || !this.#state.running) return;
    this.#crashed = error;
    this.#logger.error('consumer crashed', { error: String(error), code: error instanceof TributaryError ? error.code : undefined });
    void this.stop();
    const payload = { error, groupId: this.eventGroupId };
    for (const listener of this.#crashListeners) {
      try {
        listener(payload);
      } catch (failure) {
        this.#logger.warn('crash listener failed', { error: String(failure) });
      }
    }
  }

  #wake(): void {
    this.#runner.wake();
    this.#fetcher.wake();
  }
}
