/**
 * The facts a Storage adapter needs about a batch (`BatchInfo`), read from the RecordBatch
 * v2 header: the core computes them once so that adapters never parse batches.
 */
import type { BatchInfo } from '../contracts/storage.ts';
import { KafkaCode, kafkaError } from '../errors.ts';
import { readBatchHeader } from '../records/batch-header.ts';

/**
 * Computes the {@link BatchInfo} of the batch at `pos` in `bytes` from its header.
 * Throws `CORRUPT_MESSAGE` when the header is short, its length runs past `bytes`, or
 * its last offset delta or record count is negative; `UNSUPPORTED_FOR_MESSAGE_FORMAT`
 * when the magic byte is not 2. The CRC is not checked here (the broker does that once).
 */
export function batchInfoOf(bytes: Uint8Array, pos = 0): BatchInfo {
  const h = readBatchHeader(bytes, pos);
  if (h.lastOffsetDelta < 0 || h.recordCount < 0) {
    throw kafkaError(KafkaCode.CORRUPT_MESSAGE, `RecordBatch at offset ${h.baseOffset} has lastOffsetDelta ${h.lastOffsetDelta} and recordCount ${h.recordCount}`);
  }
  return {
    baseOffset: h.baseOffset,
    lastOffset: h.baseOffset + h.lastOffsetDelta,
    maxTimestamp: h.maxTimestamp,
    recordCount: h.recordCount,
  };
}
