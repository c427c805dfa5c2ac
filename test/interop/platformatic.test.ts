/**
 * @platformatic/kafka 1.35 (unmodified) against the broker on this Node: admin, producer
 * with every codec it can run here, and group-free consumption through Consumer.fetch
 * (its consume() stream needs consumer groups, which arrive with issue 5).
 */
import { Admin, Consumer, Producer, stringSerializers } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrokerFixture, startBroker, storedCodecs } from './broker-fixture.ts';

let fx: BrokerFixture;
beforeAll(async () => {
  fx = await startBroker();
});
afterAll(async () => {
  await fx?.close();
});

interface Consumed {
  offset: number;
  key: string | null;
  value: string | null;
  timestamp: number;
  headers: Array<[string, string]>;
}

/** Reads a partition from `offset` up to the high watermark with Consumer.fetch. */
async function fetchAll(topic: string, partition: number, offset: number): Promise<Consumed[]> {
  const consumer = new Consumer({ clientId: 'interop', groupId: 'unused', bootstrapBrokers: [fx.bootstrap], retries: 1 });
  const out: Consumed[] = [];
  try {
    let next = offset;
    for (;;) {
      const response = await consumer.fetch({
        node: 1,
        maxWaitTime: 100,
        topics: [{ topicId: topic, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: BigInt(next), lastFetchedEpoch: -1, partitionMaxBytes: 1 << 20 }] }],
      });
      const p = response.responses[0]!.partitions[0]!;
      expect(p.errorCode).toBe(0);
      let added = 0;
      for (const batch of p.records ?? []) {
        for (const r of batch.records) {
          const o = Number(batch.firstOffset) + r.offsetDelta;
          if (o < next) continue;
          out.push({
            offset: o,
            key: r.key === null ? null : r.key.toString(),
            value: r.value === null ? null : r.value.toString(),
            timestamp: Number(batch.firstTimestamp + r.timestampDelta),
            headers: r.headers.map(([k, v]) => [String(k), String(v)]),
          });
          added++;
        }
      }
      if (out.length > 0) next = out[out.length - 1]!.offset + 1;
      if (added === 0 || next >= Number(p.highWatermark)) return out;
    }
  } finally {
    await consumer.close(true);
  }
}

const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
const CODEC_IDS = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
// Node 20's zlib has no zstd (added in Node 22.15), which is what platformatic uses for it.
const hasZstd = typeof (await import('node:zlib') as Record<string, unknown>).zstdCompress === 'function';

describe('@platformatic/kafka 1.35', () => {
  it('creates, describes and deletes topics through Admin', async () => {
    const admin = new Admin({ clientId: 'interop', bootstrapBrokers: [fx.bootstrap] });
    try {
      const created = await admin.createTopics({ topics: ['pk-admin'], partitions: 3, replicas: 1, configs: [{ name: 'retention.ms', value: '60000' }] });
      expect(created[0]).toMatchObject({ name: 'pk-admin', partitions: 3, replicas: 1 });
      expect(await admin.listTopics()).toContain('pk-admin');
      await expect(admin.createTopics({ topics: ['pk-rf'], partitions: 1, replicas: 2 })).rejects.toThrow();
      await admin.deleteTopics({ topics: ['pk-admin'] });
      expect(await admin.listTopics()).not.toContain('pk-admin');
    } finally {
      await admin.close();
    }
  });

  for (const codec of CODECS) {
    it.skipIf(codec === 'zstd' && !hasZstd)(`produces keyed and keyless records with headers and fetches them back (${codec})`, async () => {
      const topic = `pk-${codec}`;
      const admin = new Admin({ clientId: 'interop', bootstrapBrokers: [fx.bootstrap] });
      await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 });
      await admin.close();
      const producer = new Producer({
        clientId: 'interop',
        bootstrapBrokers: [fx.bootstrap],
        serializers: stringSerializers,
        ...(codec === 'none' ? {} : { compression: codec }),
      });
      const base = 1_700_000_000_000;
      const messages = Array.from({ length: 24 }, (_, i) => ({
        topic,
        partition: 0,
        key: i % 4 === 0 ? undefined : `key-${i}`,
        value: `value-${i}-${'z'.repeat(i * 9)}`,
        headers: new Map([['trace', `t-${i}`]]),
        timestamp: BigInt(base + i),
      }));
      try {
        const result = await producer.send({ messages: messages.slice(0, 12), acks: 1 });
        expect(result.offsets?.[0]).toMatchObject({ topic, partition: 0, offset: 0n });
        await producer.send({ messages: messages.slice(12), acks: -1 });
      } finally {
        await producer.close();
      }
      expect(await storedCodecs(fx.broker, topic, 0)).toEqual([CODEC_IDS[codec], CODEC_IDS[codec]]);
      const fetched = await fetchAll(topic, 0, 0);
      expect(fetched).toHaveLength(24);
      fetched.forEach((m, i) => {
        expect(m.offset).toBe(i);
        expect(m.key ?? undefined).toBe(messages[i]!.key);
        expect(m.value).toBe(messages[i]!.value);
        expect(m.timestamp).toBe(base + i);
        expect(m.headers).toEqual([['trace', `t-${i}`]]);
      });
      // From an offset inside a batch: every field as read from the beginning.
      expect(await fetchAll(topic, 0, 20)).toEqual(fetched.slice(20));
    });
  }

  it('lists offsets through Consumer.listOffsets', async () => {
    const producer = new Producer({ clientId: 'interop', bootstrapBrokers: [fx.bootstrap], serializers: stringSerializers, autocreateTopics: true });
    await producer.send({ messages: [{ topic: 'pk-offsets', value: 'a' }, { topic: 'pk-offsets', value: 'b' }] });
    await producer.close();
    const consumer = new Consumer({ clientId: 'interop', groupId: 'unused', bootstrapBrokers: [fx.bootstrap] });
    try {
      const latest = await consumer.listOffsets({ topics: ['pk-offsets'] });
      expect(latest.get('pk-offsets')).toEqual([2n]);
    } finally {
      await consumer.close(true);
    }
  });
});
