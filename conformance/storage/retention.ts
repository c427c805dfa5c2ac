/** Storage conformance — trimBefore (retention and delete): whole batches or segments before an offset go, the real start is reported, the log may be emptied. */
import { describe, expect, it } from 'vitest';
import { makeTestBatch } from './batches.ts';
import type { SuiteContext } from './harness.ts';
import { BIG, expectCode, Model, appendMany, expectRead, checkSegments } from './model.ts';

/** Registers the tests of this operation (called by `storageConformance`). */
export function retentionTests(ctx: SuiteContext): void {
  const { small, fresh } = ctx;
  describe('trimBefore', () => {
    for (const [label, opts] of [['default segments', undefined], ['small segments', small]] as const) {
      it(`drops whole batches before the offset and reports the real start (${label})`, async () => {
        const storage = await fresh();
        const log = await storage.openPartition('t', 0, opts);
        const model = new Model();
        const end = await appendMany(log, model, 0, 60);
        let previous = 0;
        for (const index of [3, 10, 25, 40]) {
          const b = model.batches.find((x) => x.info.baseOffset <= index * 3 && x.info.lastOffset >= index * 3) ?? model.batches[0]!;
          const target = b.info.baseOffset + (index % 2); // sometimes mid-batch
          const start = await log.trimBefore(target);
          expect(start).toBeGreaterThanOrEqual(previous);
          expect(start).toBeLessThanOrEqual(target);
          expect(log.startOffset()).toBe(start);
          expect(log.endOffset()).toBe(end);
          model.dropBefore(start);
          if (!storage.supports.segmented) {
            // Without segments, every batch that ends before the target must go.
            expect(model.batches[0]!.info.lastOffset).toBeGreaterThanOrEqual(target);
          }
          if (start > 0) await expectCode(() => log.read(start - 1, BIG), 'OFFSET_OUT_OF_RANGE');
          const got = await expectRead(log, model, start);
          expect(got.at(-1)!.lastOffset).toBe(end - 1);
          await expectRead(log, model, target);
          checkSegments(log, model);
          previous = start;
        }
        expect(await log.trimBefore(previous - 1 < 0 ? 0 : previous - 1)).toBe(previous);
      });
    }

    it('trimBefore(endOffset()) empties the log, which then continues at the same offset', async () => {
      const storage = await fresh();
      const log = await storage.openPartition('t', 0, small);
      const model = new Model();
      const end = await appendMany(log, model, 0, 30);
      expect(await log.trimBefore(end)).toBe(end);
      model.dropBefore(end);
      expect(log.startOffset()).toBe(end);
      expect(log.endOffset()).toBe(end);
      expect(log.sizeBytes()).toBe(0);
      expect(log.segments().reduce((n, s) => n + s.sizeBytes, 0)).toBe(0);
      expect((await log.read(end, BIG)).bytes).toBe(0);
      await expectCode(() => log.read(end - 1, BIG), 'OFFSET_OUT_OF_RANGE');
      expect(await log.offsetForTimestamp(0)).toBeNull();
      const bad = makeTestBatch({ baseOffset: end - 1, count: 1 });
      await expectCode(() => log.append(bad.bytes, bad.info), 'ERR_OFFSET_ORDER');
      const next = await appendMany(log, model, end, 3);
      expect(log.startOffset()).toBe(end);
      expect(log.endOffset()).toBe(next);
      await expectRead(log, model, end);
    });

    it('trimBefore past endOffset() is OFFSET_OUT_OF_RANGE and removes nothing', async () => {
      const storage = await fresh();
      const log = await storage.openPartition('t', 0);
      const model = new Model();
      const end = await appendMany(log, model, 0, 3);
      await expectCode(() => log.trimBefore(end + 1), 'OFFSET_OUT_OF_RANGE');
      expect(log.startOffset()).toBe(0);
      await expectRead(log, model, 0);
    });

    it('trimming at each reported segment end removes exactly the segments before it', async () => {
      const storage = await fresh();
      const log = await storage.openPartition('t', 0, small);
      const model = new Model();
      await appendMany(log, model, 0, 80);
      let segs = checkSegments(log, model);
      while (segs.length > 1) {
        const first = segs[0]!;
        const start = await log.trimBefore(first.nextOffset);
        model.dropBefore(start);
        const after = checkSegments(log, model);
        expect(after.map((s) => s.baseOffset)).toEqual(segs.slice(1).map((s) => s.baseOffset));
        expect(start).toBe(segs[1]!.baseOffset);
        segs = after;
      }
      await expectRead(log, model, log.startOffset());
    });
  });
}
