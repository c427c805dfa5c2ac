/**
 * The handler runner: one processing loop that takes fetched batches round-robin over
 * the partitions (so one busy partition does not starve the others) and hands them to
 * the application's `eachMessage` or `eachBatch`, moving each partition's position as
 * messages are processed. A failing handler is retried at least once per message: the
 * partition is fetched again from its position after a backoff that grows with
 * consecutive failures, and the consumer crashes once the retries are spent.
 */
import type { Logger } from '../../contracts/logger.ts';
import type { SerdeContext, Serializer } from '../../contracts/serializer.ts';
import type { RecordHeader } from '../../records/record.ts';
import type { AsyncScope } from '../async-scope.ts';
import { type RetryPolicy, backoff } from '../retry.ts';
import type { SerdeTable } from '../serde.ts';
import type { FetchedBatch } from './fetched-batch.ts';
import type { ConsumerState, PartitionState } from './state.ts';
import type { AssignmentSource, ConsumerMessage, RunOptions } from './types.ts';

/** A fetched record before deserialization. */
interface RawRecord {
  readonly offset: number;
  readonly timestamp: number;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly headers: readonly RecordHeader[];
}

/** Settings and collaborators of a {@link HandlerRunner}. */
export interface HandlerRunnerOptions {
  readonly state: ConsumerState;
  readonly serdes: SerdeTable;
  readonly logger: Logger;
  readonly retry: RetryPolicy;
  readonly maxPrefetchBytes: number;
  /** Recognises calls made from inside this consumer's handlers, across awaits (see async-scope.ts). */
  readonly scope: AsyncScope | undefined;
  /** The value the scope carries inside a handler (the consumer). */
  readonly scopeValue: unknown;
  /** The assignment source, if any (heartbeat and commitOffsetsIfNecessary go to it). */
  readonly source: () => AssignmentSource | null;
  /** A partition's queue went below the prefetch bound: its fetcher may go on. */
  readonly drained: () => void;
  /** A failure that stops the consumer. */
  readonly crash: (error: unknown) => void;
}

/** Runs the application's handlers over fetched batches. */
export class HandlerRunner {
  readonly #state: ConsumerState;
  readonly #serdes: SerdeTable;
  readonly #logger: Logger;
  readonly #retry: RetryPolicy;
  readonly #options: HandlerRunnerOptions;
  readonly #scope: AsyncScope | undefined;
  #handlers: RunOptions | null = null;
  #wakeProcessor: (() => void) | null = null;
  #cursor = 0;
  #current: PartitionState | null = null;
  #currentDone: Promise<void> | null = null;
  /** True during the synchronous part of a handler call (the fallback without a scope). */
  #inHandlerCall = false;

  constructor(options: HandlerRunnerOptions) {
    this.#options = options;
    this.#state = options.state;
    this.#serdes = options.serdes;
    this.#logger = options.logger;
    this.#retry = options.retry;
    this.#scope = options.scope;
  }

  /** The partition whose handler runs now, or null. */
  get current(): PartitionState | null {
    return this.#current;
  }

  /** Settles (never rejects) when the running handler call ends; null when none runs. */
  get currentDone(): Promise<void> | null {
    return this.#currentDone;
  }

  /** True when the caller runs inside one of this consumer's handlers (it must not wait for the handler). */
  insideHandler(): boolean {
    return this.#inHandlerCall || (this.#scope !== undefined && this.#scope.get() === this.#options.scopeValue);
  }

  /** Wakes the processing loop when it waits for data. */
  wake(): void {
    const p = this.#wakeProcessor;
    this.#wakeProcessor = null;
    p?.();
  }

  /** Runs the processing loop with `handlers` until the run's generation ends. */
  run(handlers: RunOptions): Promise<void> {
    this.#handlers = handlers;
    return this.#processLoop();
  }

  /**
   * Calls a handler so that {@link insideHandler} recognises calls made in its synchronous
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

  /** The next partition with queued data, round-robin so that one busy partition does not starve others. */
  #nextReady(): PartitionState | null {
    const states = [...this.#state.partitions.values()];
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
    const state = this.#state;
    const generation = state.generation;
    while (state.running && state.generation === generation) {
      const s = this.#nextReady();
      if (!s) {
        await new Promise<void>((resolve) => (this.#wakeProcessor = resolve));
        continue;
      }
      const batch = s.queue.shift()!;
      s.queuedBytes -= batch.bytes;
      // The fetcher may have stopped on a full queue.
      if (s.queuedBytes < this.#options.maxPrefetchBytes) this.#options.drained();
      this.#current = s;
      // One scope per batch rather than per message: entering it costs about 10% of a message's handling.
      const process = () => (this.#handlers!.eachBatch ? this.#runBatch(s, batch) : this.#runMessages(s, batch));
      const run = this.#scope ? this.#scope.run(this.#options.scopeValue, process) : process();
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
      this.#options.crash(error);
      return;
    }
    // At least once: the failed message is fetched and handed over again after a backoff.
    s.invalidate();
    s.fetchPosition = s.position;
    // The backoff grows with consecutive handler failures (not fetch failures, 0 after a good fetch).
    s.retryAt = Date.now() + backoff(this.#retry, s.handlerFailures);
  }

  #message(s: PartitionState, r: RawRecord, key: Serializer<unknown>, value: Serializer<unknown>, kc: SerdeContext, vc: SerdeContext): ConsumerMessage {
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
      heartbeat: () => this.#options.source()?.heartbeat?.() ?? Promise.resolve(),
    };
    for (let i = 0; i < records.length; i++) {
      // Revoked: the record just handled counted; the rest belongs to the next owner.
      if (s.revoked) return;
      if (!this.#state.running || s.epoch !== epoch || s.paused) return this.#requeueRest(s, epoch, batch, i);
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
    if (s.epoch !== epoch || !this.#state.running) return;
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
    /** The handler learnt the batch is stale (revoked): it may have stopped early, so only what it resolved counts. */
    let sawStale = false;
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
      isRunning: () => this.#state.running,
      isStale: () => {
        // A revoke keeps the epoch until this handler is done (its progress counts), but the batch is stale.
        const stale = s.epoch !== epoch || s.revoked;
        if (stale) sawStale = true;
        return stale;
      },
      pause: () => {
        pauseAfter = true;
      },
      heartbeat: () => this.#options.source()?.heartbeat?.() ?? Promise.resolve(),
      commitOffsetsIfNecessary: () => this.#options.source()?.commitOffsetsIfNecessary?.() ?? Promise.resolve(),
    });
    if (s.epoch !== epoch) return;
    if (s.revoked) {
      // Revoked while running: a handler that returns has processed its batch, unless it
      // stopped on isStale(); then only what it resolved (already in the position) counts.
      if (!sawStale && resolved < 0) s.position = batch.nextOffset;
      return;
    }
    s.position = resolved >= 0 ? resolved + 1 : batch.nextOffset;
    if (resolved >= 0 && resolved + 1 < batch.nextOffset) {
      // Unresolved messages are handed over again.
      s.invalidate();
      s.fetchPosition = s.position;
    }
    if (pauseAfter) s.paused = true;
  }
}
