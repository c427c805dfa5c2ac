/**
 * Idempotent producers on the broker: InitProducerId (allocation that survives restarts,
 * epoch bumps), per-partition sequence checks with Kafka's errors, duplicates answered with
 * the original offset, and dedup state that survives a restart (snapshot or log rebuild).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { filesystemStorage } from '../../adapters/filesystem/index.ts';
import { memoryStorage } from '../../adapters/memory/index.ts';
import type { Broker } from '../../core/broker/broker.ts';
import { PRODUCER_ID_BLOCK_SIZE } from '../../core/broker/producer-state/producer-ids.ts';
import { PartitionProducers, addSequence } from '../../core/broker/producer-state/partition-producers.ts';
import { encodeBatchSync } from '../../core/records/record-batch.ts';
import { call, produceBody, startedBroker } from './helpers.ts';

const enc = new TextEncoder();
const open: Broker[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const b of open.splice(0)) await b.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function broker(storage = memoryStorage()): Promise<Broker> {
  const b = await startedBroker({ storage });
  open.push(b);
  if (!b.topics.get('t')) await b.topics.create({ name: 't', numPartitions: 2, replicationFactor: 1 });
  return b;
}

/** An idempotent batch of `count` records. */
function seqBatch(producerId: number, producerEpoch: number, baseSequence: number, count = 2): Uint8Array {
  return encodeBatchSync({
    records: Array.from({ length: count }, (_, i) => ({ key: null, value: enc.encode(`s${baseSequence + i}`) })),
    producerId,
    producerEpoch,
    baseSequence,
    now: 1_700_000_000_000,
  });
}

async function produce(b: Broker, records: Uint8Array, partition = 0, version = 9): Promise<{ errorCode: number; baseOffset: number }> {
  const r = await call(b, 0, version, produceBody('t', partition, records));
  return r.responses[0].partitionResponses[0];
}

async function initPid(b: Broker, version = 4, producerId = -1, producerEpoch = -1): Promise<{ errorCode: number; producerId: number; producerEpoch: number }> {
  return call(b, 22, version, { transactionalId: null, transactionTimeoutMs: 60000, producerId, producerEpoch });
}

describe('InitProducerId', () => {
  it('hands out distinct ids, never reused after a restart', async () => {
    const storage = memoryStorage();
    const b = await broker(storage);
    const ids = [];
    for (let v = 0; v <= 5; v++) {
      const r = await initPid(b, v);
      expect(r).toMatchObject({ errorCode: 0, producerEpoch: 0 });
      ids.push(r.producerId);
    }
    expect(new Set(ids).size).toBe(6);
    await b.close();
    open.splice(0);
    const again = await broker(storage);
    const next = await initPid(again);
    expect(next.producerId).toBeGreaterThan(Math.max(...ids));
    expect(next.producerId).toBeLessThanOrEqual(PRODUCER_ID_BLOCK_SIZE * 2);
  });

  it('answers a fresh id at epoch 0 whatever id and epoch v3+ names (a retried request is never fenced), refuses transactional ids', async () => {
    const b = await broker();
    const { producerId } = await initPid(b);
    const retried = [await initPid(b, 3, producerId, 0), await initPid(b, 4, producerId, 0), await initPid(b, 5, producerId, 0)];
    for (const r of retried) expect(r).toMatchObject({ errorCode: 0, producerEpoch: 0 });
    expect(new Set([producerId, ...retried.map((r) => r.producerId)]).size).toBe(4);
    const txn = await call(b, 22, 4, { transactionalId: 'tx', transactionTimeoutMs: 60000, producerId: -1, producerEpoch: -1 });
    expect(txn.errorCode).toBe(53);
  });
});

describe('sequence checks', () => {
  it('appends in-sequence batches and answers a retry with the original offset, appending nothing', async () => {
    const b = await broker();
    const { producerId: pid } = await initPid(b);
    expect(await produce(b, seqBatch(pid, 0, 0))).toMatchObject({ errorCode: 0, baseOffset: 0 });
    expect(await produce(b, seqBatch(pid, 0, 2))).toMatchObject({ errorCode: 0, baseOffset: 2 });
    const log = b.topics.get('t')!.partitions[0]!;
    expect(log.logEndOffset).toBe(4);
    expect(await produce(b, seqBatch(pid, 0, 0))).toMatchObject({ errorCode: 0, baseOffset: 0 });
    expect(await produce(b, seqBatch(pid, 0, 2))).toMatchObject({ errorCode: 0, baseOffset: 2 });
    expect(log.logEndOffset).toBe(4);
    // Sequences are per partition.
    expect(await produce(b, seqBatch(pid, 0, 0), 1)).toMatchObject({ errorCode: 0, baseOffset: 0 });
  });

  it('remembers the last five batches: an older retry is out of order', async () => {
    const b = await broker();
    const { producerId: pid } = await initPid(b);
    for (let i = 0; i < 6; i++) expect((await produce(b, seqBatch(pid, 0, i * 2))).errorCode).toBe(0);
    expect(await produce(b, seqBatch(pid, 0, 2))).toMatchObject({ errorCode: 0, baseOffset: 2 }); // 5th most recent
    expect((await produce(b, seqBatch(pid, 0, 0))).errorCode).toBe(45); // 6th: forgotten
  });

  it('rejects gaps, older epochs and a new epoch not starting at 0', async () => {
    const b = await broker();
    const { producerId: pid } = await initPid(b);
    expect((await produce(b, seqBatch(pid, 0, 0))).errorCode).toBe(0);
    expect((await produce(b, seqBatch(pid, 0, 3))).errorCode).toBe(45);
    expect((await produce(b, seqBatch(pid, 0, 1))).errorCode).toBe(45); // overlaps, not a known batch
    expect((await produce(b, seqBatch(pid, 1, 5))).errorCode).toBe(45);
    expect((await produce(b, seqBatch(pid, 1, 0))).errorCode).toBe(0);
    expect((await produce(b, seqBatch(pid, 0, 2))).errorCode).toBe(47);
    expect((await produce(b, seqBatch(pid, 0, 0), 0, 3)).errorCode).toBe(47);
    expect(b.topics.get('t')!.partitions[0]!.logEndOffset).toBe(4);
  });

  it('accepts an unknown producer at any sequence (Kafka 2.5+), and non-idempotent batches as before', async () => {
    const b = await broker();
    expect((await produce(b, seqBatch(4242, 3, 17))).errorCode).toBe(0);
    expect((await produce(b, seqBatch(4242, 3, 19))).errorCode).toBe(0);
    expect((await produce(b, seqBatch(-1, -1, -1))).errorCode).toBe(0);
    expect((await produce(b, seqBatch(-1, -1, -1))).errorCode).toBe(0);
    expect((await produce(b, seqBatch(7, 0, -1))).errorCode).toBe(87);
  });

  it('checks several batches of one request together', async () => {
    const b = await broker();
    const two = (a: Uint8Array, c: Uint8Array) => {
      const out = new Uint8Array(a.length + c.length);
      out.set(a);
      out.set(c, a.length);
      return out;
    };
    expect(await produce(b, two(seqBatch(9, 0, 0), seqBatch(9, 0, 2)))).toMatchObject({ errorCode: 0, baseOffset: 0 });
    expect((await produce(b, two(seqBatch(9, 0, 4), seqBatch(9, 0, 7)))).errorCode).toBe(45);
    expect((await produce(b, two(seqBatch(9, 0, 4), seqBatch(9, 0, 4)))).errorCode).toBe(46);
    expect((await produce(b, two(seqBatch(9, 0, 2), seqBatch(9, 0, 4)))).errorCode).toBe(46);
    expect(b.topics.get('t')!.partitions[0]!.logEndOffset).toBe(4);
  });

  it('orders pipelined batches by the order they arrive', async () => {
    const b = await broker();
    const results = await Promise.all([0, 2, 4, 6].map((s) => produce(b, seqBatch(11, 0, s))));
    expect(results.map((r) => [r.errorCode, r.baseOffset])).toEqual([[0, 0], [0, 2], [0, 4], [0, 6]]);
  });

  it('wraps sequences at 2^31 - 1', () => {
    expect(addSequence(2147483646, 1)).toBe(2147483647);
    expect(addSequence(2147483647, 1)).toBe(0);
    const t = new PartitionProducers();
    t.record({ producerId: 1, producerEpoch: 0, baseSequence: 2147483646, lastOffsetDelta: 1 }, 0);
    expect(t.check({ producerId: 1, producerEpoch: 0, baseSequence: 0, lastOffsetDelta: 0 })).toBeNull();
    expect(t.check({ producerId: 1, producerEpoch: 0, baseSequence: 2147483646, lastOffsetDelta: 1 })).toMatchObject({ baseOffset: 0 });
  });
});

describe('after a restart', () => {
  const kinds: Array<[string, () => () => ReturnType<typeof memoryStorage>]> = [
    ['memory', () => {
      const s = memoryStorage();
      return () => s;
    }],
    ['filesystem', () => {
      const dir = mkdtempSync(join(tmpdir(), 'tributary-idem-'));
      dirs.push(dir);
      return () => filesystemStorage({ dir }) as unknown as ReturnType<typeof memoryStorage>;
    }],
  ];

  for (const [name, make] of kinds) {
    for (const snapshot of [true, false]) {
      it(`keeps dedup on ${name} storage ${snapshot ? 'from the close snapshot' : 'by reading the log (no snapshot)'}`, async () => {
        const storage = make();
        const b = await broker(storage());
        const { producerId: pid } = await initPid(b);
        await produce(b, seqBatch(-1, -1, -1, 1));
        for (let i = 0; i < 3; i++) expect((await produce(b, seqBatch(pid, 0, i * 2))).baseOffset).toBe(1 + i * 2);
        await produce(b, seqBatch(pid, 0, 0), 1);
        await b.close();
        open.splice(0);
        if (!snapshot) {
          // As after a crash: the snapshot is gone, only the log tells.
          const s = storage();
          await s.open();
          for (const { key } of await s.metadata.list('producer-state/')) await s.metadata.delete(key);
          await s.close();
        }
        const again = await broker(storage());
        expect(await produce(again, seqBatch(pid, 0, 4))).toMatchObject({ errorCode: 0, baseOffset: 5 });
        expect(await produce(again, seqBatch(pid, 0, 2))).toMatchObject({ errorCode: 0, baseOffset: 3 });
        expect((await produce(again, seqBatch(pid, 0, 8))).errorCode).toBe(45);
        expect(await produce(again, seqBatch(pid, 0, 6))).toMatchObject({ errorCode: 0, baseOffset: 7 });
        expect(await produce(again, seqBatch(pid, 0, 0), 1)).toMatchObject({ errorCode: 0, baseOffset: 0 });
        expect(again.topics.get('t')!.partitions[1]!.logEndOffset).toBe(2);
      });
    }
  }

  it('keeps dedup after a crash (SIGKILL, no snapshot of what came after the last clean close)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-idem-crash-'));
    dirs.push(dir);
    const first = await broker(filesystemStorage({ dir }) as unknown as ReturnType<typeof memoryStorage>);
    const { producerId: pid } = await initPid(first);
    expect((await produce(first, seqBatch(pid, 0, 0))).baseOffset).toBe(0);
    await first.close(); // a clean close: snapshot covers offsets 0–1
    open.splice(0);
    // A second broker process appends sequences 2–7 (offsets 2–7) and is killed.
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./idempotent-crash-child.ts', import.meta.url)), dir, String(pid), '2', '8'], {
      cwd: fileURLToPath(new URL('../../', import.meta.url)),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', () => out.includes('appended') && resolve());
      child.once('exit', (code) => reject(new Error(`child exited ${code} before appending`)));
    });
    child.kill('SIGKILL');
    await exited;
    const again = await broker(filesystemStorage({ dir }) as unknown as ReturnType<typeof memoryStorage>);
    expect(again.topics.get('t')!.partitions[0]!.logEndOffset).toBe(8);
    expect(await produce(again, seqBatch(pid, 0, 6))).toMatchObject({ errorCode: 0, baseOffset: 6 });
    expect(await produce(again, seqBatch(pid, 0, 2))).toMatchObject({ errorCode: 0, baseOffset: 2 });
    expect((await produce(again, seqBatch(pid, 0, 10))).errorCode).toBe(45);
    expect(await produce(again, seqBatch(pid, 0, 8))).toMatchObject({ errorCode: 0, baseOffset: 8 });
    expect(again.topics.get('t')!.partitions[0]!.logEndOffset).toBe(10);
  });

  it('removes a snapshot that covers more than the log holds, so it cannot come back after the log regrows', async () => {
    const storage = memoryStorage();
    const b = await broker(storage);
    await produce(b, seqBatch(5, 0, 0));
    await produce(b, seqBatch(5, 0, 2));
    await b.close();
    open.splice(0);
    // As if the close wrote its snapshot but the log lost its tail: the snapshot claims offset 10.
    await storage.open();
    const snap = JSON.parse(new TextDecoder().decode((await storage.metadata.get('producer-state/t/0'))!));
    await storage.metadata.put('producer-state/t/0', enc.encode(JSON.stringify({ ...snap, endOffset: 10 })));
    await storage.close();
    const again = await broker(storage);
    expect(await again.storage.metadata.get('producer-state/t/0')).toBeUndefined();
    expect(await produce(again, seqBatch(5, 0, 2))).toMatchObject({ errorCode: 0, baseOffset: 2 });
  });

  it('forgets producers idle longer than the expiration, in memory and in the next snapshot', async () => {
    const storage = memoryStorage();
    const b = await broker(storage);
    await produce(b, seqBatch(7, 0, 0));
    await produce(b, seqBatch(8, 0, 0));
    const table = b.producerState.table(b.topics.get('t')!.partitions[0]!);
    const now = Date.now();
    expect(b.producerState.expire(b.topics.all(), now, 60_000)).toBe(0);
    table.entry(7)!.lastTimestamp = now - 60_001;
    expect(b.producerState.expire(b.topics.all(), now, 60_000)).toBe(1);
    expect(table.entry(7)).toBeUndefined();
    // Forgotten: producer 7 may start anywhere, and its old batch is no longer a duplicate.
    expect(await produce(b, seqBatch(7, 0, 0))).toMatchObject({ errorCode: 0, baseOffset: 4 });
    expect(await produce(b, seqBatch(8, 0, 0))).toMatchObject({ errorCode: 0, baseOffset: 2 });
    // The retention run applies the default expiration (one day).
    table.entry(8)!.lastTimestamp = now - 86_400_001;
    await b.runRetention();
    expect(table.entry(8)).toBeUndefined();
    await b.close();
    open.splice(0);
    await storage.open();
    const snap = JSON.parse(new TextDecoder().decode((await storage.metadata.get('producer-state/t/0'))!));
    await storage.close();
    expect(snap.producers.map((p: { producerId: number; lastTimestamp: number }) => [p.producerId, p.lastTimestamp >= now])).toEqual([[7, true]]);
  });

  it('ignores the snapshot of a deleted topic when one of the same name comes back', async () => {
    const storage = memoryStorage();
    const b = await broker(storage);
    await produce(b, seqBatch(5, 0, 0));
    await b.close();
    open.splice(0);
    await storage.open();
    const stale = (await storage.metadata.get('producer-state/t/0'))!;
    await storage.close();
    expect(stale).toBeDefined();
    const second = await broker(storage);
    await second.topics.delete('t');
    await second.topics.create({ name: 't', numPartitions: 2, replicationFactor: 1 });
    await produce(second, seqBatch(-1, -1, -1, 3));
    await second.close();
    open.splice(0);
    // Put the old snapshot back, as a crash right after the delete could leave it.
    await storage.open();
    await storage.metadata.put('producer-state/t/0', stale);
    await storage.close();
    const third = await broker(storage);
    expect((await produce(third, seqBatch(5, 0, 0))).baseOffset).toBe(3);
  });
});
