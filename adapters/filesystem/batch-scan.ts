/**
 * Walks the batches stored in a segment file, checking each one's length, magic, offset
 * order and (optionally) CRC32C. Recovery uses it to find where the valid data ends;
 * index rebuilds use it to regenerate entries.
 */
import type { FileHandle } from 'node:fs/promises';
import { BATCH_HEADER_SIZE, BATCH_LOG_OVERHEAD, batchSizeAt, readBatchHeader, verifyBatchCrc } from '../../core/records/batch-header.ts';
import { readAt } from './file-io.ts';

/** What the scan learned about one valid batch. */
export interface ScannedBatch {
  readonly position: number;
  readonly size: number;
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly maxTimestamp: number;
}

/** Where a scan stopped: `end` is the first byte not covered by a valid batch. */
export interface ScanResult {
  readonly end: number;
  /** Why the scan stopped before the end of the file; undefined when the file was clean. */
  readonly problem?: string;
  /** Last offset of the last valid batch, or -1 when none was seen. */
  readonly lastOffset: number;
}

/** Options of {@link scanBatches}. */
export interface ScanOptions {
  /** Byte position to start at (a batch boundary). */
  readonly from: number;
  /** Bytes in the file. */
  readonly fileSize: number;
  /** Offset of the segment: every batch must start at or after it. */
  readonly baseOffset: number;
  /** Last offset seen before `from` (-1 when none): batches must go strictly above it. */
  readonly previousLastOffset: number;
  /** Verify each batch's CRC32C (reads every byte) or only its header. */
  readonly verifyCrc: boolean;
}

const CHUNK = 1 << 20;
/** Relative offsets are stored as int32 in the indexes. */
const MAX_RELATIVE = 0x7fffffff;

/** Scans batches from `options.from`, calling `visit` for each valid one, in order. */
export async function scanBatches(handle: FileHandle, options: ScanOptions, visit: (batch: ScannedBatch) => void): Promise<ScanResult> {
  const { fileSize, baseOffset } = options;
  let pos = options.from;
  let lastOffset = options.previousLastOffset;
  let chunk: Uint8Array = new Uint8Array(0);
  let chunkStart = pos;
  const stop = (problem: string): ScanResult => ({ end: pos, problem, lastOffset });
  while (pos < fileSize) {
    const remaining = fileSize - pos;
    if (remaining < BATCH_LOG_OVERHEAD) return stop(`${remaining} trailing bytes are too few for a batch`);
    // Refill when the 12-byte prefix or, without CRC, the header is not in the chunk.
    const need = options.verifyCrc ? BATCH_LOG_OVERHEAD : Math.min(BATCH_HEADER_SIZE, remaining);
    if (pos + need > chunkStart + chunk.length) {
      chunkStart = pos;
      chunk = await readAt(handle, pos, Math.min(CHUNK, remaining));
    }
    const size = batchSizeAt(chunk, pos - chunkStart);
    if (size < BATCH_HEADER_SIZE) return stop(`batch at byte ${pos} has an impossible length ${size}`);
    if (size > remaining) return stop(`batch at byte ${pos} claims ${size} bytes but only ${remaining} remain (torn write)`);
    const wantBytes = options.verifyCrc ? size : BATCH_HEADER_SIZE;
    if (pos + wantBytes > chunkStart + chunk.length) {
      chunkStart = pos;
      chunk = await readAt(handle, pos, Math.min(Math.max(CHUNK, size), remaining));
    }
    const at = pos - chunkStart;
    let header;
    try {
      // Without CRC checks only the header is in memory; give the reader a view that
      // claims the whole batch so that its length check does not fail on our account.
      header = readBatchHeader(options.verifyCrc ? chunk : headerView(chunk, at, size), options.verifyCrc ? at : 0);
      if (options.verifyCrc) verifyBatchCrc(chunk, at, header);
    } catch (error) {
      return stop(`batch at byte ${pos}: ${(error as Error).message}`);
    }
    const last = header.baseOffset + header.lastOffsetDelta;
    if (header.lastOffsetDelta < 0 || header.baseOffset < baseOffset || header.baseOffset <= lastOffset || last - baseOffset > MAX_RELATIVE) {
      return stop(`batch at byte ${pos} has offsets ${header.baseOffset}..${last} out of order (segment ${baseOffset}, previous ${lastOffset})`);
    }
    visit({ position: pos, size, baseOffset: header.baseOffset, lastOffset: last, maxTimestamp: header.maxTimestamp });
    lastOffset = last;
    pos += size;
  }
  return { end: pos, lastOffset };
}

/** A copy of just the header, padded so that its length field looks satisfied. */
function headerView(chunk: Uint8Array, at: number, size: number): Uint8Array {
  const out = new Uint8Array(Math.max(size, BATCH_HEADER_SIZE));
  out.set(chunk.subarray(at, at + BATCH_HEADER_SIZE));
  return out;
}
