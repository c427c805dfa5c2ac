/**
 * The sparse time index of one segment, held in memory and mirrored in the segment's
 * `.timeindex` file: entries of (largest batch timestamp so far, offset relative to the
 * segment base of the batch that reached it), 12 bytes each, big-endian, timestamps
 * strictly increasing. An entry (t, o) says that no batch up to offset o has a max
 * timestamp above t, which lets offsetForTimestamp skip everything before o.
 */

/** Size of one `.timeindex` entry on disk. */
export const TIME_INDEX_ENTRY_SIZE = 12;

/** In-memory sparse time index of one segment. */
export class TimeIndex {
  /** Number of entries. */
  count = 0;
  private ts = new Float64Array(16);
  private rel = new Int32Array(16);

  /** Timestamp of entry `i`. */
  timestampAt(i: number): number {
    return this.ts[i]!;
  }

  /** Relative offset of entry `i`. */
  relativeOffsetAt(i: number): number {
    return this.rel[i]!;
  }

  /** Timestamp of the last entry, or -Infinity when empty. */
  lastTimestamp(): number {
    return this.count === 0 ? -Infinity : this.ts[this.count - 1]!;
  }

  /** Adds an entry at the end when its timestamp is above the last one; true when added. */
  maybeAppend(timestamp: number, relativeOffset: number): boolean {
    if (timestamp <= this.lastTimestamp()) return false;
    if (this.count === this.ts.length) {
      const ts = new Float64Array(this.ts.length * 2);
      const rel = new Int32Array(this.rel.length * 2);
      ts.set(this.ts);
      rel.set(this.rel);
      this.ts = ts;
      this.rel = rel;
    }
    this.ts[this.count] = timestamp;
    this.rel[this.count] = relativeOffset;
    this.count++;
    return true;
  }

  /** Index of the last entry whose timestamp is < `timestamp`, or -1. */
  lastBelow(timestamp: number): number {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ts[mid]! < timestamp) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** Keeps only entries whose relative offset is below `relativeOffset`. */
  truncateToOffset(relativeOffset: number): void {
    while (this.count > 0 && this.rel[this.count - 1]! >= relativeOffset) this.count--;
  }

  /** The on-disk form of the entries from `from` on (all by default). */
  encode(from = 0): Uint8Array {
    const out = new Uint8Array((this.count - from) * TIME_INDEX_ENTRY_SIZE);
    const dv = new DataView(out.buffer);
    for (let i = from; i < this.count; i++) {
      writeInt64(dv, (i - from) * 12, this.ts[i]!);
      dv.setInt32((i - from) * 12 + 8, this.rel[i]!);
    }
    return out;
  }

  /**
   * Parses a `.timeindex` file: a whole number of entries, timestamps strictly
   * increasing, relative offsets non-decreasing and below `nextRelativeOffset` (one
   * past the segment's last offset). Returns the index or why it cannot be trusted.
   */
  static decode(bytes: Uint8Array, nextRelativeOffset: number): TimeIndex | string {
    if (bytes.length % TIME_INDEX_ENTRY_SIZE !== 0) return `size ${bytes.length} is not a multiple of ${TIME_INDEX_ENTRY_SIZE}`;
    const index = new TimeIndex();
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let prevRel = -1;
    for (let at = 0; at < bytes.length; at += TIME_INDEX_ENTRY_SIZE) {
      const ts = dv.getInt32(at) * 4294967296 + dv.getUint32(at + 4);
      const rel = dv.getInt32(at + 8);
      if (rel < prevRel || rel < 0) return `entry ${at / 12} goes backwards`;
      if (rel >= nextRelativeOffset) return `entry ${at / 12} points past the end of the segment`;
      if (!index.maybeAppend(ts, rel)) return `entry ${at / 12} timestamp does not increase`;
      prevRel = rel;
    }
    return index;
  }
}

function writeInt64(dv: DataView, pos: number, value: number): void {
  dv.setInt32(pos, Math.floor(value / 4294967296));
  dv.setUint32(pos + 4, value >>> 0);
}
