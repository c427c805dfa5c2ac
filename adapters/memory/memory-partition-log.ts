/**
 * One partition's log held in memory: segments of batches, each batch kept as the
 * `Uint8Array` it arrived in, found by binary search on offsets, returned without copying.
 *
 * Segments exist so that retention frees memory the way Kafka frees disk: the core's
 * retention policy asks for `trimBefore(segment.nextOffset)` and whole segments go.
 * A segment is rolled when the next batch would take it past `segmentBytes`, or when it
 * is older than `segmentMs` (measured from its first append, on the injected clock).
 *
 * Every mutation happens synchronously inside the call, before the returned promise
 * settles, so appends are applied in call order and a read never sees half a batch.
 * `appendSync` lets the core's guard append without a promise at all.
 *
 * Arguments, offset order, read range, the closed state and serialization are the
 * guard's (core/storage/guard.ts): `memoryStorage()` returns guarded storage, so these
 * methods are only called with calls that passed it.
 */
import type { AppendOptions, BatchInfo, PartitionLog, ReadOptions, ReadResult, RecoveryEvent, SegmentInfo } from '../../core/contracts/storage.ts';

/** When to copy an appended batch instead of keeping the caller's array. */
export type CopyOnAppend = 'auto' | 'always' | 'never';

/** Settings of one in-memory log. */
export interface MemoryLogSettings {
  readonly segmentBytes: number;
  readonly segmentMs: number;
  readonly copyOnAppend: CopyOnAppend;
  readonly now: () => number;
}

/** A group of consecutive batches that retention deletes as a unit. */
interface Segment {
  /** The log end offset when the segment was rolled (≤ its first batch's base offset). */
  readonly baseOffset: number;
  readonly createdAt: number;
  readonly batches: Uint8Array[];
  readonly bases: number[];
  readonly lasts: number[];
  readonly maxTimestamps: number[];
  sizeBytes: number;
  maxTimestamp: number;
}

/** Index of the first element of `sorted` that is ≥ `value` (sorted.length when none). */
function lowerBound(sorted: readonly number[], value: number, from = 0): number {
  let lo = from;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Decides whether to keep a caller's array or copy it. A batch that fills at least half
 * of its underlying buffer is kept as is (no copy on the hot path); a small view into a
 * large buffer, such as one batch of a big Produce frame or a slice of Node's 8 KiB
 * Buffer pool, is copied so the log does not pin memory it does not hold.
 */
function own(batch: Uint8Array, mode: CopyOnAppend): Uint8Array {
  if (mode === 'never') return batch;
  if (mode === 'auto' && batch.byteLength * 2 >= batch.buffer.byteLength) return batch;
  return batch.slice();
}

/** Mutable state of one partition; survives `close()` of the storage for reuse. */
export class MemoryLogState {
  readonly segments: Segment[] = [];
  start = 0;
  end = 0;
  size = 0;
  settings: MemoryLogSettings;

  constructor(settings: MemoryLogSettings) {
    this.settings = settings;
  }
}

/** The PartitionLog view over a {@link MemoryLogState}; unusable after `close()`. */
export class MemoryPartitionLog implements PartitionLog {
  readonly topic: string;
  readonly partition: number;
  readonly recovery: readonly RecoveryEvent[] = Object.freeze([]);
  readonly #state: MemoryLogState;
  #closed = false;

  constructor(topic: string, partition: number, state: MemoryLogState) {
    this.topic = topic;
    this.partition = partition;
    this.#state = state;
  }

  /** True once the log (or its storage) was closed or the partition deleted. */
  get closed(): boolean {
    return this.#closed;
  }

  startOffset(): number {
    return this.#state.start;
  }

  endOffset(): number {
    return this.#state.end;
  }

  sizeBytes(): number {
    return this.#state.size;
  }

  async append(batch: Uint8Array, info: BatchInfo, options?: AppendOptions): Promise<void> {
    this.appendSync(batch, info, options);
  }

  appendSync(batch: Uint8Array, info: BatchInfo, _options?: AppendOptions): void {
    const s = this.#state;
    const bytes = own(batch, s.settings.copyOnAppend);
    let seg = s.segments.at(-1);
    const now = s.settings.now();
    if (!seg || (seg.batches.length > 0 && (seg.sizeBytes + bytes.byteLength > s.settings.segmentBytes || now - seg.createdAt >= s.settings.segmentMs))) {
      seg = { baseOffset: s.end, createdAt: now, batches: [], bases: [], lasts: [], maxTimestamps: [], sizeBytes: 0, maxTimestamp: -1 };
      s.segments.push(seg);
    }
    seg.batches.push(bytes);
    seg.bases.push(info.baseOffset);
    seg.lasts.push(info.lastOffset);
    seg.maxTimestamps.push(info.maxTimestamp);
    seg.sizeBytes += bytes.byteLength;
    if (info.maxTimestamp > seg.maxTimestamp) seg.maxTimestamp = info.maxTimestamp;
    s.size += bytes.byteLength;
    s.end = info.lastOffset + 1;
  }

  async read(offset: number, maxBytes: number, options?: ReadOptions): Promise<ReadResult> {
    const s = this.#state;
    const minOne = options?.minOneBatch !== false;
    const segs = s.segments;
    // The segment holding the first batch whose last offset is ≥ offset.
    let lo = 0;
    let hi = segs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const seg = segs[mid]!;
      if (seg.lasts.length === 0 || seg.lasts[seg.lasts.length - 1]! < offset) lo = mid + 1;
      else hi = mid;
    }
    const chunks: Uint8Array[] = [];
    let bytes = 0;
    let i = lo < segs.length ? lowerBound(segs[lo]!.lasts, offset) : 0;
    for (let k = lo; k < segs.length; k++, i = 0) {
      const seg = segs[k]!;
      for (; i < seg.batches.length; i++) {
        const b = seg.batches[i]!;
        if (bytes + b.byteLength > maxBytes && !(minOne && chunks.length === 0)) return { chunks, bytes };
        chunks.push(b);
        bytes += b.byteLength;
      }
    }
    return { chunks, bytes };
  }

  async truncateTo(offset: number): Promise<void> {
    const s = this.#state;
    const segs = s.segments;
    // Where the dropped data began: a batch straddling `offset` goes whole, so the log
    // must end at that batch's base rather than claim offsets it no longer holds.
    let droppedFrom = offset;
    while (segs.length > 0) {
      const seg = segs.at(-1)!;
      const keep = lowerBound(seg.lasts, offset);
      if (keep < seg.batches.length) droppedFrom = Math.min(droppedFrom, seg.bases[keep]!);
      if (keep === 0) {
        s.size -= seg.sizeBytes;
        segs.pop();
        if (seg.baseOffset < offset) break;
        continue;
      }
      for (let i = keep; i < seg.batches.length; i++) s.size -= seg.batches[i]!.byteLength;
      seg.batches.length = keep;
      seg.bases.length = keep;
      seg.lasts.length = keep;
      seg.maxTimestamps.length = keep;
      seg.sizeBytes = seg.batches.reduce((n, b) => n + b.byteLength, 0);
      seg.maxTimestamp = seg.maxTimestamps.reduce((m, t) => (t > m ? t : m), -1);
      break;
    }
    s.end = Math.max(s.start, droppedFrom);
  }

  async trimBefore(offset: number): Promise<number> {
    const s = this.#state;
    const segs = s.segments;
    let drop = 0;
    while (drop < segs.length) {
      const seg = segs[drop]!;
      const next = seg.lasts.length > 0 ? seg.lasts[seg.lasts.length - 1]! + 1 : seg.baseOffset;
      if (next > offset) break;
      s.size -= seg.sizeBytes;
      drop++;
    }
    if (drop > 0) segs.splice(0, drop);
    // Kept segments keep their batches: the start rounds down to the segment boundary.
    const first = segs[0];
    s.start = Math.max(s.start, first ? Math.min(offset, first.baseOffset) : offset);
    return s.start;
  }

  async offsetForTimestamp(timestamp: number): Promise<number | null> {
    for (const seg of this.#state.segments) {
      if (seg.maxTimestamp < timestamp) continue;
      const i = seg.maxTimestamps.findIndex((t) => t >= timestamp);
      if (i >= 0) return Math.max(seg.bases[i]!, this.#state.start);
    }
    return null;
  }

  segments(): readonly SegmentInfo[] {
    return this.#state.segments.map((seg) => ({
      baseOffset: seg.baseOffset,
      nextOffset: seg.lasts.length > 0 ? seg.lasts[seg.lasts.length - 1]! + 1 : seg.baseOffset,
      maxTimestamp: seg.maxTimestamp,
      sizeBytes: seg.sizeBytes,
    }));
  }

  async sync(): Promise<void> {}

  async close(): Promise<void> {
    this.#closed = true;
  }
}
