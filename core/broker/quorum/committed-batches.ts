/**
 * The committed batches of a metadata log as an in-memory quorum keeps them (MemoryQuorum,
 * SingleQuorum): in offset order, found by binary search, with reads that wait for the
 * next commit. One place for what both quorums do alike; each decides what "committed" is.
 */
import type { Clock } from '../../clock.ts';
import { type MetadataBatch, type MetadataRead, nextOffsetAfter } from './metadata-quorum.ts';

/** Index of the first batch whose base offset is at or after `offset` (binary search). */
export function firstAtOrAfter(batches: readonly MetadataBatch[], offset: number): number {
  let lo = 0;
  let hi = batches.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (batches[mid]!.baseOffset < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Committed batches and the readers waiting for more. */
export class CommittedBatches {
  readonly #clock: Clock;
  readonly #batches: MetadataBatch[] = [];
  readonly #waiters = new Set<() => void>();
  #end = 0;
  #closed = false;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** One past the last committed offset. */
  get end(): number {
    return this.#end;
  }

  /** Moves the end past offsets no batch holds (a log whose end is beyond its last whole batch). */
  set end(offset: number) {
    if (offset > this.#end) this.#end = offset;
  }

  /** How many batches are held. */
  get count(): number {
    return this.#batches.length;
  }

  /** Every committed batch, in order (a copy). */
  all(): MetadataBatch[] {
    return [...this.#batches];
  }

  /** The highest epoch of any batch, or `floor`. */
  maxEpoch(floor: number): number {
    return this.#batches.reduce((max, b) => Math.max(max, b.epoch), floor);
  }

  /** Adds a committed batch (at the end) and wakes waiting readers. */
  commit(batch: MetadataBatch): void {
    this.#batches.push(batch);
    this.#end = nextOffsetAfter(batch);
    this.#wake();
  }

  /** Committed batches from `fromOffset`, waiting up to `waitMs` for one when there is none. */
  async read(fromOffset: number, waitMs: number): Promise<MetadataRead> {
    const now = this.#collect(fromOffset);
    if (now.batches.length > 0 || waitMs <= 0 || this.#closed) return now;
    await new Promise<void>((resolve) => {
      const wake = () => {
        this.#waiters.delete(wake);
        this.#clock.clearTimeout(timer);
        resolve();
      };
      const timer = this.#clock.setTimeout(wake, waitMs);
      this.#waiters.add(wake);
    });
    return this.#collect(fromOffset);
  }

  /** Forgets the batches before `offset` (a snapshot covers them now). */
  dropBefore(offset: number): void {
    this.#batches.splice(0, firstAtOrAfter(this.#batches, offset));
  }

  /** Forgets every batch and starts again at `offset` (a Raft follower installed a snapshot ending there). */
  resetTo(offset: number): void {
    this.#batches.length = 0;
    this.#end = offset;
    this.#wake();
  }

  /** Waiting reads answer with what there is; later ones do not wait. */
  close(): void {
    this.#closed = true;
    this.#wake();
  }

  #collect(fromOffset: number): MetadataRead {
    return { batches: this.#batches.slice(firstAtOrAfter(this.#batches, fromOffset)), highWatermark: this.#end };
  }

  #wake(): void {
    for (const wake of [...this.#waiters]) wake();
  }
}
