/**
 * The memory adapter against the Storage conformance suite, plus what is particular to
 * it: segment rolling by size and age, the copy-on-append rule, closed-state errors,
 * reuse after close, and the core's batchInfoOf on the batches it stores.
 */
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../adapters/memory/index.ts';
import { batchInfoOf } from '../../core/storage/batch-info.ts';
import { decodeBatchSync, encodeBatchSync } from '../../core/records/record-batch.ts';
import { setBaseOffset } from '../../core/records/batch-header.ts';
import { makeTestBatch, parseReadResult, storageConformance } from '../../conformance/storage/index.ts';

storageConformance('memory', { create: () => memoryStorage() });
storageConformance('memory (one batch per segment)', { create: () => memoryStorage({ segmentBytes: 1 }) });

// The memory adapter keeps its data in the storage object across close() and open(); a
// harness that reopens the same object runs the suite's durability tests against that.
storageConformance('memory (reopened in place)', {
  create: () => {
    const storage = memoryStorage({ segmentBytes: 8192 });
    return { ...storage, supports: { durable: true, segmented: true } };
  },
  reopen: (previous) => previous,
});

async function openLog(options: Parameters<typeof memoryStorage>[0] = {}, segmentBytes?: number) {
  const storage = memoryStorage(options);
  await storage.open();
  return { storage, log: await storage.openPartition('t', 0, segmentBytes ? { segmentBytes } : undefined) };
}

describe('memory adapter specifics', () => {
  it('rolls segments by size: a segment never exceeds segmentBytes unless one batch does', async () => {
    const { log } = await openLog({}, 1000);
    let offset = 0;
    const sizes: number[] = [];
    for (let i = 0; i < 20; i++) {
      const b = makeTestBatch({ baseOffset: offset, count: 2, valueSize: 100 + i * 10 });
      sizes.push(b.bytes.length);
      await log.append(b.bytes, b.info);
      offset += 2;
    }
    const big = makeTestBatch({ baseOffset: offset, count: 1, valueSize: 3000 });
    await log.append(big.bytes, big.info);
    const segs = log.segments();
    expect(segs.length).toBeGreaterThan(5);
    for (const s of segs.slice(0, -1)) expect(s.sizeBytes).toBeLessThanOrEqual(1000);
    expect(segs.at(-1)!.sizeBytes).toBe(big.bytes.length);
    // Consecutive: each segment starts where the previous ended.
    for (let i = 1; i < segs.length; i++) expect(segs[i]!.baseOffset).toBe(segs[i - 1]!.nextOffset);
  });

  it('rolls segments by age on the injected clock', async () => {
    let now = 1_000;
    const { log } = await openLog({ now: () => now, segmentMs: 100 });
    const append = async (base: number) => {
      const b = makeTestBatch({ baseOffset: base, count: 1 });
      await log.append(b.bytes, b.info);
    };
    await append(0);
    now += 99;
    await append(1);
    expect(log.segments().length).toBe(1);
    now += 1;
    await append(2);
    expect(log.segments().map((s) => s.baseOffset)).toEqual([0, 2]);
  });

  it('keeps a batch that fills its buffer without copying, and copies a small view into a big buffer', async () => {
    const { log } = await openLog();
    const whole = makeTestBatch({ baseOffset: 0, count: 3 });
    await log.append(whole.bytes, whole.info);
    expect((await log.read(0, 1 << 20)).chunks[0]).toBe(whole.bytes);

    const frame = new Uint8Array(64 * 1024);
    const small = makeTestBatch({ baseOffset: 3, count: 1 });
    frame.set(small.bytes, 100);
    const view = frame.subarray(100, 100 + small.bytes.length);
    await log.append(view, small.info);
    frame.fill(0); // the frame is reused for the next request
    const stored = (await log.read(3, 1 << 20)).chunks[0]!;
    expect(stored).not.toBe(view);
    expect(stored.buffer.byteLength).toBe(small.bytes.length);
    expect(parseReadResult({ chunks: [stored], bytes: stored.length })[0]!.baseOffset).toBe(3);
  });

  it('copyOnAppend always/never override the rule', async () => {
    const always = await openLog({ copyOnAppend: 'always' });
    const b = makeTestBatch({ baseOffset: 0, count: 1 });
    await always.log.append(b.bytes, b.info);
    expect((await always.log.read(0, 1 << 20)).chunks[0]).not.toBe(b.bytes);
    const never = await openLog({ copyOnAppend: 'never' });
    const frame = new Uint8Array(10_000);
    frame.set(b.bytes, 10);
    const view = frame.subarray(10, 10 + b.bytes.length);
    await never.log.append(view, b.info);
    expect((await never.log.read(0, 1 << 20)).chunks[0]).toBe(view);
    expect(() => memoryStorage({ copyOnAppend: 'sometimes' as never })).toThrowError(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
  });

  it('gives coded errors before open, after close, and for bad arguments', async () => {
    const storage = memoryStorage();
    await expect(storage.openPartition('t', 0)).rejects.toMatchObject({ code: 'ERR_STORAGE_CLOSED' });
    await expect(storage.metadata.get('k')).rejects.toMatchObject({ code: 'ERR_STORAGE_CLOSED' });
    await storage.open();
    await expect(storage.openPartition('', 0)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(storage.openPartition('t', -1)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(storage.openPartition('t', 1.5)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    const log = await storage.openPartition('t', 0);
    const b = makeTestBatch({ baseOffset: 0, count: 2 });
    await expect(log.append(b.bytes, { ...b.info, lastOffset: -1 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(log.append(new Uint8Array(0), b.info)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(log.truncateTo(-1)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(log.trimBefore(Number.NaN)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(log.read(0.5, 100)).rejects.toMatchObject({ code: 'OFFSET_OUT_OF_RANGE' });
    await expect(storage.metadata.put(7 as never, new Uint8Array(1))).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(storage.metadata.put('k', 'text' as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    expect(() => memoryStorage({ segmentBytes: 0 })).toThrowError(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    await log.append(b.bytes, b.info);
    await storage.close();
    await expect(log.read(0, 100)).rejects.toMatchObject({ code: 'ERR_STORAGE_CLOSED' });
    await expect(log.append(b.bytes, b.info)).rejects.toMatchObject({ code: 'ERR_STORAGE_CLOSED' });
  });

  it('keeps its data across close() and open() of the same object, with new log objects', async () => {
    const storage = memoryStorage();
    await storage.open();
    const log = await storage.openPartition('t', 0);
    const b = makeTestBatch({ baseOffset: 0, count: 5 });
    await log.append(b.bytes, b.info);
    await storage.metadata.put('k', new Uint8Array([1]));
    await storage.close();
    await storage.open();
    const again = await storage.openPartition('t', 0);
    expect(again).not.toBe(log);
    expect(again.endOffset()).toBe(5);
    expect(await storage.metadata.get('k')).toEqual(new Uint8Array([1]));
  });

  it('deletePartition closes the open log object', async () => {
    const { storage, log } = await openLog();
    await storage.deletePartition('t', 0);
    await expect(log.read(0, 100)).rejects.toMatchObject({ code: 'ERR_STORAGE_CLOSED' });
  });
});

describe('batchInfoOf', () => {
  it('reads base/last offset, max timestamp and count from a batch made by the record codec', async () => {
    const bytes = encodeBatchSync({
      records: [
        { key: null, value: new Uint8Array([1]), timestamp: 5_000 },
        { key: null, value: new Uint8Array([2]), timestamp: 9_000 },
        { key: null, value: new Uint8Array([3]), timestamp: 7_000 },
      ],
    });
    setBaseOffset(bytes, 1234);
    expect(batchInfoOf(bytes)).toEqual({ baseOffset: 1234, lastOffset: 1236, maxTimestamp: 9_000, recordCount: 3 });
    const { log } = await openLog();
    await expect(log.append(bytes, batchInfoOf(bytes))).resolves.toBeUndefined();
    expect(log.endOffset()).toBe(1237);
    expect(await log.offsetForTimestamp(8_000)).toBe(1234);
  });

  it('agrees with the conformance suite batches, which the record codec decodes', () => {
    const b = makeTestBatch({ baseOffset: 2 ** 40, count: 7, timestamp: 1_700_000_000_000, timestampStep: 3, valueSize: 20 });
    expect(batchInfoOf(b.bytes)).toEqual(b.info);
    const decoded = decodeBatchSync(b.bytes);
    expect(decoded.records.length).toBe(7);
    expect(decoded.records.at(-1)!.offset).toBe(2 ** 40 + 6);
    expect(decoded.records[1]!.timestamp).toBe(1_700_000_000_003);
  });

  it('finds the batch at a position inside a larger buffer and rejects bad headers with coded errors', () => {
    const a = makeTestBatch({ baseOffset: 0, count: 2 });
    const b = makeTestBatch({ baseOffset: 2, count: 3 });
    const both = new Uint8Array(a.bytes.length + b.bytes.length);
    both.set(a.bytes);
    both.set(b.bytes, a.bytes.length);
    expect(batchInfoOf(both, a.bytes.length)).toEqual(b.info);
    expect(() => batchInfoOf(a.bytes.subarray(0, 40))).toThrowError(expect.objectContaining({ code: 'CORRUPT_MESSAGE' }));
    const badMagic = a.bytes.slice();
    badMagic[16] = 1;
    expect(() => batchInfoOf(badMagic)).toThrowError(expect.objectContaining({ code: 'UNSUPPORTED_FOR_MESSAGE_FORMAT' }));
    const negative = a.bytes.slice();
    new DataView(negative.buffer).setInt32(23, -5);
    expect(() => batchInfoOf(negative)).toThrowError(expect.objectContaining({ code: 'CORRUPT_MESSAGE' }));
  });
});
