/**
 * The records section of a RecordBatch v2: the hot loops of encode and decode.
 *
 * Encoding is two passes: `measureRecords` computes every record's size (kept in a
 * module-level scratch array, reused across calls), the caller allocates the output
 * once, then `writeRecords` fills it. Both passes run synchronously back to back, so
 * the shared scratch is never seen by two batches at once.
 *
 * Decoding (`readRecords`) trusts no length: each record is read inside its declared
 * length, which must lie inside the section, and must be consumed exactly; the record
 * count must match the records present.
 *
 * Record layout: length varint | attributes int8 | timestampDelta varlong |
 * offsetDelta varint | key (varint length, -1 = null) | value (same) |
 * header count varint | [key (varint length + UTF-8) | value (varint length, -1 = null)].
 */
import { KafkaCode, TributaryError, kafkaError } from '../errors.ts';
import { ByteReader } from './byte-reader.ts';
import { NO_HEADERS, type DecodedRecord, type RecordHeader, type RecordInput } from './record.ts';
import { utf8Length, writeUtf8 } from './utf8.ts';
import { sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from './varint.ts';

// Body size of each record, and the UTF-8 length of each header key in record order.
let recordSizes = new Int32Array(1024);
let headerKeySizes = new Int32Array(256);

/** Smallest possible record on the wire: seven one-byte fields. */
const MIN_RECORD_BYTES = 7;
/** Smallest possible header: a key length and a value length. */
const MIN_HEADER_BYTES = 2;

function invalid(message: string, index: number): TributaryError {
  return new TributaryError('ERR_INVALID_RECORD', message, { details: { index } });
}

function sizeOfNullableBytes(bytes: Uint8Array | null | undefined, what: string, index: number): number {
  if (bytes == null) return 1;
  if (!(bytes instanceof Uint8Array)) throw invalid(`Record ${index}: ${what} must be a Uint8Array or null`, index);
  const n = bytes.length;
  return sizeOfVarint(n) + n;
}

/**
 * Size in bytes of the records section for `records`, with timestamps taken relative to
 * `baseTimestamp` and `now` used for records without one. Validates the input
 * (`ERR_INVALID_RECORD`) and remembers per-record sizes for {@link writeRecords}.
 */
export function measureRecords(records: readonly RecordInput[], baseTimestamp: number, now: number): number {
  const n = records.length;
  if (recordSizes.length < n) recordSizes = new Int32Array(Math.max(n, recordSizes.length * 2));
  const sizes = recordSizes;
  let hk = 0;
  let total = 0;
  let previousDelta = -1;
  for (let i = 0; i < n; i++) {
    const r = records[i]!;
    const offsetDelta = r.offsetDelta ?? i;
    if ((offsetDelta | 0) !== offsetDelta || offsetDelta <= previousDelta) {
      throw invalid(`Record ${i}: offsetDelta ${offsetDelta} must be an int32 above the previous one`, i);
    }
    previousDelta = offsetDelta;
    let size =
      1 +
      sizeOfVarlong((r.timestamp ?? now) - baseTimestamp) +
      sizeOfVarint(offsetDelta) +
      sizeOfNullableBytes(r.key, 'key', i) +
      sizeOfNullableBytes(r.value, 'value', i);
    const headers = r.headers;
    if (headers == null || headers.length === 0) {
      size += 1;
    } else if (!Array.isArray(headers)) {
      throw invalid(`Record ${i}: headers must be an array`, i);
    } else {
      const hn = headers.length;
      size += sizeOfVarint(hn);
      if (headerKeySizes.length < hk + hn) {
        const grown = new Int32Array(Math.max(hk + hn, headerKeySizes.length * 2));
        grown.set(headerKeySizes.subarray(0, hk));
        headerKeySizes = grown;
      }
      for (let h = 0; h < hn; h++) {
        const header = headers[h];
        if (typeof header !== 'object' || header === null || typeof header.key !== 'string') {
          throw invalid(`Record ${i}: header ${h} must be an object with a string key`, i);
        }
        const kn = utf8Length(header.key);
        headerKeySizes[hk++] = kn;
        size += sizeOfVarint(kn) + kn + sizeOfNullableBytes(header.value, 'header value', i);
      }
    }
    sizes[i] = size;
    total += sizeOfVarint(size) + size;
  }
  return total;
}

function writeNullableBytes(buf: Uint8Array, pos: number, bytes: Uint8Array | null | undefined): number {
  if (bytes == null) {
    buf[pos] = 1; // zigzag(-1)
    return pos + 1;
  }
  const n = bytes.length;
  pos = writeVarint(buf, pos, n);
  // TypedArray#set has a fixed cost that a short copy loop beats.
  if (n < 16) for (let j = 0; j < n; j++) buf[pos + j] = bytes[j]!;
  else buf.set(bytes, pos);
  return pos + n;
}

/**
 * Writes the records measured by the immediately preceding {@link measureRecords} call
 * (same arguments) into `buf` at `pos`; returns the position after them.
 */
export function writeRecords(buf: Uint8Array, pos: number, records: readonly RecordInput[], baseTimestamp: number, now: number): number {
  const sizes = recordSizes;
  const keySizes = headerKeySizes;
  let hk = 0;
  for (let i = 0, n = records.length; i < n; i++) {
    const r = records[i]!;
    pos = writeVarint(buf, pos, sizes[i]!);
    buf[pos++] = 0; // record attributes: unused by Kafka
    pos = writeVarlong(buf, pos, (r.timestamp ?? now) - baseTimestamp);
    pos = writeVarint(buf, pos, r.offsetDelta ?? i);
    pos = writeNullableBytes(buf, pos, r.key);
    pos = writeNullableBytes(buf, pos, r.value);
    const headers = r.headers;
    if (headers == null || headers.length === 0) {
      buf[pos++] = 0;
    } else {
      pos = writeVarint(buf, pos, headers.length);
      for (let h = 0; h < headers.length; h++) {
        const header = headers[h]!;
        const kn = keySizes[hk++]!;
        pos = writeVarint(buf, pos, kn);
        pos = writeUtf8(buf, pos, header.key, kn);
        pos = writeNullableBytes(buf, pos, header.value);
      }
    }
  }
  return pos;
}

/** Batch-level facts the record decoder needs. */
export interface RecordContext {
  readonly baseOffset: number;
  readonly baseTimestamp: number;
  /** Set for log-append-time batches: every record reports this timestamp. */
  readonly logAppendTimestamp: number | null;
  /** The batch's base sequence, -1 for none. */
  readonly baseSequence: number;
}

// Kafka's DefaultRecordBatch.incrementSequence: sequences wrap at 2^31.
function sequenceOf(baseSequence: number, delta: number): number {
  if (baseSequence < 0) return -1;
  return baseSequence > 0x7fffffff - delta ? delta - (0x7fffffff - baseSequence) - 1 : baseSequence + delta;
}

/**
 * Decodes exactly `count` records from `buf[pos, end)`; key, value and header values are
 * views into `buf`. Throws `CORRUPT_MESSAGE` on any bound violation, on a record whose
 * declared length differs from what it holds, and on a count that does not match.
 */
export function readRecords(buf: Uint8Array, pos: number, end: number, count: number, context: RecordContext): DecodedRecord[] {
  if (count < 0 || count * MIN_RECORD_BYTES > end - pos) {
    throw kafkaError(KafkaCode.CORRUPT_MESSAGE, `Record count ${count} cannot fit in ${end - pos} bytes`, { details: { count } });
  }
  const reader = new ByteReader(buf, pos, end);
  const { baseOffset, baseTimestamp, logAppendTimestamp, baseSequence } = context;
  const out: DecodedRecord[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const length = reader.readVarint();
    if (length < MIN_RECORD_BYTES - 1 || length > end - reader.pos) {
      throw kafkaError(KafkaCode.CORRUPT_MESSAGE, `Record ${i} declares length ${length} with ${end - reader.pos} bytes left`);
    }
    const recordEnd = reader.pos + length;
    reader.end = recordEnd; // every field of this record must lie inside its length
    reader.pos++; // attributes: unused
    const timestampDelta = reader.readVarlong();
    const offsetDelta = reader.readVarint();
    const key = reader.readVarintBytes();
    const value = reader.readVarintBytes();
    const headerCount = reader.readVarint();
    let headers: readonly RecordHeader[] = NO_HEADERS;
    if (headerCount !== 0) {
      if (headerCount < 0 || headerCount * MIN_HEADER_BYTES > recordEnd - reader.pos) {
        throw kafkaError(KafkaCode.CORRUPT_MESSAGE, `Record ${i} declares ${headerCount} headers with ${recordEnd - reader.pos} bytes left`);
      }
      const list: RecordHeader[] = new Array(headerCount);
      for (let h = 0; h < headerCount; h++) {
        const keyLength = reader.readVarint();
        if (keyLength < 0) throw kafkaError(KafkaCode.CORRUPT_MESSAGE, `Record ${i} header ${h} has negative key length ${keyLength}`);
        const headerKey = reader.readUtf8(keyLength);
        list[h] = { key: headerKey, value: reader.readVarintBytes() };
      }
      headers = list;
    }
    if (reader.pos !== recordEnd) {
      throw kafkaError(KafkaCode.CORRUPT_MESSAGE, `Record ${i} declares ${length} bytes but its fields end ${recordEnd - reader.pos} byte(s) early`);
    }
    reader.end = end;
    out[i] = {
      offset: baseOffset + offsetDelta,
      timestamp: logAppendTimestamp ?? baseTimestamp + timestampDelta,
      key,
      value,
      headers,
      sequence: sequenceOf(baseSequence, offsetDelta),
    };
  }
  if (reader.pos !== end) {
    throw kafkaError(KafkaCode.CORRUPT_MESSAGE, `${end - reader.pos} byte(s) remain after the ${count} records the batch declares`);
  }
  return out;
}
