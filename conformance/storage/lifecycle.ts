/** Storage conformance — Lifecycle: a storage declares itself, opens and closes; a new partition log is empty; openPartition, listPartitions and sync. */
import { describe, expect, it } from 'vitest';
import { makeTestBatch } from './batches.ts';
import type { SuiteContext } from './harness.ts';
import { BIG } from './model.ts';

/** Registers the tests of this operation (called by `storageConformance`). */
export function lifecycleTests(ctx: SuiteContext): void {
  const { harness, small, fresh, close, track } = ctx;
  describe('lifecycle', () => {
    it('declares a name and capabilities, opens and closes', async () => {
      const storage = await harness.create();
      expect(typeof storage.name).toBe('string');
      expect(storage.name.length).toBeGreaterThan(0);
      expect(typeof storage.supports.durable).toBe('boolean');
      await storage.open();
      track(storage);
      await close(storage);
    });

    it('a new partition log is empty at offset 0 and openPartition returns the same object while open', async () => {
      const storage = await fresh();
      const log = await storage.openPartition('events', 0);
      expect(log.topic).toBe('events');
      expect(log.partition).toBe(0);
      expect(log.startOffset()).toBe(0);
      expect(log.endOffset()).toBe(0);
      expect(log.sizeBytes()).toBe(0);
      expect(log.recovery).toEqual([]);
      expect(log.segments().reduce((n, s) => n + s.sizeBytes, 0)).toBe(0);
      expect((await log.read(0, BIG)).bytes).toBe(0);
      expect(await log.offsetForTimestamp(0)).toBeNull();
      expect(await storage.openPartition('events', 0)).toBe(log);
      expect(await storage.openPartition('events', 0, small)).toBe(log);
      const [a, b] = await Promise.all([storage.openPartition('other', 3), storage.openPartition('other', 3)]);
      expect(a).toBe(b);
      expect(await storage.openPartition('events', 1)).not.toBe(log);
    });

    it('listPartitions includes partitions opened but still empty', async () => {
      const storage = await fresh();
      await storage.openPartition('a', 0);
      await storage.openPartition('a', 1);
      await storage.openPartition('b.c_d-e', 7);
      const list = (await storage.listPartitions()).map((p) => `${p.topic}/${p.partition}`).sort();
      expect(list).toEqual(['a/0', 'a/1', 'b.c_d-e/7']);
    });

    it('sync() and append with { sync: true } resolve', async () => {
      const storage = await fresh();
      const log = await storage.openPartition('s', 0);
      const b = makeTestBatch({ baseOffset: 0, count: 3 });
      await log.append(b.bytes, b.info, { sync: true });
      await log.sync();
      expect(log.endOffset()).toBe(3);
    });
  });
}
