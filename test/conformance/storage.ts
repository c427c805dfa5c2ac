/**
 * The Storage conformance suite: one set of vitest tests that every storage adapter
 * runs (ours and anyone's), in the spirit of abstract-level's suite.
 *
 * ```ts
 * import { storageConformance } from 'tributary/test/conformance/storage.ts';
 * storageConformance('my-adapter', {
 *   create: async () => myStorage({ dir: await freshDir() }),
 *   reopen: async (previous) => myStorage({ dir: dirOf(previous) }),   // durable adapters only
 *   cleanup: async () => removeFreshDirs(),
 * });
 * ```
 *
 * The suite builds real RecordBatch v2 bytes (header, records, CRC32C), appends them and
 * checks that every read returns whole batches, byte for byte as appended, with valid CRCs.
 * It imports only the core (contracts, errors, batch header, CRC), never an adapter.
 *
 * Semantics the suite pins down where the contract's prose leaves room:
 * - `read(offset)` returns batches starting with the first batch whose lastOffset ≥ offset
 *   (the batch containing `offset`, or the next one when `offset` falls in a gap), then
 *   every following batch while the total stays ≤ maxBytes (the first batch alone may
 *   exceed it when `minOneBatch`, the default, is on).
 * - `truncateTo(o)` at a batch boundary leaves `endOffset() === o`; inside a batch it drops
 *   that whole batch; at or past the end it does nothing.
 * - `trimBefore(o)` returns the new start `s` with old start ≤ s ≤ o, keeps every batch
 *   holding an offset ≥ o, and `trimBefore(endOffset())` empties the log (start = end),
 *   as Kafka's retention deletes even the active segment. `o > endOffset()` is
 *   `OFFSET_OUT_OF_RANGE`. After `segments()` reports segment k, `trimBefore(k.nextOffset)`
 *   removes exactly segments 0..k: that is how the core's retention deletes.
 * - `offsetForTimestamp(t)` is the base offset (never below the start) of the first batch,
 *   in offset order, whose max timestamp ≥ t.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { BatchInfo, PartitionLog, PartitionLogOptions, ReadResult, SegmentInfo, Storage } from '../../core/contracts/storage.ts';
import { BATCH_HEADER_SIZE, BatchField, batchSizeAt, computeBatchCrc, readBatchHeader } from '../../core/records/batch-header.ts';

/** How the suite gets storages to test. Each `create()` must be fresh and isolated. */
export interface StorageHarness {
  /** A new, unopened storage over empty, private data (the suite calls `open()`). */
  create(): Storage | Promise<Storage>;
  /**
   * Durable adapters: a new, unopened storage over the same data as `previous`, which
   * the suite has already closed. Required when `supports.durable` is true (the
   * durability tests fail without it); not called otherwise.
   */
  reopen?(previous: Storage): Storage | Promise<Storage>;
  /** Called after every test, once the suite has closed what it opened (remove temp dirs…). */
  cleanup?(): void | Promise<void>;
}

/** Options of {@link storageConformance}. */
export interface StorageConformanceOptions {
  /**
   * The segment size the suite passes to `openPartition` where it wants several segments
   * (default 4096 bytes; test batches are 150 B to 3 KB).
   */
  smallSegmentBytes?: number;
}

/** A test batch: its bytes and the facts the core would compute from its header. */
export interface TestBatch {
  readonly bytes: Uint8Array;
  readonly info: BatchInfo;
}

/** What {@link makeTestBatch} builds. */
export interface TestBatchSpec {
  baseOffset: number;
  /** Records in the batch (default 1). */
  count?: number;
  /** Timestamp of the first record (default 1_700_000_000_000). */
  timestamp?: number;
  /** Timestamp step between records (default 1, so maxTimestamp = timestamp + count - 1). */
  timestampStep?: number;
  /** Bytes of each record's value (default 100). */
  valueSize?: number;
}

function zigzag(n: number): number {
  // Multiplication instead of `<<` keeps it exact beyond 32 bits (timestamp deltas).
  return n >= 0 ? n * 2 : -n * 2 - 1;
}

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

function writeVarint(out: Uint8Array, pos: number, n: number): number {
  while (n >= 0x80) {
    out[pos++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  out[pos++] = n;
  return pos;
}

function setInt64(dv: DataView, pos: number, value: number): void {
  dv.setInt32(pos, Math.floor(value / 4294967296));
  dv.setUint32(pos + 4, value >>> 0);
}

/**
 * Builds a valid, uncompressed RecordBatch v2 (keyless records, no headers) whose record
 * values are a pattern derived from each record's offset, so misplaced bytes show up.
 */
export function makeTestBatch(spec: TestBatchSpec): TestBatch {
  const count = spec.count ?? 1;
  const timestamp = spec.timestamp ?? 1_700_000_000_000;
  const step = spec.timestampStep ?? 1;
  const valueSize = spec.valueSize ?? 100;
  const bodies: number[] = [];
  let total = BATCH_HEADER_SIZE;
  for (let i = 0; i < count; i++) {
    const body = 1 + varintSize(zigzag(i * step)) + varintSize(zigzag(i)) + 1 + varintSize(zigzag(valueSize)) + valueSize + 1;
    bodies.push(body);
    total += varintSize(zigzag(body)) + body;
  }
  const bytes = new Uint8Array(total);
  const dv = new DataView(bytes.buffer);
  setInt64(dv, BatchField.baseOffset, spec.baseOffset);
  dv.setInt32(BatchField.batchLength, total - 12);
  dv.setInt32(BatchField.partitionLeaderEpoch, 0);
  dv.setInt8(BatchField.magic, 2);
  dv.setInt16(BatchField.attributes, 0);
  dv.setInt32(BatchField.lastOffsetDelta, count - 1);
  setInt64(dv, BatchField.baseTimestamp, timestamp);
  const maxTimestamp = count === 0 ? timestamp : Math.max(timestamp, timestamp + (count - 1) * step);
  setInt64(dv, BatchField.maxTimestamp, maxTimestamp);
  setInt64(dv, BatchField.producerId, -1);
  dv.setInt16(BatchField.producerEpoch, -1);
  dv.setInt32(BatchField.baseSequence, -1);
  dv.setInt32(BatchField.recordCount, count);
  let pos = BATCH_HEADER_SIZE;
  for (let i = 0; i < count; i++) {
    pos = writeVarint(bytes, pos, zigzag(bodies[i]!));
    bytes[pos++] = 0; // record attributes
    pos = writeVarint(bytes, pos, zigzag(i * step));
    pos = writeVarint(bytes, pos, zigzag(i));
    pos = writeVarint(bytes, pos, zigzag(-1)); // null key
    pos = writeVarint(bytes, pos, zigzag(valueSize));
    const seed = (spec.baseOffset + i) * 31;
    for (let j = 0; j < valueSize; j++) bytes[pos++] = (seed + j) & 0xff;
    pos = writeVarint(bytes, pos, 0); // no headers
  }
  dv.setUint32(BatchField.crc, computeBatchCrc(bytes, 0, total));
  return {
    bytes,
    info: { baseOffset: spec.baseOffset, lastOffset: spec.baseOffset + count - 1, maxTimestamp, recordCount: count },
  };
}

/** One batch found in a read result, with its position in the concatenated bytes. */
export interface ReadBatch {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly maxTimestamp: number;
  readonly recordCount: number;
  readonly bytes: Uint8Array;
}

/** Joins the chunks of a read result into one array. */
export function concatChunks(result: ReadResult): Uint8Array {
  if (result.chunks.length === 1) return result.chunks[0]!;
  const out = new Uint8Array(result.chunks.reduce((n, c) => n + c.length, 0));
  let pos = 0;
  for (const c of result.chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  return out;
}

/**
 * Splits a read result into batches, failing (via `expect`) when `bytes` disagrees with
 * the chunks, when a batch is cut short, or when a CRC is wrong.
 */
export function parseReadResult(result: ReadResult): ReadBatch[] {
  const all = concatChunks(result);
  // Plain checks in the loop: `expect` per batch would make big reads slow to verify.
  check(all.length === result.bytes, `ReadResult.bytes (${result.bytes}) must equal the total chunk length (${all.length})`);
  const batches: ReadBatch[] = [];
  let pos = 0;
  while (pos < all.length) {
    const size = batchSizeAt(all, pos);
    check(size >= BATCH_HEADER_SIZE, `a whole batch must start at byte ${pos} of the read`);
    check(pos + size <= all.length, `the batch at byte ${pos} runs past the end of the read`);
    const header = readBatchHeader(all, pos);
    check(computeBatchCrc(all, pos, size) === header.crc, `CRC of the batch at offset ${header.baseOffset} must match`);
    batches.push({
      baseOffset: header.baseOffset,
      lastOffset: header.baseOffset + header.lastOffsetDelta,
      maxTimestamp: header.maxTimestamp,
      recordCount: header.recordCount,
      bytes: all.subarray(pos, pos + size),
    });
    pos += size;
  }
  return batches;
}

/** Fails the test with `message` unless `condition` holds (cheap enough for hot loops). */
function check(condition: boolean, message: string): asserts condition {
  if (!condition) expect.fail(message);
}

/** True when two byte arrays are equal (vitest's deep equality is slow on large arrays). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const BIG = 1 << 30;
const enc = new TextEncoder();
const dec = new TextDecoder();

async function expectCode(fn: () => unknown, code: string): Promise<void> {
  let caught: unknown;
  try {
    await fn();
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected an error with code ${code}`).toBeDefined();
  expect((caught as { code?: unknown }).code).toBe(code);
}

/** The batches a log should hold, for computing expected reads. */
class Model {
  batches: TestBatch[] = [];
  add(b: TestBatch): void {
    this.batches.push(b);
  }
  /** Expected batches for read(offset, maxBytes, minOneBatch). */
  read(offset: number, maxBytes: number, minOne = true): TestBatch[] {
    const i = this.batches.findIndex((b) => b.info.lastOffset >= offset);
    if (i < 0) return [];
    const out: TestBatch[] = [];
    let total = 0;
    for (let j = i; j < this.batches.length; j++) {
      const size = this.batches[j]!.bytes.length;
      if (total + size > maxBytes && !(out.length === 0 && minOne)) break;
      out.push(this.batches[j]!);
      total += size;
    }
    return out;
  }
  dropBefore(start: number): void {
    this.batches = this.batches.filter((b) => b.info.lastOffset >= start);
  }
  dropFrom(offset: number): void {
    this.batches = this.batches.filter((b) => b.info.lastOffset < offset);
  }
  size(): number {
    return this.batches.reduce((n, b) => n + b.bytes.length, 0);
  }
}

/** Appends `n` contiguous batches starting at `from`, of varied sizes and rising timestamps. */
async function appendMany(log: PartitionLog, model: Model, from: number, n: number, opts: { valueSize?: number; t0?: number } = {}): Promise<number> {
  let offset = from;
  for (let i = 0; i < n; i++) {
    const count = 1 + ((i * 7) % 5);
    const b = makeTestBatch({ baseOffset: offset, count, timestamp: (opts.t0 ?? 1_000_000) + offset * 10, timestampStep: 10, valueSize: opts.valueSize ?? 100 + ((i * 37) % 200) });
    await log.append(b.bytes, b.info);
    model.add(b);
    offset += count;
  }
  return offset;
}

async function expectRead(log: PartitionLog, model: Model, offset: number, maxBytes = BIG, minOne?: boolean): Promise<ReadBatch[]> {
  const result = await log.read(offset, maxBytes, minOne === undefined ? undefined : { minOneBatch: minOne });
  const got = parseReadResult(result);
  const want = model.read(offset, maxBytes, minOne ?? true);
  expect(got.map((b) => b.baseOffset)).toEqual(want.map((b) => b.info.baseOffset));
  for (let i = 0; i < want.length; i++) check(sameBytes(got[i]!.bytes, want[i]!.bytes), `bytes of the batch at ${want[i]!.info.baseOffset} must be as appended`);
  return got;
}

function checkSegments(log: PartitionLog, model: Model): readonly SegmentInfo[] {
  const segs = log.segments();
  const total = segs.reduce((n, s) => n + s.sizeBytes, 0);
  expect(total, 'segment sizes add up to sizeBytes()').toBe(log.sizeBytes());
  expect(log.sizeBytes(), 'sizeBytes() is the bytes of the batches held').toBe(model.size());
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i]!;
    expect(s.nextOffset).toBeGreaterThanOrEqual(s.baseOffset);
    if (s.sizeBytes > 0) expect(s.nextOffset).toBeGreaterThan(s.baseOffset);
    if (i > 0) expect(s.baseOffset).toBeGreaterThanOrEqual(segs[i - 1]!.nextOffset);
    // Every batch lies wholly inside one segment.
    for (const b of model.batches) {
      if (b.info.baseOffset >= s.baseOffset && b.info.baseOffset < s.nextOffset) check(b.info.lastOffset < s.nextOffset, `batch ${b.info.baseOffset} must lie inside one segment`);
    }
  }
  if (model.batches.length > 0) {
    const nonEmpty = segs.filter((s) => s.sizeBytes > 0);
    expect(nonEmpty[0]!.baseOffset).toBeLessThanOrEqual(model.batches[0]!.info.baseOffset);
    expect(nonEmpty[0]!.baseOffset).toBeGreaterThanOrEqual(log.startOffset());
    expect(nonEmpty.at(-1)!.nextOffset).toBe(log.endOffset());
    const maxTs = Math.max(...model.batches.map((b) => b.info.maxTimestamp));
    expect(Math.max(...segs.map((s) => s.maxTimestamp))).toBe(maxTs);
    for (const s of nonEmpty) {
      const inside = model.batches.filter((b) => b.info.baseOffset >= s.baseOffset && b.info.lastOffset < s.nextOffset);
      expect(s.sizeBytes).toBe(inside.reduce((n, b) => n + b.bytes.length, 0));
      expect(s.maxTimestamp).toBe(Math.max(...inside.map((b) => b.info.maxTimestamp)));
    }
  }
  return segs;
}

/**
 * Registers the Storage conformance tests for an adapter under `describe(name)`.
 * See {@link StorageHarness} for what the adapter's author provides.
 */
export function storageConformance(name: string, harness: StorageHarness, options: StorageConformanceOptions = {}): void {
  const small: PartitionLogOptions = { segmentBytes: options.smallSegmentBytes ?? 4096 };
  const open = new Set<Storage>();

  async function fresh(): Promise<Storage> {
    const storage = await harness.create();
    await storage.open();
    open.add(storage);
    return storage;
  }

  async function close(storage: Storage): Promise<void> {
    open.delete(storage);
    await storage.close();
  }

  async function reopen(storage: Storage): Promise<Storage> {
    await close(storage);
    const next = await harness.reopen!(storage);
    await next.open();
    open.add(next);
    return next;
  }

  afterEach(async () => {
    for (const s of [...open]) await close(s).catch(() => undefined);
    await harness.cleanup?.();
  });

  describe(`${name}: storage conformance`, () => {
    describe('lifecycle', () => {
      it('declares a name and capabilities, opens and closes', async () => {
        const storage = await harness.create();
        expect(typeof storage.name).toBe('string');
        expect(storage.name.length).toBeGreaterThan(0);
        expect(typeof storage.supports.durable).toBe('boolean');
        await storage.open();
        open.add(storage);
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

    describe('truncateTo', () => {
      it('at a batch boundary drops that batch and everything after it', async () => {
        const storage = await fresh();
        const log = await storage.openPartition('t', 0);
        const model = new Model();
        await appendMany(log, model, 0, 8);
        const cut = model.batches[5]!.info.baseOffset;
        await log.truncateTo(cut);
        model.dropFrom(cut);
        expect(log.endOffset()).toBe(cut);
        expect(log.sizeBytes()).toBe(model.size());
        await expectRead(log, model, 0);
        expect((await log.read(cut, BIG)).bytes).toBe(0);
        await expectCode(() => log.read(cut + 1, BIG), 'OFFSET_OUT_OF_RANGE');
        checkSegments(log, model);
        // The log continues at the cut, and the cut is the new order boundary.
        const bad = makeTestBatch({ baseOffset: cut - 1, count: 1 });
        await expectCode(() => log.append(bad.bytes, bad.info), 'ERR_OFFSET_ORDER');
        const end = await appendMany(log, model, cut, 3);
        expect(log.endOffset()).toBe(end);
        await expectRead(log, model, 0);
      });

      it('inside a batch drops that whole batch', async () => {
        const storage = await fresh();
        const log = await storage.openPartition('t', 0);
        const model = new Model();
        for (const base of [0, 10, 20]) {
          const b = makeTestBatch({ baseOffset: base, count: 10 });
          await log.append(b.bytes, b.info);
          model.add(b);
        }
        await log.truncateTo(15);
        model.dropFrom(15);
        expect(log.endOffset()).toBeGreaterThanOrEqual(10);
        expect(log.endOffset()).toBeLessThanOrEqual(15);
        expect(log.sizeBytes()).toBe(model.size());
        const got = parseReadResult(await log.read(0, BIG));
        expect(got.map((b) => b.baseOffset)).toEqual([0]);
        const next = makeTestBatch({ baseOffset: log.endOffset(), count: 3 });
        await log.append(next.bytes, next.info);
        model.add(next);
        await expectRead(log, model, 0);
      });

      it('at or past the end changes nothing; at the start empties the log', async () => {
        const storage = await fresh();
        const log = await storage.openPartition('t', 0);
        const model = new Model();
        const end = await appendMany(log, model, 0, 5);
        await log.truncateTo(end);
        await log.truncateTo(end + 100);
        expect(log.endOffset()).toBe(end);
        await expectRead(log, model, 0);
        await log.truncateTo(0);
        model.dropFrom(0);
        expect(log.startOffset()).toBe(0);
        expect(log.endOffset()).toBe(0);
        expect(log.sizeBytes()).toBe(0);
        expect((await log.read(0, BIG)).bytes).toBe(0);
        expect(await log.offsetForTimestamp(0)).toBeNull();
        await appendMany(log, model, 0, 2);
        await expectRead(log, model, 0);
      });

      it('works across segments', async () => {
        const storage = await fresh();
        const log = await storage.openPartition('t', 0, small);
        const model = new Model();
        await appendMany(log, model, 0, 60);
        const cut = model.batches[17]!.info.baseOffset;
        await log.truncateTo(cut);
        model.dropFrom(cut);
        expect(log.endOffset()).toBe(cut);
        checkSegments(log, model);
        await expectRead(log, model, 0);
        const end = await appendMany(log, model, cut, 20);
        expect(log.endOffset()).toBe(end);
        checkSegments(log, model);
        await expectRead(log, model, 0);
      });
    });

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

    describe('metadata', () => {
      it('get, put, overwrite and delete', async () => {
        const storage = await fresh();
        const md = storage.metadata;
        expect(await md.get('missing')).toBeUndefined();
        await md.put('topics/orders', enc.encode('{"partitions":3}'));
        expect(dec.decode(await md.get('topics/orders'))).toBe('{"partitions":3}');
        await md.put('topics/orders', enc.encode('v2'));
        expect(dec.decode(await md.get('topics/orders'))).toBe('v2');
        await md.delete('topics/orders');
        expect(await md.get('topics/orders')).toBeUndefined();
        await md.delete('topics/orders'); // deleting a missing key is fine
        const binary = Uint8Array.from({ length: 256 }, (_, i) => i);
        await md.put('bin', binary);
        expect(await md.get('bin')).toEqual(binary);
        await md.put('empty', new Uint8Array(0));
        expect(await md.get('empty')).toEqual(new Uint8Array(0));
        await md.put('tópico/ü/🙂', enc.encode('unicode'));
        expect(dec.decode(await md.get('tópico/ü/🙂'))).toBe('unicode');
      });

      it('does not share memory with the caller', async () => {
        const storage = await fresh();
        const value = enc.encode('abc');
        await storage.metadata.put('k', value);
        value[0] = 0x7a;
        const got = await storage.metadata.get('k');
        expect(dec.decode(got)).toBe('abc');
        got![1] = 0x7a;
        expect(dec.decode(await storage.metadata.get('k'))).toBe('abc');
      });

      it('lists by prefix, sorted by key', async () => {
        const storage = await fresh();
        const md = storage.metadata;
        const keys = ['offsets/g1/t/10', 'offsets/g1/t/2', 'offsets/g10/t/0', 'offsets/g1/t/1', 'offsets/g2/t/0', 'offsets/g1', 'offsetsX', 'topics/a', 'a'];
        for (const k of keys) await md.put(k, enc.encode(`v:${k}`));
        const g1 = await md.list('offsets/g1/');
        expect(g1.map((e) => e.key)).toEqual(['offsets/g1/t/1', 'offsets/g1/t/10', 'offsets/g1/t/2']);
        expect(g1.map((e) => dec.decode(e.value))).toEqual(['v:offsets/g1/t/1', 'v:offsets/g1/t/10', 'v:offsets/g1/t/2']);
        expect((await md.list('offsets/')).map((e) => e.key)).toEqual(['offsets/g1', 'offsets/g1/t/1', 'offsets/g1/t/10', 'offsets/g1/t/2', 'offsets/g10/t/0', 'offsets/g2/t/0']);
        expect((await md.list('')).map((e) => e.key)).toEqual([...keys].sort());
        expect(await md.list('nothing/')).toEqual([]);
      });

      it('applies a write batch atomically and in order', async () => {
        const storage = await fresh();
        const md = storage.metadata;
        await md.put('old', enc.encode('x'));
        await md.write([
          { type: 'put', key: 'g/a', value: enc.encode('1') },
          { type: 'put', key: 'g/b', value: enc.encode('2') },
          { type: 'delete', key: 'old' },
          { type: 'put', key: 'g/c', value: enc.encode('3') },
          { type: 'delete', key: 'g/c' },
          { type: 'delete', key: 'g/d' },
          { type: 'put', key: 'g/d', value: enc.encode('4') },
          { type: 'put', key: 'g/a', value: enc.encode('1b') },
        ]);
        expect((await md.list('')).map((e) => [e.key, dec.decode(e.value)])).toEqual([
          ['g/a', '1b'],
          ['g/b', '2'],
          ['g/d', '4'],
        ]);
        await md.write([]);
        expect((await md.list('')).length).toBe(3);
      });

      it('rejects a write with a bad operation with a coded error and applies none of it', async () => {
        const storage = await fresh();
        const md = storage.metadata;
        await md.put('keep', enc.encode('k'));
        let caught: unknown;
        try {
          await md.write([
            { type: 'put', key: 'new', value: enc.encode('n') },
            { type: 'delete', key: 'keep' },
            { type: 'rename', key: 'keep' } as never,
          ]);
        } catch (error) {
          caught = error;
        }
        expect(caught).toBeDefined();
        expect(typeof (caught as { code?: unknown }).code).toBe('string');
        expect(await md.get('new')).toBeUndefined();
        expect(dec.decode(await md.get('keep'))).toBe('k');
      });
    });

    describe('durability', () => {
      const durableIt = (title: string, fn: () => Promise<void>) =>
        it(title, async (ctx) => {
          const probe = await harness.create();
          if (!probe.supports.durable) {
            ctx.skip();
            return;
          }
          // A durable adapter must prove it: without a reopen these tests would be skipped
          // and the claim would go unchecked.
          expect(typeof harness.reopen, 'a durable adapter\'s harness must provide reopen()').toBe('function');
          await fn();
        });

      durableIt('everything appended and synced, and the metadata, is there after close and reopen', async () => {
        let storage = await fresh();
        const models = new Map<string, { model: Model; opts: PartitionLogOptions | undefined }>();
        for (const [topic, p, opts] of [['a', 0, undefined], ['a', 1, small], ['b.c', 7, small]] as const) {
          const log = await storage.openPartition(topic, p, opts);
          const model = new Model();
          await appendMany(log, model, 0, 40);
          await log.sync();
          models.set(`${topic}/${p}`, { model, opts });
        }
        const last = await storage.openPartition('a', 0);
        const b = makeTestBatch({ baseOffset: last.endOffset(), count: 2 });
        await last.append(b.bytes, b.info, { sync: true });
        models.get('a/0')!.model.add(b);
        await storage.openPartition('empty', 0);
        await storage.metadata.put('topics/a', enc.encode('A'));
        await storage.metadata.write([
          { type: 'put', key: 'offsets/g/a/0', value: enc.encode('12') },
          { type: 'put', key: 'gone', value: enc.encode('x') },
          { type: 'delete', key: 'gone' },
        ]);
        const before = new Map<string, { start: number; end: number; size: number; segs: readonly SegmentInfo[] }>();
        for (const key of models.keys()) {
          const [topic, p] = key.split('/') as [string, string];
          const log = await storage.openPartition(topic, Number(p));
          before.set(key, { start: log.startOffset(), end: log.endOffset(), size: log.sizeBytes(), segs: log.segments().map((s) => ({ ...s })) });
        }

        storage = await reopen(storage);
        const list = (await storage.listPartitions()).map((r) => `${r.topic}/${r.partition}`).sort();
        expect(list).toEqual(['a/0', 'a/1', 'b.c/7', 'empty/0']);
        for (const [key, { model, opts }] of models) {
          const [topic, p] = key.split('/') as [string, string];
          const log = await storage.openPartition(topic, Number(p), opts);
          expect(log.recovery).toEqual([]);
          const was = before.get(key)!;
          expect(log.startOffset()).toBe(was.start);
          expect(log.endOffset()).toBe(was.end);
          expect(log.sizeBytes()).toBe(was.size);
          const segs = checkSegments(log, model);
          expect(segs.filter((s) => s.sizeBytes > 0).map((s) => [s.baseOffset, s.sizeBytes])).toEqual(was.segs.filter((s) => s.sizeBytes > 0).map((s) => [s.baseOffset, s.sizeBytes]));
          await expectRead(log, model, 0);
          await expectRead(log, model, model.batches[10]!.info.baseOffset + 1, 3000);
          const t = model.batches[20]!.info.maxTimestamp;
          expect(await log.offsetForTimestamp(t)).toBe(model.batches[20]!.info.baseOffset);
          // It keeps going where it stopped.
          const bad = makeTestBatch({ baseOffset: log.endOffset() - 1, count: 1 });
          await expectCode(() => log.append(bad.bytes, bad.info), 'ERR_OFFSET_ORDER');
          const end = await appendMany(log, model, log.endOffset(), 3);
          expect(log.endOffset()).toBe(end);
          await expectRead(log, model, 0);
        }
        expect(dec.decode(await storage.metadata.get('topics/a'))).toBe('A');
        expect(dec.decode(await storage.metadata.get('offsets/g/a/0'))).toBe('12');
        expect(await storage.metadata.get('gone')).toBeUndefined();
        const empty = await storage.openPartition('empty', 0);
        expect(empty.endOffset()).toBe(0);
      });

      durableIt('start and end offsets survive trimBefore and truncateTo', async () => {
        let storage = await fresh();
        const cases: Array<{ topic: string; opts?: PartitionLogOptions; model: Model; start: number; end: number }> = [];
        for (const opts of [undefined, small]) {
          const topic = opts ? 'small' : 'default';
          const log = await storage.openPartition(topic, 0, opts);
          const model = new Model();
          await appendMany(log, model, 0, 60);
          const start = await log.trimBefore(model.batches[30]!.info.baseOffset + 1);
          model.dropBefore(start);
          const cut = model.batches.at(-5)!.info.baseOffset;
          await log.truncateTo(cut);
          model.dropFrom(cut);
          await log.sync();
          cases.push({ topic, opts, model, start, end: cut });
        }
        // An emptied log keeps its offsets too.
        const emptied = await storage.openPartition('emptied', 0, small);
        const emptiedEnd = await appendMany(emptied, new Model(), 0, 20);
        expect(await emptied.trimBefore(emptiedEnd)).toBe(emptiedEnd);
        await emptied.sync();

        storage = await reopen(storage);
        for (const c of cases) {
          const log = await storage.openPartition(c.topic, 0, c.opts);
          expect(log.startOffset()).toBe(c.start);
          expect(log.endOffset()).toBe(c.end);
          expect(log.sizeBytes()).toBe(c.model.size());
          await expectRead(log, c.model, c.start);
          if (c.start > 0) await expectCode(() => log.read(c.start - 1, BIG), 'OFFSET_OUT_OF_RANGE');
          checkSegments(log, c.model);
        }
        const again = await storage.openPartition('emptied', 0, small);
        expect(again.startOffset()).toBe(emptiedEnd);
        expect(again.endOffset()).toBe(emptiedEnd);
        expect(again.sizeBytes()).toBe(0);
        const model = new Model();
        await appendMany(again, model, emptiedEnd, 2);
        await expectRead(again, model, emptiedEnd);
      });

      durableIt('deleted partitions and metadata stay deleted after reopen', async () => {
        let storage = await fresh();
        const log = await storage.openPartition('t', 0);
        await appendMany(log, new Model(), 0, 5);
        await storage.openPartition('t', 1);
        await storage.metadata.put('a', enc.encode('1'));
        await storage.metadata.put('b', enc.encode('2'));
        await storage.deletePartition('t', 0);
        await storage.metadata.delete('a');
        storage = await reopen(storage);
        expect((await storage.listPartitions()).map((r) => `${r.topic}/${r.partition}`)).toEqual(['t/1']);
        expect((await storage.metadata.list('')).map((e) => e.key)).toEqual(['b']);
        const fresh0 = await storage.openPartition('t', 0);
        expect(fresh0.endOffset()).toBe(0);
      });
    });
  });
}
