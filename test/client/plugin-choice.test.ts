/**
 * Compressor and partitioner chosen by registry name or as plugin objects, client-wide,
 * per topic and per producer, and the narrower setting winning field by field (a
 * producer's per-topic serializer keeps the client's per-topic partitioner).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsumerMessage } from '../../core/client/consumer.ts';
import type { Compressor } from '../../core/contracts/compressor.ts';
import type { Partitioner } from '../../core/contracts/partitioner.ts';
import { gzip } from '../../plugins/compressors/index.ts';
import { type Harness, collector, fullRegistry, harness } from './helpers.ts';

/** A gzip that counts its compress calls (so a test sees which compressor a batch went through). */
function countingGzip(name: string): Compressor & { calls: number } {
  const inner = gzip();
  const counter = {
    name,
    codec: inner.codec,
    calls: 0,
    compress(data: Uint8Array) {
      counter.calls++;
      return inner.compress(data);
    },
    decompress: (data: Uint8Array) => inner.decompress(data),
  };
  return counter;
}

/** A partitioner that puts everything on one partition (`last` or the first). */
function fixedPartitioner(name: string, last: boolean): Partitioner {
  return { name, partition: ({ partitionCount }) => (last ? partitionCount - 1 : 0) };
}

for (const mode of ['tcp', 'in-process'] as const) {
  describe(`plugin choice (${mode})`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await harness(mode);
    });
    afterAll(async () => {
      await h?.close();
    });

    async function consume(client: ReturnType<Harness['client']>, topic: string, partitions: number, count: number): Promise<ConsumerMessage[]> {
      const consumer = client.consumer({ fromBeginning: true, maxWaitMs: 20 });
      const got = collector<ConsumerMessage>();
      await consumer.assign(Array.from({ length: partitions }, (_, partition) => ({ topic, partition })));
      await consumer.run({ eachMessage: got.eachMessage });
      await got.until(count);
      await consumer.stop();
      return got.messages;
    }

    it('client-wide by name, per topic as objects, per producer overriding; settings merge per topic', async () => {
      const registry = fullRegistry();
      const byName = countingGzip('counted');
      registry.register('compressor', 'counted', () => byName);
      registry.register('partitioner', 'last', () => fixedPartitioner('last', true));
      const perTopic = countingGzip('per-topic');
      const client = h.client({
        registry,
        compression: 'counted',
        partitioner: 'last',
        topics: { 'pc-obj': { compression: perTopic, partitioner: fixedPartitioner('first', false) } },
      });
      const admin = client.admin();
      await admin.createTopics({ topics: [{ topic: 'pc-name', numPartitions: 3 }, { topic: 'pc-obj', numPartitions: 3 }] });

      // The client's choices by name: every keyed record on the last partition, through `counted`.
      const producer = client.producer({ lingerMs: 0 });
      const named = await producer.send({ topic: 'pc-name', messages: ['a', 'b', 'c'].map((key) => ({ key, value: `v-${key}` })) });
      expect(named.map((r) => r.partition)).toEqual([2]);
      expect(byName.calls).toBeGreaterThan(0);
      expect(perTopic.calls).toBe(0);

      // The topic's objects win over the client's names.
      const before = byName.calls;
      const objects = await producer.send({ topic: 'pc-obj', messages: ['a', 'b', 'c'].map((key) => ({ key, value: `v-${key}` })) });
      expect(objects.map((r) => r.partition)).toEqual([0]);
      expect(perTopic.calls).toBeGreaterThan(0);
      expect(byName.calls).toBe(before);

      // A producer's own setting for the topic adds to the client's instead of replacing it.
      const json = client.producer({ lingerMs: 0, topics: { 'pc-obj': { value: 'json' } } });
      const merged = await json.send({ topic: 'pc-obj', messages: [{ key: 'z', value: { n: 1 } }] });
      expect(merged.map((r) => r.partition)).toEqual([0]);

      // A producer-wide choice replaces the client-wide one.
      const plain = client.producer({ lingerMs: 0, compression: 'none' });
      const counted = byName.calls;
      await plain.send({ topic: 'pc-name', messages: [{ key: 'd', value: 'v-d' }] });
      expect(byName.calls).toBe(counted);

      const reader = h.client({ registry });
      expect((await consume(reader, 'pc-name', 3, 4)).map((m) => [m.partition, new TextDecoder().decode(m.value)])).toEqual([
        [2, 'v-a'],
        [2, 'v-b'],
        [2, 'v-c'],
        [2, 'v-d'],
      ]);
      const obj = await consume(reader, 'pc-obj', 3, 4);
      expect(obj.map((m) => [m.partition, new TextDecoder().decode(m.value)])).toEqual([
        [0, 'v-a'],
        [0, 'v-b'],
        [0, 'v-c'],
        [0, '{"n":1}'],
      ]);
    });
  });
}
