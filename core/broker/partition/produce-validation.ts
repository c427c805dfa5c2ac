/**
 * Checks the record batches of one partition in a Produce request and prepares them for
 * the log in place: base offset, leader epoch and, under LogAppendTime, the broker's
 * timestamp (which sits inside the CRC, so the CRC is recomputed).
 *
 * Nothing here decodes records: the header, the length and the CRC are enough to know
 * that the bytes are a sound batch, and the bytes are stored as they came.
 */
import type { BatchInfo } from '../../contracts/storage.ts';
import { TributaryError, kafkaError, KafkaCode } from '../../errors.ts';
import {
  BATCH_HEADER_SIZE,
  BATCH_LOG_OVERHEAD,
  BatchAttributes,
  BatchField,
  type BatchHeader,
  computeBatchCrc,
  readBatchHeader,
  setBaseOffset,
  setPartitionLeaderEpoch,
  verifyBatchCrc,
} from '../../records/batch-header.ts';

/** One batch found in a Produce request's records. */
export interface IncomingBatch {
  /** Byte position of the batch in the records. */
  readonly pos: number;
  /** Total size in bytes (length field + 12). */
  readonly size: number;
  readonly header: BatchHeader;
}

/** Limits and facts the checks need. */
export interface ProduceCheck {
  /** The topic's max.message.bytes: the largest batch accepted. */
  readonly maxMessageBytes: number;
  /** The topic's segment.bytes: a request's records may not exceed it (as Kafka). */
  readonly segmentBytes: number;
  /** The Produce request version (zstd needs v7+). */
  readonly apiVersion: number;
}

/**
 * Splits `records` into batches and checks each: magic 2, a length that fits, the CRC,
 * at least one record with a consistent offset delta, a known codec, and the size limits.
 * Kafka also requires exactly one batch per partition from Produce v3; several
 * consecutive batches are accepted here (each is checked and stored whole), a superset
 * no client relies on either way.
 * Throws a coded Kafka error for the first problem; the whole partition is then rejected
 * (as Kafka does), so nothing of a bad request is stored.
 */
export function checkBatches(records: Uint8Array | null, check: ProduceCheck): IncomingBatch[] {
  if (records === null || records.length === 0) throw kafkaError(KafkaCode.INVALID_RECORD, 'Produce request has no record batches for this partition');
  if (records.length > check.segmentBytes) {
    throw kafkaError(KafkaCode.RECORD_LIST_TOO_LARGE, `Records of ${records.length} bytes exceed segment.bytes ${check.segmentBytes}`);
  }
  const batches: IncomingBatch[] = [];
  let pos = 0;
  while (pos < records.length) {
    if (records.length - pos < BATCH_HEADER_SIZE) {
      throw kafkaError(KafkaCode.CORRUPT_MESSAGE, `Trailing ${records.length - pos} bytes are too short for a record batch`);
    }
    // Kafka refuses older message formats in Produce v3+ as INVALID_RECORD, before any other check.
    const magic = records[pos + BatchField.magic];
    if (magic !== 2) throw kafkaError(KafkaCode.INVALID_RECORD, `Produce v3+ carries record batches of magic 2 only, found magic ${magic}`);
    const header = readBatchHeader(records, pos);
    const size = header.batchLength + BATCH_LOG_OVERHEAD;
    if (size > check.maxMessageBytes) {
      throw kafkaError(KafkaCode.MESSAGE_TOO_LARGE, `Record batch of ${size} bytes exceeds max.message.bytes ${check.maxMessageBytes}`);
    }
    verifyBatchCrc(records, pos, header);
    if (header.recordCount <= 0 || header.lastOffsetDelta !== header.recordCount - 1) {
      throw kafkaError(KafkaCode.INVALID_RECORD, `Record batch declares ${header.recordCount} records with last offset delta ${header.lastOffsetDelta}`);
    }
    const codec = header.attributes & BatchAttributes.compressionMask;
    if (codec > 4) throw kafkaError(KafkaCode.UNSUPPORTED_COMPRESSION_TYPE, `Unknown compression codec ${codec}`);
    if (codec === 4 && check.apiVersion < 7) throw kafkaError(KafkaCode.UNSUPPORTED_COMPRESSION_TYPE, 'zstd needs Produce v7 or later');
    if (header.attributes & BatchAttributes.control) throw kafkaError(KafkaCode.INVALID_RECORD, 'Producers may not send control batches');
    batches.push({ pos, size, header });
    pos += size;
  }
  return batches;
}

/** What {@link stampBatch} changes. */
export interface Stamp {
  readonly baseOffset: number;
  readonly leaderEpoch: number;
  /** The broker time to write under LogAppendTime, or undefined to keep CreateTime. */
  readonly logAppendTime?: number | undefined;
}

function setInt64(dv: DataView, pos: number, value: number): void {
  dv.setInt32(pos, Math.floor(value / 4294967296));
  dv.setUint32(pos + 4, value >>> 0);
}

/**
 * Rewrites one checked batch in place for the log and returns its storage facts. The base
 * offset and leader epoch are outside the CRC; the LogAppendTime timestamp and the
 * timestamp-type bit are inside it, so only then is the CRC recomputed.
 */
export function stampBatch(records: Uint8Array, batch: IncomingBatch, stamp: Stamp): BatchInfo {
  setBaseOffset(records, stamp.baseOffset, batch.pos);
  setPartitionLeaderEpoch(records, stamp.leaderEpoch, batch.pos);
  let maxTimestamp = batch.header.maxTimestamp;
  if (stamp.logAppendTime !== undefined) {
    const dv = new DataView(records.buffer, records.byteOffset, records.byteLength);
    maxTimestamp = stamp.logAppendTime;
    setInt64(dv, batch.pos + BatchField.maxTimestamp, maxTimestamp);
    dv.setInt16(batch.pos + BatchField.attributes, batch.header.attributes | BatchAttributes.timestampTypeLogAppend);
    dv.setUint32(batch.pos + BatchField.crc, computeBatchCrc(records, batch.pos, batch.size));
  }
  return {
    baseOffset: stamp.baseOffset,
    lastOffset: stamp.baseOffset + batch.header.lastOffsetDelta,
    maxTimestamp,
    recordCount: batch.header.recordCount,
  };
}

/** The Kafka error number for an error thrown while checking or appending. */
export function kafkaCodeOf(error: unknown): number {
  if (error instanceof TributaryError && error.kafkaCode !== undefined) return error.kafkaCode;
  if (error instanceof TributaryError && error.code === 'ERR_OFFSET_ORDER') return 2;
  return -1;
}
