/**
 * The LevelDB adapter against the Storage conformance suite (with reopen), plus what is
 * particular to it: the key layout on disk, recovery of a damaged tail, a database
 * handed in by the caller, and open errors (locked, unusable location).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { levelStorage } from '../../adapters/level/index.ts';
import { KeyKind, decodeIndexEntry, encodeIndexEntry, offsetKey, partitionPrefix } from '../../adapters/level/keys.ts';
import type { Storage } from '../../core/contracts/storage.ts';
import { makeTestBatch, parseReadResult, sameBytes, storageConformance } from '../../conformance/storage/index.ts';

const dirs = new Map<Storage, string>();
const made: string[] = [];

function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-level-'));
  made.push(dir);
  return dir;
}

function removeDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

function harness(options: { metadataSync?: boolean } = {}) {
  return {
    create: () => {
      const location = freshDir();
      const storage = levelStorage({ location, ...options });
      dirs.set(storage, location);
      return storage;
    },
    reopen: (previous: Storage) => {
      const location = dirs.get(previous)!;
      const storage = levelStorage({ location, ...options });
      dirs.set(storage, location);
      return storage;
    },
    cleanup: removeDirs,
  };
}

storageConformance('level', harness());
storageConformance('level (metadata without sync)', harness({ metadataSync: false }), { smallSegmentBytes: 2048 });

// A caller-owned database (the adapter neither opens a second one nor closes it).
const shared = new Map<Storage, Level<Uint8Array, Uint8Array>>();
storageConformance('level (caller database)', {
  create: () => {
    const db = new Level<Uint8Array, Uint8Array>(freshDir(), { keyEncoding: 'view', valueEncoding: 'view' });
    const storage = levelStorage({ db });
    shared.set(storage, db);
    return storage;
  },
  reopen: (previous) => {
    const db = shared.get(previous)!;
    const storage = levelStorage({ db });
    shared.set(storage, db);
    return storage;
  },
  cleanup: async () => {
    for (const db of new Set(shared.values())) await db.close();
    shared.clear();
    removeDirs();
  },
});

async function codeOf(fn: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

describe('level storage: particulars', () => {
  const open: Storage[] = [];
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close().catch(() => undefined);
    removeDirs();
  });

  async function openAt(location: string): Promise<Storage> {
    const storage = levelStorage({ location });
    await storage.open();
    open.push(storage);
    return storage;
  }

  it('keys sort by topic, partition and offset; values are the batch bytes as appended', async () => {
    const location = freshDir();
    const storage = await openAt(location);
    // Offsets that differ in every byte position, and topics that prefix one another.
    const offsets = [0, 254, 256, 65_534, 65_536, 2 ** 32 - 2, 2 ** 32, 2 ** 40 + 5, 2 ** 53 - 100];
    for (const [topic, partition] of [['a', 0], ['a', 1], ['ab', 0], ['a', 256]] as const) {
      const log = await storage.openPartition(topic, partition);
      for (const base of offsets) {
        const b = makeTestBatch({ baseOffset: base, count: 2, valueSize: 10 });
        await log.append(b.bytes, b.info);
      }
      for (const base of offsets) {
        const got = parseReadResult(await log.read(base + 1, 1));
        expect(got.map((x) => x.baseOffset)).toEqual([base]);
      }
      expect(log.endOffset()).toBe(2 ** 53 - 98);
    }
    await storage.close();
    open.length = 0;

    const db = new Level<Uint8Array, Uint8Array>(location, { keyEncoding: 'view', valueEncoding: 'view' });
    await db.open();
    try {
      const prefix = partitionPrefix(KeyKind.data, 'a', 1);
      const keys = await db.keys({ gte: prefix, lt: offsetKey(prefix, 2 ** 53) }).all();
      expect(keys.length).toBe(offsets.length);
      const stored = await db.get(offsetKey(prefix, 2 ** 32));
      const want = makeTestBatch({ baseOffset: 2 ** 32, count: 2, valueSize: 10 });
      expect(sameBytes(stored!, want.bytes)).toBe(true);
      const entry = decodeIndexEntry((await db.get(offsetKey(partitionPrefix(KeyKind.index, 'a', 1), 2 ** 32)))!);
      expect(entry).toEqual({ lastOffset: 2 ** 32 + 1, maxTimestamp: want.info.maxTimestamp, recordCount: 2, sizeBytes: want.bytes.length });
    } finally {
      await db.close();
    }
  });

  it('drops a corrupt or torn newest batch on open, reports it, and keeps what came before', async () => {
    const location = freshDir();
    let storage = await openAt(location);
    let log = await storage.openPartition('t', 0);
    const batches = [0, 5, 10, 15].map((base) => makeTestBatch({ baseOffset: base, count: 5, valueSize: 50 }));
    for (const b of batches) await log.append(b.bytes, b.info);
    await storage.close();
    open.length = 0;

    // Damage the two newest batches behind the adapter's back: flip a byte in the last
    // (CRC mismatch) and cut the one before short (length mismatch with its header).
    const db = new Level<Uint8Array, Uint8Array>(location, { keyEncoding: 'view', valueEncoding: 'view' });
    await db.open();
    const data = partitionPrefix(KeyKind.data, 't', 0);
    const flipped = batches[3]!.bytes.slice();
    flipped[flipped.length - 3] ^= 0xff;
    await db.put(offsetKey(data, 15), flipped);
    const torn = batches[2]!.bytes.slice(0, 100);
    await db.put(offsetKey(data, 10), torn);
    await db.put(offsetKey(partitionPrefix(KeyKind.index, 't', 0), 10), encodeIndexEntry({ lastOffset: 14, maxTimestamp: 0, recordCount: 5, sizeBytes: torn.length }));
    await db.close();

    storage = await openAt(location);
    log = await storage.openPartition('t', 0);
    expect(log.recovery.map((e) => [e.kind, e.fromOffset])).toEqual([
      ['truncated-tail', 15],
      ['truncated-tail', 10],
    ]);
    expect(log.endOffset()).toBe(10);
    const got = parseReadResult(await log.read(0, 1 << 20));
    expect(got.map((b) => b.baseOffset)).toEqual([0, 5]);
    expect(sameBytes(got[1]!.bytes, batches[1]!.bytes)).toBe(true);
    // The repair is durable: the next open finds nothing to repair.
    const again = makeTestBatch({ baseOffset: 10, count: 1 });
    await log.append(again.bytes, again.info, { sync: true });
    await storage.close();
    open.length = 0;
    storage = await openAt(location);
    log = await storage.openPartition('t', 0);
    expect(log.recovery).toEqual([]);
    expect(log.endOffset()).toBe(11);
  });

  it('a database opened twice gives ERR_STORAGE_LOCKED with the cause', async () => {
    const location = freshDir();
    await openAt(location);
    const second = levelStorage({ location });
    let caught: unknown;
    try {
      await second.open();
    } catch (error) {
      caught = error;
    }
    expect((caught as { code?: string }).code).toBe('ERR_STORAGE_LOCKED');
    expect((caught as { cause?: unknown }).cause).toBeDefined();
  });

  it('an unusable location gives ERR_STORAGE_OPEN; a missing location ERR_INVALID_ARGUMENT', async () => {
    const file = join(freshDir(), 'plain-file');
    writeFileSync(file, 'not a directory');
    expect(await codeOf(() => levelStorage({ location: join(file, 'db') }).open())).toBe('ERR_STORAGE_OPEN');
    expect(await codeOf(() => levelStorage({ location: file }).open())).toBe('ERR_STORAGE_OPEN');
    expect(() => levelStorage({})).toThrowError(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
  });

  it('use before open or after close gives ERR_STORAGE_CLOSED; bad arguments ERR_INVALID_ARGUMENT', async () => {
    const location = freshDir();
    const unopened = levelStorage({ location });
    expect(await codeOf(() => unopened.openPartition('t', 0))).toBe('ERR_STORAGE_CLOSED');
    const storage = await openAt(location);
    expect(await codeOf(() => storage.openPartition('', 0))).toBe('ERR_INVALID_ARGUMENT');
    expect(await codeOf(() => storage.openPartition('t', -1))).toBe('ERR_INVALID_ARGUMENT');
    expect(await codeOf(() => storage.metadata.put('k', 'v' as never))).toBe('ERR_INVALID_ARGUMENT');
    const log = await storage.openPartition('t', 0);
    const b = makeTestBatch({ baseOffset: 0 });
    expect(await codeOf(() => log.append(new Uint8Array(0), b.info))).toBe('ERR_INVALID_ARGUMENT');
    expect(await codeOf(() => log.append(b.bytes, { ...b.info, lastOffset: -1 }))).toBe('ERR_INVALID_ARGUMENT');
    await log.close();
    expect(await codeOf(() => log.append(b.bytes, b.info))).toBe('ERR_STORAGE_CLOSED');
    expect(await codeOf(() => log.read(0, 100))).toBe('ERR_STORAGE_CLOSED');
    // Closing a log does not close the storage: it reopens on demand.
    const reopened = await storage.openPartition('t', 0);
    expect(reopened).not.toBe(log);
    await storage.close();
    expect(await codeOf(() => storage.metadata.get('k'))).toBe('ERR_STORAGE_CLOSED');
  });

  it('trims and truncates thousands of batches in several atomic writes, and the bounds survive reopen', async () => {
    const location = freshDir();
    let storage = await openAt(location);
    let log = await storage.openPartition('t', 0);
    const batches = Array.from({ length: 2600 }, (_, i) => makeTestBatch({ baseOffset: i * 2, count: 2, valueSize: 8, timestamp: i }));
    await Promise.all(batches.map((b) => log.append(b.bytes, b.info)));
    expect(await log.trimBefore(2 * 1500 + 1)).toBe(3000); // 1,500 batches go; the one holding 3001 stays
    await log.truncateTo(2 * 2400); // 200 batches go from the end
    expect([log.startOffset(), log.endOffset()]).toEqual([3000, 4800]);
    expect(await log.offsetForTimestamp(0)).toBe(3000);
    await storage.close();
    open.length = 0;
    storage = await openAt(location);
    log = await storage.openPartition('t', 0);
    expect([log.startOffset(), log.endOffset(), log.sizeBytes()]).toEqual([3000, 4800, batches.slice(1500, 2400).reduce((n, b) => n + b.bytes.length, 0)]);
    const got = parseReadResult(await log.read(3000, 1 << 30));
    expect(got.map((b) => b.baseOffset)).toEqual(batches.slice(1500, 2400).map((b) => b.info.baseOffset));
    expect(await log.offsetForTimestamp(2000)).toBe(3998); // batch 1999 holds timestamps 1999..2000
  });

  it('segment.ms groups batches by timestamp span; segments cover the log without overlap', async () => {
    const storage = await openAt(freshDir());
    const log = await storage.openPartition('t', 0, { segmentBytes: 1 << 20, segmentMs: 1000 });
    for (let i = 0; i < 10; i++) {
      const b = makeTestBatch({ baseOffset: i, count: 1, timestamp: 10_000 + i * 400 });
      await log.append(b.bytes, b.info);
    }
    // Timestamps 10000, 10400, … : a new group whenever 1000 ms passed since the group's first.
    expect(log.segments().map((s) => s.baseOffset)).toEqual([0, 3, 6, 9]);
    expect(await log.trimBefore(3)).toBe(3);
    expect(log.segments().map((s) => s.baseOffset)).toEqual([3, 6, 9]);
  });

  it('deletePartition interrupted after its registry entry went leaves no data behind on re-creation', async () => {
    const location = freshDir();
    let storage = await openAt(location);
    const log = await storage.openPartition('t', 0);
    const b = makeTestBatch({ baseOffset: 0, count: 3 });
    await log.append(b.bytes, b.info);
    await storage.close();
    open.length = 0;
    // Simulate the crash: only the registry entry is gone.
    const db = new Level<Uint8Array, Uint8Array>(location, { keyEncoding: 'view', valueEncoding: 'view' });
    await db.open();
    await db.del(partitionPrefix(KeyKind.partition, 't', 0));
    await db.close();
    storage = await openAt(location);
    expect(await storage.listPartitions()).toEqual([]);
    const fresh = await storage.openPartition('t', 0);
    expect(fresh.endOffset()).toBe(0);
    expect(fresh.sizeBytes()).toBe(0);
    expect((await fresh.read(0, 1 << 20)).bytes).toBe(0);
  });
});

// A full or read-only disk needs a small tmpfs; mounting one needs root (skipped otherwise).
const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts.splice(0)) {
    try {
      execFileSync('umount', [m], { stdio: 'ignore' });
      rmdirSync(m);
    } catch {
      // best effort
    }
  }
});

function mountTmpfs(size: string, ctx: { skip: (note?: string) => void }): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-level-mnt-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    rmdirSync(dir);
    ctx.skip('mounting a tmpfs is not permitted here; a full or read-only disk cannot be simulated');
    return undefined;
  }
  mounts.push(dir);
  return dir;
}

describe('level storage: full and read-only disks', () => {
  it('a full disk gives ERR_STORAGE_FULL (Kafka 56), keeps what was acknowledged, and reopens once there is room', async (ctx) => {
    const root = mountTmpfs('1m', ctx);
    if (!root) return;
    const location = join(root, 'db');
    const storage = levelStorage({ location });
    await storage.open();
    await storage.metadata.put('k', new TextEncoder().encode('v1'));
    const log = await storage.openPartition('t', 0);
    const appended = [];
    let error: unknown;
    for (let i = 0; i < 2000 && error === undefined; i++) {
      const b = makeTestBatch({ baseOffset: i * 10, count: 10, valueSize: 500 });
      try {
        await log.append(b.bytes, b.info, { sync: true });
        appended.push(b);
      } catch (e) {
        error = e;
      }
    }
    expect((error as { code?: string }).code).toBe('ERR_STORAGE_FULL');
    expect((error as { kafkaCode?: number }).kafkaCode).toBe(56);
    expect((error as { cause?: unknown }).cause).toBeDefined();
    expect(appended.length).toBeGreaterThan(0);
    expect(log.endOffset()).toBe(appended.length * 10);
    // Reads need no space: everything acknowledged is there, nothing else.
    const got = parseReadResult(await log.read(0, 1 << 30));
    expect(got.map((b) => b.baseOffset)).toEqual(appended.map((b) => b.info.baseOffset));
    expect(await codeOf(() => storage.metadata.put('k', new Uint8Array(10)))).toBe('ERR_STORAGE_FULL');
    expect(await codeOf(() => storage.close())).toBe('ERR_STORAGE_FULL'); // the final sync fails, the database closes
    // LevelDB must write a table to open a database whose log it replays: still full.
    expect(await codeOf(() => levelStorage({ location }).open())).toBe('ERR_STORAGE_FULL');
    execFileSync('mount', ['-o', 'remount,size=16m', root]);
    const again = levelStorage({ location });
    await again.open();
    try {
      const reopened = await again.openPartition('t', 0);
      expect(reopened.recovery).toEqual([]);
      expect(reopened.endOffset()).toBe(appended.length * 10);
      const all = parseReadResult(await reopened.read(0, 1 << 30));
      expect(all.length).toBe(appended.length);
      for (let i = 0; i < all.length; i++) expect(sameBytes(all[i]!.bytes, appended[i]!.bytes)).toBe(true);
      expect(new TextDecoder().decode(await again.metadata.get('k'))).toBe('v1');
    } finally {
      await again.close();
    }
  });

  it('a read-only disk gives ERR_STORAGE_READ_ONLY on open, not a crash', async (ctx) => {
    const root = mountTmpfs('8m', ctx);
    if (!root) return;
    const location = join(root, 'db');
    const storage = levelStorage({ location });
    await storage.open();
    const log = await storage.openPartition('t', 0);
    const b = makeTestBatch({ baseOffset: 0 });
    await log.append(b.bytes, b.info);
    await storage.close();
    execFileSync('mount', ['-o', 'remount,ro', root]);
    // LevelDB takes its lock file with write access, so even reading needs a writable disk.
    expect(await codeOf(() => levelStorage({ location }).open())).toBe('ERR_STORAGE_READ_ONLY');
    const code = await codeOf(() => levelStorage({ location: join(root, 'elsewhere') }).open());
    expect(['ERR_STORAGE_READ_ONLY', 'ERR_STORAGE_OPEN']).toContain(code);
  });
});

/**
 * Makes LevelDB's write path fail as on a full disk, with LevelDB's own rule: after one
 * failed write, every write of that database fails until it is reopened.
 */
function injectWriteFailures(): { failNext(): void; restore(): void } {
  let proto: any = Level.prototype;
  while (proto && !Object.prototype.hasOwnProperty.call(proto, '_batch')) proto = Object.getPrototypeOf(proto);
  const original = { _batch: proto._batch, _put: proto._put, _del: proto._del, _open: proto._open };
  const poisoned = new WeakSet<object>();
  let armed = false;
  const fail = (db: object) => {
    if (armed) {
      armed = false;
      poisoned.add(db);
    }
    if (poisoned.has(db)) throw Object.assign(new Error('IO error: 000005.log: No space left on device'), { code: 'LEVEL_IO_ERROR' });
  };
  proto._batch = async function (this: object, ...args: unknown[]) {
    fail(this);
    return original._batch.apply(this, args);
  };
  proto._put = async function (this: object, ...args: unknown[]) {
    fail(this);
    return original._put.apply(this, args);
  };
  proto._del = async function (this: object, ...args: unknown[]) {
    fail(this);
    return original._del.apply(this, args);
  };
  proto._open = async function (this: object, ...args: unknown[]) {
    poisoned.delete(this);
    return original._open.apply(this, args);
  };
  return {
    failNext: () => (armed = true),
    restore: () => Object.assign(proto, original),
  };
}

describe('level storage: recovery after a failed write', () => {
  afterEach(removeDirs);

  it('accepts writes again after one failed write, without a restart (LevelDB\'s error is sticky until reopen)', async () => {
    const storage = levelStorage({ location: freshDir() });
    await storage.open();
    const inject = injectWriteFailures();
    try {
      const log = await storage.openPartition('t', 0);
      const a = makeTestBatch({ baseOffset: 0, count: 5 });
      await log.append(a.bytes, a.info);
      inject.failNext();
      const b = makeTestBatch({ baseOffset: 5, count: 5 });
      expect(await codeOf(() => log.append(b.bytes, b.info))).toBe('ERR_STORAGE_FULL');
      expect(log.endOffset()).toBe(5);
      // The space is back: the same batch goes in at the same offset, and so does the rest.
      await log.append(b.bytes, b.info, { sync: true });
      const c = makeTestBatch({ baseOffset: 10, count: 5 });
      await log.append(c.bytes, c.info);
      await storage.metadata.put('k', new TextEncoder().encode('v'));
      expect(parseReadResult(await log.read(0, 1 << 20)).map((x) => x.baseOffset)).toEqual([0, 5, 10]);
      // A failed metadata write recovers the same way.
      inject.failNext();
      expect(await codeOf(() => storage.metadata.put('k', new TextEncoder().encode('w')))).toBe('ERR_STORAGE_FULL');
      await storage.metadata.put('k', new TextEncoder().encode('x'));
      expect(new TextDecoder().decode(await storage.metadata.get('k'))).toBe('x');
    } finally {
      inject.restore();
      await storage.close();
    }
  });

  it('on a really full disk: fails, then accepts writes once space is freed, in the same process', async (ctx) => {
    const root = mountTmpfs('2m', ctx);
    if (!root) return;
    const filler = join(root, 'filler');
    const storage = levelStorage({ location: join(root, 'db'), leveldb: { writeBufferSize: 64 * 1024 } });
    await storage.open();
    try {
      const log = await storage.openPartition('t', 0);
      writeFileSync(filler, new Uint8Array(1024 * 1024));
      let offset = 0;
      let error: unknown;
      for (let i = 0; i < 2000 && error === undefined; i++) {
        const b = makeTestBatch({ baseOffset: offset, count: 10, valueSize: 500 });
        try {
          await log.append(b.bytes, b.info, { sync: true });
          offset += 10;
        } catch (e) {
          error = e;
        }
      }
      expect((error as { code?: string }).code).toBe('ERR_STORAGE_FULL');
      expect(log.endOffset()).toBe(offset);
      rmSync(filler);
      const b = makeTestBatch({ baseOffset: offset, count: 10 });
      await log.append(b.bytes, b.info, { sync: true });
      expect(log.endOffset()).toBe(offset + 10);
      expect(parseReadResult(await log.read(0, 1 << 30)).length).toBe(offset / 10 + 1);
    } finally {
      await storage.close().catch(() => undefined);
    }
  });
});
