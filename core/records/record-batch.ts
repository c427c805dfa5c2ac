/**
 * Encode and decode Kafka RecordBatch v2 (magic 2), every header field included.
 *
 * Uncompressed batches have a synchronous fast path (`encodeBatchSync`,
 * `decodeBatchSync`): sizes are computed first and the output is one allocation;
 * decoded keys and values are views into the input. Compressed batches go through the
 * Compressor that the registry holds for the codec id, which is asynchronous
 * (`encodeBatch`, `decodeBatch` handle both cases).
 *
 * Layout (big-endian): baseOffset int64 | batchLength int32 | partitionLeaderEpoch
 * int32 | magic int8 | crc uint32 | attributes int16 | lastOffsetDelta int32 |
 * baseTimestamp int64 | maxTimestamp int64 | producerId int64 | producerEpoch int16 |
 * baseSequence int32 | recordCount int32 | records. The CRC32C covers attributes to end.
 */
import type { Compressor } from '../contracts/compressor.ts';
import { KafkaCode, TributaryError, kafkaError } from '../errors.ts';
import {
  BATCH_HEADER_SIZE,
  BATCH_LOG_OVERHEAD,
  BatchAttributes,
  BatchField,
  computeBatchCrc,
  readBatchHeader,
  verifyBatchCrc,
  type BatchHeader,
} from './batch-header.ts';
import type { ByteWriter } from './byte-writer.ts';
import { measureRecords, readRecords, writeRecords } from './record-codec.ts';
import type { DecodedRecord, RecordInput } from './record.ts';
import { writeInt16BE, writeInt32BE, writeInt64BE } from './varint.ts';

/** How the timestamps of a batch were set: by the producer, or by the broker on append. */
export type TimestampType = 'create-time' | 'log-append-time';

/** What finds a Compressor by Kafka codec id; a `Registry` is one. */
export interface CodecSource {
  compressorForCodec(codec: number): Compressor;
}

/** Everything needed to encode one batch. Only `records` is required. */
export interface BatchInput {
  /** The records, in offset order. */
  readonly records: readonly RecordInput[];
  /** Offset of the first record (default 0; the broker rewrites it on append). */
  readonly baseOffset?: number;
  /** Leader epoch stamped by the broker (default -1, as producers send). */
  readonly partitionLeaderEpoch?: number;
  /** Kafka codec id: 0 none (default), 1 gzip, 2 snappy, 3 lz4, 4 zstd. */
  readonly compression?: number;
  /** Default `create-time`. */
  readonly timestampType?: TimestampType;
  /** Part of a transaction (default false). */
  readonly transactional?: boolean;
  /** Holds control records — transaction markers (default false). */
  readonly control?: boolean;
  /** Producer id for idempotence/transactions (default -1: none). */
  readonly producerId?: number;
  /** Producer epoch (default -1). */
  readonly producerEpoch?: number;
  /** Sequence of the first record (default -1: none). */
  readonly baseSequence?: number;
  /** Default: the first record's timestamp (-1 for an empty batch). */
  readonly baseTimestamp?: number;
  /** Default: the largest record timestamp (-1 for an empty batch). */
  readonly maxTimestamp?: number;
  /** Default: the last record's offset delta (0 for an empty batch). */
  readonly lastOffsetDelta?: number;
  /** Timestamp for records that have none (default `Date.now()`, read once per batch). */
  readonly now?: number;
}

/** A decoded batch: its header fields, its attributes spelled out, and its records. */
export interface DecodedBatch extends BatchHeader {
  /** Codec id from the attributes (0 none … 4 zstd). */
  readonly compression: number;
  readonly timestampType: TimestampType;
  readonly transactional: boolean;
  /** A control batch holds transaction markers, not application records; consumers skip it. */
  readonly control: boolean;
  /** Bytes the batch takes in its buffer (`batchLength + 12`). */
  readonly sizeInBytes: number;
  readonly records: DecodedRecord[];
}

/** Options for decoding. */
export interface DecodeBatchOptions {
  /** Where compressed batches find their Compressor (required for compressed batches). */
  readonly registry?: CodecSource;
  /** Check the CRC32C (default true; a broker that already checked may skip it). */
  readonly verifyCrc?: boolean;
}

/** Largest encoded batch: its length field is an int32. */
const MAX_BATCH_BYTES = 0x7fffffff;

interface Layout {
  readonly now: number;
  readonly baseTimestamp: number;
  readonly maxTimestamp: number;
  readonly lastOffsetDelta: number;
  readonly attributes: number;
}

function checkInt(value: number | undefined, field: string, min: number, max: number): void {
  if (value === undefined) return;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new TributaryError('ERR_INVALID_ARGUMENT', `Batch field ${field} must be an integer in ${min}..${max}, got ${value}`, { details: { field, value } });
  }
}

function layoutOf(input: BatchInput, codec: number): Layout {
  const records = input?.records;
  if (!Array.isArray(records)) throw new TributaryError('ERR_INVALID_RECORD', 'A batch needs a records array');
  if ((codec | 0) !== codec || codec < 0 || codec > BatchAttributes.compressionMask) {
    throw new TributaryError('ERR_UNKNOWN_CODEC', `Compression codec ${codec} is not a codec id`, { details: { codec } });
  }
  checkInt(input.baseOffset, 'baseOffset', 0, Number.MAX_SAFE_INTEGER);
  checkInt(input.partitionLeaderEpoch, 'partitionLeaderEpoch', -1, 0x7fffffff);
  checkInt(input.producerId, 'producerId', -1, Number.MAX_SAFE_INTEGER);
  checkInt(input.producerEpoch, 'producerEpoch', -1, 0x7fff);
  checkInt(input.baseSequence, 'baseSequence', -1, 0x7fffffff);
  checkInt(input.lastOffsetDelta, 'lastOffsetDelta', 0, 0x7fffffff);
  // Timestamps are int64 on the wire but JS numbers here: past 2^53 they would be
  // written rounded, and a fraction would be cut silently.
  checkInt(input.baseTimestamp, 'baseTimestamp', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  checkInt(input.maxTimestamp, 'maxTimestamp', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  checkInt(input.now, 'now', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  const now = input.now ?? Date.now();
  const n = records.length;
  let baseTimestamp = -1;
  let maxTimestamp = -1;
  if (n > 0) {
    let max = -Infinity;
    for (let i = 0; i < n; i++) {
      const r = records[i];
      // The one pass over the records before measuring: it also rejects holes and non-objects.
      if (typeof r !== 'object' || r === null) throw new TributaryError('ERR_INVALID_RECORD', `Record ${i} is not an object`, { details: { index: i } });
      const t = r.timestamp ?? now;
      if (!Number.isSafeInteger(t)) {
        throw new TributaryError('ERR_INVALID_ARGUMENT', `Record ${i}: timestamp must be a safe integer, got ${t}`, { details: { index: i } });
      }
      if (t > max) max = t;
    }
    baseTimestamp = records[0]!.timestamp ?? now;
    maxTimestamp = max;
  }
  baseTimestamp = input.baseTimestamp ?? baseTimestamp;
  maxTimestamp = input.maxTimestamp ?? maxTimestamp;
  const lastOffsetDelta = input.lastOffsetDelta ?? (n === 0 ? 0 : (records[n - 1]!.offsetDelta ?? n - 1));
  const attributes =
    codec |
    (input.timestampType === 'log-append-time' ? BatchAttributes.timestampTypeLogAppend : 0) |
    (input.transactional ? BatchAttributes.transactional : 0) |
    (input.control ? BatchAttributes.control : 0);
  return { now, baseTimestamp, maxTimestamp, lastOffsetDelta, attributes };
}

function checkSize(bytes: number): void {
  if (bytes > MAX_BATCH_BYTES) throw kafkaError(KafkaCode.MESSAGE_TOO_LARGE, `A batch of ${bytes} bytes exceeds the int32 length field`);
}

/** Fills the 61-byte header of the batch of `size` bytes at `pos` and stamps the CRC. */
function finishBatch(out: Uint8Array, pos: number, size: number, input: BatchInput, layout: Layout, recordCount: number): void {
  writeInt64BE(out, pos + BatchField.baseOffset, input.baseOffset ?? 0);
  writeInt32BE(out, pos + BatchField.batchLength, size - BATCH_LOG_OVERHEAD);
  writeInt32BE(out, pos + BatchField.partitionLeaderEpoch, input.partitionLeaderEpoch ?? -1);
  out[pos + BatchField.magic] = 2;
  writeInt16BE(out, pos + BatchField.attributes, layout.attributes);
  writeInt32BE(out, pos + BatchField.lastOffsetDelta, layout.lastOffsetDelta);
  writeInt64BE(out, pos + BatchField.baseTimestamp, layout.baseTimestamp);
  writeInt64BE(out, pos + BatchField.maxTimestamp, layout.maxTimestamp);
  writeInt64BE(out, pos + BatchField.producerId, input.producerId ?? -1);
  writeInt16BE(out, pos + BatchField.producerEpoch, input.producerEpoch ?? -1);
  writeInt32BE(out, pos + BatchField.baseSequence, input.baseSequence ?? -1);
  writeInt32BE(out, pos + BatchField.recordCount, recordCount);
  writeInt32BE(out, pos + BatchField.crc, computeBatchCrc(out, pos, size));
}

function uncompressedLayout(input: BatchInput): Layout {
  const codec = input?.compression ?? 0;
  if (codec !== 0) {
    throw new TributaryError('ERR_COMPRESSED_BATCH', `Codec ${codec} compresses asynchronously: use encodeBatch`, { details: { codec } });
  }
  return layoutOf(input, 0);
}

/**
 * Encodes an uncompressed batch in one allocation. Throws `ERR_COMPRESSED_BATCH` when
 * `input.compression` asks for a codec (use {@link encodeBatch}), `ERR_INVALID_RECORD`
 * for malformed records, `ERR_INVALID_ARGUMENT` for a timestamp that is not a safe integer.
 */
export function encodeBatchSync(input: BatchInput): Uint8Array {
  const layout = uncompressedLayout(input);
  const records = input.records;
  const size = BATCH_HEADER_SIZE + measureRecords(records, layout.baseTimestamp, layout.now);
  checkSize(size);
  const out = new Uint8Array(size);
  writeRecords(out, BATCH_HEADER_SIZE, records, layout.baseTimestamp, layout.now);
  finishBatch(out, 0, size, input, layout, records.length);
  return out;
}

/**
 * Encodes an uncompressed batch at the end of `writer` (a request being built, say),
 * growing it at most once; returns the batch's size in bytes. This skips the zero-filled
 * allocation and the copy that `encodeBatchSync` followed by `writeBytes` would cost.
 * Errors as {@link encodeBatchSync}.
 */
export function writeBatch(writer: ByteWriter, input: BatchInput): number {
  const layout = uncompressedLayout(input);
  const records = input.records;
  const size = BATCH_HEADER_SIZE + measureRecords(records, layout.baseTimestamp, layout.now);
  checkSize(size);
  const pos = writer.pos;
  const out = writer.ensure(size);
  writeRecords(out, pos + BATCH_HEADER_SIZE, records, layout.baseTimestamp, layout.now);
  finishBatch(out, pos, size, input, layout, records.length);
  writer.pos = pos + size;
  return size;
}

/**
 * Encodes a batch, compressing its records section with the registry's Compressor for
 * `input.compression` when that is not 0. Uncompressed batches take the sync path.
 */
export async function encodeBatch(input: BatchInput, registry?: CodecSource): Promise<Uint8Array> {
  const codec = input?.compression ?? 0;
  if (codec === 0) return encodeBatchSync(input);
  const layout = layoutOf(input, codec);
  const compressor = compressorFor(registry, codec);
  const records = input.records;
  // Measure and write back to back, before any await, so the shared size scratch holds.
  const plain = new Uint8Array(measureRecords(records, layout.baseTimestamp, layout.now));
  writeRecords(plain, 0, records, layout.baseTimestamp, layout.now);
  const compressed = await compressor.compress(plain);
  checkSize(BATCH_HEADER_SIZE + compressed.length);
  const out = new Uint8Array(BATCH_HEADER_SIZE + compressed.length);
  out.set(compressed, BATCH_HEADER_SIZE);
  finishBatch(out, 0, out.length, input, layout, records.length);
  return out;
}

function compressorFor(registry: CodecSource | undefined, codec: number): Compressor {
  if (!registry) {
    throw new TributaryError('ERR_UNKNOWN_CODEC', `Codec ${codec} needs a registry that holds its compressor`, { details: { codec } });
  }
  return registry.compressorForCodec(codec);
}

function decodedBatch(header: BatchHeader, records: DecodedRecord[]): DecodedBatch {
  const a = header.attributes;
  return {
    ...header,
    compression: a & BatchAttributes.compressionMask,
    timestampType: a & BatchAttributes.timestampTypeLogAppend ? 'log-append-time' : 'create-time',
    transactional: (a & BatchAttributes.transactional) !== 0,
    control: (a & BatchAttributes.control) !== 0,
    sizeInBytes: header.batchLength + BATCH_LOG_OVERHEAD,
    records,
  };
}

function contextOf(header: BatchHeader) {
  return {
    baseOffset: header.baseOffset,
    baseTimestamp: header.baseTimestamp,
    logAppendTimestamp: header.attributes & BatchAttributes.timestampTypeLogAppend ? header.maxTimestamp : null,
    baseSequence: header.baseSequence,
  };
}

function headerAt(bytes: Uint8Array, pos: number, options: DecodeBatchOptions | undefined): BatchHeader {
  const header = readBatchHeader(bytes, pos);
  if (options?.verifyCrc !== false) verifyBatchCrc(bytes, pos, header);
  return header;
}

/**
 * Decodes the uncompressed batch at `pos`. Throws `CORRUPT_MESSAGE` for any bound
 * violation or a bad CRC, `UNSUPPORTED_FOR_MESSAGE_FORMAT` for a magic other than 2,
 * and `ERR_COMPRESSED_BATCH` for a compressed batch (use {@link decodeBatch}).
 */
export function decodeBatchSync(bytes: Uint8Array, pos = 0, options?: DecodeBatchOptions): DecodedBatch {
  const header = headerAt(bytes, pos, options);
  const codec = header.attributes & BatchAttributes.compressionMask;
  if (codec !== 0) {
    throw new TributaryError('ERR_COMPRESSED_BATCH', `Codec ${codec} decompresses asynchronously: use decodeBatch`, { details: { codec } });
  }
  const end = pos + header.batchLength + BATCH_LOG_OVERHEAD;
  return decodedBatch(header, readRecords(bytes, pos + BATCH_HEADER_SIZE, end, header.recordCount, contextOf(header)));
}

/**
 * Decodes the batch at `pos`, decompressing through `options.registry` when the batch is
 * compressed. Errors as {@link decodeBatchSync}; a decompression failure that is not
 * already a TributaryError becomes `CORRUPT_MESSAGE`.
 */
export async function decodeBatch(bytes: Uint8Array, pos = 0, options?: DecodeBatchOptions): Promise<DecodedBatch> {
  const header = headerAt(bytes, pos, options);
  const codec = header.attributes & BatchAttributes.compressionMask;
  const end = pos + header.batchLength + BATCH_LOG_OVERHEAD;
  if (codec === 0) {
    return decodedBatch(header, readRecords(bytes, pos + BATCH_HEADER_SIZE, end, header.recordCount, contextOf(header)));
  }
  if (header.recordCount < 0) throw kafkaError(KafkaCode.CORRUPT_MESSAGE, `Negative record count ${header.recordCount}`);
  if (header.recordCount === 0 && end === pos + BATCH_HEADER_SIZE) return decodedBatch(header, []);
  const compressor = compressorFor(options?.registry, codec);
  let plain: Uint8Array;
  try {
    plain = await compressor.decompress(bytes.subarray(pos + BATCH_HEADER_SIZE, end));
  } catch (error) {
    if (error instanceof TributaryError) throw error;
    throw kafkaError(KafkaCode.CORRUPT_MESSAGE, `Codec ${codec} could not decompress the batch at base offset ${header.baseOffset}`, { cause: error });
  }
  return decodedBatch(header, readRecords(plain, 0, plain.length, header.recordCount, contextOf(header)));
}
