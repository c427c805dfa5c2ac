/**
 * Walks batch headers in a segment, a window of bytes at a time, without reading the
 * batches themselves: how a read finds the batch that holds an offset after the sparse
 * index has brought it close, and how offsetForTimestamp finds its batch.
 */
import { BATCH_HEADER_SIZE, BatchField, batchSizeAt } from '../../core/records/batch-header.ts';
import type { Segment } from './segment.ts';

/** The header fields a walk needs. */
export interface WalkedBatch {
  readonly position: number;
  readonly size: number;
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly maxTimestamp: number;
}

/** Reads a big-endian int64 as a number (exact to 2^53). */
export function int64At(bytes: Uint8Array, pos: number): number {
  const dv = new DataView(bytes.buffer, bytes.byteOffset + pos, 8);
  return dv.getInt32(0) * 4294967296 + dv.getUint32(4);
}

/** Reads a big-endian int32. */
export function int32At(bytes: Uint8Array, pos: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset + pos, 4).getInt32(0);
}

/**
 * Checks the header of the batch at `pos` in `bytes` (whose byte 0 is at file position
 * `filePosition`) against the end of valid data `end`: returns why it is not a batch,
 * or undefined. Needs the whole 61-byte header in `bytes`.
 */
export function headerProblem(bytes: Uint8Array, pos: number, filePosition: number, end: number, previousLastOffset: number): string | undefined {
  const size = batchSizeAt(bytes, pos);
  if (size < BATCH_HEADER_SIZE) return `impossible batch length ${size}`;
  if (filePosition + pos + size > end) return `batch length ${size} runs past the end of the segment`;
  if (bytes[pos + BatchField.magic] !== 2) return `magic byte ${bytes[pos + BatchField.magic]} is not 2`;
  const base = int64At(bytes, pos);
  const delta = int32At(bytes, pos + BatchField.lastOffsetDelta);
  if (base <= previousLastOffset || delta < 0) return `offsets ${base}+${delta} do not follow ${previousLastOffset}`;
  return undefined;
}

/** Thrown by {@link walkHeaders} when a header is damaged. */
export class DamagedHeader extends Error {
  readonly position: number;
  constructor(position: number, reason: string) {
    super(`damaged batch header at byte ${position}: ${reason}`);
    this.position = position;
  }
}

/**
 * Calls `visit` for each batch header from byte `from` up to `end`, until it returns
 * true; returns the batch it stopped at, or undefined at `end`. Throws
 * {@link DamagedHeader} when a header does not make sense.
 */
export async function walkHeaders(segment: Segment, from: number, end: number, windowBytes: number, visit: (batch: WalkedBatch) => boolean): Promise<WalkedBatch | undefined> {
  let pos = from;
  let previousLast = -1;
  while (pos < end) {
    const window = await segment.read(pos, Math.min(windowBytes, end - pos));
    let p = 0;
    while (p + BATCH_HEADER_SIZE <= window.length) {
      const problem = headerProblem(window, p, pos, end, previousLast);
      if (problem !== undefined) throw new DamagedHeader(pos + p, problem);
      const size = batchSizeAt(window, p);
      const baseOffset = int64At(window, p);
      const batch = {
        position: pos + p,
        size,
        baseOffset,
        lastOffset: baseOffset + int32At(window, p + BatchField.lastOffsetDelta),
        maxTimestamp: int64At(window, p + BatchField.maxTimestamp),
      };
      if (visit(batch)) return batch;
      previousLast = batch.lastOffset;
      p += size;
    }
    // Not even one header fits: the data ends inside a header.
    if (p === 0) throw new DamagedHeader(pos, `${window.length} bytes are too few for a batch header`);
    pos += p;
  }
  return undefined;
}
