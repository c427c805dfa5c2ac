/**
 * The core's storage guard (core/storage/guard.ts) over a bare adapter that checks
 * nothing: every check gives the coded error the adapters used to give, the adapter is
 * not called when a check fails, optional primitives fall back, the closed state holds,
 * and mutations run one at a time. The adapters themselves run the conformance suite.
 */
import { describe, expect, it } from 'vitest';
import type { AppendOptions, BatchInfo, BatchToAppend, MetadataStore, PartitionLog, ReadOptions, ReadResult, SegmentInfo, Storage } from '../../core/contracts/storage.ts';
import { Broker } from '../../core/broker/broker.ts';
import { DEFAULT_HANDLERS } from '../../core/broker/api/preset.ts';
import { guardStorage, isGuardedStorage } from '../../core/storage/guard.ts';
import { memoryStorage } from '../../adapters/memory/index.ts';
import { makeTestBatch } from '../conformance/storage.ts';

interface Call {
  readonly op: string;
  readonly args: readonly unknown[];
}

interface BareOptions {
  /** Milliseconds each append takes (the adapter is asynchronous). */
  appendDelayMs?: number;
  /** Give the log an appendSync primitive. */
  appendSync?: boolean;
  /** Give the log a native appendBatches primitive. */
  appendBatches?: boolean;
  /** Make append throw synchronously instead of rejecting. */
  throwSync?: boolean;
}

/** A minimal adapter with no checks of its own: batches in an array, every call recorded. */
function bareStorage(options: BareOptions = {}) {
  const calls: Call[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const logs = new Map<string, PartitionLog>();
  const entries = new Map<string, Uint8Array>();

  const makeLog = (topic: string, partition: number): PartitionLog => {
    const batches: Array<{ bytes: Uint8Array; info: BatchInfo }> = [];
    let start = 0;
    let end = 0;
    const store = (batch: Uint8Array, info: BatchInfo) => {
      batches.push({ bytes: batch, info });
      end = info.lastOffset + 1;
    };
    const log: PartitionLog = {
      topic,
      partition,
      recovery: [],
      startOffset: () => start,
      endOffset: () => end,
      sizeBytes: () => batches.reduce((n, b) => n + b.bytes.length, 0),
      append(batch: Uint8Array, info: BatchInfo, appendOptions?: AppendOptions) {
        calls.push({ op: 'append', args: [info.baseOffset, appendOptions] });
        if (options.throwSync) throw new Error('boom');
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        return new Promise<void>((resolve) =>
          setTimeout(() => {
            store(batch, info);
            inFlight--;
            resolve();
          }, options.appendDelayMs ?? 0),
        );
      },
      async read(offset: number, maxBytes: number, readOptions?: ReadOptions): Promise<ReadResult> {
        calls.push({ op: 'read', args: [offset, maxBytes, readOptions] });
        const chunks = batches.filter((b) => b.info.lastOffset >= offset).map((b) => b.bytes);
        return { chunks, bytes: chunks.reduce((n, c) => n + c.length, 0) };
      },
      async truncateTo(offset: number) {
        calls.push({ op: 'truncateTo', args: [offset, end] });
        while (batches.length > 0 && batches.at(-1)!.info.lastOffset >= offset) batches.pop();
        end = Math.max(start, offset);
      },
      async trimBefore(offset: number) {
        calls.push({ op: 'trimBefore', args: [offset] });
        while (batches.length > 0 && batches[0]!.info.lastOffset < offset) batches.shift();
        start = offset;
        return start;
      },
      async offsetForTimestamp(timestamp: number) {
        calls.push({ op: 'offsetForTimestamp', args: [timestamp] });
        return batches.find((b) => b.info.maxTimestamp >= timestamp)?.info.baseOffset ?? null;
      },
      segments: (): readonly SegmentInfo[] => [],
      async sync() {
        calls.push({ op: 'sync', args: [] });
      },
      async close() {
        calls.push({ op: 'close', args: [topic, partition] });
        logs.delete(`${topic}/${partition}`);
      },
    };
    if (options.appendSync) {
      log.appendSync = (batch, info) => {
        calls.push({ op: 'appendSync', args: [info.baseOffset] });
        store(batch, info);
      };
    }
    if (options.appendBatches) {
      log.appendBatches = async (list: readonly BatchToAppend[]) => {
        calls.push({ op: 'appendBatches', args: [list.map((b) => b.info.baseOffset)] });
        for (const { batch, info } of list) store(batch, info);
      };
    }
    return log;
  };

  const metadata: MetadataStore = {
    async get(key) {
      calls.push({ op: 'metadata.get', args: [key] });
      return entries.get(key);
    },
    async put(key, value) {
      calls.push({ op: 'metadata.put', args: [key] });
      entries.set(key, value);
    },
    async delete(key) {
      entries.delete(key);
    },
    async list() {
      return [];
    },
    async write(ops) {
      calls.push({ op: 'metadata.write', args: [ops.length] });
    },
  };

  const storage: Storage = {
    name: 'bare',
    supports: { durable: false },
    metadata,
    async open() {
      calls.push({ op: 'open', args: [] });
    },
    async openPartition(topic, partition) {
      calls.push({ op: 'openPartition', args: [topic, partition] });
      const key = `${topic}/${partition}`;
      let log = logs.get(key);
      if (!log) logs.set(key, (log = makeLog(topic, partition)));
      return log;
    },
    async listPartitions() {
      return [...logs.values()].map((l) => ({ topic: l.topic, partition: l.partition }));
    },
    async deletePartition(topic, partition) {
      calls.push({ op: 'deletePartition', args: [topic, partition] });
      logs.delete(`${topic}/${partition}`);
    },
    async close() {
      calls.push({ op: 'close storage', args: [] });
    },
  };
  return { storage, calls, maxInFlight: () => maxInFlight, ops: (op: string) => calls.filter((c) => c.op === op) };
}

async function codeOf(fn: () => unknown): Promise<string | undefined> {
  try {
    await fn();
  } catch (error) {
    return (error as { code?: string }).code ?? 'uncoded';
  }
  return undefined;
}

async function openBare(options: BareOptions = {}) {
  const bare = bareStorage(options);
  const storage = guardStorage(bare.storage);
  await storage.open();
  const log = await storage.openPartition('t', 0);
  return { ...bare, guarded: storage, log };
}

describe('guardStorage', () => {
  it('wraps once: a guarded storage (or a spread copy of one) is returned as is', () => {
    const bare = bareStorage().storage;
    const guarded = guardStorage(bare);
    expect(isGuardedStorage(bare)).toBe(false);
    expect(isGuardedStorage(guarded)).toBe(true);
    expect(guardStorage(guarded)).toBe(guarded);
    const copy = { ...guarded, supports: { ...guarded.supports, durable: true } };
    expect(isGuardedStorage(copy)).toBe(true);
    expect(guardStorage(copy)).toBe(copy);
    for (const storage of [memoryStorage()]) expect(isGuardedStorage(storage)).toBe(true);
    expect(() => guardStorage({} as never)).toThrowError(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
  });

  it('supports: shared and remote default to false, declared values are kept', () => {
    const bare = bareStorage().storage;
    expect(guardStorage(bare).supports).toEqual({ durable: false, segmented: false, shared: false, remote: false });
    const remote = guardStorage({ ...bare, supports: { durable: true, segmented: true, shared: true, remote: true } });
    expect(remote.supports).toEqual({ durable: true, segmented: true, shared: true, remote: true });
    expect(memoryStorage().supports).toEqual({ durable: false, segmented: true, shared: false, remote: false });
  });

  it('the broker guards a third-party adapter it is given, and keeps a guarded one as is', () => {
    const bare = bareStorage().storage;
    const broker = new Broker({ handlers: DEFAULT_HANDLERS, storage: bare, retentionCheckIntervalMs: 0 });
    expect(isGuardedStorage(broker.storage)).toBe(true);
    expect(broker.storage.name).toBe('bare');
    const memory = memoryStorage();
    expect(new Broker({ handlers: DEFAULT_HANDLERS, storage: memory, retentionCheckIntervalMs: 0 }).storage).toBe(memory);
  });

  it('rejects bad append arguments with ERR_INVALID_ARGUMENT without calling the adapter', async () => {
    const { log, ops } = await openBare();
    const ok = makeTestBatch({ baseOffset: 0, count: 2 });
    const bad: Array<[string, () => unknown]> = [
      ['null bytes', () => log.append(null as never, ok.info)],
      ['empty bytes', () => log.append(new Uint8Array(0), ok.info)],
      ['null info', () => log.append(ok.bytes, null as never)],
      ['last < base', () => log.append(ok.bytes, { ...ok.info, lastOffset: -1 })],
      ['NaN base', () => log.append(ok.bytes, { ...ok.info, baseOffset: Number.NaN })],
      ['fractional timestamp', () => log.append(ok.bytes, { ...ok.info, maxTimestamp: 1.5 })],
      ['negative count', () => log.append(ok.bytes, { ...ok.info, recordCount: -1 })],
    ];
    for (const [what, call] of bad) expect(await codeOf(call), what).toBe('ERR_INVALID_ARGUMENT');
    expect(ops('append')).toEqual([]);
  });

  it('rejects an append below the log end with ERR_OFFSET_ORDER (with the offsets in details)', async () => {
    const { log, ops } = await openBare();
    const a = makeTestBatch({ baseOffset: 0, count: 5 });
    await log.append(a.bytes, a.info);
    const overlap = makeTestBatch({ baseOffset: 4, count: 1 });
    let caught: unknown;
    await log.append(overlap.bytes, overlap.info).catch((error: unknown) => (caught = error));
    expect(caught).toMatchObject({ code: 'ERR_OFFSET_ORDER', details: { topic: 't', partition: 0, baseOffset: 4, endOffset: 5 } });
    expect(ops('append').length).toBe(1);
    // Gaps are allowed.
    const gap = makeTestBatch({ baseOffset: 9, count: 1 });
    await log.append(gap.bytes, gap.info);
    expect(log.endOffset()).toBe(10);
  });

  it('checks read arguments and range, answers a read at the end itself, and resolves minOneBatch', async () => {
    const { log, ops } = await openBare();
    expect((await log.read(0, 100)).bytes).toBe(0);
    expect(ops('read')).toEqual([]);
    const a = makeTestBatch({ baseOffset: 0, count: 5 });
    await log.append(a.bytes, a.info);
    expect(await codeOf(() => log.read(0, Number.NaN))).toBe('ERR_INVALID_ARGUMENT');
    expect(await codeOf(() => log.read(0, -1))).toBe('ERR_INVALID_ARGUMENT');
    expect(await codeOf(() => log.read(0, '5' as never))).toBe('ERR_INVALID_ARGUMENT');
    for (const offset of [-1, 6, 0.5, Number.NaN, '1' as never, Number.POSITIVE_INFINITY]) {
      expect(await codeOf(() => log.read(offset, 100)), String(offset)).toBe('OFFSET_OUT_OF_RANGE');
    }
    expect((await log.read(5, 100)).bytes).toBe(0);
    expect(ops('read')).toEqual([]);
    await log.read(0, 100);
    await log.read(0, 100, {});
    await log.read(0, 100, { minOneBatch: true });
    await log.read(0, 100, { minOneBatch: false });
    const seen = ops('read').map((c) => c.args[2] as ReadOptions);
    expect(seen.map((o) => o.minOneBatch)).toEqual([true, true, true, false]);
    // The same frozen options object every time: nothing allocated per read.
    expect(seen[0]).toBe(seen[1]);
    expect(seen[0]).toBe(seen[2]);
    expect(Object.isFrozen(seen[3])).toBe(true);
    await log.trimBefore(3);
    expect(await codeOf(() => log.read(2, 100))).toBe('OFFSET_OUT_OF_RANGE');
  });

  it('checks truncateTo, trimBefore and offsetForTimestamp, and skips the adapter when there is nothing to do', async () => {
    const { log, ops } = await openBare();
    for (const call of [() => log.truncateTo(-1), () => log.truncateTo(Number.NaN), () => log.trimBefore(1.5), () => log.trimBefore('2' as never)]) {
      expect(await codeOf(call)).toBe('ERR_INVALID_ARGUMENT');
    }
    expect(await codeOf(() => log.offsetForTimestamp(Number.NaN))).toBe('ERR_INVALID_ARGUMENT');
    expect(await codeOf(() => log.offsetForTimestamp('1' as never))).toBe('ERR_INVALID_ARGUMENT');
    const a = makeTestBatch({ baseOffset: 0, count: 5 });
    await log.append(a.bytes, a.info);
    await log.truncateTo(5);
    await log.truncateTo(50);
    expect(ops('truncateTo')).toEqual([]);
    expect(await codeOf(() => log.trimBefore(6))).toBe('OFFSET_OUT_OF_RANGE');
    expect(await log.trimBefore(0)).toBe(0);
    expect(ops('trimBefore')).toEqual([]);
    expect(await log.trimBefore(5)).toBe(5);
    expect(ops('trimBefore').length).toBe(1);
  });

  it('refuses use before open, after close, after log.close and after deletePartition with ERR_STORAGE_CLOSED', async () => {
    const bare = bareStorage();
    const storage = guardStorage(bare.storage);
    expect(await codeOf(() => storage.openPartition('t', 0))).toBe('ERR_STORAGE_CLOSED');
    expect(await codeOf(() => storage.listPartitions())).toBe('ERR_STORAGE_CLOSED');
    expect(await codeOf(() => storage.deletePartition('t', 0))).toBe('ERR_STORAGE_CLOSED');
    expect(await codeOf(() => storage.metadata.get('k'))).toBe('ERR_STORAGE_CLOSED');
    await storage.open();
    expect(await codeOf(() => storage.openPartition(5 as never, 0))).toBe('ERR_INVALID_ARGUMENT');
    expect(await codeOf(() => storage.openPartition('t', -1))).toBe('ERR_INVALID_ARGUMENT');
    expect(await codeOf(() => storage.openPartition('t', 0, { segmentBytes: 0 }))).toBe('ERR_INVALID_ARGUMENT');
    expect(await codeOf(() => storage.metadata.put('k', 'v' as never))).toBe('ERR_INVALID_ARGUMENT');
    expect(await codeOf(() => storage.metadata.write([{ type: 'nope', key: 'k' } as never]))).toBe('ERR_INVALID_ARGUMENT');
    expect(bare.ops('openPartition')).toEqual([]);
    expect(bare.ops('metadata.put')).toEqual([]);

    const closedByLog = await storage.openPartition('t', 0);
    expect(await storage.openPartition('t', 0)).toBe(closedByLog);
    const b = makeTestBatch({ baseOffset: 0, count: 1 });
    await closedByLog.close();
    const closeAgain = closedByLog.close();
    expect(closeAgain).toBe(closedByLog.close());
    await closeAgain;
    expect(bare.ops('close').length).toBe(1);
    for (const call of [
      () => closedByLog.append(b.bytes, b.info),
      () => closedByLog.appendBatches([{ batch: b.bytes, info: b.info }]),
      () => closedByLog.read(0, 100),
      () => closedByLog.truncateTo(0),
      () => closedByLog.trimBefore(0),
      () => closedByLog.offsetForTimestamp(0),
      () => closedByLog.sync(),
    ]) {
      expect(await codeOf(call)).toBe('ERR_STORAGE_CLOSED');
    }
    const reopened = await storage.openPartition('t', 0);
    expect(reopened).not.toBe(closedByLog);
    await reopened.append(b.bytes, b.info);

    await storage.deletePartition('t', 0);
    expect(await codeOf(() => reopened.read(0, 100))).toBe('ERR_STORAGE_CLOSED');

    const last = await storage.openPartition('u', 1);
    await storage.close();
    expect(await codeOf(() => last.append(b.bytes, b.info))).toBe('ERR_STORAGE_CLOSED');
    expect(await codeOf(() => storage.openPartition('u', 1))).toBe('ERR_STORAGE_CLOSED');
    expect(await codeOf(() => storage.metadata.put('k', new Uint8Array(1)))).toBe('ERR_STORAGE_CLOSED');
    // Closing the storage closes its logs through the adapter, not once more through the guard.
    expect(bare.ops('close').length).toBe(1);
    // An adapter that allows it may be opened again.
    await storage.open();
    expect((await storage.openPartition('u', 1)).endOffset()).toBe(0);
  });

  it('an open() that settles after close() does not leave the guard open', async () => {
    const bare = bareStorage();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const storage = guardStorage({ ...bare.storage, open: () => gate });
    const opening = storage.open();
    const closing = storage.close();
    release();
    await opening;
    await closing;
    expect(await codeOf(() => storage.openPartition('t', 0))).toBe('ERR_STORAGE_CLOSED');
  });

  it('serializes concurrent appends of a log: one at a time in the adapter, in call order', async () => {
    const { log, ops, maxInFlight } = await openBare({ appendDelayMs: 2 });
    const batches = Array.from({ length: 20 }, (_, i) => makeTestBatch({ baseOffset: i * 2, count: 2 }));
    await Promise.all(batches.map((b) => log.append(b.bytes, b.info)));
    expect(maxInFlight()).toBe(1);
    expect(ops('append').map((c) => c.args[0])).toEqual(batches.map((b) => b.info.baseOffset));
    expect(log.endOffset()).toBe(40);
  });

  it('checks offset order when a queued append runs, so one bad append among concurrent ones fails alone', async () => {
    const { log } = await openBare({ appendDelayMs: 1 });
    const a = makeTestBatch({ baseOffset: 0, count: 5 });
    const overlap = makeTestBatch({ baseOffset: 3, count: 5 });
    const b = makeTestBatch({ baseOffset: 5, count: 5 });
    const results = await Promise.allSettled([log.append(a.bytes, a.info), log.append(overlap.bytes, overlap.info), log.append(b.bytes, b.info)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(((results[1] as PromiseRejectedResult).reason as { code?: string }).code).toBe('ERR_OFFSET_ORDER');
    expect(log.endOffset()).toBe(10);
  });

  it('queues truncateTo, trimBefore and sync behind appends, and close behind all of them', async () => {
    const { log, ops, calls } = await openBare({ appendDelayMs: 2 });
    const batches = Array.from({ length: 5 }, (_, i) => makeTestBatch({ baseOffset: i * 2, count: 2 }));
    const pending: Promise<unknown>[] = batches.map((b) => log.append(b.bytes, b.info));
    // Decided when it runs: the log then ends at 10, so this truncates (it would be a no-op now).
    pending.push(log.truncateTo(6));
    pending.push(log.trimBefore(2));
    pending.push(log.sync());
    const closing = log.close();
    expect(await codeOf(() => log.append(batches[0]!.bytes, batches[0]!.info))).toBe('ERR_STORAGE_CLOSED');
    await Promise.all(pending);
    await closing;
    expect(ops('truncateTo')).toEqual([{ op: 'truncateTo', args: [6, 10] }]);
    expect(calls.map((c) => c.op).slice(-9)).toEqual(['append', 'append', 'append', 'append', 'append', 'truncateTo', 'trimBefore', 'sync', 'close']);
    expect([log.startOffset(), log.endOffset()]).toEqual([2, 6]);
  });

  it('deletePartition and the storage close wait for the mutations already admitted', async () => {
    const { guarded, log, calls } = await openBare({ appendDelayMs: 5 });
    const b = makeTestBatch({ baseOffset: 0, count: 1 });
    const c = makeTestBatch({ baseOffset: 1, count: 1 });
    const appends = [log.append(b.bytes, b.info), log.append(c.bytes, c.info)];
    await guarded.deletePartition('t', 0);
    await Promise.all(appends);
    expect(calls.map((x) => x.op).slice(-3)).toEqual(['append', 'append', 'deletePartition']);
    const other = await guarded.openPartition('t', 1);
    const appending = other.append(b.bytes, b.info);
    await guarded.close();
    await appending;
    expect(calls.map((x) => x.op).slice(-2)).toEqual(['append', 'close storage']);
  });

  it('uses an appendSync primitive without a promise of its own per append', async () => {
    const { log, ops } = await openBare({ appendSync: true });
    const a = makeTestBatch({ baseOffset: 0, count: 1 });
    const b = makeTestBatch({ baseOffset: 1, count: 1 });
    const first = log.append(a.bytes, a.info);
    const second = log.append(b.bytes, b.info);
    expect(second).toBe(first);
    await first;
    expect(ops('appendSync').length).toBe(2);
    expect(ops('append')).toEqual([]);
    // The memory adapter has it: its appends share one resolved promise too.
    const memory = memoryStorage();
    await memory.open();
    const m = await memory.openPartition('t', 0);
    expect(m.append(a.bytes, a.info)).toBe(m.append(b.bytes, b.info));
    expect(m.endOffset()).toBe(2);
  });

  it('turns a synchronous throw of an adapter method into a rejection', async () => {
    const { log } = await openBare({ throwSync: true });
    const a = makeTestBatch({ baseOffset: 0, count: 1 });
    let result: Promise<void> | undefined;
    expect(() => (result = log.append(a.bytes, a.info))).not.toThrow();
    await expect(result).rejects.toThrow('boom');
    // The failed append does not block the log.
    await expect(log.append(a.bytes, a.info)).rejects.toThrow('boom');
  });

  describe('appendBatches', () => {
    const three = () => [makeTestBatch({ baseOffset: 0, count: 2 }), makeTestBatch({ baseOffset: 2, count: 3 }), makeTestBatch({ baseOffset: 7, count: 1 })].map((b) => ({ batch: b.bytes, info: b.info }));

    it('falls back to one append after another when the adapter has no native primitive', async () => {
      const { log, ops, maxInFlight } = await openBare({ appendDelayMs: 1 });
      await log.appendBatches(three());
      expect(ops('append').map((c) => c.args[0])).toEqual([0, 2, 7]);
      expect(maxInFlight()).toBe(1);
      expect(log.endOffset()).toBe(8);
      await log.appendBatches([]);
      expect(ops('append').length).toBe(3);
    });

    it('falls back to appendSync when that is what the adapter has', async () => {
      const { log, ops } = await openBare({ appendSync: true });
      await log.appendBatches(three());
      expect(ops('appendSync').map((c) => c.args[0])).toEqual([0, 2, 7]);
      expect(log.endOffset()).toBe(8);
    });

    it('calls the native primitive once when there is one', async () => {
      const { log, ops } = await openBare({ appendBatches: true });
      await log.appendBatches(three());
      expect(ops('appendBatches')).toEqual([{ op: 'appendBatches', args: [[0, 2, 7]] }]);
      expect(ops('append')).toEqual([]);
      expect(log.endOffset()).toBe(8);
    });

    it('checks every batch and their order before anything is appended', async () => {
      const { log, ops } = await openBare();
      const [a, b] = three();
      expect(await codeOf(() => log.appendBatches(null as never))).toBe('ERR_INVALID_ARGUMENT');
      expect(await codeOf(() => log.appendBatches([a!, { batch: new Uint8Array(0), info: b!.info }]))).toBe('ERR_INVALID_ARGUMENT');
      expect(await codeOf(() => log.appendBatches([a!, null as never]))).toBe('ERR_INVALID_ARGUMENT');
      expect(await codeOf(() => log.appendBatches([b!, a!]))).toBe('ERR_OFFSET_ORDER');
      await log.appendBatches([a!]);
      expect(await codeOf(() => log.appendBatches([a!, b!]))).toBe('ERR_OFFSET_ORDER');
      expect(ops('append').length).toBe(1);
    });

    it('waits behind appends in flight, and the memory and level adapters take it', async () => {
      const { log, ops } = await openBare({ appendDelayMs: 2 });
      const first = makeTestBatch({ baseOffset: 0, count: 1 });
      const more = [makeTestBatch({ baseOffset: 1, count: 1 }), makeTestBatch({ baseOffset: 2, count: 1 })].map((b) => ({ batch: b.bytes, info: b.info }));
      await Promise.all([log.append(first.bytes, first.info), log.appendBatches(more)]);
      expect(ops('append').map((c) => c.args[0])).toEqual([0, 1, 2]);
      const memory = memoryStorage();
      await memory.open();
      const m = await memory.openPartition('t', 0);
      await m.appendBatches(three());
      expect(m.endOffset()).toBe(8);
      expect((await m.read(0, 1 << 20)).chunks.length).toBe(3);
    });
  });
});
