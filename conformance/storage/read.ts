/** Storage conformance — read: whole batches from the one holding the offset, maxBytes and minOneBatch, the empty read at the end and OFFSET_OUT_OF_RANGE outside the log. */
import { describe, expect, it } from 'vitest';
import { parseReadResult } from './batches.ts';
import type { SuiteContext } from './harness.ts';
import { BIG, expectCode, Model, appendMany, expectRead } from './model.ts';

/** Registers the tests of this operation (called by `storageConformance`). */
export function readTests(ctx: SuiteContext): void {
  const { fresh } = ctx;
  describe('append and read', () => {
    it('a read starting inside a batch returns that whole batch first', async () => {
      const storage = await fresh();
      const log = await storage.openPartition('t', 0);
      const model = new Model();
      await appendMany(log, model, 0, 6);
      for (const b of model.batches) {
        for (let o = b.info.baseOffset; o <= b.info.lastOffset; o++) {
          const got = await expectRead(log, model, o);
          expect(got[0]!.baseOffset).toBe(b.info.baseOffset);
        }
      }
    });

    it('respects maxBytes with whole batches only, as many as fit', async () => {
      const storage = await fresh();
      const log = await storage.openPartition('t', 0);
      const model = new Model();
      await appendMany(log, model, 0, 10);
      const sizes = model.batches.map((b) => b.bytes.length);
      const three = sizes[0]! + sizes[1]! + sizes[2]!;
      expect((await expectRead(log, model, 0, three)).length).toBe(3);
      expect((await expectRead(log, model, 0, three - 1)).length).toBe(2);
      expect((await expectRead(log, model, 0, three + sizes[3]! - 1)).length).toBe(3);
      const from = model.batches[4]!.info.baseOffset + 1;
      const r = await log.read(from, sizes[4]! + sizes[5]!);
      expect(r.bytes).toBe(sizes[4]! + sizes[5]!);
      for (let max = 0; max < 2 * three; max += 97) {
        const got = await log.read(0, max);
        expect(got.bytes).toBeLessThanOrEqual(Math.max(max, sizes[0]!));
        await expectRead(log, model, 0, max);
      }
    });

    it('minOneBatch (default on) returns the first batch even when it exceeds maxBytes', async () => {
      const storage = await fresh();
      const log = await storage.openPartition('t', 0);
      const model = new Model();
      await appendMany(log, model, 0, 3, { valueSize: 500 });
      expect((await expectRead(log, model, 0, 10)).length).toBe(1);
      expect((await expectRead(log, model, 0, 0)).length).toBe(1);
      expect((await expectRead(log, model, 0, 10, true)).length).toBe(1);
      const none = await log.read(0, 10, { minOneBatch: false });
      expect(none.bytes).toBe(0);
      expect(parseReadResult(none)).toEqual([]);
    });

    it('a read at endOffset is empty; outside [start, end] it is OFFSET_OUT_OF_RANGE', async () => {
      const storage = await fresh();
      const log = await storage.openPartition('t', 0);
      expect((await log.read(0, BIG)).bytes).toBe(0);
      await expectCode(() => log.read(1, BIG), 'OFFSET_OUT_OF_RANGE');
      const model = new Model();
      const end = await appendMany(log, model, 0, 4);
      const empty = await log.read(end, BIG);
      expect(empty.bytes).toBe(0);
      expect(parseReadResult(empty)).toEqual([]);
      await expectCode(() => log.read(end + 1, BIG), 'OFFSET_OUT_OF_RANGE');
      await expectCode(() => log.read(-1, BIG), 'OFFSET_OUT_OF_RANGE');
      const start = await log.trimBefore(model.batches[2]!.info.baseOffset);
      if (start > 0) await expectCode(() => log.read(start - 1, BIG), 'OFFSET_OUT_OF_RANGE');
    });
  });
}
