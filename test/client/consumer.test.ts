/**
 * Consumer in assign mode against a real broker: starting positions, seek, pause and
 * resume, auto offset reset, eachBatch with resolveOffset, handler retries, bounded
 * prefetching.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Client } from '../../core/client/client.ts';
import type { ConsumerMessage } from '../../core/client/consumer.ts';
import { fetchHandler } from '../../core/broker/api/handlers/fetch.ts';
import { metadataHandler } from '../../core/broker/api/handlers/metadata.ts';
import { type Harness, type Mode, collector, dec, harness, until } from './helpers.ts';

const open: Harness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});

async function setup(mode: Mode, topic: string, count: number, partitions = 1): Promise<{ h: Harness; client: Client }> {
  const h = await harness(mode);
  open.push(h);
  const client = h.client();
  await client.admin().createTopics({ topics: [{ topic, numPartitions: partitions }] });
  const producer = client.producer({ lingerMs: 0 });
  for (let i = 0; i < count; i++) await producer.send({ topic, messages: [{ value: `m${i}`, partition: i % partitions }] });
  await producer.close();
  return { h, client };
}

const values = (ms: ConsumerMessage[]) => ms.map((m) => dec.decode(m.value));

for (const mode of ['tcp', 'in-process'] as const) {
  describe(`consumer (${mode})`, () => {
    it('starts at the given offset, else earliest with fromBeginning, else latest', async () => {
      const { client } = await setup(mode, 'start', 5);
      const at = collector<ConsumerMessage>();
      const c1 = client.consumer();
      await c1.assign([{ topic: 'start', partition: 0, offset: 3 }]);
      await c1.run({ eachMessage: at.eachMessage });
      await at.until(2);
      expect(values(at.messages)).toEqual(['m3', 'm4']);
      await c1.stop();

      const early = collector<ConsumerMessage>();
      const c2 = client.consumer({ fromBeginning: true });
      await c2.assign([{ topic: 'start', partition: 0 }]);
      await c2.run({ eachMessage: early.eachMessage });
      await early.until(5);
      expect(values(early.messages)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
      await c2.stop();

      const late = collector<ConsumerMessage>();
      const c3 = client.consumer({ maxWaitMs: 20 });
      await c3.assign([{ topic: 'start', partition: 0 }]);
      await c3.run({ eachMessage: late.eachMessage });
      await until(() => c3.positions().length === 1);
      expect(c3.positions()).toEqual([{ topic: 'start', partition: 0, offset: 5 }]);
      await client.producer().send({ topic: 'start', messages: [{ value: 'new' }] });
      await late.until(1);
      expect(values(late.messages)).toEqual(['new']);
      await c3.stop();
    });

    it('seeks back and forth while running', async () => {
      const { client } = await setup(mode, 'seek', 10);
      const got = collector<ConsumerMessage>();
      const consumer = client.consumer({ fromBeginning: true, maxWaitMs: 20 });
      await consumer.assign([{ topic: 'seek', partition: 0 }]);
      let sought = false;
      await consumer.run({
        eachMessage: async (payload) => {
          await got.eachMessage(payload);
          if (payload.message.offset === 5 && !sought) {
            sought = true;
            consumer.seek({ topic: 'seek', partition: 0, offset: 2 });
          }
        },
      });
      await got.until(14);
      expect(got.messages.map((m) => m.offset)).toEqual([0, 1, 2, 3, 4, 5, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(() => consumer.seek({ topic: 'other', partition: 0, offset: 0 })).toThrow(expect.objectContaining({ code: 'ERR_NOT_ASSIGNED' }));
      expect(() => consumer.seek({ topic: 'seek', partition: 0, offset: -1 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
      await consumer.stop();
    });

    it('pauses and resumes partitions', async () => {
      const { client } = await setup(mode, 'pause', 6, 2);
      const got = collector<ConsumerMessage>();
      const consumer = client.consumer({ fromBeginning: true, maxWaitMs: 20 });
      await consumer.assign([{ topic: 'pause', partition: 0 }, { topic: 'pause', partition: 1 }]);
      consumer.pause([{ topic: 'pause', partitions: [1] }]);
      expect(consumer.paused()).toEqual([{ topic: 'pause', partition: 1 }]);
      await consumer.run({ eachMessage: got.eachMessage });
      await got.until(3);
      // Give partition 1 every chance to leak through while paused.
      await new Promise((r) => setTimeout(r, 100));
      expect(got.messages.every((m) => m.partition === 0)).toBe(true);
      consumer.resume([{ topic: 'pause' }]);
      await got.until(6);
      expect(got.messages.filter((m) => m.partition === 1).map((m) => m.offset)).toEqual([0, 1, 2]);
      await consumer.stop();
    });

    it('pause() inside eachMessage stops after that message', async () => {
      const { client } = await setup(mode, 'self-pause', 5);
      const got = collector<ConsumerMessage>();
      const consumer = client.consumer({ fromBeginning: true, maxWaitMs: 20 });
      await consumer.assign([{ topic: 'self-pause', partition: 0 }]);
      await consumer.run({
        eachMessage: async (payload) => {
          await got.eachMessage(payload);
          if (payload.message.offset === 1) payload.pause();
        },
      });
      await got.until(2);
      await new Promise((r) => setTimeout(r, 100));
      expect(got.messages.map((m) => m.offset)).toEqual([0, 1]);
      expect(consumer.positions()).toEqual([{ topic: 'self-pause', partition: 0, offset: 2 }]);
      consumer.resume([{ topic: 'self-pause' }]);
      await got.until(5);
      expect(got.messages.map((m) => m.offset)).toEqual([0, 1, 2, 3, 4]);
      await consumer.stop();
    });

    for (const reset of ['earliest', 'latest'] as const) {
      it(`resets an out-of-range position to ${reset}`, async () => {
        const { client } = await setup(mode, `reset-${reset}`, 3);
        const got = collector<ConsumerMessage>();
        const consumer = client.consumer({ autoOffsetReset: reset, maxWaitMs: 20 });
        await consumer.assign([{ topic: `reset-${reset}`, partition: 0, offset: 100 }]);
        await consumer.run({ eachMessage: got.eachMessage });
        if (reset === 'earliest') {
          await got.until(3);
          expect(values(got.messages)).toEqual(['m0', 'm1', 'm2']);
        } else {
          await until(() => consumer.positions()[0]?.offset === 3);
          await client.producer().send({ topic: `reset-${reset}`, messages: [{ value: 'after' }] });
          await got.until(1);
          expect(values(got.messages)).toEqual(['after']);
        }
        await consumer.stop();
      });
    }

    it('fails with OFFSET_OUT_OF_RANGE when autoOffsetReset is none', async () => {
      const { client } = await setup(mode, 'reset-none', 3);
      const consumer = client.consumer({ autoOffsetReset: 'none' });
      await consumer.assign([{ topic: 'reset-none', partition: 0, offset: 100 }]);
      await consumer.run({ eachMessage: async () => {} });
      await expect(consumer.done()).rejects.toMatchObject({ code: 'OFFSET_OUT_OF_RANGE' });
      expect(consumer.running).toBe(false);
    });

    it('eachBatch: unresolved messages come again; resolved ones move the position', async () => {
      const { client } = await setup(mode, 'batch', 0);
      const producer = client.producer({ lingerMs: 50 });
      await Promise.all(Array.from({ length: 6 }, (_, i) => producer.send({ topic: 'batch', messages: [{ value: `b${i}` }] })));
      const seen: number[][] = [];
      const consumer = client.consumer({ fromBeginning: true, maxWaitMs: 20 });
      await consumer.assign([{ topic: 'batch', partition: 0 }]);
      await consumer.run({
        eachBatch: async ({ batch, resolveOffset, isRunning, isStale }) => {
          expect(isRunning()).toBe(true);
          expect(isStale()).toBe(false);
          expect(batch.highWatermark).toBe(6);
          seen.push(batch.messages.map((m) => m.offset));
          // First time round, only the first half is processed.
          if (seen.length === 1) resolveOffset(batch.messages[2]!.offset);
        },
      });
      await until(() => consumer.positions()[0]?.offset === 6);
      expect(seen).toEqual([[0, 1, 2, 3, 4, 5], [3, 4, 5]]);
      await consumer.stop();
    });

    it('retries a failing handler on the same message (at least once), then crashes', async () => {
      const { client } = await setup(mode, 'fail', 3);
      const attempts: number[] = [];
      const consumer = client.consumer({ fromBeginning: true, maxWaitMs: 20, retry: { retries: 2, initialRetryTime: 5, maxRetryTime: 10 } });
      await consumer.assign([{ topic: 'fail', partition: 0 }]);
      let failures = 0;
      await consumer.run({
        eachMessage: async ({ message }) => {
          attempts.push(message.offset);
          if (message.offset === 1 && failures++ < 2) throw new Error('transient');
        },
      });
      await until(() => consumer.positions()[0]?.offset === 3);
      expect(attempts).toEqual([0, 1, 1, 1, 2]);
      await consumer.stop();

      const always = client.consumer({ fromBeginning: true, maxWaitMs: 20, retry: { retries: 1, initialRetryTime: 5, maxRetryTime: 10 } });
      await always.assign([{ topic: 'fail', partition: 0 }]);
      await always.run({ eachMessage: async () => { throw Object.assign(new Error('permanent'), { code: 'APP' }); } });
      await expect(always.done()).rejects.toMatchObject({ code: 'APP' });
    });

    it('prefetches a bounded amount ahead of a slow handler', async () => {
      const { client } = await setup(mode, 'prefetch', 0);
      const producer = client.producer({ batchSize: 1024 });
      const value = new Uint8Array(500);
      await producer.send({ topic: 'prefetch', messages: Array.from({ length: 200 }, () => ({ value })) });
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const consumer = client.consumer({ fromBeginning: true, maxWaitMs: 20, maxBytesPerPartition: 2048, maxPrefetchBytes: 4096 });
      await consumer.assign([{ topic: 'prefetch', partition: 0 }]);
      let handled = 0;
      await consumer.run({ eachMessage: async () => { await gate; handled++; } });
      // Let the fetcher run as far as it may while the handler is stuck on the first message.
      await new Promise((r) => setTimeout(r, 200));
      expect(consumer.positions()).toEqual([{ topic: 'prefetch', partition: 0, offset: 0 }]);
      // Fetching stops once 4096 bytes wait; the last fetch may add up to 2048 (or one batch).
      expect(consumer.prefetchedBytes).toBeGreaterThan(0);
      expect(consumer.prefetchedBytes).toBeLessThanOrEqual(4096 + 2048);
      release();
      await until(() => handled === 200);
      await consumer.stop();
    });

    it('replaces its assignment and refuses bad input', async () => {
      const { client } = await setup(mode, 'reassign', 4, 2);
      const got = collector<ConsumerMessage>();
      const consumer = client.consumer({ fromBeginning: true, maxWaitMs: 20 });
      await consumer.assign([{ topic: 'reassign', partition: 0 }]);
      await consumer.run({ eachMessage: got.eachMessage });
      await got.until(2);
      await consumer.assign([{ topic: 'reassign', partition: 1 }]);
      await got.until(4);
      expect(consumer.assignment()).toEqual([{ topic: 'reassign', partition: 1 }]);
      expect(got.messages.map((m) => m.partition)).toEqual([0, 0, 1, 1]);
      await expect(consumer.run({ eachMessage: async () => {} })).rejects.toMatchObject({ code: 'ERR_CONSUMER_RUNNING' });
      await consumer.stop();
      expect(() => consumer.assign([{ topic: '', partition: 0 }])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
      await expect(consumer.run({} as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    });

    it('a fetch answered NOT_LEADER_OR_FOLLOWER refreshes metadata and goes on without loss', async () => {
      const { h, client } = await setup(mode, 'moved', 3);
      let metadataRequests = 0;
      let metadataAtRefusal = -1;
      let refused = 0;
      h.broker.registerHandler({ ...metadataHandler, handle: (broker, header, body) => (metadataRequests++, metadataHandler.handle(broker, header, body)) });
      h.broker.registerHandler({
        ...fetchHandler,
        handle: async (broker, header, body) => {
          if (refused < 2 && body.topics[0]?.topic === 'moved') {
            refused++;
            metadataAtRefusal = metadataRequests;
            return { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses: body.topics.map((t: { topic: string; partitions: Array<{ partition: number }> }) => ({ topic: t.topic, partitions: t.partitions.map((p) => ({ partitionIndex: p.partition, errorCode: 6, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, abortedTransactions: null, preferredReadReplica: -1, records: null })) })) };
          }
          return fetchHandler.handle(broker, header, body);
        },
      });
      const got = collector<ConsumerMessage>();
      const consumer = client.consumer({ fromBeginning: true, maxWaitMs: 20 });
      await consumer.assign([{ topic: 'moved', partition: 0 }]);
      await consumer.run({ eachMessage: got.eachMessage });
      await got.until(3);
      await consumer.stop();
      expect(refused).toBe(2);
      expect(metadataRequests).toBeGreaterThan(metadataAtRefusal);
      expect(values(got.messages)).toEqual(['m0', 'm1', 'm2']);
    });
  });
}
