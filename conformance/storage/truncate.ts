/** Storage conformance — truncateTo (replica divergence): at a boundary, inside a batch, at or past the end, across segments. */
import { describe, expect, it } from 'vitest';
import { makeTestBatch, parseReadResult } from './batches.ts';
import type { SuiteContext } from './harness.ts';
import { BIG, expectCode, Model, appendMany, expectRead, checkSegments } from './model.ts';

/** Registers the tests of this operation (called by `storageConformance`). */
export function truncateTests(ctx: SuiteContext): void {
  const { small, fresh } = ctx;
  describe('truncateTo', () => {
    it('at a batch boundary drops that batch and everything after it', async () => {
      const storage = await fresh();
      const log = await storage.openPartition('t', 0);
      const model = new Model();
      await appendMany(log, model, 0, 8);
      const cut = model.batches[5]!.info.baseOffset;
      await log.truncateTo(cut);
      model.dropFrom(cut);
      expect(log.endOffset()).toBe(cut);
      expect(log.sizeBytes()).toBe(model.size());
      await expectRead(log, model, 0);
      expect((await log.read(cut, BIG)).bytes).toBe(0);
      await expectCode(() => log.read(cut + 1, BIG), 'OFFSET_OUT_OF_RANGE');
      checkSegments(log, model);
      // The log continues at the cut, and the cut is the new order boundary.
      const bad = makeTestBatch({ baseOffset: cut - 1, count: 1 });
      await expectCode(() => log.append(bad.bytes, bad.info), 'ERR_OFFSET_ORDER');
      const end = await appendMany(log, model, cut, 3);
      expect(log.endOffset()).toBe(end);
      await expectRead(log, model, 0);
    });

    it('inside a batch drops that whole batch', async () => {
      const storage = await fresh();
      const log = await storage.openPartition('t', 0);
      const model = new Model();
      for (const base of [0, 10, 20]) {
        const b = makeTestBatch({ baseOffset: base, count: 10 });
        await log.append(b.bytes, b.info);
        model.add(b);
      }
      await log.truncateTo(15);
      model.dropFrom(15);
      expect(log.endOffset()).toBeGreaterThanOrEqual(10);
      expect(log.endOffset()).toBeLessThanOrEqual(15);
      expect(log.sizeBytes()).toBe(model.size());
      const got = parseReadResult(await log.read(0, BIG));
      expect(got.map((b) => b.baseOffset)).toEqual([0]);
      const next = makeTestBatch({ baseOffset: log.endOffset(), count: 3 });
      await log.append(next.bytes, next.info);
      model.add(next);
      await expectRead(log, model, 0);
    });

    it('at or past the end changes nothing; at the start empties the log', async () => {
      const storage = await fresh();
      const log = await storage.openPartition('t', 0);
      const model = new Model();
      const end = await appendMany(log, model, 0, 5);
      await log.truncateTo(end);
      await log.truncateTo(end + 100);
      expect(log.endOffset()).toBe(end);
      await expectRead(log, model, 0);
      await log.truncateTo(0);
      model.dropFrom(0);
      expect(log.startOffset()).toBe(0);
      expect(log.endOffset()).toBe(0);
      expect(log.sizeBytes()).toBe(0);
      expect((await log.read(0, BIG)).bytes).toBe(0);
      expect(await log.offsetForTimestamp(0)).toBeNull();
      await appendMany(log, model, 0, 2);
      await expectRead(log, model, 0);
    });

    it('works across segments', async () => {
      const storage = await fresh();
      const log = await storage.openPartition('t', 0, small);
      const model = new Model();
      await appendMany(log, model, 0, 60);
      const cut = model.batches[17]!.info.baseOffset;
      await log.truncateTo(cut);
      model.dropFrom(cut);
      expect(log.endOffset()).toBe(cut);
      checkSegments(log, model);
      await expectRead(log, model, 0);
      const end = await appendMany(log, model, cut, 20);
      expect(log.endOffset()).toBe(end);
      checkSegments(log, model);
      await expectRead(log, model, 0);
    });
  });
}
