/**
 * Test batches for the Storage conformance suite, exported for adapters' own tests: real
 * RecordBatch v2 bytes (header, records, CRC32C) and a parser that checks every batch a
 * read returns is whole and valid.
 */
import { expect } from 'vitest';
import type { BatchInfo, ReadResult } from '../../core/contracts/storage.ts';
import { BATCH_HEADER_SIZE, BatchField, batchSizeAt, computeBatchCrc, readBatchHeader } from '../../core/records/batch-header.ts';

/** A test batch: its bytes and the facts the core would compute from its header. */
export interface TestBatch {
  readonly bytes: Uint8Array;
  readonly info: BatchInfo;
}

/** What {@link makeTestBatch} builds. */
export interface TestBatchSpec {
  baseOffset: number;
  /** Records in the batch (default 1). */
  count?: number;
  /** Timestamp of the first record (default 1_700_000_000_000). */
  timestamp?: number;
  /** Timestamp step between records (default 1, so maxTimestamp = timestamp + count - 1). */
  timestampStep?: number;
  /** Bytes of each record's value (default 100). */
  valueSize?: number;
}

function zigzag(n: number): number {
  // Multiplication instead of `<<` keeps it exact beyond 32 bits (timestamp deltas).
  return n >= 0 ? n * 2 : -n * 2 - 1;
}

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

function writeVarint(out: Uint8Array, pos: number, n: number): number {
  while (n >= 0x80) {
    out[pos++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  out[pos++] = n;
  return pos;
}

function setInt64(dv: DataView, pos: number, value: number): void {
  dv.setInt32(pos, Math.floor(value / 4294967296));
  dv.setUint32(pos + 4, value >>> 0);
}

/**
 * Builds a valid, uncompressed RecordBatch v2 (keyless records, no headers) whose record
 * values are a pattern derived from each record's offset, so misplaced bytes show up.
 */
export function makeTestBatch(spec: TestBatchSpec): TestBatch {
  const count = spec.count ?? 1;
  const timestamp = spec.timestamp ?? 1_700_000_000_000;
  const step = spec.timestampStep ?? 1;
  const valueSize = spec.valueSize ?? 100;
  const bodies: number[] = [];
  let total = BATCH_HEADER_SIZE;
  for (let i = 0; i < count; i++) {
    const body = 1 + varintSize(zigzag(i * step)) + varintSize(zigzag(i)) + 1 + varintSize(zigzag(valueSize)) + valueSize + 1;
    bodies.push(body);
    total += varintSize(zigzag(body)) + body;
  }
  const bytes = new Uint8Array(total);
  const dv = new DataView(bytes.buffer);
  setInt64(dv, BatchField.baseOffset, spec.baseOffset);
  dv.setInt32(BatchField.batchLength, total - 12);
  dv.setInt32(BatchField.partitionLeaderEpoch, 0);
  dv.setInt8(BatchField.magic, 2);
  dv.setInt16(BatchField.attributes, 0);
  dv.setInt32(BatchField.lastOffsetDelta, count - 1);
  setInt64(dv, BatchField.baseTimestamp, timestamp);
  const maxTimestamp = count === 0 ? timestamp : Math.max(timestamp, timestamp + (count - 1) * step);
  setInt64(dv, BatchField.maxTimestamp, maxTimestamp);
  setInt64(dv, BatchField.producerId, -1);
  dv.setInt16(BatchField.producerEpoch, -1);
  dv.setInt32(BatchField.baseSequence, -1);
  dv.setInt32(BatchField.recordCount, count);
  let pos = BATCH_HEADER_SIZE;
  for (let i = 0; i < count; i++) {
    pos = writeVarint(bytes, pos, zigzag(bodies[i]!));
    bytes[pos++] = 0; // record attributes
    pos = writeVarint(bytes, pos, zigzag(i * step));
    pos = writeVarint(bytes, pos, zigzag(i));
    pos = writeVarint(bytes, pos, zigzag(-1)); // null key
    pos = writeVarint(bytes, pos, zigzag(valueSize));
    const seed = (spec.baseOffset + i) * 31;
    for (let j = 0; j < valueSize; j++) bytes[pos++] = (seed + j) & 0xff;
    pos = writeVarint(bytes, pos, 0); // no headers
  }
  dv.setUint32(BatchField.crc, computeBatchCrc(bytes, 0, total));
  return {
    bytes,
    info: { baseOffset: spec.baseOffset, lastOffset: spec.baseOffset + count - 1, maxTimestamp, recordCount: count },
  };
}

/** One batch found in a read result, with its position in the concatenated bytes. */
export interface ReadBatch {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly maxTimestamp: number;
  readonly recordCount: number;
  readonly bytes: Uint8Array;
}

/** Joins the chunks of a read result into one array. */
export function concatChunks(result: ReadResult): Uint8Array {
  if (result.chunks.length === 1) return result.chunks[0]!;
  const out = new Uint8Array(result.chunks.reduce((n, c) => n + c.length, 0));
  let pos = 0;
  for (const c of result.chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  return out;
}

/**
 * Splits a read result into batches, failing (via `expect`) when `bytes` disagrees with
 * the chunks, when a batch is cut short, or when a CRC is wrong.
 */
export function parseReadResult(result: ReadResult): ReadBatch[] {
  const all = concatChunks(result);
  // Plain checks in the loop: `expect` per batch would make big reads slow to verify.
  check(all.length === result.bytes, `ReadResult.bytes (${result.bytes}) must equal the total chunk length (${all.length})`);
  const batches: ReadBatch[] = [];
  let pos = 0;
  while (pos < all.length) {
    const size = batchSizeAt(all, pos);
    check(size >= BATCH_HEADER_SIZE, `a whole batch must start at byte ${pos} of the read`);
    check(pos + size <= all.length, `the batch at byte ${pos} runs past the end of the read`);
    const header = readBatchHeader(all, pos);
    check(computeBatchCrc(all, pos, size) === header.crc, `CRC of the batch at offset ${header.baseOffset} must match`);
    batches.push({
      baseOffset: header.baseOffset,
      lastOffset: header.baseOffset + header.lastOffsetDelta,
      maxTimestamp: header.maxTimestamp,
      recordCount: header.recordCount,
      bytes: all.subarray(pos, pos + size),
    });
    pos += size;
  }
  return batches;
}

/** Fails the test with `message` unless `condition` holds (cheap enough for hot loops). */
export function check(condition: boolean, message: string): asserts condition {
  if (!condition) expect.fail(message);
}

/** True when two byte arrays are equal (vitest's deep equality is slow on large arrays). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
