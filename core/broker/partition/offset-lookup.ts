/**
 * ListOffsets over one partition: earliest (-2), latest (-1), max timestamp (-3, v7+),
 * earliest local (-4, v8+: the same as earliest without tiered storage), latest tiered (-5,
 * v9+: none without tiered storage) and by timestamp.
 *
 * A timestamp lookup answers, as Kafka does, the first record whose timestamp reaches the
 * target and that record's timestamp: the log finds the first batch whose max timestamp
 * does, and that one batch is decoded (decompressed through the broker's codecs). When a
 * compressed batch cannot be opened (no codecs given) the answer is the batch's first
 * offset, which never skips a matching record.
 */
import { kafkaError, KafkaCode } from '../../errors.ts';
import { BatchAttributes, readBatchHeader } from '../../records/batch-header.ts';
import { type CodecSource, decodeBatch } from '../../records/record-batch.ts';
import { concat } from '../../protocol/writer.ts';
import type { Partition } from './partition.ts';

/** An offset and the timestamp found with it (-1 when none). */
export interface OffsetAndTimestamp {
  readonly offset: number;
  readonly timestamp: number;
}

const EARLIEST = -2;
const LATEST = -1;
const MAX_TIMESTAMP = -3;
const EARLIEST_LOCAL = -4;
const LATEST_TIERED = -5;

/** A read's chunks as one array (the chunk itself when there is one: no copy). */
function oneBuffer(chunks: readonly Uint8Array[]): Uint8Array {
  return chunks.length === 1 ? chunks[0]! : concat(chunks);
}

const NOT_FOUND = Object.freeze({ offset: -1, timestamp: -1 });

/**
 * The first record at or after `from` (inside the batch holding `from`) whose timestamp is
 * at least `target`: its offset and timestamp.
 */
async function firstRecordAt(state: Partition, from: number, target: number, codecs: CodecSource | undefined): Promise<OffsetAndTimestamp> {
  const result = await state.log.read(from, 1, { minOneBatch: true });
  if (result.bytes === 0) return NOT_FOUND;
  const bytes = oneBuffer(result.chunks);
  const header = readBatchHeader(bytes);
  const fallback = { offset: Math.max(from, header.baseOffset), timestamp: header.maxTimestamp };
  // Under LogAppendTime every record carries the batch's timestamp: the first one is the answer.
  if (header.attributes & BatchAttributes.timestampTypeLogAppend) return fallback;
  const compressed = (header.attributes & BatchAttributes.compressionMask) !== 0;
  if (compressed && !codecs) return fallback;
  try {
    const batch = await decodeBatch(bytes, 0, { registry: codecs, verifyCrc: false });
    const record = batch.records.find((r) => r.offset >= from && r.timestamp >= target);
    return record ? { offset: record.offset, timestamp: record.timestamp } : fallback;
  } catch {
    // A batch the broker cannot open (a codec it lacks) still bounds the answer.
    return fallback;
  }
}

/**
 * The first record with the largest timestamp below the high watermark: its offset and
 * timestamp (Kafka since KAFKA-16310 answers that record, not its batch's last offset).
 */
async function maxTimestampOffset(state: Partition, codecs: CodecSource | undefined): Promise<OffsetAndTimestamp> {
  const hw = state.highWatermark;
  let best = { base: -1, timestamp: -1 };
  const segments = state.log.segments().filter((s) => s.baseOffset < hw);
  let top = -1;
  for (const s of segments) if (s.maxTimestamp > top) top = s.maxTimestamp;
  const segment = segments.find((s) => s.maxTimestamp === top);
  if (!segment) return NOT_FOUND;
  const from = Math.max(segment.baseOffset, state.logStartOffset);
  const result = await state.read(from, segment.sizeBytes, true);
  const bytes = oneBuffer(result.chunks);
  for (let pos = 0; pos < bytes.length; ) {
    const header = readBatchHeader(bytes, pos);
    if (header.maxTimestamp > best.timestamp) best = { base: header.baseOffset, timestamp: header.maxTimestamp };
    pos += header.batchLength + 12;
  }
  if (best.base < 0) return NOT_FOUND;
  // Inside the batch: the first record at that timestamp (the batch's first one under LogAppendTime).
  return firstRecordAt(state, Math.max(best.base, state.logStartOffset), best.timestamp, codecs);
}

/**
 * The answer of ListOffsets for one partition: `timestamp` is a special one (-1 latest,
 * -2 earliest, -3 max timestamp from v7, -4 earliest local from v8, -5 latest tiered from
 * v9: -1, nothing is tiered) or a time to look up.
 * INVALID_REQUEST for a special timestamp the version does not know.
 */
export async function lookupOffset(state: Partition, timestamp: number, v: number, codecs: CodecSource | undefined): Promise<OffsetAndTimestamp> {
  switch (timestamp) {
    case LATEST:
      return { offset: state.highWatermark, timestamp: -1 };
    case EARLIEST:
      return { offset: state.logStartOffset, timestamp: -1 };
    case EARLIEST_LOCAL:
      if (v >= 8) return { offset: state.logStartOffset, timestamp: -1 };
      break;
    case MAX_TIMESTAMP:
      if (v >= 7) return maxTimestampOffset(state, codecs);
      break;
    case LATEST_TIERED:
      // Nothing is tiered: Kafka answers offset -1 when remote storage is off (UnifiedLog).
      if (v >= 9) return NOT_FOUND;
      break;
  }
  if (timestamp < 0) throw kafkaError(KafkaCode.INVALID_REQUEST, `Unsupported special timestamp ${timestamp} for ListOffsets v${v}`);
  const offset = await state.log.offsetForTimestamp(timestamp);
  if (offset === null || offset >= state.highWatermark) return NOT_FOUND;
  return firstRecordAt(state, Math.max(offset, state.logStartOffset), timestamp, codecs);
}

