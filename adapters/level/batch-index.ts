/**
 * The in-memory view of one partition's batches: base/last offset, max timestamp and
 * size per batch, in offset order, in growable typed arrays (about 40 bytes a batch).
 *
 * It is rebuilt from the index key family when a partition opens and kept in step with
 * every committed write, so that the synchronous parts of the contract (`endOffset`,
 * `sizeBytes`, `segments`) need no I/O and a read knows, before touching LevelDB,
 * exactly which keys it will return.
 */
import type { SegmentInfo } from '../../core/contracts/storage.ts';

/** One batch as the index holds it. */
export interface IndexedBatch {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly maxTimestamp: number;
  readonly sizeBytes: number;
}

/** Grouping rules for {@link BatchIndex.segments}. */
export interface SegmentGrouping {
  /** Start a new group when the current one would exceed this many bytes. */
  readonly segmentBytes: number;
  /** Start a new group when a batch's timestamp is this far past the group's first. */
  readonly segmentMs?: number;
}

/** Batches of one partition, oldest first. */
export class BatchIndex {
  #base = new Float64Array(16);
  #last = new Float64Array(16);
  #maxTs = new Float64Array(16);
  #size = new Float64Array(16);
  /** Running maximum of maxTs from #head: non-decreasing, so a timestamp lookup can bisect. */
  #prefixMax = new Float64Array(16);
  #head = 0;
  #tail = 0;
  #bytes = 0;

  /** Number of batches held. */
  get length(): number {
    return this.#tail - this.#head;
  }

  /** Total bytes of the batches held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The batch at position `i` (0 = oldest). */
  at(i: number): IndexedBatch {
    const j = this.#head + i;
    return { baseOffset: this.#base[j]!, lastOffset: this.#last[j]!, maxTimestamp: this.#maxTs[j]!, sizeBytes: this.#size[j]! };
  }

  baseAt(i: number): number {
    return this.#base[this.#head + i]!;
  }

  lastAt(i: number): number {
    return this.#last[this.#head + i]!;
  }

  sizeAt(i: number): number {
    return this.#size[this.#head + i]!;
  }

  /** Adds a batch after the newest one (the caller has checked the offset order). */
  push(batch: IndexedBatch): void {
    if (this.#tail === this.#base.length) this.#grow();
    const j = this.#tail++;
    this.#base[j] = batch.baseOffset;
    this.#last[j] = batch.lastOffset;
    this.#maxTs[j] = batch.maxTimestamp;
    this.#size[j] = batch.sizeBytes;
    this.#prefixMax[j] = j === this.#head ? batch.maxTimestamp : Math.max(this.#prefixMax[j - 1]!, batch.maxTimestamp);
    this.#bytes += batch.sizeBytes;
  }

  /** Forgets the `n` oldest batches. */
  dropHead(n: number): void {
    for (let i = 0; i < n; i++) this.#bytes -= this.#size[this.#head + i]!;
    this.#head += n;
    // The running maximum included the dropped batches; recompute it for the rest.
    for (let j = this.#head; j < this.#tail; j++) {
      this.#prefixMax[j] = j === this.#head ? this.#maxTs[j]! : Math.max(this.#prefixMax[j - 1]!, this.#maxTs[j]!);
    }
  }

  /** Forgets the `n` newest batches. */
  dropTail(n: number): void {
    for (let i = 1; i <= n; i++) this.#bytes -= this.#size[this.#tail - i]!;
    this.#tail -= n;
  }

  /**
   * Position of the first batch whose last offset is ≥ `offset`: the batch that holds
   * `offset`, or the next one when `offset` falls in a gap. `length` when none.
   */
  findFrom(offset: number): number {
    let lo = this.#head;
    let hi = this.#tail;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#last[mid]! < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo - this.#head;
  }

  /** Position of the first batch whose max timestamp is ≥ `timestamp`; `length` when none. */
  findTimestamp(timestamp: number): number {
    let lo = this.#head;
    let hi = this.#tail;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#prefixMax[mid]! < timestamp) lo = mid + 1;
      else hi = mid;
    }
    return lo - this.#head;
  }

  /** Groups consecutive batches into retention units, oldest first. */
  segments(grouping: SegmentGrouping): SegmentInfo[] {
    const out: SegmentInfo[] = [];
    let base = 0;
    let next = 0;
    let maxTs = -1;
    let size = 0;
    let firstTs = 0;
    let open = false;
    for (let j = this.#head; j < this.#tail; j++) {
      const s = this.#size[j]!;
      const ts = this.#maxTs[j]!;
      const tooBig = size + s > grouping.segmentBytes;
      const tooOld = grouping.segmentMs !== undefined && ts >= 0 && firstTs >= 0 && ts - firstTs >= grouping.segmentMs;
      if (open && (tooBig || tooOld)) {
        out.push({ baseOffset: base, nextOffset: next, maxTimestamp: maxTs, sizeBytes: size });
        open = false;
      }
      if (!open) {
        open = true;
        base = this.#base[j]!;
        maxTs = -1;
        size = 0;
        firstTs = ts;
      }
      next = this.#last[j]! + 1;
      maxTs = Math.max(maxTs, ts);
      size += s;
    }
    if (open) out.push({ baseOffset: base, nextOffset: next, maxTimestamp: maxTs, sizeBytes: size });
    return out;
  }

  #grow(): void {
    const live = this.#tail - this.#head;
    // Reuse the space freed by dropHead before doubling.
    const capacity = live * 2 <= this.#base.length ? this.#base.length : this.#base.length * 2;
    const move = (a: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> => {
      const b = new Float64Array(capacity);
      b.set(a.subarray(this.#head, this.#tail));
      return b;
    };
    this.#base = move(this.#base);
    this.#last = move(this.#last);
    this.#maxTs = move(this.#maxTs);
    this.#size = move(this.#size);
    this.#prefixMax = move(this.#prefixMax);
    this.#head = 0;
    this.#tail = live;
  }
}
