/** Storage conformance — Partitions: many logs kept apart; deletePartition. */
import { describe, expect, it } from 'vitest';
import { makeTestBatch } from './batches.ts';
import type { SuiteContext } from './harness.ts';
import { BIG, Model, appendMany, expectRead } from './model.ts';

/** Registers the tests of this operation (called by `storageConformance`). */
export function partitionTests(ctx: SuiteContext): void {
  const { fresh } = ctx;
  describe('partitions', () => {
    it('keeps 200 partitions across topics apart', async () => {
      const storage = await fresh();
      const topics = ['x', 'x1', 'x.y', 'x-y', 'x_y', 'orders', 'orders2', 'a'.repeat(200), 'p', 'p-1'];
      const expected = new Map<string, Model>();
      for (const topic of topics) {
        for (let p = 0; p < 20; p++) {
          const log = await storage.openPartition(topic, p);
          const model = new Model();
          // Different sizes and counts per partition, so that a mix-up shows.
          const seed = topics.indexOf(topic) * 20 + p;
          let offset = 0;
          for (let i = 0; i < 2; i++) {
            const b = makeTestBatch({ baseOffset: offset, count: 1 + ((seed + i) % 4), valueSize: 10 + seed, timestamp: seed * 1000 + i });
            await log.append(b.bytes, b.info);
            model.add(b);
            offset = b.info.lastOffset + 1;
          }
          expected.set(`${topic}\u0000${p}`, model);
        }
      }
      const list = await storage.listPartitions();
      expect(list.map((r) => `${r.topic}\u0000${r.partition}`).sort()).toEqual([...expected.keys()].sort());
      for (const [key, model] of expected) {
        const [topic, p] = key.split('\u0000') as [string, string];
        const log = await storage.openPartition(topic, Number(p));
        expect(log.endOffset()).toBe(model.batches.at(-1)!.info.lastOffset + 1);
        await expectRead(log, model, 0);
      }
    });

    it('deletePartition removes a log and its data and leaves the others alone', async () => {
      const storage = await fresh();
      const keep = new Model();
      const keepLog = await storage.openPartition('t', 1);
      await appendMany(keepLog, keep, 0, 5);
      const gone = await storage.openPartition('t', 10);
      await appendMany(gone, new Model(), 0, 5);
      await storage.deletePartition('t', 10);
      await storage.deletePartition('t', 99); // missing: nothing to do
      await storage.deletePartition('never', 0);
      const list = (await storage.listPartitions()).map((p) => `${p.topic}/${p.partition}`);
      expect(list).toEqual(['t/1']);
      const again = await storage.openPartition('t', 10);
      expect(again.startOffset()).toBe(0);
      expect(again.endOffset()).toBe(0);
      expect(again.sizeBytes()).toBe(0);
      expect((await again.read(0, BIG)).bytes).toBe(0);
      await expectRead(keepLog, keep, 0);
    });
  });
}
