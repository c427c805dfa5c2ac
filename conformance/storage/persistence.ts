/** Storage conformance — Reopen and persistence (durable adapters): data, offsets, deletions and metadata survive close and reopen. */
import { describe, expect, it } from 'vitest';
import type { PartitionLogOptions, SegmentInfo } from '../../core/contracts/storage.ts';
import { makeTestBatch } from './batches.ts';
import type { SuiteContext } from './harness.ts';
import { BIG, enc, dec, expectCode, Model, appendMany, expectRead, checkSegments } from './model.ts';

/** Registers the tests of this operation (called by `storageConformance`). */
export function persistenceTests(ctx: SuiteContext): void {
  const { harness, small, fresh, reopen } = ctx;
  describe('durability', () => {
    const durableIt = (title: string, fn: () => Promise<void>) =>
      it(title, async (ctx) => {
        const probe = await harness.create();
        if (!probe.supports.durable) {
          ctx.skip();
          return;
        }
        // A durable adapter must prove it: without a reopen these tests would be skipped
        // and the claim would go unchecked.
        expect(typeof harness.reopen, 'a durable adapter\'s harness must provide reopen()').toBe('function');
        await fn();
      });

    durableIt('everything appended and synced, and the metadata, is there after close and reopen', async () => {
      let storage = await fresh();
      const models = new Map<string, { model: Model; opts: PartitionLogOptions | undefined }>();
      for (const [topic, p, opts] of [['a', 0, undefined], ['a', 1, small], ['b.c', 7, small]] as const) {
        const log = await storage.openPartition(topic, p, opts);
        const model = new Model();
        await appendMany(log, model, 0, 40);
        await log.sync();
        models.set(`${topic}/${p}`, { model, opts });
      }
      const last = await storage.openPartition('a', 0);
      const b = makeTestBatch({ baseOffset: last.endOffset(), count: 2 });
      await last.append(b.bytes, b.info, { sync: true });
      models.get('a/0')!.model.add(b);
      await storage.openPartition('empty', 0);
      await storage.metadata.put('topics/a', enc.encode('A'));
      await storage.metadata.write([
        { type: 'put', key: 'offsets/g/a/0', value: enc.encode('12') },
        { type: 'put', key: 'gone', value: enc.encode('x') },
        { type: 'delete', key: 'gone' },
      ]);
      const before = new Map<string, { start: number; end: number; size: number; segs: readonly SegmentInfo[] }>();
      for (const key of models.keys()) {
        const [topic, p] = key.split('/') as [string, string];
        const log = await storage.openPartition(topic, Number(p));
        before.set(key, { start: log.startOffset(), end: log.endOffset(), size: log.sizeBytes(), segs: log.segments().map((s) => ({ ...s })) });
      }

      storage = await reopen(storage);
      const list = (await storage.listPartitions()).map((r) => `${r.topic}/${r.partition}`).sort();
      expect(list).toEqual(['a/0', 'a/1', 'b.c/7', 'empty/0']);
      for (const [key, { model, opts }] of models) {
        const [topic, p] = key.split('/') as [string, string];
        const log = await storage.openPartition(topic, Number(p), opts);
        expect(log.recovery).toEqual([]);
        const was = before.get(key)!;
        expect(log.startOffset()).toBe(was.start);
        expect(log.endOffset()).toBe(was.end);
        expect(log.sizeBytes()).toBe(was.size);
        const segs = checkSegments(log, model);
        expect(segs.filter((s) => s.sizeBytes > 0).map((s) => [s.baseOffset, s.sizeBytes])).toEqual(was.segs.filter((s) => s.sizeBytes > 0).map((s) => [s.baseOffset, s.sizeBytes]));
        await expectRead(log, model, 0);
        await expectRead(log, model, model.batches[10]!.info.baseOffset + 1, 3000);
        const t = model.batches[20]!.info.maxTimestamp;
        expect(await log.offsetForTimestamp(t)).toBe(model.batches[20]!.info.baseOffset);
        // It keeps going where it stopped.
        const bad = makeTestBatch({ baseOffset: log.endOffset() - 1, count: 1 });
        await expectCode(() => log.append(bad.bytes, bad.info), 'ERR_OFFSET_ORDER');
        const end = await appendMany(log, model, log.endOffset(), 3);
        expect(log.endOffset()).toBe(end);
        await expectRead(log, model, 0);
      }
      expect(dec.decode(await storage.metadata.get('topics/a'))).toBe('A');
      expect(dec.decode(await storage.metadata.get('offsets/g/a/0'))).toBe('12');
      expect(await storage.metadata.get('gone')).toBeUndefined();
      const empty = await storage.openPartition('empty', 0);
      expect(empty.endOffset()).toBe(0);
    });

    durableIt('start and end offsets survive trimBefore and truncateTo', async () => {
      let storage = await fresh();
      const cases: Array<{ topic: string; opts?: PartitionLogOptions; model: Model; start: number; end: number }> = [];
      for (const opts of [undefined, small]) {
        const topic = opts ? 'small' : 'default';
        const log = await storage.openPartition(topic, 0, opts);
        const model = new Model();
        await appendMany(log, model, 0, 60);
        const start = await log.trimBefore(model.batches[30]!.info.baseOffset + 1);
        model.dropBefore(start);
        const cut = model.batches.at(-5)!.info.baseOffset;
        await log.truncateTo(cut);
        model.dropFrom(cut);
        await log.sync();
        cases.push({ topic, opts, model, start, end: cut });
      }
      // An emptied log keeps its offsets too.
      const emptied = await storage.openPartition('emptied', 0, small);
      const emptiedEnd = await appendMany(emptied, new Model(), 0, 20);
      expect(await emptied.trimBefore(emptiedEnd)).toBe(emptiedEnd);
      await emptied.sync();

      storage = await reopen(storage);
      for (const c of cases) {
        const log = await storage.openPartition(c.topic, 0, c.opts);
        expect(log.startOffset()).toBe(c.start);
        expect(log.endOffset()).toBe(c.end);
        expect(log.sizeBytes()).toBe(c.model.size());
        await expectRead(log, c.model, c.start);
        if (c.start > 0) await expectCode(() => log.read(c.start - 1, BIG), 'OFFSET_OUT_OF_RANGE');
        checkSegments(log, c.model);
      }
      const again = await storage.openPartition('emptied', 0, small);
      expect(again.startOffset()).toBe(emptiedEnd);
      expect(again.endOffset()).toBe(emptiedEnd);
      expect(again.sizeBytes()).toBe(0);
      const model = new Model();
      await appendMany(again, model, emptiedEnd, 2);
      await expectRead(again, model, emptiedEnd);
    });

    durableIt('deleted partitions and metadata stay deleted after reopen', async () => {
      let storage = await fresh();
      const log = await storage.openPartition('t', 0);
      await appendMany(log, new Model(), 0, 5);
      await storage.openPartition('t', 1);
      await storage.metadata.put('a', enc.encode('1'));
      await storage.metadata.put('b', enc.encode('2'));
      await storage.deletePartition('t', 0);
      await storage.metadata.delete('a');
      storage = await reopen(storage);
      expect((await storage.listPartitions()).map((r) => `${r.topic}/${r.partition}`)).toEqual(['t/1']);
      expect((await storage.metadata.list('')).map((e) => e.key)).toEqual(['b']);
      const fresh0 = await storage.openPartition('t', 0);
      expect(fresh0.endOffset()).toBe(0);
    });
  });
}
