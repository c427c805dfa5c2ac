/** Storage conformance — append: bytes kept exactly, gaps allowed, offset order (ERR_OFFSET_ORDER), malformed arguments (ERR_INVALID_ARGUMENT), caller buffers not shared. */
import { describe, expect, it } from 'vitest';
import { makeTestBatch, concatChunks, parseReadResult, sameBytes } from './batches.ts';
import type { SuiteContext } from './harness.ts';
import { BIG, expectCode, Model, appendMany, expectRead } from './model.ts';

/** Registers the tests of this operation (called by `storageConformance`). */
export function appendTests(ctx: SuiteContext): void {
  const { fresh } = ctx;
  describe('append and read', () => {
    it('reads back exactly the bytes appended, in order', async () => {
      const storage = await fresh();
      const log = await storage.openPartition('t', 0);
      const model = new Model();
      const end = await appendMany(log, model, 0, 12);
      expect(log.startOffset()).toBe(0);
      expect(log.endOffset()).toBe(end);
      expect(log.sizeBytes()).toBe(model.size());
      const got = await expectRead(log, model, 0);
      expect(got.length).toBe(12);
      const all = concatChunks(await log.read(0, BIG));
      expect(all.length).toBe(model.size());
    });

    it('accepts gaps between batches; a read in a gap starts at the next batch', async () => {
      const storage = await fresh();
      const log = await storage.openPartition('gaps', 0);
      const model = new Model();
      for (const [base, count] of [[0, 10], [20, 10], [100, 1], [101, 5]] as const) {
        const b = makeTestBatch({ baseOffset: base, count });
        await log.append(b.bytes, b.info);
        model.add(b);
      }
      expect(log.endOffset()).toBe(106);
      expect((await expectRead(log, model, 12))[0]!.baseOffset).toBe(20);
      expect((await expectRead(log, model, 30))[0]!.baseOffset).toBe(100);
      expect((await expectRead(log, model, 99))[0]!.baseOffset).toBe(100);
      await expectRead(log, model, 5);
    });

    it('rejects a batch whose offsets go backwards or overlap with ERR_OFFSET_ORDER and keeps the log intact', async () => {
      const storage = await fresh();
      const log = await storage.openPartition('t', 0);
      const model = new Model();
      const end = await appendMany(log, model, 0, 3);
      const size = log.sizeBytes();
      for (const base of [0, end - 1, end - 3, 1]) {
        const bad = makeTestBatch({ baseOffset: base, count: 5 });
        await expectCode(() => log.append(bad.bytes, bad.info), 'ERR_OFFSET_ORDER');
      }
      expect(log.endOffset()).toBe(end);
      expect(log.sizeBytes()).toBe(size);
      await expectRead(log, model, 0);
      const ok = makeTestBatch({ baseOffset: end, count: 2 });
      await log.append(ok.bytes, ok.info);
      model.add(ok);
      expect(log.endOffset()).toBe(end + 2);
      await expectRead(log, model, 0);
    });

    it('answers malformed arguments with ERR_INVALID_ARGUMENT and changes nothing', async () => {
      const storage = await fresh();
      const log = await storage.openPartition('t', 0);
      const model = new Model();
      const end = await appendMany(log, model, 0, 3);
      const ok = makeTestBatch({ baseOffset: end, count: 1 });
      const calls: Array<[string, () => unknown]> = [
        ['append(null)', () => log.append(null as never, ok.info)],
        ['append(empty)', () => log.append(new Uint8Array(0), ok.info)],
        ['append(bytes, null)', () => log.append(ok.bytes, null as never)],
        ['append(bytes, last < base)', () => log.append(ok.bytes, { ...ok.info, lastOffset: ok.info.baseOffset - 1 })],
        ['append(bytes, NaN offset)', () => log.append(ok.bytes, { ...ok.info, baseOffset: Number.NaN })],
        ['read(0, NaN)', () => log.read(0, Number.NaN)],
        ['read(0, -1)', () => log.read(0, -1)],
        ['offsetForTimestamp(NaN)', () => log.offsetForTimestamp(Number.NaN)],
        ['offsetForTimestamp("1")', () => log.offsetForTimestamp('1' as never)],
        ['truncateTo(NaN)', () => log.truncateTo(Number.NaN)],
        ['truncateTo(-1)', () => log.truncateTo(-1)],
        ['trimBefore(NaN)', () => log.trimBefore(Number.NaN)],
        ['trimBefore(-1)', () => log.trimBefore(-1)],
        ['openPartition(t, -1)', () => storage.openPartition('t', -1)],
        ['openPartition(u, 0, segmentBytes -5)', () => storage.openPartition('u', 0, { segmentBytes: -5 })],
        ['metadata.get(5)', () => storage.metadata.get(5 as never)],
        ['metadata.list(5)', () => storage.metadata.list(5 as never)],
        ['metadata.put(k, "v")', () => storage.metadata.put('k', 'v' as never)],
        ['metadata.write(null)', () => storage.metadata.write(null as never)],
        ['metadata.write([{ type: "zap" }])', () => storage.metadata.write([{ type: 'zap', key: 'k' } as never])],
      ];
      for (const [what, call] of calls) {
        let code: string | undefined = 'no error';
        try {
          await call();
        } catch (error) {
          code = (error as { code?: string }).code;
        }
        expect(code, what).toBe('ERR_INVALID_ARGUMENT');
      }
      expect(log.startOffset()).toBe(0);
      expect(log.endOffset()).toBe(end);
      await expectRead(log, model, 0);
      expect(await storage.metadata.list('')).toEqual([]);
      await log.append(ok.bytes, ok.info);
      expect(log.endOffset()).toBe(end + 1);
    });

    it('does not let later changes to a caller buffer or a read result alter what is stored', async () => {
      const storage = await fresh();
      const log = await storage.openPartition('t', 0);
      const b = makeTestBatch({ baseOffset: 0, count: 4 });
      await log.append(b.bytes, b.info);
      const first = parseReadResult(await log.read(0, BIG));
      expect(sameBytes(first[0]!.bytes, b.bytes)).toBe(true);
      // A subarray of a larger buffer (a network frame) must be stored as its own bytes.
      const frame = new Uint8Array(10_000);
      const c = makeTestBatch({ baseOffset: 4, count: 2 });
      frame.set(c.bytes, 1234);
      await log.append(frame.subarray(1234, 1234 + c.bytes.length), c.info);
      const got = parseReadResult(await log.read(4, BIG));
      expect(got.map((x) => x.baseOffset)).toEqual([4]);
      expect(sameBytes(got[0]!.bytes, c.bytes)).toBe(true);
    });
  });
}
