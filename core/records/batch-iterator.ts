/**
 * Walks a buffer that holds several concatenated batches — a Fetch response's records
 * field, or a read from a partition log — without copying.
 *
 * A broker may cut the last batch short when it hits the fetch size limit; Kafka's
 * clients skip such a trailing partial batch and fetch it again from its offset, so the
 * iterator stops there without an error. A complete batch with a bad header is still
 * `CORRUPT_MESSAGE`.
 */
import { BATCH_LOG_OVERHEAD, batchSizeAt, readBatchHeader, type BatchHeader } from './batch-header.ts';
import { decodeBatch, decodeBatchSync, type DecodeBatchOptions, type DecodedBatch } from './record-batch.ts';

/** One whole batch found in a buffer. */
export interface BatchSlice {
  /** Position of the batch in the buffer. */
  readonly pos: number;
  /** Its header (bounds and magic checked; CRC not yet). */
  readonly header: BatchHeader;
  /** A view of exactly the batch's bytes. */
  readonly bytes: Uint8Array;
}

/** The complete batches in `bytes`, in order; a truncated trailing batch is left out. */
export function* iterateBatches(bytes: Uint8Array): Generator<BatchSlice, void, undefined> {
  let pos = 0;
  for (;;) {
    // Fewer than 12 bytes, or a length running past the end: cut short by the broker.
    if (bytes.length - pos < BATCH_LOG_OVERHEAD) return;
    const size = batchSizeAt(bytes, pos);
    if (size > bytes.length - pos) return;
    const header = readBatchHeader(bytes, pos); // a complete but malformed batch throws here
    yield { pos, header, bytes: bytes.subarray(pos, pos + size) };
    pos += size;
  }
}

/** Bytes at the end of `bytes` that do not form a complete batch (0 when none). */
export function trailingPartialBytes(bytes: Uint8Array): number {
  let end = 0;
  for (const slice of iterateBatches(bytes)) end = slice.pos + slice.bytes.length;
  return bytes.length - end;
}

/** Decodes every complete uncompressed batch in `bytes` (see {@link decodeBatchSync}). */
export function decodeBatchesSync(bytes: Uint8Array, options?: DecodeBatchOptions): DecodedBatch[] {
  const out: DecodedBatch[] = [];
  for (const slice of iterateBatches(bytes)) out.push(decodeBatchSync(bytes, slice.pos, options));
  return out;
}

/** Decodes every complete batch in `bytes`, decompressing as needed (see {@link decodeBatch}). */
export async function decodeBatches(bytes: Uint8Array, options?: DecodeBatchOptions): Promise<DecodedBatch[]> {
  const out: DecodedBatch[] = [];
  for (const slice of iterateBatches(bytes)) out.push(await decodeBatch(bytes, slice.pos, options));
  return out;
}
