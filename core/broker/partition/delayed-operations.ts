/**
 * Delayed operations (Kafka's purgatory): requests that wait for something to happen on
 * partitions — a Fetch long poll for new committed data, an acks=all Produce for the high
 * watermark to pass its batches — kept in one queue. Every wait ends on its condition,
 * on its deadline, or when the broker starts shutting down; every listener and timer is
 * removed before its promise settles.
 */
import { type Clock, systemClock } from '../../clock.ts';
import type { Partition } from './partition.ts';

/** Tells whether the broker is shutting down, and whom to call when it starts to. */
export interface ShutdownWatch {
  /** True once shutdown has begun. */
  aborted(): boolean;
  /** Calls `listener` once when shutdown begins; returns the unsubscribe function. */
  onAbort(listener: () => void): () => void;
}

/** Why a wait ended. */
export type WakeReason = 'data' | 'timeout' | 'shutdown';

interface Waiter {
  readonly partitions: readonly Partition[];
  /** Checked whenever a watched partition moves; absent: any movement completes the wait. */
  readonly ready: (() => boolean) | undefined;
  finish(reason: WakeReason): void;
}

/** One queue of waits on partitions, keyed by the partition they watch. */
export class DelayedOperations {
  readonly #shutdown: ShutdownWatch | undefined;
  readonly #clock: Clock;
  readonly #byPartition = new Map<Partition, Set<Waiter>>();
  // One listener per watched partition (not one per waiter), removed when its last waiter goes.
  readonly #unsubscribe = new Map<Partition, () => void>();
  #unsubscribeShutdown: (() => void) | undefined;
  readonly #all = new Set<Waiter>();

  constructor(shutdown?: ShutdownWatch, clock: Clock = systemClock) {
    this.#shutdown = shutdown;
    this.#clock = clock;
  }

  /** How many waits are pending (for tests and metrics). */
  get size(): number {
    return this.#all.size;
  }

  /**
   * Waits up to `timeoutMs` for new data on any of `partitions`: a high watermark that
   * advances (consumers), or with `upTo` 'end' a log end that moves (followers, which
   * read up to the log end), or a partition that closes or changes role.
   */
  waitForData(partitions: readonly Partition[], timeoutMs: number, upTo: 'committed' | 'end' = 'committed'): Promise<WakeReason> {
    const mark = (p: Partition) => (upTo === 'end' ? p.logEndOffset : p.highWatermark);
    const marks = partitions.map(mark);
    const leaders = partitions.map((p) => p.isLeader);
    const ready = () => partitions.some((p, i) => mark(p) !== marks[i] || !p.open || p.isLeader !== leaders[i]);
    return this.#wait(partitions, ready, timeoutMs);
  }

  /**
   * Waits up to `timeoutMs` until `ready()` holds, checked whenever one of `partitions`
   * changes (see Partition.onData).
   */
  waitUntil(partitions: readonly Partition[], ready: () => boolean, timeoutMs: number): Promise<WakeReason> {
    if (ready()) return Promise.resolve('data');
    return this.#wait(partitions, ready, timeoutMs);
  }

  /**
   * Waits up to `timeoutMs` until the high watermark of `partition` reaches `offset`
   * (acks=all: every in-sync replica has the batches below it) or the partition closes.
   */
  waitForHighWatermark(partition: Partition, offset: number, timeoutMs: number): Promise<WakeReason> {
    const ready = () => partition.highWatermark >= offset || !partition.open;
    if (ready()) return Promise.resolve('data');
    return this.#wait([partition], ready, timeoutMs);
  }

  #wait(partitions: readonly Partition[], ready: (() => boolean) | undefined, timeoutMs: number): Promise<WakeReason> {
    if (this.#shutdown?.aborted()) return Promise.resolve('shutdown');
    if (timeoutMs <= 0) return Promise.resolve('timeout');
    return new Promise<WakeReason>((resolve) => {
      let done = false;
      const waiter: Waiter = {
        partitions,
        ready,
        finish: (reason) => {
          if (done) return;
          done = true;
          this.#clock.clearTimeout(timer);
          this.#remove(waiter);
          resolve(reason);
        },
      };
      const timer = this.#clock.setTimeout(() => waiter.finish('timeout'), timeoutMs);
      this.#add(waiter);
    });
  }

  #add(waiter: Waiter): void {
    this.#all.add(waiter);
    if (this.#shutdown && !this.#unsubscribeShutdown) this.#unsubscribeShutdown = this.#shutdown.onAbort(() => this.#completeAll());
    for (const partition of waiter.partitions) {
      let set = this.#byPartition.get(partition);
      if (!set) {
        set = new Set();
        this.#byPartition.set(partition, set);
        this.#unsubscribe.set(partition, partition.onData(() => this.#check(partition)));
      }
      set.add(waiter);
    }
  }

  #remove(waiter: Waiter): void {
    this.#all.delete(waiter);
    for (const partition of waiter.partitions) {
      const set = this.#byPartition.get(partition);
      if (!set) continue;
      set.delete(waiter);
      if (set.size === 0) {
        this.#byPartition.delete(partition);
        this.#unsubscribe.get(partition)?.();
        this.#unsubscribe.delete(partition);
      }
    }
    if (this.#all.size === 0) {
      this.#unsubscribeShutdown?.();
      this.#unsubscribeShutdown = undefined;
    }
  }

  #check(partition: Partition): void {
    const set = this.#byPartition.get(partition);
    if (!set) return;
    for (const waiter of [...set]) if (!waiter.ready || waiter.ready()) waiter.finish('data');
  }

  #completeAll(): void {
    for (const waiter of [...this.#all]) waiter.finish('shutdown');
  }
}
