/**
 * Retention policy (core/storage/retention.ts) and its runner, on the memory adapter:
 * Kafka's rules for time and size, the high watermark bound, the active segment, and
 * the periodic and on-demand runs.
 */
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../adapters/memory/index.ts';
import type { PartitionLog, SegmentInfo } from '../../core/contracts/storage.ts';
import {
  DEFAULT_RETENTION,
  planRetention,
  retentionConfigFromTopicConfig,
  type RetentionConfig,
} from '../../core/storage/retention.ts';
import { RetentionManager, applyRetention, type RetentionOutcome } from '../../core/storage/retention-manager.ts';
import { makeTestBatch } from '../../conformance/storage/index.ts';

const DAY = 86_400_000;
const seg = (baseOffset: number, nextOffset: number, maxTimestamp: number, sizeBytes = 100): SegmentInfo => ({ baseOffset, nextOffset, maxTimestamp, sizeBytes });
const cfg = (retentionMs: number, retentionBytes = -1): RetentionConfig => ({ retentionMs, retentionBytes });

describe('retention config', () => {
  it('defaults to Kafka: 7 days, unlimited size', () => {
    expect(DEFAULT_RETENTION).toEqual({ retentionMs: 604_800_000, retentionBytes: -1 });
    expect(retentionConfigFromTopicConfig()).toEqual(DEFAULT_RETENTION);
    expect(retentionConfigFromTopicConfig({ 'cleanup.policy': 'delete' })).toEqual(DEFAULT_RETENTION);
  });

  it('reads strings and numbers, and rejects what is not an integer with ERR_INVALID_CONFIG', () => {
    expect(retentionConfigFromTopicConfig({ 'retention.ms': '3600000', 'retention.bytes': 1048576 })).toEqual({ retentionMs: 3_600_000, retentionBytes: 1_048_576 });
    expect(retentionConfigFromTopicConfig({ 'retention.ms': '-1' }).retentionMs).toBe(-1);
    for (const bad of [{ 'retention.ms': 'week' }, { 'retention.ms': '-2' }, { 'retention.ms': 1.5 }, { 'retention.bytes': '1e3' }, { 'retention.bytes': 'lots' }]) {
      expect(() => retentionConfigFromTopicConfig(bad)).toThrowError(expect.objectContaining({ code: 'ERR_INVALID_CONFIG' }));
    }
  });
});

describe('planRetention', () => {
  const now = 100 * DAY;

  it('deletes by time, oldest first, only segments strictly older than retention.ms', () => {
    const segments = [seg(0, 10, now - 9 * DAY), seg(10, 20, now - 7 * DAY), seg(20, 30, now - 7 * DAY + 1), seg(30, 40, now)];
    const plan = planRetention({ segments, endOffset: 40, now }, cfg(7 * DAY));
    expect(plan.trimBefore).toBe(10);
    expect(plan.segments.map((s) => [s.baseOffset, s.reason])).toEqual([[0, 'time']]);
    expect(plan.bytes).toBe(100);
    // One ms later the second segment is past the limit too.
    expect(planRetention({ segments, endOffset: 40, now: now + 1 }, cfg(7 * DAY)).trimBefore).toBe(20);
  });

  it('stops at the first segment it keeps, even when later ones are older', () => {
    const segments = [seg(0, 10, now - 9 * DAY), seg(10, 20, now), seg(20, 30, now - 9 * DAY), seg(30, 40, now)];
    expect(planRetention({ segments, endOffset: 40, now }, cfg(DAY)).trimBefore).toBe(10);
  });

  it('keeps a segment whose timestamp is unknown (-1)', () => {
    const segments = [seg(0, 10, -1), seg(10, 20, now - 9 * DAY)];
    expect(planRetention({ segments, endOffset: 20, now }, cfg(DAY)).trimBefore).toBeNull();
  });

  it('deletes by size while what remains stays at least retention.bytes', () => {
    const segments = [seg(0, 10, now), seg(10, 20, now), seg(20, 30, now), seg(30, 40, now)];
    const at = (bytes: number) => planRetention({ segments, endOffset: 40, now }, cfg(-1, bytes)).trimBefore;
    expect(at(400)).toBeNull();
    expect(at(399)).toBeNull(); // deleting 100 would leave 300 < 399
    expect(at(300)).toBe(10);
    expect(at(250)).toBe(10);
    expect(at(200)).toBe(20);
    expect(at(100)).toBe(30);
    expect(at(0)).toBe(40); // the active segment too: the log is emptied
    expect(at(-1)).toBeNull();
    expect(planRetention({ segments, endOffset: 40, now }, cfg(-1, 150)).segments.every((s) => s.reason === 'size')).toBe(true);
  });

  it('applies time first, then size to what remains', () => {
    const segments = [seg(0, 10, now - 9 * DAY), seg(10, 20, now), seg(20, 30, now), seg(30, 40, now)];
    const plan = planRetention({ segments, endOffset: 40, now }, cfg(DAY, 200));
    expect(plan.segments.map((s) => s.reason)).toEqual(['time', 'size']);
    expect(plan.trimBefore).toBe(20);
  });

  it('deletes the active segment when it breaches, never an empty last segment', () => {
    const old = now - 9 * DAY;
    expect(planRetention({ segments: [seg(0, 10, old), seg(10, 20, old)], endOffset: 20, now }, cfg(DAY)).trimBefore).toBe(20);
    expect(planRetention({ segments: [seg(0, 10, old), seg(10, 10, -1, 0)], endOffset: 10, now }, cfg(DAY)).segments.length).toBe(1);
    expect(planRetention({ segments: [seg(20, 20, -1, 0)], endOffset: 20, now }, cfg(0, 0)).trimBefore).toBeNull();
    expect(planRetention({ segments: [], endOffset: 0, now }, cfg(0, 0)).trimBefore).toBeNull();
  });

  it('never deletes a segment that ends past the high watermark', () => {
    const old = now - 9 * DAY;
    const segments = [seg(0, 10, old), seg(10, 20, old), seg(20, 30, old)];
    expect(planRetention({ segments, endOffset: 30, highWatermark: 25, now }, cfg(DAY)).trimBefore).toBe(20);
    expect(planRetention({ segments, endOffset: 30, highWatermark: 9, now }, cfg(DAY)).trimBefore).toBeNull();
    expect(planRetention({ segments, endOffset: 30, highWatermark: 30, now }, cfg(DAY)).trimBefore).toBe(30);
  });

  it('does nothing with retention.ms = -1 and retention.bytes = -1', () => {
    const segments = [seg(0, 10, 0), seg(10, 20, 0)];
    expect(planRetention({ segments, endOffset: 20, now }, cfg(-1, -1))).toEqual({ trimBefore: null, segments: [], bytes: 0 });
  });
});

/** A memory log with `n` batches of 3 records, ~4 batches per segment, timestamps t0 + 1000·i. */
async function filledLog(topic: string, n: number, t0: number): Promise<PartitionLog> {
  const storage = memoryStorage();
  await storage.open();
  const log = await storage.openPartition(topic, 0, { segmentBytes: 2000 });
  for (let i = 0; i < n; i++) {
    const b = makeTestBatch({ baseOffset: i * 3, count: 3, timestamp: t0 + i * 1000, timestampStep: 0, valueSize: 100 });
    await log.append(b.bytes, b.info);
  }
  return log;
}

describe('applyRetention on the memory adapter', () => {
  it('trims whole segments by time and reports what went', async () => {
    const log = await filledLog('t', 40, 1_000_000);
    const segs = log.segments();
    expect(segs.length).toBeGreaterThan(5);
    // Everything with max timestamp below 1_000_000 + 15_500 is older than the limit.
    const now = 1_000_000 + 15_500 + 60_000;
    const outcome = await applyRetention({ log, config: cfg(60_000) }, now);
    const expected = segs.filter((s, i) => segs.slice(0, i + 1).every((p) => now - p.maxTimestamp > 60_000));
    expect(outcome).toMatchObject({
      topic: 't',
      partition: 0,
      previousStartOffset: 0,
      startOffset: expected.at(-1)!.nextOffset,
      deletedSegments: expected.length,
      deletedBytes: expected.reduce((n, s) => n + s.sizeBytes, 0),
      reasons: ['time'],
    });
    expect(log.startOffset()).toBe(outcome!.startOffset);
    await expect(log.read(outcome!.startOffset - 1, 1000)).rejects.toMatchObject({ code: 'OFFSET_OUT_OF_RANGE' });
    expect((await log.read(outcome!.startOffset, 1 << 20)).bytes).toBe(log.sizeBytes());
    // Nothing more is due at the same time.
    expect(await applyRetention({ log, config: cfg(60_000) }, now)).toBeNull();
  });

  it('trims by size down to at least retention.bytes', async () => {
    const log = await filledLog('t', 40, 0);
    const limit = Math.floor(log.sizeBytes() / 3);
    const outcome = await applyRetention({ log, config: cfg(-1, limit) }, 0);
    expect(outcome!.reasons).toEqual(['size']);
    expect(log.sizeBytes()).toBeGreaterThanOrEqual(limit);
    // Deleting one more segment would have gone below the limit.
    expect(log.sizeBytes() - log.segments()[0]!.sizeBytes).toBeLessThan(limit);
  });

  it('empties a log whose every segment expired; the log continues at the same offset', async () => {
    const log = await filledLog('t', 10, 0);
    const outcome = await applyRetention({ log, config: cfg(DAY) }, 10 * DAY);
    expect(outcome!.startOffset).toBe(30);
    expect(log.startOffset()).toBe(30);
    expect(log.endOffset()).toBe(30);
    expect(log.sizeBytes()).toBe(0);
    const b = makeTestBatch({ baseOffset: 30, count: 1 });
    await log.append(b.bytes, b.info);
    expect(log.endOffset()).toBe(31);
    expect(await applyRetention({ log, config: cfg(DAY) }, 10 * DAY)).toBeNull();
  });

  it('respects the high watermark', async () => {
    const log = await filledLog('t', 40, 0);
    const outcome = await applyRetention({ log, config: cfg(0), highWatermark: 45 }, 10 * DAY);
    expect(outcome!.startOffset).toBeLessThanOrEqual(45);
    const next = log.segments()[0]!;
    expect(next.nextOffset).toBeGreaterThan(45);
  });
});

describe('RetentionManager', () => {
  it('runs on demand over partitions with their own topic configs and skips a failing one', async () => {
    const a = await filledLog('a', 20, 0);
    const b = await filledLog('b', 20, 0);
    const broken = await filledLog('c', 20, 0);
    await broken.close();
    const warnings: string[] = [];
    const manager = new RetentionManager({
      now: () => 3 * DAY, // past a's 1 day, within b's default 7 days
      targets: () => [
        { log: broken, config: cfg(DAY) },
        { log: a, config: cfg(DAY) },
        { log: b, config: retentionConfigFromTopicConfig({}) },
      ],
      logger: { debug() {}, info() {}, warn: (m) => warnings.push(m), error() {} },
    });
    const outcomes = await manager.run();
    expect(outcomes.map((o) => o.topic)).toEqual(['a']);
    expect(a.sizeBytes()).toBe(0);
    expect(b.startOffset()).toBe(0);
    expect(warnings.length).toBe(1);
  });

  it('serializes runs asked for at the same time', async () => {
    const log = await filledLog('a', 20, 0);
    const manager = new RetentionManager({ now: () => 10 * DAY, targets: () => [{ log, config: cfg(DAY) }] });
    const [first, second] = await Promise.all([manager.run(), manager.run()]);
    expect(first.length).toBe(1);
    expect(second).toEqual([]);
  });

  it('runs periodically once started, with targets asked anew each time, until stopped', async () => {
    const log = await filledLog('a', 20, 0);
    let now = 0;
    const runs: RetentionOutcome[][] = [];
    let resolveDone: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    const manager = new RetentionManager({
      intervalMs: 2,
      now: () => now,
      targets: async () => [{ log, config: cfg(DAY) }],
      onRun: (o) => {
        runs.push(o);
        // The first runs find nothing; then time passes and the next one trims.
        if (runs.length === 2) now = 10 * DAY;
        if (o.length > 0) resolveDone();
      },
    });
    expect(manager.started).toBe(false);
    manager.start();
    manager.start(); // idempotent
    expect(manager.started).toBe(true);
    await done;
    manager.stop();
    expect(manager.started).toBe(false);
    expect(runs.slice(0, 2).every((o) => o.length === 0)).toBe(true);
    expect(log.sizeBytes()).toBe(0);
  });

  it('rejects a bad interval with ERR_INVALID_CONFIG', () => {
    expect(() => new RetentionManager({ targets: () => [], intervalMs: 0 })).toThrowError(expect.objectContaining({ code: 'ERR_INVALID_CONFIG' }));
  });
});
