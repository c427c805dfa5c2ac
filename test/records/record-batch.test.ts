import { describe, expect, it } from 'vitest';
import { Registry } from '../../core/registry.ts';
import { TributaryError } from '../../core/errors.ts';
import {
  BATCH_HEADER_SIZE,
  BatchField,
  ControlRecordType,
  crc32c,
  decodeBatch,
  decodeBatches,
  decodeBatchesSync,
  decodeBatchSync,
  encodeBatch,
  encodeBatchSync,
  endTxnMarker,
  iterateBatches,
  readControlMarker,
  setBaseOffset,
  setLogAppendTime,
  trailingPartialBytes,
  writeBatch,
  ByteWriter,
  type DecodedBatch,
  type RecordInput,
} from '../../core/records/index.ts';
import { gzip } from '../../plugins/compressors/gzip.ts';

const bytes = (...values: number[]) => Uint8Array.from(values);
const text = (s: string) => new TextEncoder().encode(s);

function expectCode(fn: () => unknown, code: string): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(TributaryError);
  expect((error as TributaryError).code).toBe(code);
}

function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function expectRecords(batch: DecodedBatch, records: RecordInput[], baseOffset: number, now: number): void {
  expect(batch.records.length).toBe(records.length);
  // Collect mismatches and assert once: ten thousand expect() calls would dominate the run.
  const problems: string[] = [];
  records.forEach((r, i) => {
    const d = batch.records[i]!;
    if (d.offset !== baseOffset + (r.offsetDelta ?? i)) problems.push(`offset ${i}: ${d.offset}`);
    if (d.timestamp !== (r.timestamp ?? now)) problems.push(`timestamp ${i}: ${d.timestamp}`);
    if (!sameBytes(d.key, r.key)) problems.push(`key ${i}`);
    if (!sameBytes(d.value, r.value)) problems.push(`value ${i}`);
    const headers = r.headers ?? [];
    if (d.headers.length !== headers.length) problems.push(`header count ${i}: ${d.headers.length}`);
    headers.forEach((h, j) => {
      if (d.headers[j]?.key !== h.key) problems.push(`header key ${i}/${j}: ${d.headers[j]?.key}`);
      if (!sameBytes(d.headers[j]?.value ?? null, h.value)) problems.push(`header value ${i}/${j}`);
    });
  });
  expect(problems).toEqual([]);
}

describe('RecordBatch v2', () => {
  it('round-trips every header field', () => {
    const records: RecordInput[] = [
      { key: text('k'), value: text('v'), timestamp: 1_700_000_000_500 },
      { key: null, value: text('w'), timestamp: 1_700_000_000_100 },
    ];
    const encoded = encodeBatchSync({
      records,
      baseOffset: 2 ** 40 + 5,
      partitionLeaderEpoch: 17,
      timestampType: 'create-time',
      transactional: true,
      producerId: 2 ** 45 + 3,
      producerEpoch: 12,
      baseSequence: 99,
    });
    const batch = decodeBatchSync(encoded);
    expect(batch).toMatchObject({
      baseOffset: 2 ** 40 + 5,
      batchLength: encoded.length - 12,
      sizeInBytes: encoded.length,
      partitionLeaderEpoch: 17,
      magic: 2,
      compression: 0,
      timestampType: 'create-time',
      transactional: true,
      control: false,
      lastOffsetDelta: 1,
      baseTimestamp: 1_700_000_000_500,
      maxTimestamp: 1_700_000_000_500,
      producerId: 2 ** 45 + 3,
      producerEpoch: 12,
      baseSequence: 99,
      recordCount: 2,
    });
    expect(batch.attributes).toBe(0x10);
    expect(batch.records.map((r) => [r.offset, r.timestamp, r.sequence])).toEqual([
      [2 ** 40 + 5, 1_700_000_000_500, 99],
      [2 ** 40 + 6, 1_700_000_000_100, 100],
    ]);
    expectRecords(batch, records, 2 ** 40 + 5, 0);
  });

  it('uses Kafka defaults: epoch, producer id/epoch and sequence -1, create time, now for missing timestamps', () => {
    const encoded = encodeBatchSync({ records: [{ key: null, value: null }], now: 1234 });
    const batch = decodeBatchSync(encoded);
    expect(batch).toMatchObject({ baseOffset: 0, partitionLeaderEpoch: -1, producerId: -1, producerEpoch: -1, baseSequence: -1, attributes: 0 });
    expect(batch.records[0]).toMatchObject({ offset: 0, timestamp: 1234, key: null, value: null, sequence: -1 });
    expect(batch.records[0]!.headers).toEqual([]);
  });

  it('round-trips null, empty and large keys and values, many headers, and extreme timestamp deltas', () => {
    const big = Uint8Array.from({ length: 70_000 }, (_, i) => i * 7);
    const headers = Array.from({ length: 300 }, (_, i) => ({ key: i % 3 ? `h${i}` : `ключ-${i}-🙂`, value: i % 5 === 0 ? null : i % 7 === 0 ? new Uint8Array(0) : text(`v${i}`) }));
    const records: RecordInput[] = [
      { key: null, value: null, timestamp: 0 },
      { key: new Uint8Array(0), value: new Uint8Array(0), timestamp: -5_000_000_000 },
      { key: big, value: big.subarray(3, 60_000), timestamp: 2 ** 52 },
      { key: text('same'), value: text('h'), headers, timestamp: -(2 ** 40) },
      { key: text('dup'), value: text('x'), headers: [{ key: 'a', value: text('1') }, { key: 'a', value: text('2') }, { key: '', value: null }], timestamp: 7 },
    ];
    const batch = decodeBatchSync(encodeBatchSync({ records }));
    expect(batch.baseTimestamp).toBe(0);
    expect(batch.maxTimestamp).toBe(2 ** 52);
    expectRecords(batch, records, 0, 0);
  });

  it('round-trips 10,000 records with views into the input, not copies', () => {
    const records: RecordInput[] = Array.from({ length: 10_000 }, (_, i) => ({
      key: i % 10 ? text(`key-${i}`) : null,
      value: text(`value-${i}`.repeat(1 + (i % 4))),
      timestamp: 1_700_000_000_000 + ((i * 7919) % 100_000) - 50_000,
      headers: i % 100 === 0 ? [{ key: 'trace', value: text(String(i)) }] : undefined,
    }));
    const encoded = encodeBatchSync({ records, baseOffset: 1_000_000 });
    const batch = decodeBatchSync(encoded);
    expectRecords(batch, records, 1_000_000, 0);
    expect(batch.lastOffsetDelta).toBe(9_999);
    expect(batch.records[1]!.value!.buffer).toBe(encoded.buffer);
  });

  it('keeps sparse offset deltas (compacted batches) and an explicit last offset delta', () => {
    const records: RecordInput[] = [
      { key: text('a'), value: text('1'), offsetDelta: 0, timestamp: 5 },
      { key: text('b'), value: text('2'), offsetDelta: 4, timestamp: 6 },
    ];
    const batch = decodeBatchSync(encodeBatchSync({ records, baseOffset: 10, lastOffsetDelta: 9 }));
    expect(batch.records.map((r) => r.offset)).toEqual([10, 14]);
    expect(batch.lastOffsetDelta).toBe(9);
    const empty = decodeBatchSync(encodeBatchSync({ records: [], baseOffset: 10, lastOffsetDelta: 9 }));
    expect(empty).toMatchObject({ recordCount: 0, lastOffsetDelta: 9, baseTimestamp: -1, maxTimestamp: -1, records: [] });
  });

  it('reports the batch max timestamp for every record of a log-append-time batch', () => {
    const batch = decodeBatchSync(
      encodeBatchSync({ records: [{ key: null, value: text('a'), timestamp: 1 }, { key: null, value: text('b'), timestamp: 2 }], timestampType: 'log-append-time', maxTimestamp: 999 }),
    );
    expect(batch.timestampType).toBe('log-append-time');
    expect(batch.attributes & 0x08).toBe(0x08);
    expect(batch.records.map((r) => r.timestamp)).toEqual([999, 999]);
  });

  it('stamps log-append time in place, keeping the batch valid', () => {
    const encoded = encodeBatchSync({ records: [{ key: null, value: text('a'), timestamp: 1 }, { key: null, value: text('b'), timestamp: 2 }] });
    setLogAppendTime(encoded, 1_800_000_000_123);
    const batch = decodeBatchSync(encoded);
    expect(batch).toMatchObject({ timestampType: 'log-append-time', maxTimestamp: 1_800_000_000_123, baseTimestamp: 1 });
    expect(batch.records.map((r) => r.timestamp)).toEqual([1_800_000_000_123, 1_800_000_000_123]);
  });

  it('wraps sequence numbers at 2^31 as Kafka does', () => {
    const batch = decodeBatchSync(encodeBatchSync({ records: [{ key: null, value: null }, { key: null, value: null }, { key: null, value: null }], producerId: 1, baseSequence: 2 ** 31 - 2 }));
    expect(batch.records.map((r) => r.sequence)).toEqual([2 ** 31 - 2, 2 ** 31 - 1, 0]);
  });

  it('flags control batches and reads transaction markers', () => {
    const encoded = encodeBatchSync({ records: [endTxnMarker('commit', 42, 77)], control: true, transactional: true, producerId: 5, producerEpoch: 1 });
    const batch = decodeBatchSync(encoded);
    expect(batch.control).toBe(true);
    expect(batch.attributes).toBe(0x30);
    expect(readControlMarker(batch.records[0]!)).toEqual({ type: ControlRecordType.commit, coordinatorEpoch: 42 });
    expect(readControlMarker({ key: bytes(0, 0, 0, 0), value: null })).toEqual({ type: ControlRecordType.abort, coordinatorEpoch: -1 });
    expectCode(() => readControlMarker({ key: bytes(0), value: null }), 'CORRUPT_MESSAGE');
  });

  it('stays valid after the broker rewrites the base offset in place', () => {
    const encoded = encodeBatchSync({ records: [{ key: null, value: text('x') }] });
    setBaseOffset(encoded, 123_456);
    expect(decodeBatchSync(encoded).records[0]!.offset).toBe(123_456);
  });

  it('rejects bad input to the encoder with coded errors', () => {
    expectCode(() => encodeBatchSync({ records: [{ key: 'k' as never, value: null }] }), 'ERR_INVALID_RECORD');
    expectCode(() => encodeBatchSync({ records: [{ key: null, value: null, headers: [{ key: 1 as never, value: null }] }] }), 'ERR_INVALID_RECORD');
    expectCode(() => encodeBatchSync({ records: [{ key: null, value: null, timestamp: Number.NaN }] }), 'ERR_INVALID_ARGUMENT');
    expectCode(() => encodeBatchSync({ records: [{ key: null, value: null, offsetDelta: 1 }, { key: null, value: null, offsetDelta: 1 }] }), 'ERR_INVALID_RECORD');
    expectCode(() => encodeBatchSync({ records: [], compression: 1 }), 'ERR_COMPRESSED_BATCH');
    expectCode(() => encodeBatchSync({ records: null as never }), 'ERR_INVALID_RECORD');
    expectCode(() => encodeBatchSync({ records: [], producerEpoch: 40_000 }), 'ERR_INVALID_ARGUMENT');
    expectCode(() => encodeBatchSync({ records: [], baseOffset: -5 }), 'ERR_INVALID_ARGUMENT');
    expectCode(() => encodeBatchSync({ records: [], baseSequence: 2 ** 31 }), 'ERR_INVALID_ARGUMENT');
    // Timestamps past 2^53 or with a fraction would be written rounded: refused instead.
    expectCode(() => encodeBatchSync({ records: [{ key: null, value: null, timestamp: 2 ** 60 }] }), 'ERR_INVALID_ARGUMENT');
    expectCode(() => encodeBatchSync({ records: [{ key: null, value: null, timestamp: 1.5 }] }), 'ERR_INVALID_ARGUMENT');
    expectCode(() => encodeBatchSync({ records: [], baseTimestamp: 2 ** 60 }), 'ERR_INVALID_ARGUMENT');
    expectCode(() => encodeBatchSync({ records: [{ key: null, value: null }], now: 0.5 }), 'ERR_INVALID_ARGUMENT');
    // Malformed shapes are coded errors, never a TypeError.
    expectCode(() => encodeBatchSync(undefined as never), 'ERR_INVALID_RECORD');
    expectCode(() => encodeBatchSync({ records: [null as never] }), 'ERR_INVALID_RECORD');
    expectCode(() => encodeBatchSync({ records: [{ key: null, value: null, headers: 5 as never }] }), 'ERR_INVALID_RECORD');
    expectCode(() => encodeBatchSync({ records: [{ key: null, value: null, headers: [null as never] }] }), 'ERR_INVALID_RECORD');
    expectCode(() => decodeBatchSync('batch' as never), 'ERR_INVALID_ARGUMENT');
    expectCode(() => decodeBatchSync(encodeBatchSync({ records: [] }), 1.5), 'ERR_INVALID_ARGUMENT');
  });

  it('rejects corrupt batches with CORRUPT_MESSAGE: CRC, lengths, counts', () => {
    const good = () => encodeBatchSync({ records: [{ key: text('k'), value: text('value'), headers: [{ key: 'h', value: text('v') }] }], now: 1 });
    const flip = good();
    flip[flip.length - 1]! ^= 1;
    expectCode(() => decodeBatchSync(flip), 'CORRUPT_MESSAGE');

    // Damage a field and re-stamp the CRC, so that the structural checks are what fails.
    const restamp = (b: Uint8Array) => {
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      dv.setUint32(BatchField.crc, crcOf(b));
      return b;
    };
    const withCount = (n: number) => {
      const b = good();
      new DataView(b.buffer).setInt32(BatchField.recordCount, n);
      return restamp(b);
    };
    expectCode(() => decodeBatchSync(withCount(2)), 'CORRUPT_MESSAGE');
    expectCode(() => decodeBatchSync(withCount(0)), 'CORRUPT_MESSAGE');
    expectCode(() => decodeBatchSync(withCount(-1)), 'CORRUPT_MESSAGE');
    expectCode(() => decodeBatchSync(withCount(2 ** 31 - 1)), 'CORRUPT_MESSAGE');
    const recordLength = good();
    recordLength[BATCH_HEADER_SIZE] = 0x7e; // record length 63: past the end
    expectCode(() => decodeBatchSync(restamp(recordLength)), 'CORRUPT_MESSAGE');
    const shortBatch = good();
    new DataView(shortBatch.buffer).setInt32(BatchField.batchLength, shortBatch.length); // claims 12 more bytes
    expectCode(() => decodeBatchSync(shortBatch), 'CORRUPT_MESSAGE');
    expectCode(() => decodeBatchSync(good().subarray(0, 40)), 'CORRUPT_MESSAGE');
    const magic = good();
    magic[BatchField.magic] = 1;
    expectCode(() => decodeBatchSync(magic), 'UNSUPPORTED_FOR_MESSAGE_FORMAT');
    // Skipping the CRC check is allowed, the structural checks still hold.
    expect(decodeBatchSync(flip, 0, { verifyCrc: false }).records.length).toBe(1);
  });

  it('round-trips compressed batches through the registry (gzip plugin)', async () => {
    const registry = new Registry().register('compressor', 'gzip', gzip);
    const records: RecordInput[] = Array.from({ length: 500 }, (_, i) => ({ key: text(`k${i}`), value: text('payload '.repeat(10)), headers: [{ key: 'i', value: text(String(i)) }], timestamp: 1000 + i }));
    const encoded = await encodeBatch({ records, compression: 1, producerId: 9, baseSequence: 0 }, registry);
    expect(encoded.length).toBeLessThan(encodeBatchSync({ records }).length / 3);
    const batch = await decodeBatch(encoded, 0, { registry });
    expect(batch.compression).toBe(1);
    expect(batch.attributes & 7).toBe(1);
    expectRecords(batch, records, 0, 0);
    expectCode(() => decodeBatchSync(encoded), 'ERR_COMPRESSED_BATCH');
    await expect(decodeBatch(encoded)).rejects.toMatchObject({ code: 'ERR_UNKNOWN_CODEC' });
    await expect(encodeBatch({ records, compression: 2 }, registry)).rejects.toMatchObject({ code: 'ERR_UNKNOWN_CODEC' });
    // Uncompressed goes through the same async entry points.
    const plain = await encodeBatch({ records });
    expect((await decodeBatch(plain)).records.length).toBe(500);
  });
});

describe('batches in a buffer', () => {
  const one = (baseOffset: number, n: number, extra: Partial<Parameters<typeof encodeBatchSync>[0]> = {}) =>
    encodeBatchSync({ records: Array.from({ length: n }, (_, i) => ({ key: null, value: text(`${baseOffset + i}`) })), baseOffset, ...extra });
  const concat = (...parts: Uint8Array[]) => {
    const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  };

  it('iterates concatenated batches and skips a truncated trailing one at every cut', async () => {
    const a = one(0, 3);
    const b = one(3, 2, { control: true, records: [endTxnMarker('abort', 1)], transactional: true });
    const c = one(4, 5);
    const all = concat(a, b, c);
    expect([...iterateBatches(all)].map((s) => s.header.baseOffset)).toEqual([0, 3, 4]);
    const decoded = decodeBatchesSync(all);
    expect(decoded.map((d) => d.control)).toEqual([false, true, false]);
    expect(decoded.filter((d) => !d.control).flatMap((d) => d.records.map((r) => r.offset))).toEqual([0, 1, 2, 4, 5, 6, 7, 8]);
    for (let cut = 0; cut <= all.length; cut++) {
      const view = all.subarray(0, cut);
      const expected = cut >= all.length ? 3 : cut >= a.length + b.length ? 2 : cut >= a.length ? 1 : 0;
      expect(decodeBatchesSync(view).length, `cut ${cut}`).toBe(expected);
      const ends = [0, a.length, a.length + b.length, all.length].filter((e) => e <= cut);
      expect(trailingPartialBytes(view)).toBe(cut - ends[ends.length - 1]!);
    }
    expect((await decodeBatches(all)).length).toBe(3);
  });

  it('writes batches into a reused ByteWriter, byte-identical to encodeBatchSync', () => {
    const writer = new ByteWriter(8);
    for (let round = 0; round < 2; round++) {
      writer.reset().writeInt32(0x0badf00d);
      const inputs = [0, 1, 2].map((k) => ({ records: Array.from({ length: 20 + k }, (_, i) => ({ key: text(`k${i}`), value: text(`v${i}-${round}`) })), baseOffset: k * 100, now: 1 }));
      const sizes = inputs.map((input) => writeBatch(writer, input));
      const expected = inputs.map((input) => encodeBatchSync(input));
      expect(sizes).toEqual(expected.map((e) => e.length));
      const written = writer.view().subarray(4);
      expect(Buffer.from(written).equals(Buffer.concat(expected))).toBe(true);
      expect(decodeBatchesSync(written).map((b) => b.records.length)).toEqual([20, 21, 22]);
    }
    expectCode(() => writeBatch(writer, { records: [], compression: 4 }), 'ERR_COMPRESSED_BATCH');
  });

  it('throws on a complete batch with a corrupt header instead of skipping it', () => {
    const bad = concat(one(0, 1), one(1, 1));
    new DataView(bad.buffer).setInt32(one(0, 1).length + BatchField.batchLength, 10);
    expectCode(() => decodeBatchesSync(bad), 'CORRUPT_MESSAGE');
  });
});

// The CRC32C of a batch: attributes to end (independent of the encoder under test).
function crcOf(b: Uint8Array): number {
  return crc32c(b, BatchField.attributes, b.length);
}
