/**
 * Producer behaviour against a real broker: acks, partitioning and order, linger and
 * batching, bounded memory, retries across a broker restart, metadata refresh.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { filesystemStorage } from '../../adapters/filesystem/index.ts';
import { startServer } from '../../adapters/server/index.ts';
import { tcpTransport } from '../../adapters/transport/index.ts';
import { Broker } from '../../core/broker/broker.ts';
import { DEFAULT_HANDLERS } from '../../core/broker/api/preset.ts';
import { produceHandler } from '../../core/broker/api/handlers/produce.ts';
import { createClient } from '../../core/client/client.ts';
import type { ConsumerBatch, ConsumerMessage } from '../../core/client/consumer.ts';
import type { Logger } from '../../core/contracts/logger.ts';
import { partitionForKey } from '../../plugins/partitioners/index.ts';
import { type Harness, type Mode, collector, dec, enc, fullRegistry, harness, until } from './helpers.ts';

const open: Harness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});

async function start(mode: Mode): Promise<Harness> {
  const h = await harness(mode);
  open.push(h);
  return h;
}

async function readAll(h: Harness, topic: string, partitions: number[], count: number): Promise<ConsumerMessage[]> {
  const consumer = h.client().consumer({ fromBeginning: true, maxWaitMs: 50 });
  const got = collector<ConsumerMessage>();
  await consumer.assign(partitions.map((partition) => ({ topic, partition })));
  await consumer.run({ eachMessage: got.eachMessage });
  await got.until(count);
  await consumer.stop();
  return got.messages;
}

for (const mode of ['tcp', 'in-process'] as const) {
  describe(`producer (${mode})`, () => {
    it('delivers with acks 0, 1 and all', async () => {
      const h = await start(mode);
      const producer = h.client().producer({ idempotent: false, acks: 1 });
      const one = await producer.send({ topic: 'acks', messages: [{ value: 'a1' }], acks: 1 });
      const all = await producer.send({ topic: 'acks', messages: [{ value: 'a-1' }], acks: 'all' });
      const none = await producer.send({ topic: 'acks', messages: [{ value: 'a0' }], acks: 0 });
      expect(one[0]!.baseOffset).toBe(0);
      expect(all[0]!.baseOffset).toBe(1);
      // acks=0 gets no answer: no offset is known.
      expect(none[0]!.baseOffset).toBe(-1);
      const got = await readAll(h, 'acks', [0], 3);
      expect(got.map((m) => dec.decode(m.value))).toEqual(['a1', 'a-1', 'a0']);
    });

    it('an idempotent producer sends acks 0 and 1 overrides as plain batches, and its sequences go on undisturbed', async () => {
      const h = await start(mode);
      const producer = h.client().producer({ lingerMs: 0 });
      await producer.connect();
      expect(producer.idempotent).toBe(true);
      const results: number[] = [];
      for (const acks of [-1, 0, 1, -1, 0, -1] as const) results.push((await producer.send({ topic: 'mixed-acks', messages: [{ value: `acks${acks}` }], acks }))[0]!.baseOffset);
      expect(results).toEqual([0, -1, 2, 3, -1, 5]);
      const got = await readAll(h, 'mixed-acks', [0], 6);
      expect(got.map((m) => dec.decode(m.value))).toEqual(['acks-1', 'acks0', 'acks1', 'acks-1', 'acks0', 'acks-1']);
    });

    it('puts equal keys on one partition (murmur2) and keeps per-partition order', async () => {
      const h = await start(mode);
      const client = h.client();
      await client.admin().createTopics({ topics: [{ topic: 'keys', numPartitions: 8 }] });
      const producer = client.producer({ lingerMs: 1, batchSize: 2048 });
      const sends = [];
      for (let i = 0; i < 400; i++) sends.push(producer.send({ topic: 'keys', messages: [{ key: `key-${i % 20}`, value: String(i) }] }));
      await Promise.all(sends);
      const got = await readAll(h, 'keys', [0, 1, 2, 3, 4, 5, 6, 7], 400);
      const partitionsByKey = new Map<string, Set<number>>();
      for (const m of got) {
        const key = dec.decode(m.key);
        const set = partitionsByKey.get(key) ?? new Set();
        set.add(m.partition);
        partitionsByKey.set(key, set);
        expect(m.partition).toBe(partitionForKey(enc.encode(key), 8));
      }
      for (const set of partitionsByKey.values()) expect(set.size).toBe(1);
      expect(new Set(got.map((m) => m.partition)).size).toBeGreaterThan(1);
      // Within a key (so within a partition), values arrive in send order.
      for (let k = 0; k < 20; k++) {
        const values = got.filter((m) => dec.decode(m.key) === `key-${k}`).map((m) => Number(dec.decode(m.value)));
        expect(values).toEqual([...values].sort((a, b) => a - b));
        expect(values).toHaveLength(20);
      }
    });

    it('lingers: separate sends within lingerMs share one batch; batchSize splits them', async () => {
      const h = await start(mode);
      const client = h.client();
      const lingering = client.producer({ lingerMs: 100, batchSize: 1 << 20 });
      await Promise.all(Array.from({ length: 50 }, (_, i) => lingering.send({ topic: 'linger', messages: [{ value: `v${i}` }], })));
      const small = client.producer({ lingerMs: 100, batchSize: 300 });
      await Promise.all(Array.from({ length: 50 }, (_, i) => small.send({ topic: 'linger', messages: [{ value: `w${String(i).padStart(20, '0')}` }] })));
      const consumer = client.consumer({ fromBeginning: true });
      const batches: ConsumerBatch[] = [];
      await consumer.assign([{ topic: 'linger', partition: 0 }]);
      await consumer.run({ eachBatch: async ({ batch }) => void batches.push(batch) });
      await until(() => batches.reduce((n, b) => n + b.messages.length, 0) >= 100);
      await consumer.stop();
      expect(batches[0]!.messages).toHaveLength(50);
      const rest = batches.slice(1);
      expect(rest.length).toBeGreaterThan(5);
      expect(rest.every((b) => b.messages.length < 50)).toBe(true);
    });

    it('grows to new partitions after createPartitions by another client', async () => {
      const h = await start(mode);
      const producerClient = h.client();
      await producerClient.admin().createTopics({ topics: [{ topic: 'grow', numPartitions: 1 }] });
      const producer = producerClient.producer();
      await producer.send({ topic: 'grow', messages: [{ value: 'p0' }] });
      await h.client().admin().createPartitions({ topicPartitions: [{ topic: 'grow', count: 3 }] });
      // The producer's metadata still says 1 partition: an explicit partition 2 refreshes it.
      const [r] = await producer.send({ topic: 'grow', messages: [{ value: 'p2', partition: 2 }] });
      expect(r).toMatchObject({ partition: 2, baseOffset: 0 });
      expect(producerClient.cluster.cachedTopic('grow')!.partitions).toHaveLength(3);
      const got = await readAll(h, 'grow', [0, 2], 2);
      expect(got.map((m) => [m.partition, dec.decode(m.value)]).sort()).toEqual([[0, 'p0'], [2, 'p2']]);
    });

    it('refreshes metadata older than metadataMaxAgeMs while sending', async () => {
      const h = await start(mode);
      const producerClient = h.client({ metadataMaxAgeMs: 20 });
      await producerClient.admin().createTopics({ topics: [{ topic: 'aging', numPartitions: 1 }] });
      const producer = producerClient.producer({ lingerMs: 0 });
      await producer.send({ topic: 'aging', messages: [{ value: 'x' }] });
      await h.client().admin().createPartitions({ topicPartitions: [{ topic: 'aging', count: 4 }] });
      await until(async () => {
        await producer.send({ topic: 'aging', messages: [{ value: 'y' }] });
        return producerClient.cluster.cachedTopic('aging')!.partitions.length === 4;
      });
    });

    it('refuses bad input with coded errors and queues nothing', async () => {
      const h = await start(mode);
      const producer = h.client().producer();
      await expect(producer.send({ topic: 'bad', messages: [{ value: 'ok' }, { value: 42 }] })).rejects.toMatchObject({ code: 'ERR_SERIALIZATION' });
      await expect(producer.send({ topic: 'bad', messages: [{ value: 'x', partition: -1 }] })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
      await expect(producer.send({ topic: 'bad', messages: [{ value: 'x', partition: 7 }] })).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
      await expect(producer.send({ topic: 'bad', messages: [{ value: new Uint8Array(2 << 20) }] })).rejects.toMatchObject({ code: 'MESSAGE_TOO_LARGE' });
      expect(() => h.client().producer({ acks: 1, idempotent: true })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
      expect(producer.bufferedBytes).toBe(0);
      await producer.send({ topic: 'bad', messages: [{ value: 'fine' }] });
      const got = await readAll(h, 'bad', [0], 1);
      expect(got.map((m) => dec.decode(m.value))).toEqual(['fine']);
      await producer.close();
      await expect(producer.send({ topic: 'bad', messages: [{ value: 'late' }] })).rejects.toMatchObject({ code: 'ERR_PRODUCER_CLOSED' });
    });

    it('bounds its memory: with the broker stalled, send waits and then fails with ERR_BUFFER_FULL', async () => {
      const h = await start(mode);
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      h.broker.registerHandler({ ...produceHandler, handle: async (broker, header, body) => {
        await gate;
        return produceHandler.handle(broker, header, body);
      } });
      const producer = h.client({ requestTimeoutMs: 60_000 }).producer({ bufferMemory: 4096, maxBlockMs: 50, lingerMs: 0, idempotent: false, acks: 1 });
      const value = new Uint8Array(1000);
      const accepted = [0, 1, 2].map((i) => producer.send({ topic: 'stall', messages: [{ value, key: String(i) }] }));
      let peak = 0;
      const blocked = producer.send({ topic: 'stall', messages: [{ value }, { value }] });
      const watch = setInterval(() => (peak = Math.max(peak, producer.bufferedBytes)), 1);
      await expect(blocked).rejects.toMatchObject({ code: 'ERR_BUFFER_FULL', retriable: true });
      clearInterval(watch);
      expect(peak).toBeLessThanOrEqual(4096);
      expect(producer.bufferedBytes).toBeLessThanOrEqual(4096);
      release();
      const results = await Promise.all(accepted);
      expect(results.map((r) => r[0]!.baseOffset).sort()).toEqual([0, 1, 2]);
      expect(producer.bufferedBytes).toBe(0);
    });

    it('flush delivers everything pending; close rejects nothing that could be delivered', async () => {
      const h = await start(mode);
      const producer = h.client().producer({ lingerMs: 60_000 });
      const sends = Array.from({ length: 10 }, (_, i) => producer.send({ topic: 'flush', messages: [{ value: `f${i}` }] }));
      await producer.flush();
      const results = await Promise.all(sends);
      expect(results.map((r) => r[0]!.baseOffset)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      const late = producer.send({ topic: 'flush', messages: [{ value: 'last' }] });
      await producer.close();
      expect((await late)[0]!.baseOffset).toBe(10);
    });
  });
}

describe('producer retries', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('delivers across a broker restart (same storage, new server on the same port)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-restart-'));
    dirs.push(dir);
    const first = await startServer(new Broker({ handlers: DEFAULT_HANDLERS, storage: filesystemStorage({ dir }), retentionCheckIntervalMs: 0 }), { port: 0 });
    const port = first.port;
    const retries: string[] = [];
    const logger: Logger = { debug: (m) => void (m === 'retrying batch' && retries.push(m)), info() {}, warn() {}, error() {} };
    const client = createClient({
      brokers: [first.address],
      transport: tcpTransport(),
      registry: fullRegistry(),
      logger,
      retry: { retries: 30, initialRetryTime: 20, maxRetryTime: 100 },
    });
    const producer = client.producer({ lingerMs: 0 });
    expect((await producer.send({ topic: 'restart', messages: [{ value: 'before' }] }))[0]!.baseOffset).toBe(0);
    await first.close();
    const during = producer.send({ topic: 'restart', messages: [{ value: 'during' }] });
    await until(() => retries.length >= 2);
    const second = await startServer(new Broker({ handlers: DEFAULT_HANDLERS, storage: filesystemStorage({ dir }), retentionCheckIntervalMs: 0 }), { port });
    try {
      expect((await during)[0]!.baseOffset).toBe(1);
      const consumer = client.consumer({ fromBeginning: true });
      const got = collector<ConsumerMessage>();
      await consumer.assign([{ topic: 'restart', partition: 0 }]);
      await consumer.run({ eachMessage: got.eachMessage });
      await got.until(2);
      expect(got.messages.map((m) => dec.decode(m.value))).toEqual(['before', 'during']);
    } finally {
      await client.close();
      await second.close();
    }
  });

  it('fails with the retriable error once retries are spent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-restart-'));
    dirs.push(dir);
    const server = await startServer(new Broker({ handlers: DEFAULT_HANDLERS, storage: filesystemStorage({ dir }), retentionCheckIntervalMs: 0 }), { port: 0 });
    const client = createClient({ brokers: [server.address], transport: tcpTransport(), registry: fullRegistry(), retry: { retries: 2, initialRetryTime: 10, maxRetryTime: 20 } });
    const producer = client.producer({ lingerMs: 0 });
    await producer.send({ topic: 'gone', messages: [{ value: 'x' }] });
    await server.close();
    const error = await producer.send({ topic: 'gone', messages: [{ value: 'y' }] }).catch((e) => e);
    expect(error.retriable).toBe(true);
    expect(['ERR_CONNECT_FAILED', 'ERR_CONNECTION_CLOSED', 'ERR_NO_BROKERS']).toContain(error.code);
    expect(producer.bufferedBytes).toBe(0);
    await client.close();
  });

  it('a producer and a consumer started before their broker wait for it (retries) instead of failing at once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-late-'));
    dirs.push(dir);
    // A free port: listen, note it, close.
    const probe = await startServer(new Broker({ handlers: DEFAULT_HANDLERS, storage: filesystemStorage({ dir }), retentionCheckIntervalMs: 0 }), { port: 0 });
    const port = probe.port;
    await probe.close();
    const unreachable: string[] = [];
    const logger: Logger = { debug: (m) => void (m === 'bootstrap broker unreachable' && unreachable.push(m)), info() {}, warn() {}, error() {} };
    const client = createClient({ brokers: [`127.0.0.1:${port}`], transport: tcpTransport(), registry: fullRegistry(), logger, retry: { retries: 50, initialRetryTime: 20, maxRetryTime: 50 } });
    const sent = client.producer({ lingerMs: 0 }).send({ topic: 'late', messages: [{ value: 'hello' }] });
    const consumer = client.consumer({ fromBeginning: true, maxWaitMs: 20 });
    await consumer.assign([{ topic: 'late', partition: 0 }]);
    const got = collector<ConsumerMessage>();
    const running = consumer.run({ eachMessage: got.eachMessage });
    await until(() => unreachable.length >= 4);
    const server = await startServer(new Broker({ handlers: DEFAULT_HANDLERS, storage: filesystemStorage({ dir }), retentionCheckIntervalMs: 0 }), { port });
    try {
      expect((await sent)[0]!.baseOffset).toBe(0);
      await running;
      await got.until(1);
      expect(dec.decode(got.messages[0]!.value)).toBe('hello');
    } finally {
      await client.close();
      await server.close();
    }
  });
});
