/**
 * Stopping from inside a handler: `client.close()`, `consumer.stop()`, `close()` or
 * `disconnect()` awaited in `eachMessage`/`eachBatch` must not wait for the handler that
 * awaits it (it used to deadlock). A stop from outside still waits for the running
 * handler. Group and assign mode, in-process and TCP.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createBroker } from '../../adapters/runtime/embedded-broker.ts';
import type { Client } from '../../core/client/client.ts';
import type { Consumer, RunOptions } from '../../core/client/consumer.ts';
import { type Harness, type Mode, harness, until } from './helpers.ts';

const open: Harness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});

type Stopper = 'client.close' | 'stop' | 'close' | 'disconnect';

async function produced(mode: Mode, topic: string, count: number): Promise<{ h: Harness; client: Client }> {
  const h = await harness(mode, { groups: { initialRebalanceDelayMs: 0 } });
  open.push(h);
  const client = h.client();
  const producer = client.producer({ lingerMs: 0 });
  await producer.send({ topic, messages: Array.from({ length: count }, (_, i) => ({ value: `m${i}` })) });
  await producer.close();
  return { h, client };
}

function stopper(how: Stopper, client: Client, consumer: Consumer): () => Promise<void> {
  if (how === 'client.close') return () => client.close();
  if (how === 'stop') return () => consumer.stop();
  if (how === 'close') return () => consumer.close();
  return () => consumer.disconnect();
}

/** Runs `consumer` with a handler (message or batch style) that awaits `stop` on its first call; resolves when it returned. */
async function runAndStopInside(consumer: Consumer, style: 'eachMessage' | 'eachBatch', stop: () => Promise<void>): Promise<number> {
  let calls = 0;
  let returned!: () => void;
  const handlerReturned = new Promise<void>((resolve) => (returned = resolve));
  const handler = async () => {
    calls++;
    // An await first: the stop is not in the synchronous part of the handler call.
    await Promise.resolve();
    await stop();
    returned();
  };
  const handlers: RunOptions = style === 'eachMessage' ? { eachMessage: handler } : { eachBatch: handler };
  await consumer.run(handlers);
  await handlerReturned;
  await consumer.done();
  return calls;
}

for (const mode of ['in-process', 'tcp'] as const) {
  describe(`stop from inside a handler (${mode})`, () => {
    for (const style of ['eachMessage', 'eachBatch'] as const) {
      for (const how of ['client.close', 'stop', 'close', 'disconnect'] as const) {
        it(`${style}, group mode, ${how}(): returns, leaves the group, leaves the current message uncommitted`, async () => {
          const topic = `in-group-${style}-${how}`;
          const { client, h } = await produced(mode, topic, 3);
          const consumer = client.consumer({ groupId: `g-${topic}`, fromBeginning: true });
          await consumer.subscribe({ topics: [topic] });
          const calls = await runAndStopInside(consumer, style, stopper(how, client, consumer));
          expect(calls).toBe(1);
          expect(consumer.running).toBe(false);
          // The member left (no session timeout to wait for) and committed nothing past the unfinished message.
          const admin = h.client().admin();
          const [group] = (await admin.describeGroups([`g-${topic}`])).groups;
          expect(group!.members).toEqual([]);
          const offsets = await admin.fetchOffsets({ groupId: `g-${topic}`, topics: [topic] });
          expect(offsets[0]!.partitions[0]!.offset).toBe(0);
        });

        it(`${style}, assign mode, ${how}(): returns and stops`, async () => {
          const topic = `in-assign-${style}-${how}`;
          const { client } = await produced(mode, topic, 3);
          const consumer = client.consumer({ fromBeginning: true });
          await consumer.assign([{ topic, partition: 0 }]);
          const calls = await runAndStopInside(consumer, style, stopper(how, client, consumer));
          expect(calls).toBe(1);
          expect(consumer.running).toBe(false);
        });
      }
    }

    it('a consumer stopped from inside its handler runs again afterwards, from where it stopped', async () => {
      const { client } = await produced(mode, 'rerun', 3);
      const consumer = client.consumer({ fromBeginning: true });
      await consumer.assign([{ topic: 'rerun', partition: 0 }]);
      const seen: number[] = [];
      await consumer.run({
        eachMessage: async ({ message }) => {
          seen.push(message.offset);
          await consumer.stop();
        },
      });
      await consumer.done();
      // The message whose handler stopped the consumer counts as unprocessed: it comes again.
      await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.offset) });
      await until(() => seen.length >= 4);
      await consumer.stop();
      expect(seen).toEqual([0, 0, 1, 2]);
    });

    it('a stop from outside still waits for the running handler', async () => {
      const { client } = await produced(mode, 'outside', 1);
      const consumer = client.consumer({ groupId: 'g-outside', fromBeginning: true });
      await consumer.subscribe({ topics: ['outside'] });
      let entered!: () => void;
      const inHandler = new Promise<void>((resolve) => (entered = resolve));
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let finished = false;
      await consumer.run({
        eachMessage: async () => {
          entered();
          await released;
          finished = true;
        },
      });
      await inHandler;
      const stopping = consumer.stop();
      let stopped = false;
      void stopping.then(() => (stopped = true));
      // Give stop() every chance to resolve early: it must not while the handler runs.
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      expect(stopped).toBe(false);
      release();
      await stopping;
      expect(finished).toBe(true);
    });
  });
}

describe('stop from inside a handler of an embedded broker client (the repro of the bug)', () => {
  for (const style of ['eachMessage', 'eachBatch'] as const) {
    it(`${style}: client.close() and broker.close() inside the handler both resolve`, async () => {
      const broker = await createBroker();
      const client = broker.client();
      await client.producer().send({ topic: 'repro', messages: [{ value: 'x' }] });
      const consumer = client.consumer({ groupId: 'repro', fromBeginning: true });
      await consumer.subscribe({ topics: ['repro'] });
      let done!: () => void;
      const finished = new Promise<void>((resolve) => (done = resolve));
      const handler = async () => {
        await client.close();
        await broker.close();
        done();
      };
      await consumer.run(style === 'eachMessage' ? { eachMessage: handler } : { eachBatch: handler });
      await finished;
      await consumer.done();
    });
  }
});

describe('without an AsyncScope', () => {
  it('a stop in the synchronous part of the handler call is still recognised', async () => {
    const { h } = await produced('in-process', 'no-scope', 2);
    const client = h.client({ asyncScope: undefined });
    const consumer = client.consumer({ fromBeginning: true });
    await consumer.assign([{ topic: 'no-scope', partition: 0 }]);
    let returned!: () => void;
    const handlerReturned = new Promise<void>((resolve) => (returned = resolve));
    await consumer.run({
      eachMessage: () => consumer.stop().then(returned),
    });
    await handlerReturned;
    expect(consumer.running).toBe(false);
  });
});
