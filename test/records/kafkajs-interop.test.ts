/**
 * Interop with a peer implementation: kafkajs 2.2.4's own RecordBatch v2 encoder and
 * decoder. Batches written by either side must read back field for field on the other.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { Registry } from '../../core/registry.ts';
import { decodeBatch, decodeBatchSync, encodeBatch, encodeBatchSync, type RecordInput } from '../../core/records/index.ts';
import { gzip } from '../../plugins/compressors/gzip.ts';

const require = createRequire(import.meta.url);
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js');
const KafkaRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js');
const kafkajsDecodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js');
const Decoder = require('kafkajs/src/protocol/decoder.js');
const Long = require('kafkajs/src/utils/long.js');

const text = (s: string) => new TextEncoder().encode(s);

function sampleRecords(): RecordInput[] {
  const base = 1_700_000_000_000;
  return [
    { key: text('k0'), value: text('v0'), timestamp: base },
    { key: null, value: text('no key'), timestamp: base - 3_600_000 },
    { key: text('no value'), value: null, timestamp: base + 2 ** 33 },
    { key: new Uint8Array(0), value: new Uint8Array(0), timestamp: base + 1 },
    { key: text('h'), value: text('headers'), timestamp: base + 2, headers: [{ key: 'content-type', value: text('json') }, { key: 'ключ🙂', value: text('ü') }, { key: 'empty', value: new Uint8Array(0) }] },
    ...Array.from({ length: 200 }, (_, i) => ({ key: text(`key-${i}`), value: text('x'.repeat(i * 13)), timestamp: base + i * 1000 })),
  ];
}

/** Encodes with kafkajs, the way its producer does. */
async function kafkajsEncode(records: RecordInput[], options: { compression?: number; producerId?: number; producerEpoch?: number; firstSequence?: number; transactional?: boolean; partitionLeaderEpoch?: number; firstOffset?: number }) {
  const firstTimestamp = records[0]!.timestamp!;
  const maxTimestamp = Math.max(...records.map((r) => r.timestamp!));
  const encoders = records.map((r, i) =>
    KafkaRecord({
      offsetDelta: i,
      timestampDelta: r.timestamp! - firstTimestamp,
      key: r.key && Buffer.from(r.key),
      value: r.value && Buffer.from(r.value),
      headers: Object.fromEntries((r.headers ?? []).map((h) => [h.key, Buffer.from(h.value!)])),
    }),
  );
  const batch = await RecordBatch({
    compression: options.compression ?? 0,
    records: encoders,
    firstTimestamp,
    maxTimestamp,
    partitionLeaderEpoch: options.partitionLeaderEpoch ?? 0,
    firstOffset: Long.fromNumber(options.firstOffset ?? 0),
    producerId: Long.fromNumber(options.producerId ?? -1),
    producerEpoch: options.producerEpoch ?? 0,
    firstSequence: options.firstSequence ?? 0,
    transactional: options.transactional ?? false,
    lastOffsetDelta: records.length - 1,
  });
  return new Uint8Array(batch.buffer);
}

function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

describe('interop with kafkajs RecordBatch v2', () => {
  it('decodes what kafkajs encodes, every field', async () => {
    const records = sampleRecords();
    const bytes = await kafkajsEncode(records, { producerId: 2 ** 40 + 1, producerEpoch: 3, firstSequence: 17, transactional: true, partitionLeaderEpoch: 8, firstOffset: 5_000_000_000 });
    const batch = decodeBatchSync(bytes);
    expect(batch).toMatchObject({
      baseOffset: 5_000_000_000,
      partitionLeaderEpoch: 8,
      magic: 2,
      compression: 0,
      transactional: true,
      control: false,
      timestampType: 'create-time',
      lastOffsetDelta: records.length - 1,
      baseTimestamp: records[0]!.timestamp,
      maxTimestamp: Math.max(...records.map((r) => r.timestamp!)),
      producerId: 2 ** 40 + 1,
      producerEpoch: 3,
      baseSequence: 17,
      recordCount: records.length,
    });
    const problems: string[] = [];
    records.forEach((r, i) => {
      const d = batch.records[i]!;
      if (d.offset !== 5_000_000_000 + i) problems.push(`offset ${i}`);
      if (d.timestamp !== r.timestamp) problems.push(`timestamp ${i}`);
      if (d.sequence !== 17 + i) problems.push(`sequence ${i}`);
      if (!sameBytes(d.key, r.key) || !sameBytes(d.value, r.value)) problems.push(`key/value ${i}`);
      const headers = r.headers ?? [];
      if (d.headers.length !== headers.length || headers.some((h, j) => d.headers[j]!.key !== h.key || !sameBytes(d.headers[j]!.value, h.value))) problems.push(`headers ${i}`);
    });
    expect(problems).toEqual([]);
  });

  it('kafkajs decodes what we encode, every field', async () => {
    const records = sampleRecords();
    const bytes = encodeBatchSync({ records, baseOffset: 2 ** 35, partitionLeaderEpoch: 4, producerId: 77, producerEpoch: 2, baseSequence: 1000, transactional: true });
    const batch = await kafkajsDecodeBatch(new Decoder(Buffer.from(bytes)));
    expect(batch).toMatchObject({
      firstOffset: String(2 ** 35),
      partitionLeaderEpoch: 4,
      inTransaction: true,
      isControlBatch: false,
      lastOffsetDelta: records.length - 1,
      firstTimestamp: String(records[0]!.timestamp),
      maxTimestamp: String(Math.max(...records.map((r) => r.timestamp!))),
      producerId: '77',
      producerEpoch: 2,
      firstSequence: 1000,
    });
    expect(batch.records.length).toBe(records.length);
    const problems: string[] = [];
    records.forEach((r, i) => {
      const d = batch.records[i];
      if (d.offset !== String(2 ** 35 + i)) problems.push(`offset ${i}: ${d.offset}`);
      if (d.timestamp !== String(r.timestamp)) problems.push(`timestamp ${i}: ${d.timestamp}`);
      if (!sameBytes(d.key, r.key) || !sameBytes(d.value, r.value)) problems.push(`key/value ${i}`);
      const expected = Object.fromEntries((r.headers ?? []).map((h) => [h.key, [...h.value!]]));
      const actual = Object.fromEntries(Object.entries(d.headers as Record<string, Buffer>).map(([k, v]) => [k, [...v]]));
      expect(actual).toEqual(expected);
    });
    expect(problems).toEqual([]);
  });

  it('agrees byte for byte with kafkajs on the same batch', async () => {
    const records = sampleRecords();
    const theirs = await kafkajsEncode(records, { producerId: 12, producerEpoch: 0, firstSequence: 0, partitionLeaderEpoch: 0 });
    const ours = encodeBatchSync({ records, producerId: 12, producerEpoch: 0, baseSequence: 0, partitionLeaderEpoch: 0 });
    expect(Buffer.from(ours).equals(Buffer.from(theirs))).toBe(true);
  });

  it('reads gzip batches kafkajs compresses, and kafkajs reads ours', async () => {
    const registry = new Registry().register('compressor', 'gzip', gzip);
    const records = sampleRecords();
    const theirs = await kafkajsEncode(records, { compression: 1 });
    const decoded = await decodeBatch(theirs, 0, { registry });
    expect(decoded.compression).toBe(1);
    expect(decoded.records.every((d, i) => sameBytes(d.value, records[i]!.value) && d.timestamp === records[i]!.timestamp)).toBe(true);

    const ours = await encodeBatch({ records, compression: 1 }, registry);
    const back = await kafkajsDecodeBatch(new Decoder(Buffer.from(ours)));
    expect(back.records.length).toBe(records.length);
    expect(back.records.every((d: { value: Buffer | null; offset: string }, i: number) => sameBytes(d.value, records[i]!.value) && d.offset === String(i))).toBe(true);
  });
});
