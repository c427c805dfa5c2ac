/** Storage conformance — Concurrency: appends issued without awaiting apply in call order; reads beside appends see whole batches. */
import { describe, expect, it } from 'vitest';
import type { ReadResult } from '../../core/contracts/storage.ts';
import { makeTestBatch, parseReadResult, sameBytes, check } from './batches.ts';
import type { SuiteContext } from './harness.ts';
import { BIG, Model, expectRead } from './model.ts';

/** Registers the tests of this operation (called by `storageConformance`). */
export function concurrencyTests(ctx: SuiteContext): void {
  const { small, fresh } = ctx;
  describe('concurrency', () => {
    it('appends issued without awaiting are applied in call order', async () => {
      const storage = await fresh();
      const log = await storage.openPartition('t', 0, small);
      const batches = Array.from({ length: 60 }, (_, i) => makeTestBatch({ baseOffset: i * 4, count: 4, valueSize: 50 + i }));
      await Promise.all(batches.map((b) => log.append(b.bytes, b.info)));
      expect(log.endOffset()).toBe(240);
      const model = new Model();
      batches.forEach((b) => model.add(b));
      await expectRead(log, model, 0);
    });

    it('an out-of-order append among concurrent ones fails alone', async () => {
      const storage = await fresh();
      const log = await storage.openPartition('t', 0);
      const a = makeTestBatch({ baseOffset: 0, count: 5 });
      const overlap = makeTestBatch({ baseOffset: 3, count: 5 });
      const b = makeTestBatch({ baseOffset: 5, count: 5 });
      const results = await Promise.allSettled([log.append(a.bytes, a.info), log.append(overlap.bytes, overlap.info), log.append(b.bytes, b.info)]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(((results[1] as PromiseRejectedResult).reason as { code?: string }).code).toBe('ERR_OFFSET_ORDER');
      const model = new Model();
      model.add(a);
      model.add(b);
      await expectRead(log, model, 0);
    });

    it('reads running beside many appends see whole, valid batches that are a prefix of the log', async () => {
      const storage = await fresh();
      const log = await storage.openPartition('t', 0, small);
      const batches = Array.from({ length: 200 }, (_, i) => makeTestBatch({ baseOffset: i * 3, count: 3, valueSize: 40 + ((i * 13) % 300) }));
      const byBase = new Map(batches.map((b) => [b.info.baseOffset, b]));
      const pending: Promise<unknown>[] = [];
      const reads: Promise<ReadResult>[] = [];
      for (let i = 0; i < batches.length; i++) {
        pending.push(log.append(batches[i]!.bytes, batches[i]!.info));
        if (i % 4 === 0) {
          const from = Math.floor(i / 2) * 3;
          reads.push(Promise.resolve().then(() => (from <= log.endOffset() ? log.read(from, 1 + ((i * 977) % 8000)) : { chunks: [], bytes: 0 })));
        }
      }
      // Also read while the appends are being awaited one by one.
      for (const p of pending) {
        await p;
        reads.push(log.read(0, BIG));
      }
      for (const r of await Promise.all(reads)) {
        const got = parseReadResult(r);
        for (let i = 0; i < got.length; i++) {
          const want = byBase.get(got[i]!.baseOffset);
          check(want !== undefined && sameBytes(got[i]!.bytes, want.bytes), `the batch at ${got[i]!.baseOffset} must be one appended, byte for byte`);
          if (i > 0) check(got[i]!.baseOffset === got[i - 1]!.lastOffset + 1, `batch ${got[i]!.baseOffset} must follow ${got[i - 1]!.lastOffset}`);
        }
      }
      expect(log.endOffset()).toBe(600);
    });
  });
}
