/**
 * Turns one partition's Fetch answer into batches of records at or after the fetch
 * position: stored chunks are walked in place, control batches and records before the
 * position are skipped, compressed batches are decompressed through the registry.
 */
import { BatchAttributes } from '../../records/batch-header.ts';
import { iterateBatches, trailingPartialBytes } from '../../records/batch-iterator.ts';
import type { DecodedRecord } from '../../records/record.ts';
import { type CodecSource, decodeBatch, decodeBatchSync } from '../../records/record-batch.ts';

/** Records of one stored batch that the application has not seen. */
export interface FetchedBatch {
  /** Records at or after the position at fetch time, in offset order (may be empty). */
  readonly records: DecodedRecord[];
  /** Offset after the batch (its last offset + 1): the next position once processed. */
  readonly nextOffset: number;
  /** Bytes the batch took in the answer (counts against the prefetch bound). */
  readonly bytes: number;
  /** The partition's high watermark when fetched. */
  readonly highWatermark: number;
}

function joinChunks(chunks: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** The records field as whole-batch buffers: chunks as they are unless a batch straddles two. */
export function recordBuffers(records: Uint8Array | readonly Uint8Array[] | null | undefined): readonly Uint8Array[] {
  if (!records) return [];
  if (records instanceof Uint8Array) return records.length === 0 ? [] : [records];
  if (records.length <= 1) return records;
  for (let i = 0; i < records.length - 1; i++) {
    if (trailingPartialBytes(records[i]!) !== 0) return [joinChunks(records)];
  }
  return records;
}

/**
 * Decodes the batches of a Fetch answer from `position` on; returns them and the offset
 * the next fetch starts at (past skipped control batches too).
 */
export async function decodeFetched(
  buffers: readonly Uint8Array[],
  position: number,
  highWatermark: number,
  registry: CodecSource,
): Promise<{ batches: FetchedBatch[]; nextOffset: number }> {
  const batches: FetchedBatch[] = [];
  let next = position;
  for (const buffer of buffers) {
    for (const slice of iterateBatches(buffer)) {
      const h = slice.header;
      const end = h.baseOffset + h.lastOffsetDelta + 1;
      if (end <= next) continue; // wholly before the position (the broker starts at the batch holding it)
      if (h.attributes & BatchAttributes.control) {
        next = end;
        continue;
      }
      const decoded = (h.attributes & BatchAttributes.compressionMask) === 0
        ? decodeBatchSync(buffer, slice.pos)
        : await decodeBatch(buffer, slice.pos, { registry });
      let records = decoded.records;
      if (records.length > 0 && records[0]!.offset < next) records = records.filter((r) => r.offset >= next);
      batches.push({ records, nextOffset: end, bytes: slice.bytes.length, highWatermark });
      next = end;
    }
  }
  return { batches, nextOffset: next };
}
