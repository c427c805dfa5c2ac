/**
 * The sparse offset index of one segment, held in memory and mirrored in the segment's
 * `.index` file: entries of (offset relative to the segment base, byte position of the
 * batch that starts at that offset), 8 bytes each, big-endian, both strictly increasing.
 * One entry is added every `indexIntervalBytes` of appended data, so a lookup lands
 * within a few kilobytes of any batch.
 */

/** Size of one `.index` entry on disk. */
export const OFFSET_INDEX_ENTRY_SIZE = 8;

/** In-memory sparse offset index of one segment. */
export class OffsetIndex {
  /** Number of entries. */
  count = 0;
  private rel = new Int32Array(16);
  private pos = new Int32Array(16);

  /** Relative offset of entry `i`. */
  relativeOffsetAt(i: number): number {
    return this.rel[i]!;
  }

  /** Byte position of entry `i`. */
  positionAt(i: number): number {
    return this.pos[i]!;
  }

  /** Adds an entry at the end (callers keep both fields increasing). */
  append(relativeOffset: number, position: number): void {
    if (this.count === this.rel.length) {
      const rel = new Int32Array(this.rel.length * 2);
      const pos = new Int32Array(this.pos.length * 2);
      rel.set(this.rel);
      pos.set(this.pos);
      this.rel = rel;
      this.pos = pos;
    }
    this.rel[this.count] = relativeOffset;
    this.pos[this.count] = position;
    this.count++;
  }

  /** Index of the last entry whose relative offset is ≤ `relativeOffset`, or -1. */
  floor(relativeOffset: number): number {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.rel[mid]! <= relativeOffset) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** Keeps only the first `count` entries. */
  truncate(count: number): void {
    this.count = Math.min(this.count, Math.max(0, count));
  }

  /** Number of leading entries whose position is below `position`. */
  countBelowPosition(position: number): number {
    let n = 0;
    while (n < this.count && this.pos[n]! < position) n++;
    return n;
  }

  /** The on-disk form of the entries from `from` on (all by default). */
  encode(from = 0): Uint8Array {
    const out = new Uint8Array((this.count - from) * OFFSET_INDEX_ENTRY_SIZE);
    const dv = new DataView(out.buffer);
    for (let i = from; i < this.count; i++) {
      dv.setInt32((i - from) * 8, this.rel[i]!);
      dv.setInt32((i - from) * 8 + 4, this.pos[i]!);
    }
    return out;
  }

  /**
   * Parses an `.index` file and checks it against the log it describes: a whole number
   * of entries, both fields strictly increasing and non-negative, every position inside
   * the log. Returns the index, or a reason why it cannot be trusted.
   */
  static decode(bytes: Uint8Array, logSize: number): OffsetIndex | string {
    if (bytes.length % OFFSET_INDEX_ENTRY_SIZE !== 0) return `size ${bytes.length} is not a multiple of ${OFFSET_INDEX_ENTRY_SIZE}`;
    const index = new OffsetIndex();
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let prevRel = -1;
    let prevPos = -1;
    for (let at = 0; at < bytes.length; at += OFFSET_INDEX_ENTRY_SIZE) {
      const rel = dv.getInt32(at);
      const pos = dv.getInt32(at + 4);
      if (rel <= prevRel || pos <= prevPos) return `entry ${at / 8} does not increase`;
      if (pos >= logSize) return `entry ${at / 8} points at byte ${pos}, past the end of the log (${logSize})`;
      index.append(rel, pos);
      prevRel = rel;
      prevPos = pos;
    }
    return index;
  }
}
