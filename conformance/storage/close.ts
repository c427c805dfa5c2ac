/** Storage conformance — close: a closed log or storage refuses every call with ERR_STORAGE_CLOSED; a closed log's data stays. */
import { describe, expect, it } from 'vitest';
import { makeTestBatch } from './batches.ts';
import type { SuiteContext } from './harness.ts';
import { BIG, Model, appendMany, expectCode, expectRead } from './model.ts';

/** Registers the tests of this operation (called by `storageConformance`). */
export function closeTests(ctx: SuiteContext): void {
  const { fresh, close } = ctx;
  describe('close', () => {
    it('a closed log refuses every call with ERR_STORAGE_CLOSED; the storage opens the partition again with its data', async () => {
      const storage = await fresh();
      const log = await storage.openPartition('t', 0);
      const model = new Model();
      const end = await appendMany(log, model, 0, 3);
      await log.close();
      await log.close(); // closing twice is fine
      const next = makeTestBatch({ baseOffset: end, count: 1 });
      await expectCode(() => log.append(next.bytes, next.info), 'ERR_STORAGE_CLOSED');
      await expectCode(() => log.read(0, BIG), 'ERR_STORAGE_CLOSED');
      await expectCode(() => log.truncateTo(0), 'ERR_STORAGE_CLOSED');
      await expectCode(() => log.trimBefore(0), 'ERR_STORAGE_CLOSED');
      await expectCode(() => log.offsetForTimestamp(0), 'ERR_STORAGE_CLOSED');
      await expectCode(() => log.sync(), 'ERR_STORAGE_CLOSED');
      const again = await storage.openPartition('t', 0);
      expect(again).not.toBe(log);
      expect(again.endOffset()).toBe(end);
      await expectRead(again, model, 0);
    });

    it('appends issued before a log closes are kept; a closed storage refuses its logs, partitions and metadata', async () => {
      const storage = await fresh();
      const log = await storage.openPartition('t', 0);
      const batches = Array.from({ length: 10 }, (_, i) => makeTestBatch({ baseOffset: i * 2, count: 2 }));
      const appends = batches.map((b) => log.append(b.bytes, b.info));
      await log.close();
      await Promise.all(appends);
      const again = await storage.openPartition('t', 0);
      expect(again.endOffset()).toBe(20);
      await close(storage);
      await expectCode(() => again.read(0, BIG), 'ERR_STORAGE_CLOSED');
      await expectCode(() => again.append(batches[0]!.bytes, { ...batches[0]!.info, baseOffset: 20, lastOffset: 21 }), 'ERR_STORAGE_CLOSED');
      await expectCode(() => storage.openPartition('t', 0), 'ERR_STORAGE_CLOSED');
      await expectCode(() => storage.listPartitions(), 'ERR_STORAGE_CLOSED');
      await expectCode(() => storage.deletePartition('t', 0), 'ERR_STORAGE_CLOSED');
      await expectCode(() => storage.metadata.get('k'), 'ERR_STORAGE_CLOSED');
      await expectCode(() => storage.metadata.put('k', new Uint8Array(1)), 'ERR_STORAGE_CLOSED');
    });
  });
}
