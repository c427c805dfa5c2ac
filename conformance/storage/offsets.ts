/** Storage conformance — Offset lookups: offsetForTimestamp, and segments() as retention sees them. */
import { describe, expect, it } from 'vitest';
import { makeTestBatch } from './batches.ts';
import type { SuiteContext } from './harness.ts';
import { Model, appendMany, checkSegments } from './model.ts';

/** Registers the tests of this operation (called by `storageConformance`). */
export function offsetLookupTests(ctx: SuiteContext): void {
  const { small, fresh } = ctx;
  describe('timestamps and segments', () => {
    it('offsetForTimestamp finds the first batch whose max timestamp is at least t', async () => {
      const storage = await fresh();
      const log = await storage.openPartition('t', 0, small);
      // Timestamps need not rise: the answer is the first batch in offset order.
      const maxes = [100, 300, 200, 400, 400, 250, 900];
      let offset = 0;
      for (const max of maxes) {
        const b = makeTestBatch({ baseOffset: offset, count: 3, timestamp: max - 20, timestampStep: 10, valueSize: 900 });
        expect(b.info.maxTimestamp).toBe(max);
        await log.append(b.bytes, b.info);
        offset += 3;
      }
      const expected = (t: number) => {
        const i = maxes.findIndex((m) => m >= t);
        return i < 0 ? null : i * 3;
      };
      for (const t of [-1, 0, 99, 100, 101, 250, 299, 300, 301, 400, 401, 899, 900, 901, 10_000]) {
        expect(await log.offsetForTimestamp(t), `t=${t}`).toBe(expected(t));
      }
      const start = await log.trimBefore(6);
      expect(start).toBeLessThanOrEqual(6);
      // After the trim, only batches still held count, and the answer is never below the start.
      const expectedAfter = (t: number) => {
        const i = maxes.findIndex((m, index) => index * 3 + 2 >= start && m >= t);
        return i < 0 ? null : Math.max(i * 3, start);
      };
      for (const t of [-1, 0, 100, 150, 250, 350, 400, 901]) {
        expect(await log.offsetForTimestamp(t), `t=${t} after trimBefore`).toBe(expectedAfter(t));
      }
    });

    it('segments() agree with the data held and sizeBytes()', async () => {
      const storage = await fresh();
      for (const opts of [undefined, small]) {
        const log = await storage.openPartition(opts ? 'small' : 'default', 0, opts);
        const model = new Model();
        checkSegments(log, model);
        await appendMany(log, model, 0, 50);
        const segs = checkSegments(log, model);
        expect(segs.length).toBeGreaterThan(0);
        if (opts && storage.supports.segmented) expect(segs.length).toBeGreaterThan(1);
      }
    });
  });
}
