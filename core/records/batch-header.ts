/**
 * The fixed 61-byte header of a Kafka RecordBatch (magic 2): field positions, a reader
 * that checks every bound, CRC verification, and the in-place base-offset rewrite that
 * the broker uses to assign offsets without re-encoding a batch.
 */
import { KafkaCode, TributaryError, kafkaError } from '../errors.ts';
import { crc32c } from './crc32c.ts';

/** Byte positions of the header fields, relative to the batch start. */
export const BatchField = Object.freeze({
  baseOffset: 0,
  batchLength: 8,
  partitionLeaderEpoch: 12,
  magic: 16,
  crc: 17,
  attributes: 21,
  lastOffsetDelta: 23,
  baseTimestamp: 27,
  maxTimestamp: 35,
  producerId: 43,
  producerEpoch: 51,
  baseSequence: 53,
  recordCount: 57,
} as const);

/** Size of the batch header; records start here. */
export const BATCH_HEADER_SIZE = 61;
/** Bytes before the batchLength-counted region (baseOffset + batchLength). */
export const BATCH_LOG_OVERHEAD = 12;
/** Attribute bits. */
export const BatchAttributes = Object.freeze({
  compressionMask: 0x07,
  timestampTypeLogAppend: 0x08,
  transactional: 0x10,
  control: 0x20,
  deleteHorizon: 0x40,
} as const);

/** The decoded header fields of one batch (int64 fields as numbers). */
export interface BatchHeader {
  baseOffset: number;
  /** Bytes after the batchLength field; the whole batch is `batchLength + 12`. */
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function int64(dv: DataView, pos: number): number {
  // hi * 2^32 + lo stays exact for every value up to 2^53, which covers offsets and timestamps.
  return dv.getInt32(pos) * 4294967296 + dv.getUint32(pos + 4);
}

/**
 * Size in bytes of the batch starting at `pos`, read from its length field, or -1 when
 * fewer than 12 bytes remain. Not validated: callers compare it with what they hold.
 */
export function batchSizeAt(bytes: Uint8Array, pos = 0): number {
  if (bytes.length - pos < BATCH_LOG_OVERHEAD) return -1;
  return view(bytes).getInt32(pos + BatchField.batchLength) + BATCH_LOG_OVERHEAD;
}

/**
 * Reads the header of the batch at `pos`. Throws `CORRUPT_MESSAGE` when the bytes are
 * too short for a header or the length field is smaller than a header or runs past the
 * end of `bytes`; `UNSUPPORTED_FOR_MESSAGE_FORMAT` when the magic byte is not 2;
 * `ERR_INVALID_ARGUMENT` when `bytes` is not a Uint8Array or `pos` not an index.
 */
export function readBatchHeader(bytes: Uint8Array, pos = 0): BatchHeader {
  if (!(bytes instanceof Uint8Array) || !Number.isSafeInteger(pos) || pos < 0) {
    throw new TributaryError('ERR_INVALID_ARGUMENT', `A RecordBatch is read from a Uint8Array at a non-negative integer position (got ${pos})`);
  }
  if (bytes.length - pos < BATCH_HEADER_SIZE) {
    throw kafkaError(KafkaCode.CORRUPT_MESSAGE, `RecordBatch header needs ${BATCH_HEADER_SIZE} bytes, ${Math.max(0, bytes.length - pos)} remain`);
  }
  const dv = view(bytes);
  const batchLength = dv.getInt32(pos + BatchField.batchLength);
  if (batchLength < BATCH_HEADER_SIZE - BATCH_LOG_OVERHEAD || batchLength > bytes.length - pos - BATCH_LOG_OVERHEAD) {
    throw kafkaError(KafkaCode.CORRUPT_MESSAGE, `RecordBatch length ${batchLength} is outside 49..${bytes.length - pos - BATCH_LOG_OVERHEAD}`);
  }
  const magic = dv.getInt8(pos + BatchField.magic);
  if (magic !== 2) {
    throw new TributaryError('UNSUPPORTED_FOR_MESSAGE_FORMAT', `RecordBatch magic ${magic} is not supported (only 2)`, { kafkaCode: KafkaCode.UNSUPPORTED_FOR_MESSAGE_FORMAT });
  }
  return {
    baseOffset: int64(dv, pos + BatchField.baseOffset),
    batchLength,
    partitionLeaderEpoch: dv.getInt32(pos + BatchField.partitionLeaderEpoch),
    magic,
    crc: dv.getUint32(pos + BatchField.crc),
    attributes: dv.getInt16(pos + BatchField.attributes),
    lastOffsetDelta: dv.getInt32(pos + BatchField.lastOffsetDelta),
    baseTimestamp: int64(dv, pos + BatchField.baseTimestamp),
    maxTimestamp: int64(dv, pos + BatchField.maxTimestamp),
    producerId: int64(dv, pos + BatchField.producerId),
    producerEpoch: dv.getInt16(pos + BatchField.producerEpoch),
    baseSequence: dv.getInt32(pos + BatchField.baseSequence),
    recordCount: dv.getInt32(pos + BatchField.recordCount),
  };
}

/** The CRC32C the batch at `pos` (of `size` bytes) should carry: attributes to end. */
export function computeBatchCrc(bytes: Uint8Array, pos: number, size: number): number {
  return crc32c(bytes, pos + BatchField.attributes, pos + size);
}

/** Throws `CORRUPT_MESSAGE` when the stored CRC of the batch with header `header` at `pos` is wrong. */
export function verifyBatchCrc(bytes: Uint8Array, pos: number, header: BatchHeader): void {
  const actual = computeBatchCrc(bytes, pos, header.batchLength + BATCH_LOG_OVERHEAD);
  if (actual !== header.crc) {
    throw kafkaError(KafkaCode.CORRUPT_MESSAGE, `RecordBatch CRC mismatch at base offset ${header.baseOffset}: stored ${header.crc}, computed ${actual}`);
  }
}

/**
 * Overwrites the base offset of the batch at `pos` in place. The CRC does not cover the
 * base offset, so the batch stays valid: this is how the broker assigns offsets.
 */
export function setBaseOffset(bytes: Uint8Array, baseOffset: number, pos = 0): void {
  const dv = view(bytes);
  dv.setInt32(pos, Math.floor(baseOffset / 4294967296));
  dv.setUint32(pos + 4, baseOffset >>> 0);
}

/**
 * Overwrites the partition leader epoch of the batch at `pos` in place (also outside
 * the CRC).
 */
export function setPartitionLeaderEpoch(bytes: Uint8Array, epoch: number, pos = 0): void {
  view(bytes).setInt32(pos + BatchField.partitionLeaderEpoch, epoch);
}

/**
 * Stamps log-append time on the batch at `pos` in place, as a broker does for a topic
 * with `message.timestamp.type=LogAppendTime`: sets the timestamp-type attribute bit and
 * the max timestamp, then re-computes the CRC (both fields lie inside it). Consumers
 * then report `timestamp` for every record of the batch.
 */
export function setLogAppendTime(bytes: Uint8Array, timestamp: number, pos = 0): void {
  const dv = view(bytes);
  const size = dv.getInt32(pos + BatchField.batchLength) + BATCH_LOG_OVERHEAD;
  dv.setInt16(pos + BatchField.attributes, dv.getInt16(pos + BatchField.attributes) | BatchAttributes.timestampTypeLogAppend);
  dv.setInt32(pos + BatchField.maxTimestamp, Math.floor(timestamp / 4294967296));
  dv.setUint32(pos + BatchField.maxTimestamp + 4, timestamp >>> 0);
  dv.setUint32(pos + BatchField.crc, computeBatchCrc(bytes, pos, size));
}
