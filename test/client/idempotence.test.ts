/**
 * Idempotent retries: a Produce whose answer is lost (the client times out while the
 * broker still appends) is retried with the same producer id and sequence, and the
 * broker keeps one copy. The same scenario without idempotence stores two, which shows
 * the test can tell the difference. Skipped while the broker lacks InitProducerId.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { metadataHandler } from '../../core/broker/api/handlers/metadata.ts';
import { produceHandler } from '../../core/broker/api/handlers/produce.ts';
import type { ConsumerMessage } from '../../core/client/consumer.ts';
import type { Logger } from '../../core/contracts/logger.ts';
import { startCutProxy } from './cut-proxy.ts';
import { type Harness, type Mode, collector, dec, harness, until } from './helpers.ts';

const open: Harness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});

async function lostAnswer(idempotent: boolean, mode: 'tcp' | 'in-process' = 'tcp'): Promise<{ values: string[]; producerId: number }> {
  const h = await harness(mode);
  open.push(h);
  let held = true;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  h.broker.registerHandler({
    ...produceHandler,
    handle: async (broker, header, body) => {
      if (held && body.topicData[0]?.name === 'dedup') {
        held = false;
        await gate;
      }
      return produceHandler.handle(broker, header, body);
    },
  });
  const retries: string[] = [];
  const logger: Logger = { debug: (m) => void (m === 'retrying batch' && retries.push(m)), info() {}, warn() {}, error() {} };
  const client = h.client({ logger, requestTimeoutMs: 300, retry: { retries: 5, initialRetryTime: 150, maxRetryTime: 300 } });
  await client.admin().createTopics({ topics: [{ topic: 'dedup', numPartitions: 1 }] });
  const producer = client.producer({ idempotent, acks: idempotent ? 'all' : 1, timeoutMs: 100, lingerMs: 0 });
  const sent = producer.send({ topic: 'dedup', messages: [{ value: 'once' }] });
  await until(() => retries.length > 0);
  // The held request now appends, after the client gave up on it and before its retry lands.
  release();
  const [meta] = await sent;
  expect(meta!.errorCode).toBe(0);
  await producer.send({ topic: 'dedup', messages: [{ value: 'next' }] });
  const consumer = h.client().consumer({ fromBeginning: true, maxWaitMs: 20 });
  const got = collector<ConsumerMessage>();
  await consumer.assign([{ topic: 'dedup', partition: 0 }]);
  await consumer.run({ eachMessage: got.eachMessage });
  await until(() => got.messages.some((m) => dec.decode(m.value) === 'next'));
  await consumer.stop();
  return { values: got.messages.map((m) => dec.decode(m.value)), producerId: producer.producerId };
}

const probe = await harness('in-process');
const brokerIsIdempotent = probe.broker.handles(22);
await probe.close();

describe('idempotent producer', () => {
  for (const mode of ['tcp', 'in-process'] as const) {
    it.skipIf(!brokerIsIdempotent)(`keeps one copy of a batch whose answer was lost and which was retried (${mode})`, async () => {
      const { values, producerId } = await lostAnswer(true, mode);
      expect(producerId).toBeGreaterThanOrEqual(0);
      expect(values).toEqual(['once', 'next']);
    });
  }

  it.skipIf(!brokerIsIdempotent)('keeps producing after the broker rejects a batch (later sequences move down)', async () => {
    const h = await harness('tcp');
    open.push(h);
    let gapRequests = 0;
    h.broker.registerHandler({
      ...produceHandler,
      handle: async (broker, header, body) => {
        // The second Produce to 'gap' is refused, after the broker knows the producer's sequences.
        if (body.topicData[0]?.name === 'gap' && ++gapRequests === 2) {
          const t = body.topicData[0];
          // INVALID_RECORD (87, not retriable): the broker wrote nothing.
          return { responses: [{ name: t.name, partitionResponses: t.partitionData.map((p: { index: number }) => ({ index: p.index, errorCode: 87, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, recordErrors: [], errorMessage: 'rejected by the test' })) }], throttleTimeMs: 0 };
        }
        return produceHandler.handle(broker, header, body);
      },
    });
    const client = h.client();
    await client.admin().createTopics({ topics: [{ topic: 'gap', numPartitions: 1 }] });
    const producer = client.producer({ lingerMs: 0 });
    await producer.connect();
    expect(producer.idempotent).toBe(true);
    expect((await producer.send({ topic: 'gap', messages: [{ value: 'first' }] }))[0]!.baseOffset).toBe(0);
    await expect(producer.send({ topic: 'gap', messages: [{ value: 'r1' }, { value: 'r2' }, { value: 'r3' }] })).rejects.toMatchObject({ code: 'INVALID_RECORD' });
    const [meta] = await producer.send({ topic: 'gap', messages: [{ value: 'ok' }] });
    expect(meta).toMatchObject({ errorCode: 0, baseOffset: 1 });
    const more = await Promise.all(Array.from({ length: 5 }, (_, i) => producer.send({ topic: 'gap', messages: [{ value: `m${i}` }] })));
    expect(more.map((r) => r[0]!.baseOffset)).toEqual([2, 3, 4, 5, 6]);
  });

  it('stores the retried batch twice without idempotence (what idempotence prevents)', async () => {
    const { values, producerId } = await lostAnswer(false);
    expect(producerId).toBe(-1);
    expect(values).toEqual(['once', 'once', 'next']);
  });

  for (const mode of ['tcp', 'in-process'] as const) {
    it.skipIf(!brokerIsIdempotent)(`KIP-360: after a batch lost with its retries (${mode === 'tcp' ? 'cut connection' : 'failed request'}), a new epoch lets later batches through, in order`, async () => {
      const { h, client, arm, lost } = await losingBroker(mode);
      await client.admin().createTopics({ topics: [{ topic: 'kip360', numPartitions: 1 }] });
      const producer = client.producer({ lingerMs: 0, retry: { retries: 1, initialRetryTime: 10, maxRetryTime: 20 } });
      expect((await producer.send({ topic: 'kip360', messages: [{ value: 'first' }] }))[0]!.baseOffset).toBe(0);
      const before = { id: producer.producerId, epoch: producer.producerEpoch };
      // The attempt and its one retry never reach the log; the producer cannot know that.
      arm(2);
      await expect(producer.send({ topic: 'kip360', messages: [{ value: 'lost-1' }, { value: 'lost-2' }] })).rejects.toMatchObject({ code: 'ERR_CONNECTION_CLOSED' });
      expect(lost()).toBe(2);
      // Without the new epoch the broker still expects sequence 1 and refuses these forever (OUT_OF_ORDER_SEQUENCE_NUMBER).
      const sends = ['a', 'b', 'c', 'd'].map((value) => producer.send({ topic: 'kip360', messages: [{ value }] }));
      const offsets = (await Promise.all(sends)).map((r) => r[0]!.baseOffset);
      expect(offsets).toEqual([1, 2, 3, 4]);
      expect({ id: producer.producerId, epoch: producer.producerEpoch }).not.toEqual(before);
      const consumer = h.client().consumer({ fromBeginning: true, maxWaitMs: 20 });
      const got = collector<ConsumerMessage>();
      await consumer.assign([{ topic: 'kip360', partition: 0 }]);
      await consumer.run({ eachMessage: got.eachMessage });
      await got.until(5);
      await consumer.stop();
      expect(got.messages.map((m) => dec.decode(m.value))).toEqual(['first', 'a', 'b', 'c', 'd']);
    });
  }
  for (const mode of ['tcp', 'in-process'] as const) {
    it.skipIf(!brokerIsIdempotent)(`keeps the send order of one partition across a retried request with 5 in flight; NOT_LEADER refreshes metadata (${mode})`, async () => {
      const h = await harness(mode);
      open.push(h);
      let requests = 0;
      let metadataRequests = 0;
      let metadataAtRefusal = -1;
      h.broker.registerHandler({ ...metadataHandler, handle: (broker, header, body) => (metadataRequests++, metadataHandler.handle(broker, header, body)) });
      h.broker.registerHandler({
        ...produceHandler,
        handle: async (broker, header, body) => {
          // The third Produce is refused unwritten (retriable) while later ones are already on their way.
          if (body.topicData[0]?.name === 'order' && ++requests === 3) {
            metadataAtRefusal = metadataRequests;
            const t = body.topicData[0];
            return { responses: [{ name: t.name, partitionResponses: t.partitionData.map((p: { index: number }) => ({ index: p.index, errorCode: 6, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, recordErrors: [], errorMessage: null })) }], throttleTimeMs: 0 };
          }
          return produceHandler.handle(broker, header, body);
        },
      });
      const client = h.client();
      await client.admin().createTopics({ topics: [{ topic: 'order', numPartitions: 1 }] });
      // batchSize 1: one record per batch, so the 40 sends make 40 requests, 5 at a time.
      const producer = client.producer({ lingerMs: 0, batchSize: 1, maxInFlightRequests: 5 });
      await producer.connect();
      const sends = Array.from({ length: 40 }, (_, i) => producer.send({ topic: 'order', messages: [{ value: `m${i}` }] }));
      const offsets = (await Promise.all(sends)).map((r) => r[0]!.baseOffset);
      expect(requests).toBeGreaterThan(3);
      // NOT_LEADER_OR_FOLLOWER sent the producer to the metadata before its retry.
      expect(metadataRequests).toBeGreaterThan(metadataAtRefusal);
      expect(offsets).toEqual(Array.from({ length: 40 }, (_, i) => i));
      const consumer = h.client().consumer({ fromBeginning: true, maxWaitMs: 20 });
      const got = collector<ConsumerMessage>();
      await consumer.assign([{ topic: 'order', partition: 0 }]);
      await consumer.run({ eachMessage: got.eachMessage });
      await got.until(40);
      await consumer.stop();
      expect(got.messages.map((m) => dec.decode(m.value))).toEqual(Array.from({ length: 40 }, (_, i) => `m${i}`));
    });
  }
});

/** A broker whose Produce requests can be lost on arm(n): cut by a proxy over TCP, failed by the handler in-process. */
async function losingBroker(mode: Mode): Promise<{ h: Harness; client: ReturnType<Harness['client']>; arm(n: number): void; lost(): number }> {
  const h = await harness(mode);
  open.push(h);
  if (mode === 'tcp') {
    const proxy = await startCutProxy(Number(h.server!.address.split(':')[1]));
    // Every connection the client opens, bootstrap or leader, goes through the proxy.
    h.broker.advertise('127.0.0.1', Number(proxy.address.split(':')[1]));
    open.push({ close: () => proxy.close() } as Harness);
    return { h, client: h.client({ brokers: [proxy.address] }), arm: (n) => proxy.arm(n), lost: () => proxy.dropped };
  }
  let armed = 0;
  let dropped = 0;
  h.broker.registerHandler({
    ...produceHandler,
    handle: async (broker, header, body) => {
      if (armed > 0) {
        armed--;
        dropped++;
        // A handler failure reaches the in-process client as a closed connection: nothing was written.
        throw new Error('lost on the way');
      }
      return produceHandler.handle(broker, header, body);
    },
  });
  return { h, client: h.client(), arm: (n) => void (armed += n), lost: () => dropped };
}
