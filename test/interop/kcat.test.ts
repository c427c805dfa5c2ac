/**
 * librdkafka through kcat (the Debian package, unmodified) against the broker: every
 * codec, keyed and keyless records with headers, consuming from the beginning and from an
 * offset, and Java-compatible murmur2 partitioning.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionForKey } from '../../plugins/partitioners/index.ts';
import { type BrokerFixture, startBroker, storedCodecs } from './broker-fixture.ts';
import { kcat, type KcatMessage } from './kcat-runner.ts';

let fx: BrokerFixture;
beforeAll(async () => {
  fx = await startBroker();
});
afterAll(async () => {
  await fx?.close();
});

function consume(topic: string, from: string | number, extra: string[] = []): Promise<KcatMessage[]> {
  return kcat(['-b', fx.bootstrap, '-C', '-t', topic, '-o', String(from), '-e', '-q', '-J', ...extra]).then((out) =>
    out.split('\n').filter(Boolean).map((line) => JSON.parse(line) as KcatMessage),
  );
}

const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
const CODEC_IDS = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;

describe('kcat (librdkafka 2.0)', () => {
  for (const codec of CODECS) {
    it(`produces and consumes keyed and keyless records with headers (${codec})`, async () => {
      const topic = `kcat-${codec}`;
      await fx.broker.topics.create({ name: topic, numPartitions: 1, replicationFactor: 1 });
      const before = Date.now();
      const keyed = Array.from({ length: 20 }, (_, i) => `key-${i}|value-${i}-${'x'.repeat(i * 10)}`).join('\n') + '\n';
      await kcat(['-b', fx.bootstrap, '-P', '-t', topic, '-p', '0', '-z', codec, '-K', '|', '-H', 'h1=one', '-H', 'h2=two', '-X', 'acks=all'], keyed);
      const keyless = Array.from({ length: 5 }, (_, i) => `plain-${i}`).join('\n') + '\n';
      await kcat(['-b', fx.bootstrap, '-P', '-t', topic, '-p', '0', '-z', codec, '-X', 'acks=1'], keyless);
      const after = Date.now();
      const codecs = await storedCodecs(fx.broker, topic, 0);
      expect(codecs.length).toBeGreaterThan(0);
      // librdkafka sends a batch uncompressed when compressing would not shrink it (a few
      // short records): every batch is the codec or none, and the compressible one is the codec.
      expect(codecs.every((c) => c === CODEC_IDS[codec] || c === 0), `stored codecs ${codecs}`).toBe(true);
      expect(codecs.includes(CODEC_IDS[codec]), `stored codecs ${codecs}`).toBe(true);

      const messages = await consume(topic, 'beginning');
      expect(messages).toHaveLength(25);
      messages.forEach((m, i) => {
        expect(m.offset).toBe(i);
        expect(m.partition).toBe(0);
        expect(m.tstype).toBe('create');
        expect(m.ts).toBeGreaterThanOrEqual(before - 1);
        expect(m.ts).toBeLessThanOrEqual(after + 1);
        if (i < 20) {
          expect(m.key).toBe(`key-${i}`);
          expect(m.payload).toBe(`value-${i}-${'x'.repeat(i * 10)}`);
          expect(m.headers).toEqual(['h1', 'one', 'h2', 'two']);
        } else {
          expect(m.key).toBeNull();
          expect(m.payload).toBe(`plain-${i - 20}`);
          expect(m.headers ?? []).toEqual([]);
        }
      });
      // From an offset inside a batch: every field as read from the beginning.
      const tail = await consume(topic, 17);
      expect(tail).toEqual(messages.slice(17));
    });
  }

  it('puts keyed records where our murmur2 partitioner says (partitioner=murmur2_random)', async () => {
    const topic = 'kcat-murmur2';
    await fx.broker.topics.create({ name: topic, numPartitions: 5, replicationFactor: 1 });
    const keys = Array.from({ length: 60 }, (_, i) => `user-${i * 7919}`);
    await kcat(['-b', fx.bootstrap, '-P', '-t', topic, '-K', ':', '-X', 'partitioner=murmur2_random'], keys.map((k) => `${k}:v`).join('\n') + '\n');
    const messages = await consume(topic, 'beginning');
    expect(messages).toHaveLength(60);
    const enc = new TextEncoder();
    for (const m of messages) expect(m.partition).toBe(partitionForKey(enc.encode(m.key!), 5));
    expect(new Set(messages.map((m) => m.partition)).size).toBeGreaterThan(1);
  });

  it('stamps LogAppendTime for topics configured so', async () => {
    const topic = 'kcat-lat';
    await fx.broker.topics.create({ name: topic, numPartitions: 1, replicationFactor: 1, configs: [['message.timestamp.type', 'LogAppendTime']] });
    await kcat(['-b', fx.bootstrap, '-P', '-t', topic, '-z', 'lz4'], 'a\nb\n');
    const messages = await consume(topic, 'beginning');
    expect(messages.map((m) => m.tstype)).toEqual(['logappend', 'logappend']);
  });

  it('recompresses to the topic\'s compression.type (with LogAppendTime) and librdkafka reads it back', async () => {
    const topic = 'kcat-recompressed';
    await fx.broker.topics.create({ name: topic, numPartitions: 1, replicationFactor: 1, configs: [['compression.type', 'lz4'], ['message.timestamp.type', 'LogAppendTime']] });
    await kcat(['-b', fx.bootstrap, '-P', '-t', topic, '-p', '0', '-z', 'snappy', '-X', 'acks=all'], 'a\nb\nc\n');
    await kcat(['-b', fx.bootstrap, '-P', '-t', topic, '-p', '0', '-X', 'acks=all'], 'd\n');
    expect(await storedCodecs(fx.broker, topic, 0)).toEqual([CODEC_IDS.lz4, CODEC_IDS.lz4]);
    const messages = await consume(topic, 'beginning');
    expect(messages.map((m) => [m.offset, m.payload, m.tstype])).toEqual([[0, 'a', 'logappend'], [1, 'b', 'logappend'], [2, 'c', 'logappend'], [3, 'd', 'logappend']]);
  });

  it('lists metadata and auto-creates a topic on produce', async () => {
    await kcat(['-b', fx.bootstrap, '-P', '-t', 'kcat-auto'], 'x\n');
    const meta = JSON.parse(await kcat(['-b', fx.bootstrap, '-L', '-J']));
    expect(meta.brokers).toEqual([{ id: 1, name: fx.bootstrap }]);
    const auto = meta.topics.find((t: { topic: string }) => t.topic === 'kcat-auto');
    expect(auto.partitions).toEqual([{ partition: 0, leader: 1, replicas: [{ id: 1 }], isrs: [{ id: 1 }] }]);
  });
});
