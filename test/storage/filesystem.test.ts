/**
 * The filesystem adapter against the Storage conformance suite (with reopen), with the
 * default layout and with tiny segments and a tiny index interval (every code path of
 * the sparse index and segment rolling), plus what is particular to it: the files on
 * disk, rolling by size and age, reopen after trim/truncate, bad input.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { filesystemStorage } from '../../adapters/filesystem/index.ts';
import type { Storage } from '../../core/contracts/storage.ts';
import { readBatchHeader } from '../../core/records/batch-header.ts';
import { storageConformance } from '../../conformance/storage/index.ts';
import { concat, makeBatch, splitBatches, tempDir } from './filesystem-fixtures.ts';

const dirs = new Map<Storage, string>();
const cleanups: Array<() => Promise<void>> = [];

function harness(options: { indexIntervalBytes?: number; segmentBytes?: number; maxOpenFiles?: number } = {}) {
  return {
    create: async () => {
      const { dir, cleanup } = await tempDir();
      cleanups.push(cleanup);
      const storage = filesystemStorage({ dir, ...options });
      dirs.set(storage, dir);
      return storage;
    },
    reopen: (previous: Storage) => {
      const dir = dirs.get(previous)!;
      const storage = filesystemStorage({ dir, ...options });
      dirs.set(storage, dir);
      return storage;
    },
    cleanup: async () => {
      for (const c of cleanups.splice(0)) await c();
    },
  };
}

storageConformance('filesystem', harness());
storageConformance('filesystem (index entry every 64 bytes)', harness({ indexIntervalBytes: 64 }));
storageConformance('filesystem (1 KiB segments)', harness({ segmentBytes: 1024, indexIntervalBytes: 100 }));
// Two working logs at most: every other log is parked (files closed) and wakes on use.
storageConformance('filesystem (6 open files)', harness({ maxOpenFiles: 6, segmentBytes: 2048 }));

const opened: Storage[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close().catch(() => {});
  for (const c of cleanups.splice(0)) await c();
});

async function freshStorage(options: { segmentBytes?: number; segmentMs?: number; indexIntervalBytes?: number } = {}) {
  const { dir, cleanup } = await tempDir();
  cleanups.push(cleanup);
  const storage = filesystemStorage({ dir, ...options });
  await storage.open();
  opened.push(storage);
  return { dir, storage };
}

async function codeOf(fn: () => unknown): Promise<string | undefined> {
  try {
    await fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

const int32 = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset + at, 4).getInt32(0);

describe('filesystem storage: layout on disk', () => {
  it('keeps the batch bytes exactly as received in segment files named by base offset, with sparse indexes beside them', async () => {
    const { dir, storage } = await freshStorage({ indexIntervalBytes: 500 });
    const log = await storage.openPartition('orders', 3, { segmentBytes: 4000 });
    const appended: Uint8Array[] = [];
    let offset = 0;
    for (let i = 0; i < 40; i++) {
      const b = makeBatch({ baseOffset: offset, count: 1 + (i % 3), valueBytes: 50 + ((i * 71) % 250), timestamp: 5_000 + i * 10 });
      await log.append(b.bytes, b.info);
      appended.push(b.bytes);
      offset = b.info.lastOffset + 1;
    }
    await log.sync();
    const partDir = join(dir, 'orders-3');
    const files = (await readdir(partDir)).filter((f) => !f.startsWith('.')).sort();
    const segs = log.segments();
    expect(segs.length).toBeGreaterThan(2);
    const names = segs.map((s) => String(s.baseOffset).padStart(20, '0'));
    expect(files).toEqual(names.flatMap((n) => [`${n}.index`, `${n}.log`, `${n}.timeindex`]).sort());
    expect(names[0]).toBe('00000000000000000000');
    // The .log files, end to end, are the appended bytes, unchanged.
    const logs = await Promise.all(names.map((n) => readFile(join(partDir, `${n}.log`))));
    expect(concat(logs)).toEqual(concat(appended));
    for (let i = 0; i < segs.length; i++) {
      const data = new Uint8Array(logs[i]!);
      expect(data.length).toBeLessThanOrEqual(4000);
      expect(readBatchHeader(data).baseOffset).toBe(segs[i]!.baseOffset);
      // Offset index: (relative offset, position) of batch starts, at least the interval apart.
      const index = new Uint8Array(await readFile(join(partDir, `${names[i]}.index`)));
      expect(index.length % 8).toBe(0);
      let previous = 0;
      for (let at = 0; at < index.length; at += 8) {
        const rel = int32(index, at);
        const pos = int32(index, at + 4);
        expect(readBatchHeader(data, pos).baseOffset).toBe(segs[i]!.baseOffset + rel);
        expect(pos - previous).toBeGreaterThan(500);
        previous = pos;
      }
      if (data.length > 1500) expect(index.length).toBeGreaterThan(0);
      // Time index: 12-byte entries with rising timestamps.
      const time = new Uint8Array(await readFile(join(partDir, `${names[i]}.timeindex`)));
      expect(time.length % 12).toBe(0);
      for (let at = 12; at < time.length; at += 12) expect(int32(time, at + 4)).toBeGreaterThan(int32(time, at - 8));
    }
  });

  it('rolls by size (per partition) and by age, counted from the first batch timestamp as Kafka does', async () => {
    const { storage } = await freshStorage({ segmentBytes: 100_000, segmentMs: 1000 });
    const bySize = await storage.openPartition('size', 0, { segmentBytes: 700 });
    const one = makeBatch({ baseOffset: 0, valueBytes: 150 });
    expect(one.bytes.length).toBeLessThan(350);
    for (let i = 0; i < 7; i++) {
      const b = makeBatch({ baseOffset: i, valueBytes: 150 });
      await bySize.append(b.bytes, b.info);
    }
    const perSegment = Math.floor(700 / one.bytes.length);
    expect(bySize.segments().map((s) => s.baseOffset)).toEqual(Array.from({ length: Math.ceil(7 / perSegment) }, (_, i) => i * perSegment));

    const byAge = await storage.openPartition('age', 0);
    for (const [offset, ts] of [[0, 10_000], [1, 10_500], [2, 11_000], [3, 11_001], [4, 11_500], [5, 12_002], [6, 9_000]] as const) {
      const b = makeBatch({ baseOffset: offset, timestamp: ts });
      await byAge.append(b.bytes, b.info);
    }
    expect(byAge.segments().map((s) => s.baseOffset)).toEqual([0, 3, 5]);
    const ageOverride = await storage.openPartition('age', 1, { segmentMs: 100 });
    for (const [offset, ts] of [[0, 10_000], [1, 10_050], [2, 10_101]] as const) {
      const b = makeBatch({ baseOffset: offset, timestamp: ts });
      await ageOverride.append(b.bytes, b.info);
    }
    expect(ageOverride.segments().map((s) => s.baseOffset)).toEqual([0, 2]);
  });

  it('a clean reopen reports nothing and trusts the indexes; reads find every offset', async () => {
    const { dir, storage } = await freshStorage({ indexIntervalBytes: 128, segmentBytes: 3000 });
    const log = await storage.openPartition('t', 0);
    const batches: Array<{ base: number; last: number }> = [];
    let offset = 0;
    for (let i = 0; i < 50; i++) {
      const b = makeBatch({ baseOffset: offset, count: 1 + (i % 5), valueBytes: 30 + i * 3 });
      await log.append(b.bytes, b.info);
      batches.push({ base: b.info.baseOffset, last: b.info.lastOffset });
      offset = b.info.lastOffset + 1 + (i % 7 === 0 ? 3 : 0); // some gaps
    }
    await storage.close();
    opened.splice(opened.indexOf(storage), 1);
    const again = filesystemStorage({ dir, indexIntervalBytes: 128, segmentBytes: 3000 });
    await again.open();
    opened.push(again);
    const reopened = await again.openPartition('t', 0);
    expect(reopened.recovery).toEqual([]);
    for (const b of batches) {
      for (const o of [b.base, b.last]) {
        const r = await reopened.read(o, 1);
        expect(readBatchHeader(concat(r.chunks)).baseOffset).toBe(b.base);
      }
    }
    // Many small reads that each continue where the previous stopped (the consumer pattern).
    const seen: number[] = [];
    for (let o = 0; o < reopened.endOffset(); ) {
      const parts = splitBatches(concat((await reopened.read(o, 400)).chunks));
      for (const p of parts) seen.push(readBatchHeader(p).baseOffset);
      const last = readBatchHeader(parts.at(-1)!);
      o = last.baseOffset + last.lastOffsetDelta + 1;
    }
    expect(seen).toEqual(batches.map((b) => b.base));
  });
});

describe('filesystem storage: a budget of open files (issue 13 #2)', () => {
  const fds = () => readdirSync('/proc/self/fd').length;

  it('keeps about its budget of files open with 100 partitions, and reopens them all after close', async (ctx) => {
    if (!existsSync('/proc/self/fd')) return ctx.skip('needs /proc/self/fd to count open files');
    const budget = 24;
    // Slack: the parks still closing files when we count, the metadata file, the lock.
    const slack = 12;
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    const base = fds();
    const storage = filesystemStorage({ dir, maxOpenFiles: budget });
    await storage.open();
    // All at once, as a broker opening a topic's partitions does.
    const logs = await Promise.all(Array.from({ length: 100 }, (_, p) => storage.openPartition('t', p)));
    let peak = fds() - base;
    for (let p = 0; p < 100; p++) {
      for (let i = 0; i < 3; i++) {
        const b = makeBatch({ baseOffset: i * 2, count: 2, fill: (p * 10 + i) & 0xff });
        await logs[p]!.append(b.bytes, b.info);
        peak = Math.max(peak, fds() - base);
      }
    }
    for (let p = 0; p < 100; p += 7) {
      expect(splitBatches(concat((await logs[p]!.read(0, 1 << 20)).chunks)).length).toBe(3);
      peak = Math.max(peak, fds() - base);
    }
    expect(peak).toBeLessThanOrEqual(budget + slack);
    await storage.close();

    const again = filesystemStorage({ dir, maxOpenFiles: budget });
    await again.open();
    opened.push(again);
    const reopened = await Promise.all(Array.from({ length: 100 }, (_, p) => again.openPartition('t', p)));
    peak = fds() - base;
    for (let p = 0; p < 100; p++) {
      const log = reopened[p]!;
      expect(log.recovery).toEqual([]);
      expect(log.endOffset()).toBe(6);
      const batches = splitBatches(concat((await log.read(0, 1 << 20)).chunks));
      expect(batches.map((b) => readBatchHeader(b).baseOffset)).toEqual([0, 2, 4]);
      const b = makeBatch({ baseOffset: 6, count: 1, fill: p & 0xff });
      await log.append(b.bytes, b.info, { sync: true });
      peak = Math.max(peak, fds() - base);
    }
    expect(peak).toBeLessThanOrEqual(budget + slack);
    await again.close();
    const third = filesystemStorage({ dir, maxOpenFiles: budget });
    await third.open();
    opened.push(third);
    expect((await third.openPartition('t', 99)).endOffset()).toBe(7);
  });

  it('refuses a budget that is not a positive number', () => {
    expect(() => filesystemStorage({ dir: '/tmp/x', maxOpenFiles: 0 })).toThrow(/maxOpenFiles/);
  });
});

describe('filesystem storage: bad input', () => {
  it('rejects bytes that are not one whole batch matching the offsets with ERR_INVALID_BATCH, storing nothing', async () => {
    const { storage } = await freshStorage();
    const log = await storage.openPartition('t', 0);
    const good = makeBatch({ baseOffset: 0, count: 3 });
    const cases: Array<[Uint8Array, { baseOffset: number; lastOffset: number; maxTimestamp: number; recordCount: number }]> = [
      [new Uint8Array(10), good.info],
      [good.bytes.subarray(0, good.bytes.length - 1), good.info],
      [concat([good.bytes, good.bytes]), good.info],
      [good.bytes, { ...good.info, baseOffset: 1 }],
      [good.bytes, { ...good.info, lastOffset: 5 }],
    ];
    for (const [bytes, info] of cases) expect(await codeOf(() => log.append(bytes, info))).toBe('ERR_INVALID_BATCH');
    // An info that is malformed on its own is a bad argument, whatever the bytes (as in every adapter).
    expect(await codeOf(() => log.append(good.bytes, { ...good.info, lastOffset: -1 }))).toBe('ERR_INVALID_ARGUMENT');
    expect(log.endOffset()).toBe(0);
    expect(log.sizeBytes()).toBe(0);
    await log.append(good.bytes, good.info);
    expect(log.endOffset()).toBe(3);
  });

  it('rejects topic names that could leave the data directory, and use after close', async () => {
    const { storage } = await freshStorage();
    for (const topic of ['../x', 'a/b', '', '.', '..', 'x\u0000y']) {
      expect(await codeOf(() => storage.openPartition(topic, 0))).toBe('INVALID_TOPIC_EXCEPTION');
    }
    expect(await codeOf(() => storage.openPartition('t', -1))).toBe('ERR_INVALID_ARGUMENT');
    const log = await storage.openPartition('t', 0);
    await storage.close();
    const b = makeBatch({ baseOffset: 0 });
    expect(await codeOf(() => log.append(b.bytes, b.info))).toBe('ERR_STORAGE_CLOSED');
    expect(await codeOf(() => log.read(0, 100))).toBe('ERR_STORAGE_CLOSED');
    expect(await codeOf(() => storage.openPartition('t', 0))).toBe('ERR_STORAGE_CLOSED');
  });
});

/** Mounts a tmpfs (as root); undefined when this machine does not allow it. */
function tryMount(path: string, options: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', path], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const mounts: string[] = [];
afterAll(async () => {
  for (const m of mounts) {
    try {
      execFileSync('umount', [m], { stdio: 'ignore' });
      await rmdir(m);
    } catch {
      // best effort
    }
  }
});

async function mountPoint(options: string, ctx: { skip: (note?: string) => void }): Promise<string | undefined> {
  const { dir } = await tempDir('tributary-mnt-');
  if (!tryMount(dir, options)) {
    await rmdir(dir);
    ctx.skip('mounting a tmpfs is not permitted here (needs root); a full or read-only disk cannot be simulated');
    return undefined;
  }
  mounts.push(dir);
  return dir;
}

describe('filesystem storage: one owner per data directory', () => {
  /** The pid a lock file names (it also names the host). */
  const lockOwner = async (dir: string) => (await readFile(join(dir, '.lock'), 'utf8')).trim().split(/\s+/)[0];

  it('a second storage on an open directory gets ERR_STORAGE_LOCKED; the first keeps working; after its close the second opens', async () => {
    const { dir, storage } = await freshStorage();
    const log = await storage.openPartition('t', 0);
    expect(await lockOwner(dir)).toBe(String(process.pid));
    const second = filesystemStorage({ dir });
    expect(await codeOf(() => second.open())).toBe('ERR_STORAGE_LOCKED');
    const b = makeBatch({ baseOffset: 0 });
    await log.append(b.bytes, b.info);
    expect(await lockOwner(dir)).toBe(String(process.pid)); // the failed open left the lock alone
    await storage.close();
    expect(await codeOf(() => readFile(join(dir, '.lock')))).toBe('ENOENT');
    await second.open();
    opened.push(second);
    expect((await second.openPartition('t', 0)).endOffset()).toBe(1);
  });

  it('concurrent open() calls on one storage share one lock', async () => {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    const storage = filesystemStorage({ dir });
    opened.push(storage);
    await Promise.all([storage.open(), storage.open()]);
    await storage.close();
    await storage.open(); // closed and opened again: the lock was released and is taken anew
    expect(await lockOwner(dir)).toBe(String(process.pid));
  });

  it('a lock held by a running process keeps the directory closed and is left in place', async () => {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    const holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      await writeFile(join(dir, '.lock'), `${holder.pid}\n`);
      expect(await codeOf(() => filesystemStorage({ dir }).open())).toBe('ERR_STORAGE_LOCKED');
      expect(await lockOwner(dir)).toBe(String(holder.pid));
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('a lock of another host cannot be checked and keeps the directory closed', async () => {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    // A pid that does not run here: only the host name keeps the lock from looking stale.
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    await writeFile(join(dir, '.lock'), `${gone} some-other-host.example\n`);
    expect(await codeOf(() => filesystemStorage({ dir }).open())).toBe('ERR_STORAGE_LOCKED');
    expect(await readFile(join(dir, '.lock'), 'utf8')).toBe(`${gone} some-other-host.example\n`);
  });

  it('a stale lock (its process is gone, or our own pid from an earlier life, or unreadable) is taken over', async () => {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    for (const stale of [`${gone}\n`, `${gone} ${hostname()}\n`, `${process.pid} ${hostname()}\n`, `${process.pid}\n`, 'garbage']) {
      await writeFile(join(dir, '.lock'), stale);
      const storage = filesystemStorage({ dir });
      await storage.open();
      expect(await lockOwner(dir)).toBe(String(process.pid));
      await storage.close();
    }
    expect((await readdir(dir)).filter((f) => f.startsWith('.lock'))).toEqual([]); // no temp files left
  });
});

describe('filesystem storage: full and read-only disks', () => {
  it('a full disk gives ERR_STORAGE_FULL (Kafka 56), keeps what was stored, and recovers cleanly', async (ctx) => {
    const root = await mountPoint('size=1m', ctx);
    if (!root) return;
    const dir = join(root, 'data');
    const storage = filesystemStorage({ dir, segmentBytes: 256 * 1024 });
    await storage.open();
    await storage.metadata.put('k', new TextEncoder().encode('v1'));
    const log = await storage.openPartition('t', 0);
    let offset = 0;
    let code: string | undefined;
    let error: unknown;
    for (let i = 0; i < 1000 && code === undefined; i++) {
      const b = makeBatch({ baseOffset: offset, count: 10, valueBytes: 500 });
      try {
        await log.append(b.bytes, b.info, { sync: true });
        offset += 10;
      } catch (e) {
        error = e;
        code = (e as { code?: string }).code;
      }
    }
    expect(code).toBe('ERR_STORAGE_FULL');
    expect((error as { kafkaCode?: number }).kafkaCode).toBe(56);
    expect((error as { cause?: { code?: string } }).cause?.code).toBe('ENOSPC');
    expect(log.endOffset()).toBe(offset);
    // Everything acknowledged is readable, nothing half-written is.
    const all = splitBatches(concat((await log.read(0, 1 << 30)).chunks));
    expect(all.length).toBe(offset / 10);
    expect(await codeOf(() => storage.metadata.put('big', new Uint8Array(600_000)))).toBe('ERR_STORAGE_FULL');
    expect(new TextDecoder().decode(await storage.metadata.get('k'))).toBe('v1');
    await storage.close();
    const again = filesystemStorage({ dir });
    await again.open();
    const reopened = await again.openPartition('t', 0);
    expect(reopened.recovery).toEqual([]);
    expect(reopened.endOffset()).toBe(offset);
    expect(new TextDecoder().decode(await again.metadata.get('k'))).toBe('v1');
    await again.close();
  });

  it('a read-only disk gives ERR_STORAGE_READ_ONLY, not a crash', async (ctx) => {
    const root = await mountPoint('size=4m', ctx);
    if (!root) return;
    const dir = join(root, 'data');
    const storage = filesystemStorage({ dir });
    await storage.open();
    const log = await storage.openPartition('t', 0);
    const b = makeBatch({ baseOffset: 0 });
    await log.append(b.bytes, b.info);
    await storage.metadata.put('k', new TextEncoder().encode('v'));
    await storage.close();
    execFileSync('mount', ['-o', 'remount,ro', root]);
    const ro = filesystemStorage({ dir });
    await ro.open(); // reading the metadata works
    expect(new TextDecoder().decode(await ro.metadata.get('k'))).toBe('v');
    expect(await codeOf(() => ro.metadata.put('k', new Uint8Array(1)))).toBe('ERR_STORAGE_READ_ONLY');
    expect(await codeOf(() => ro.openPartition('t', 0))).toBe('ERR_STORAGE_READ_ONLY');
    expect(await codeOf(() => ro.openPartition('new', 0))).toBe('ERR_STORAGE_READ_ONLY');
    await ro.close();
    const fresh = filesystemStorage({ dir: join(root, 'elsewhere') });
    expect(await codeOf(() => fresh.open())).toBe('ERR_STORAGE_READ_ONLY');
  });
});


describe('filesystem storage: reads beside truncation and retention', () => {
  it('never return anything but whole, valid batches that were appended', async () => {
    const { storage } = await freshStorage({ segmentBytes: 2048, indexIntervalBytes: 100 });
    const log = await storage.openPartition('t', 0);
    // Every version ever appended at each base offset (truncation lets an offset be reused).
    const versions = new Map<number, Uint8Array[]>();
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const reads: Array<Promise<unknown>> = [];
    const ops: Array<Promise<unknown>> = [];
    let generation = 0;
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < 10; i++) {
        const base = log.endOffset() + i * 3; // may be stale: only the in-order ones succeed
        const b = makeBatch({ baseOffset: base, count: 3, valueBytes: 40 + Math.floor(random() * 200), fill: generation });
        versions.set(base, [...(versions.get(base) ?? []), b.bytes]);
        ops.push(log.append(b.bytes, b.info).catch((e) => expect(e.code).toBe('ERR_OFFSET_ORDER')));
      }
      for (let i = 0; i < 5; i++) {
        const offset = log.startOffset() + Math.floor(random() * Math.max(1, log.endOffset() - log.startOffset()));
        reads.push(
          log.read(offset, 1 + Math.floor(random() * 3000)).then(
            (r) => {
              const batches = splitBatches(concat(r.chunks));
              let previousLast = -1;
              for (const bytes of batches) {
                const header = readBatchHeader(bytes);
                expect(versions.get(header.baseOffset)?.some((v) => v.length === bytes.length && v.every((x, j) => x === bytes[j]))).toBe(true);
                expect(header.baseOffset).toBeGreaterThan(previousLast);
                previousLast = header.baseOffset + header.lastOffsetDelta;
              }
            },
            (e) => expect(e.code).toBe('OFFSET_OUT_OF_RANGE'), // trimmed or truncated meanwhile
          ),
        );
      }
      if (round % 3 === 1) ops.push(log.truncateTo(Math.max(log.startOffset(), log.endOffset() - 12)).then(() => generation++));
      if (round % 5 === 4) ops.push(log.trimBefore(Math.floor((log.startOffset() + log.endOffset()) / 2)).catch((e) => expect(e.code).toBe('OFFSET_OUT_OF_RANGE')));
      if (round % 4 === 0) await Promise.all(ops.splice(0));
    }
    await Promise.all([...ops, ...reads]);
    expect(reads.length).toBe(200);
  });
});
