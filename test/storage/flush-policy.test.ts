/**
 * Flush policies (core/storage/flush-policy.ts) on the memory adapter, and the broker's
 * choice to apply them only to durable storage. The memory log's
 * sync does nothing observable, so a recording wrapper notes each sync and each append's
 * options and then calls the real log.
 */
import { describe, expect, it } from 'vitest';
import { filesystemStorage } from '../../adapters/filesystem/index.ts';
import { memoryStorage } from '../../adapters/memory/index.ts';
import { Broker } from '../../core/broker/broker.ts';
import { DEFAULT_HANDLERS } from '../../core/broker/api/preset.ts';
import type { AppendOptions, PartitionLog } from '../../core/contracts/storage.ts';
import { FlushScheduler, flushPolicyFromTopicConfig, validateFlushPolicy, type FlushPolicy } from '../../core/storage/flush-policy.ts';
import { makeTestBatch } from '../../conformance/storage/index.ts';
import { tempDir } from './filesystem-fixtures.ts';

interface Recorded {
  log: PartitionLog;
  syncs: number;
  appendOptions: Array<AppendOptions | undefined>;
  failNextSync: boolean;
}

async function recordedLog(topic = 't'): Promise<Recorded> {
  const storage = memoryStorage();
  await storage.open();
  const real = await storage.openPartition(topic, 0);
  const rec: Recorded = { log: real, syncs: 0, appendOptions: [], failNextSync: false };
  rec.log = {
    ...real,
    topic: real.topic,
    partition: real.partition,
    recovery: real.recovery,
    startOffset: () => real.startOffset(),
    endOffset: () => real.endOffset(),
    sizeBytes: () => real.sizeBytes(),
    segments: () => real.segments(),
    read: (o, m, opts) => real.read(o, m, opts),
    truncateTo: (o) => real.truncateTo(o),
    trimBefore: (o) => real.trimBefore(o),
    offsetForTimestamp: (t) => real.offsetForTimestamp(t),
    close: () => real.close(),
    append: (batch, info, options) => {
      rec.appendOptions.push(options);
      return real.append(batch, info, options);
    },
    sync: async () => {
      if (rec.failNextSync) {
        rec.failNextSync = false;
        throw new Error('disk on fire');
      }
      rec.syncs++;
      await real.sync();
    },
  };
  return rec;
}

function appender(log: PartitionLog) {
  let offset = 0;
  return async (count = 1) => {
    const b = makeTestBatch({ baseOffset: offset, count });
    offset += count;
    await log.append(b.bytes, b.info);
  };
}

describe('flush policy from topic config', () => {
  it('maps Kafka flush.messages / flush.ms', () => {
    expect(flushPolicyFromTopicConfig()).toEqual({ mode: 'never' });
    expect(flushPolicyFromTopicConfig({ 'flush.messages': '9223372036854775807', 'flush.ms': 9223372036854775807 })).toEqual({ mode: 'never' });
    expect(flushPolicyFromTopicConfig({ 'flush.messages': '1' })).toEqual({ mode: 'always' });
    expect(flushPolicyFromTopicConfig({ 'flush.ms': 0 })).toEqual({ mode: 'always' });
    expect(flushPolicyFromTopicConfig({ 'flush.messages': 1000 })).toEqual({ mode: 'interval', messages: 1000 });
    expect(flushPolicyFromTopicConfig({ 'flush.messages': '500', 'flush.ms': '200' })).toEqual({ mode: 'interval', messages: 500, ms: 200 });
    for (const bad of [{ 'flush.ms': 'soon' }, { 'flush.messages': -3 }, { 'flush.ms': 2.5 }]) {
      expect(() => flushPolicyFromTopicConfig(bad)).toThrowError(expect.objectContaining({ code: 'ERR_INVALID_CONFIG' }));
    }
  });

  it('rejects policies that make no sense', () => {
    for (const bad of [{ mode: 'sometimes' }, { mode: 'interval' }, { mode: 'interval', messages: 0 }, { mode: 'interval', ms: -1 }, undefined]) {
      expect(() => validateFlushPolicy(bad as FlushPolicy)).toThrowError(expect.objectContaining({ code: 'ERR_INVALID_CONFIG' }));
    }
    expect(() => new FlushScheduler().wrap({} as PartitionLog, { mode: 'interval' } as FlushPolicy)).toThrowError(expect.objectContaining({ code: 'ERR_INVALID_CONFIG' }));
  });
});

describe('FlushScheduler', () => {
  it('always: every append carries { sync: true }', async () => {
    const rec = await recordedLog();
    const log = new FlushScheduler().wrap(rec.log, { mode: 'always' });
    const append = appender(log);
    await append(3);
    await append(1);
    expect(rec.appendOptions).toEqual([{ sync: true }, { sync: true }]);
    expect(log.endOffset()).toBe(4);
  });

  it('never: appends pass through, nothing is synced', async () => {
    const rec = await recordedLog();
    const scheduler = new FlushScheduler({ now: () => 1e12 });
    const log = scheduler.wrap(rec.log, { mode: 'never' });
    const append = appender(log);
    for (let i = 0; i < 50; i++) await append(10);
    expect(await scheduler.flushDue()).toBe(0);
    await scheduler.flushAll();
    expect(rec.syncs).toBe(0);
    expect(rec.appendOptions.every((o) => o === undefined)).toBe(true);
  });

  it('interval by messages: the append that crosses the count waits for a sync', async () => {
    const rec = await recordedLog();
    const log = new FlushScheduler().wrap(rec.log, { mode: 'interval', messages: 10 });
    const append = appender(log);
    await append(3);
    await append(3);
    await append(3);
    expect(rec.syncs).toBe(0);
    await append(3); // 12 ≥ 10
    expect(rec.syncs).toBe(1);
    for (let i = 0; i < 3; i++) await append(3);
    expect(rec.syncs).toBe(1);
    await append(1); // 10 again
    expect(rec.syncs).toBe(2);
    // An explicit sync resets the count.
    await append(9);
    await log.sync();
    expect(rec.syncs).toBe(3);
    await append(9);
    expect(rec.syncs).toBe(3);
  });

  it('interval by messages under concurrent appends syncs once per crossing', async () => {
    const rec = await recordedLog();
    const log = new FlushScheduler().wrap(rec.log, { mode: 'interval', messages: 100 });
    const batches = Array.from({ length: 100 }, (_, i) => makeTestBatch({ baseOffset: i * 5, count: 5 }));
    await Promise.all(batches.map((b) => log.append(b.bytes, b.info)));
    expect(rec.syncs).toBe(5);
    expect(log.endOffset()).toBe(500);
  });

  it('interval by time: unsynced data is synced once it is ms old, clean logs are left alone', async () => {
    let now = 10_000;
    const dirty = await recordedLog('dirty');
    const clean = await recordedLog('clean');
    const scheduler = new FlushScheduler({ now: () => now });
    const log = scheduler.wrap(dirty.log, { mode: 'interval', ms: 1000 });
    scheduler.wrap(clean.log, { mode: 'interval', ms: 1000 });
    const append = appender(log);
    await append(1);
    now += 500;
    await append(1); // the oldest unsynced append is still the first one
    now += 499;
    expect(await scheduler.flushDue()).toBe(0);
    now += 1;
    expect(await scheduler.flushDue()).toBe(1);
    expect(dirty.syncs).toBe(1);
    expect(clean.syncs).toBe(0);
    now += 5000;
    expect(await scheduler.flushDue()).toBe(0);
    expect(scheduler.size).toBe(2);
  });

  it('a failed background sync is logged and retried on the next tick', async () => {
    let now = 0;
    const rec = await recordedLog();
    const errors: string[] = [];
    const scheduler = new FlushScheduler({ now: () => now, logger: { debug() {}, info() {}, warn() {}, error: (m) => errors.push(m) } });
    const log = scheduler.wrap(rec.log, { mode: 'interval', ms: 10, messages: 1000 });
    await appender(log)(5);
    now = 20;
    rec.failNextSync = true;
    expect(await scheduler.flushDue()).toBe(0);
    expect(errors).toEqual(['flush failed']);
    expect(await scheduler.flushDue()).toBe(1);
    expect(rec.syncs).toBe(1);
  });

  it('flushAll syncs every log with unsynced data; close forgets the log', async () => {
    const a = await recordedLog('a');
    const b = await recordedLog('b');
    const scheduler = new FlushScheduler();
    const la = scheduler.wrap(a.log, { mode: 'interval', messages: 1000 });
    scheduler.wrap(b.log, { mode: 'interval', messages: 1000 });
    await appender(la)(3);
    await scheduler.flushAll();
    expect([a.syncs, b.syncs]).toEqual([1, 0]);
    await la.close();
    expect(scheduler.size).toBe(1);
  });

  it('passes reads and the rest straight through to the log', async () => {
    const rec = await recordedLog();
    const log = new FlushScheduler().wrap(rec.log, { mode: 'interval', messages: 5 });
    await appender(log)(4);
    expect(log.topic).toBe('t');
    expect(log.partition).toBe(0);
    expect(log.recovery).toEqual([]);
    expect((await log.read(0, 1 << 20)).bytes).toBe(log.sizeBytes());
    expect(log.segments().length).toBe(1);
    expect(await log.offsetForTimestamp(0)).toBe(0);
    await log.truncateTo(2);
    expect(log.endOffset()).toBe(0);
    expect(await log.trimBefore(0)).toBe(0);
  });

  it('syncs on its timer once started, until stopped', async () => {
    const rec = await recordedLog();
    const scheduler = new FlushScheduler({ tickMs: 2 });
    const log = scheduler.wrap(rec.log, { mode: 'interval', ms: 1 });
    await appender(log)(1);
    scheduler.start();
    scheduler.start();
    while (rec.syncs === 0) await new Promise((r) => setTimeout(r, 2));
    scheduler.stop();
    expect(rec.syncs).toBe(1);
  });
});

describe('the broker branches on the storage capability, not on the policy alone', () => {
  it('a non-durable storage keeps its own logs under `always`; a durable one gets them wrapped', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      for (const storage of [memoryStorage(), filesystemStorage({ dir })]) {
        const broker = new Broker({ handlers: DEFAULT_HANDLERS, storage, retentionCheckIntervalMs: 0, flushPolicy: { mode: 'always' } });
        await broker.start();
        try {
          const topic = await broker.topics.getOrCreate('flushed');
          const own = await storage.openPartition('flushed', 0); // the same object while open
          expect(topic.partitions[0]!.log === own, storage.name).toBe(!storage.supports.durable);
        } finally {
          await broker.close();
        }
      }
    } finally {
      await cleanup();
    }
  });
});
