/**
 * Topic `compression.type` (issue 13 #27): any codec is accepted (CreateTopics, AlterConfigs,
 * IncrementalAlterConfigs, the broker default), and a batch that arrives in another codec is
 * recompressed to the topic's — offsets, producer id/epoch/sequence, timestamps and a valid
 * CRC kept — while matching codecs and `producer` store the bytes untouched.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { memoryStorage } from '../../adapters/memory/index.ts';
import type { Broker, BrokerOptions } from '../../core/broker/broker.ts';
import { KafkaCode } from '../../core/errors.ts';
import { BatchAttributes, readBatchHeader, verifyBatchCrc } from '../../core/records/batch-header.ts';
import { decodeBatch, encodeBatch } from '../../core/records/record-batch.ts';
import { Registry } from '../../core/registry.ts';
import { registerBuiltInCompressors } from '../../plugins/compressors/index.ts';
import { call, fetchBody, joined, produceBody, startedBroker } from './helpers.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();
const open: Broker[] = [];
afterEach(async () => {
  for (const b of open.splice(0)) await b.close();
});

function codecs(): Registry {
  const r = new Registry();
  registerBuiltInCompressors(r);
  return r;
}

async function broker(options: Partial<BrokerOptions> = {}): Promise<Broker> {
  const b = await startedBroker({ storage: memoryStorage(), codecs: codecs(), ...options });
  open.push(b);
  return b;
}

const NONE = 0, GZIP = 1, SNAPPY = 2, LZ4 = 3, ZSTD = 4;

/** A batch of `values` in `codec`, optionally idempotent. */
function batch(values: string[], codec: number, idem?: { producerId: number; producerEpoch: number; baseSequence: number }): Promise<Uint8Array> {
  return encodeBatch({
    records: values.map((v, i) => ({ key: enc.encode(`k${i}`), value: enc.encode(v), headers: [{ key: 'h', value: enc.encode(`x${i}`) }], timestamp: 1_700_000_000_000 + i })),
    compression: codec,
    now: 1_700_000_000_000,
    ...(idem ?? {}),
  }, codecs());
}

async function produce(b: Broker, topic: string, records: Uint8Array, version = 9): Promise<{ errorCode: number; baseOffset: number }> {
  return (await call(b, 0, version, produceBody(topic, 0, records))).responses[0].partitionResponses[0];
}

/** The stored batches of partition 0, as bytes, from `offset`. */
async function stored(b: Broker, topic: string, offset = 0): Promise<Uint8Array[]> {
  const p = (await call(b, 1, 11, fetchBody(topic, 0, offset))).responses[0].partitions[0];
  expect(p.errorCode).toBe(0);
  const bytes: Uint8Array = joined(p.records ?? []);
  const out: Uint8Array[] = [];
  for (let pos = 0; pos < bytes.length; ) {
    const size = readBatchHeader(bytes, pos).batchLength + 12;
    out.push(bytes.slice(pos, pos + size));
    pos += size;
  }
  return out;
}

const codecOf = (bytes: Uint8Array) => readBatchHeader(bytes).attributes & BatchAttributes.compressionMask;

describe('topic compression.type', () => {
  it('accepts every codec through CreateTopics, AlterConfigs and IncrementalAlterConfigs, and refuses unknown ones', async () => {
    const b = await broker();
    for (const type of ['producer', 'uncompressed', 'gzip', 'snappy', 'lz4', 'zstd']) {
      const r = await call(b, 19, 7, { topics: [{ name: `c-${type}`, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'compression.type', value: type }] }], timeoutMs: 1000, validateOnly: false });
      expect(r.topics[0].errorCode, type).toBe(0);
      expect(b.topics.get(`c-${type}`)!.configs.get('compression.type')).toBe(type);
    }
    const bad = await call(b, 19, 7, { topics: [{ name: 'c-bad', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'compression.type', value: 'brotli' }] }], timeoutMs: 1000, validateOnly: false });
    expect(bad.topics[0].errorCode).toBe(KafkaCode.INVALID_CONFIG);
    const altered = await call(b, 33, 2, { resources: [{ resourceType: 2, resourceName: 'c-producer', configs: [{ name: 'compression.type', value: 'lz4' }] }], validateOnly: false });
    expect(altered.responses[0].errorCode).toBe(0);
    expect(b.topics.get('c-producer')!.configs.get('compression.type')).toBe('lz4');
    const incremental = await call(b, 44, 1, { resources: [{ resourceType: 2, resourceName: 'c-producer', configs: [{ name: 'compression.type', configOperation: 0, value: 'zstd' }] }], validateOnly: false });
    expect(incremental.responses[0].errorCode).toBe(0);
    expect(b.topics.get('c-producer')!.configs.get('compression.type')).toBe('zstd');
  });

  it('recompresses a batch in another codec and keeps offsets, timestamps and a valid CRC', async () => {
    const b = await broker();
    await b.topics.create({ name: 'gz', numPartitions: 1, replicationFactor: 1, configs: [['compression.type', 'gzip']] });
    expect((await produce(b, 'gz', await batch(['a', 'b', 'c'], NONE))).baseOffset).toBe(0);
    expect((await produce(b, 'gz', await batch(['d', 'e'], LZ4))).baseOffset).toBe(3);
    expect((await produce(b, 'gz', await batch(['f'], SNAPPY))).baseOffset).toBe(5);
    const batches = await stored(b, 'gz');
    expect(batches.map(codecOf)).toEqual([GZIP, GZIP, GZIP]);
    const decoded = await Promise.all(batches.map((x) => decodeBatch(x, 0, { registry: codecs() })));
    for (const x of batches) verifyBatchCrc(x, 0, readBatchHeader(x));
    expect(decoded.map((d) => [d.baseOffset, d.lastOffsetDelta, d.records.length])).toEqual([[0, 2, 3], [3, 1, 2], [5, 0, 1]]);
    expect(decoded.flatMap((d) => d.records.map((r) => [r.offset, dec.decode(r.value!), r.timestamp]))).toEqual([
      [0, 'a', 1_700_000_000_000], [1, 'b', 1_700_000_000_001], [2, 'c', 1_700_000_000_002],
      [3, 'd', 1_700_000_000_000], [4, 'e', 1_700_000_000_001], [5, 'f', 1_700_000_000_000],
    ]);
    expect(dec.decode(decoded[0]!.records[1]!.headers[0]!.value!)).toBe('x1');
  });

  it('stores the bytes as they came when codecs match or the topic says producer (no decoding)', async () => {
    const b = await broker();
    await b.topics.create({ name: 'zs', numPartitions: 1, replicationFactor: 1, configs: [['compression.type', 'zstd']] });
    await b.topics.create({ name: 'pr', numPartitions: 1, replicationFactor: 1 });
    const sent = await batch(['m', 'n'], ZSTD);
    await produce(b, 'zs', sent.slice());
    const lz = await batch(['o'], LZ4);
    await produce(b, 'pr', lz.slice());
    // From the magic byte on (CRC, attributes, records) the stored batch is the sent one; only the
    // base offset and leader epoch the broker stamps before it differ.
    const tail = (x: Uint8Array) => Buffer.from(x.subarray(16));
    expect(tail((await stored(b, 'zs'))[0]!).equals(tail(sent))).toBe(true);
    expect(tail((await stored(b, 'pr'))[0]!).equals(tail(lz))).toBe(true);
  });

  it('decompresses to an uncompressed topic, and the broker default applies to topics without an override', async () => {
    const b = await broker({ topicDefaults: { 'compression.type': 'uncompressed' } });
    await b.topics.create({ name: 'plain', numPartitions: 1, replicationFactor: 1 });
    await produce(b, 'plain', await batch(['p', 'q'], GZIP));
    const [x] = await stored(b, 'plain');
    expect(codecOf(x!)).toBe(NONE);
    expect((await decodeBatch(x!)).records.map((r) => dec.decode(r.value!))).toEqual(['p', 'q']);
  });

  it('keeps idempotent producer state: a converted retry is a duplicate, the next sequence goes on', async () => {
    const b = await broker();
    await b.topics.create({ name: 'idem', numPartitions: 1, replicationFactor: 1, configs: [['compression.type', 'snappy']] });
    const pid = await call(b, 22, 4, { transactionalId: null, transactionTimeoutMs: 60000, producerId: -1, producerEpoch: -1 });
    const id = { producerId: pid.producerId, producerEpoch: pid.producerEpoch };
    const first = await batch(['i0', 'i1'], NONE, { ...id, baseSequence: 0 });
    expect(await produce(b, 'idem', first.slice())).toMatchObject({ errorCode: 0, baseOffset: 0 });
    expect(await produce(b, 'idem', first.slice())).toMatchObject({ errorCode: 0, baseOffset: 0 });
    expect(await produce(b, 'idem', await batch(['i2'], GZIP, { ...id, baseSequence: 2 }))).toMatchObject({ errorCode: 0, baseOffset: 2 });
    expect((await produce(b, 'idem', await batch(['gap'], NONE, { ...id, baseSequence: 9 }))).errorCode).toBe(KafkaCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    const batches = await stored(b, 'idem');
    expect(batches.map(codecOf)).toEqual([SNAPPY, SNAPPY]);
    const headers = batches.map((x) => readBatchHeader(x));
    expect(headers.map((h) => [h.baseOffset, h.producerId, h.producerEpoch, h.baseSequence])).toEqual([[0, id.producerId, id.producerEpoch, 0], [2, id.producerId, id.producerEpoch, 2]]);
  });

  it('keeps request order on a partition when a converted append is followed by one that needs no conversion', async () => {
    const b = await broker();
    await b.topics.create({ name: 'ord', numPartitions: 1, replicationFactor: 1, configs: [['compression.type', 'zstd']] });
    const big = await batch(Array.from({ length: 2000 }, (_, i) => `value-${i}-${'x'.repeat(50)}`), NONE);
    const small = await batch(['after'], ZSTD);
    const [one, two] = await Promise.all([produce(b, 'ord', big), produce(b, 'ord', small)]);
    expect([one!.baseOffset, two!.baseOffset]).toEqual([0, 2000]);
  });

  it('refuses what cannot be converted without assigning offsets', async () => {
    const noCodecs = await broker({ codecs: undefined });
    await noCodecs.topics.create({ name: 'nc', numPartitions: 1, replicationFactor: 1, configs: [['compression.type', 'gzip']] });
    expect((await produce(noCodecs, 'nc', await batch(['a'], NONE))).errorCode).toBe(KafkaCode.UNSUPPORTED_COMPRESSION_TYPE);
    const b = await broker();
    await b.topics.create({ name: 'z', numPartitions: 1, replicationFactor: 1, configs: [['compression.type', 'zstd']] });
    // zstd needs Produce v7+, as Kafka says for a zstd topic.
    expect((await produce(b, 'z', await batch(['a'], NONE), 6)).errorCode).toBe(KafkaCode.UNSUPPORTED_COMPRESSION_TYPE);
    expect((await produce(b, 'z', await batch(['b'], NONE))).baseOffset).toBe(0);
  });
});
