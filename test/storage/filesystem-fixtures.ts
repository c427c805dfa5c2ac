/**
 * Test and benchmark helpers for the filesystem storage adapter: real RecordBatch v2
 * bytes (valid CRC32C) built from scratch, and a temporary directory per test.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BatchInfo } from '../../core/contracts/storage.ts';
import { BATCH_HEADER_SIZE, BatchField, computeBatchCrc } from '../../core/records/batch-header.ts';

/** What {@link makeBatch} builds. */
export interface BatchSpec {
  baseOffset: number;
  /** Records in the batch (default 1). */
  count?: number;
  /** Bytes of each record value (default 100). */
  valueBytes?: number;
  /** Timestamp of the first record; record i gets +i (default 1_700_000_000_000). */
  timestamp?: number;
  /** Byte the values are filled with (default derived from the offset). */
  fill?: number;
}

function varint(out: number[], value: number): void {
  // zigzag, then base-128 little-endian groups
  let v = value >= 0 ? value * 2 : -value * 2 - 1;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

/** A valid, uncompressed RecordBatch v2 and its BatchInfo. */
export function makeBatch(spec: BatchSpec): { bytes: Uint8Array; info: BatchInfo } {
  const count = spec.count ?? 1;
  const valueBytes = spec.valueBytes ?? 100;
  const ts = spec.timestamp ?? 1_700_000_000_000;
  const fill = spec.fill ?? (spec.baseOffset * 31 + 7) & 0xff;
  const records: number[] = [];
  const body: number[] = [];
  for (let i = 0; i < count; i++) {
    body.length = 0;
    body.push(0); // attributes
    varint(body, i); // timestamp delta
    varint(body, i); // offset delta
    varint(body, -1); // null key
    varint(body, valueBytes);
    for (let b = 0; b < valueBytes; b++) body.push((fill + i + b) & 0xff);
    varint(body, 0); // no headers
    varint(records, body.length);
    for (const b of body) records.push(b);
  }
  const size = BATCH_HEADER_SIZE + records.length;
  const bytes = new Uint8Array(size);
  const dv = new DataView(bytes.buffer);
  const int64 = (pos: number, v: number) => {
    dv.setInt32(pos, Math.floor(v / 4294967296));
    dv.setUint32(pos + 4, v >>> 0);
  };
  const maxTimestamp = ts + count - 1;
  int64(BatchField.baseOffset, spec.baseOffset);
  dv.setInt32(BatchField.batchLength, size - 12);
  dv.setInt32(BatchField.partitionLeaderEpoch, 0);
  dv.setInt8(BatchField.magic, 2);
  dv.setInt16(BatchField.attributes, 0);
  dv.setInt32(BatchField.lastOffsetDelta, count - 1);
  int64(BatchField.baseTimestamp, ts);
  int64(BatchField.maxTimestamp, maxTimestamp);
  int64(BatchField.producerId, -1);
  dv.setInt16(BatchField.producerEpoch, -1);
  dv.setInt32(BatchField.baseSequence, -1);
  dv.setInt32(BatchField.recordCount, count);
  bytes.set(records, BATCH_HEADER_SIZE);
  dv.setUint32(BatchField.crc, computeBatchCrc(bytes, 0, size));
  return { bytes, info: { baseOffset: spec.baseOffset, lastOffset: spec.baseOffset + count - 1, maxTimestamp, recordCount: count } };
}

/** A fresh directory under the OS temp dir, and a function that removes it. */
export async function tempDir(prefix = 'tributary-fs-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Concatenates the chunks of a read (the protocol writer's helper, not a copy of it). */
export { concat } from '../../core/protocol/writer.ts';

/** Splits concatenated batch bytes into batches (by their length fields). */
export function splitBatches(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  while (pos + 12 <= bytes.length) {
    const size = dv.getInt32(pos + 8) + 12;
    out.push(bytes.subarray(pos, pos + size));
    pos += size;
  }
  return out;
}
