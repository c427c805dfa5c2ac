/**
 * Damage on disk, found when the filesystem adapter opens a partition (or, for a
 * damaged header deep inside an older segment, when a read reaches it): opening
 * succeeds, the data before the damage is readable byte for byte, and the damage is
 * reported in `log.recovery` (and to the logger).
 */
import { appendFile, open, readFile, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { filesystemStorage } from '../../adapters/filesystem/index.ts';
import type { Logger } from '../../core/contracts/logger.ts';
import type { PartitionLog, Storage } from '../../core/contracts/storage.ts';
import { computeBatchCrc, readBatchHeader } from '../../core/records/batch-header.ts';
import { concat, makeBatch, splitBatches, tempDir } from './filesystem-fixtures.ts';

const OPTIONS = { segmentBytes: 8192, indexIntervalBytes: 256 };
const cleanups: Array<() => Promise<void>> = [];
const opened: Storage[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close().catch(() => {});
  for (const c of cleanups.splice(0)) await c();
});

interface Fixture {
  dir: string;
  partDir: string;
  batches: Array<{ bytes: Uint8Array; base: number; last: number; ts: number }>;
}

/** 60 batches of 150–600 bytes in 8 KiB segments (several segments), then a clean close or a "crash" (no close). */
async function fixture(shutdown: 'clean' | 'crash'): Promise<Fixture> {
  const { dir, cleanup } = await tempDir('tributary-corrupt-');
  cleanups.push(cleanup);
  const storage = filesystemStorage({ dir, ...OPTIONS });
  await storage.open();
  const log = await storage.openPartition('t', 0);
  const batches: Fixture['batches'] = [];
  let offset = 0;
  for (let i = 0; i < 60; i++) {
    const b = makeBatch({ baseOffset: offset, count: 1 + (i % 4), valueBytes: 100 + ((i * 53) % 400), timestamp: 1_000_000 + i * 1000 });
    await log.append(b.bytes, b.info);
    batches.push({ bytes: b.bytes, base: b.info.baseOffset, last: b.info.lastOffset, ts: b.info.maxTimestamp });
    offset = b.info.lastOffset + 1;
  }
  expect(log.segments().length).toBeGreaterThanOrEqual(3);
  if (shutdown === 'clean') await storage.close();
  else {
    // A crash: data is in the page cache, the process is gone, no clean-shutdown marker.
    // The storage is closed (a dead process holds no handles and no directory lock) and
    // the marker its close wrote is removed again.
    await log.sync();
    await storage.close();
    await unlink(join(dir, 't-0', '.clean-shutdown'));
  }
  return { dir, partDir: join(dir, 't-0'), batches };
}

/** Where each batch lives: segment file and byte position. */
function layout(f: Fixture, log: { segments(): readonly { baseOffset: number; nextOffset: number }[] }) {
  const segs = log.segments();
  return f.batches.map((b) => {
    const seg = [...segs].reverse().find((s) => s.baseOffset <= b.base)!;
    const before = f.batches.filter((x) => x.base >= seg.baseOffset && x.base < b.base);
    return { ...b, segment: seg.baseOffset, position: before.reduce((n, x) => n + x.bytes.length, 0) };
  });
}

const segFile = (f: Fixture, base: number, ext: string) => join(f.partDir, String(base).padStart(20, '0') + ext);

async function reopen(f: Fixture): Promise<{ storage: Storage; log: PartitionLog; warnings: string[] }> {
  const warnings: string[] = [];
  const logger: Logger = { debug() {}, info() {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) };
  const storage = filesystemStorage({ dir: f.dir, logger, ...OPTIONS });
  await storage.open();
  opened.push(storage);
  return { storage, log: await storage.openPartition('t', 0), warnings };
}

/** Reads everything and checks each batch: valid CRC, equal to what was appended. */
async function readAll(log: PartitionLog, f: Fixture): Promise<number[]> {
  const out: number[] = [];
  let offset = log.startOffset();
  while (offset < log.endOffset()) {
    const result = await log.read(offset, 1 << 20);
    const batches = splitBatches(concat(result.chunks));
    if (batches.length === 0) break;
    for (const bytes of batches) {
      const header = readBatchHeader(bytes);
      expect(computeBatchCrc(bytes, 0, bytes.length)).toBe(header.crc);
      expect(bytes).toEqual(f.batches.find((b) => b.base === header.baseOffset)!.bytes);
      out.push(header.baseOffset);
      offset = header.baseOffset + header.lastOffsetDelta + 1;
    }
  }
  return out;
}

async function flipByte(path: string, position: number): Promise<void> {
  const handle = await open(path, 'r+');
  const one = Buffer.alloc(1);
  await handle.read(one, 0, 1, position);
  one[0] = one[0]! ^ 0x5a;
  await handle.write(one, 0, 1, position);
  await handle.close();
}

/** A storage opened only to learn the layout, closed again cleanly before the damage. */
async function learnLayout(f: Fixture) {
  const storage = filesystemStorage({ dir: f.dir, ...OPTIONS });
  await storage.open();
  const log = await storage.openPartition('t', 0);
  const where = layout(f, log);
  const segs = log.segments().map((s) => s.baseOffset);
  await storage.close();
  return { where, segs };
}

describe('filesystem storage: corruption found on open', () => {
  it('a flipped byte in the active segment after a crash: the tail from that batch is cut and reported', async () => {
    const f = await fixture('crash');
    const { where, segs } = await learnLayout(f);
    // learnLayout closed cleanly; simulate the crash by removing the marker again.
    await unlink(join(f.partDir, '.clean-shutdown'));
    const active = segs.at(-1)!;
    const inActive = where.filter((b) => b.segment === active);
    const victim = inActive[Math.floor(inActive.length / 2)]!;
    await flipByte(segFile(f, active, '.log'), victim.position + 70); // inside the records, under the CRC
    const { log, warnings } = await reopen(f);
    const event = log.recovery.find((e) => e.kind === 'truncated-tail');
    expect(event).toBeDefined();
    expect(event!.fromOffset).toBe(victim.base);
    expect(event!.bytesDropped).toBe(inActive.filter((b) => b.base >= victim.base).reduce((n, b) => n + b.bytes.length, 0));
    expect(warnings.length).toBeGreaterThan(0);
    expect(log.endOffset()).toBe(victim.base);
    expect(await readAll(log, f)).toEqual(f.batches.filter((b) => b.base < victim.base).map((b) => b.base));
    // The log goes on from the cut.
    const next = makeBatch({ baseOffset: victim.base, count: 2 });
    await log.append(next.bytes, next.info);
    expect(log.endOffset()).toBe(victim.base + 2);
  });

  it('a flipped byte after the last index entry is found even after a clean close', async () => {
    const f = await fixture('clean');
    const { where, segs } = await learnLayout(f);
    const active = segs.at(-1)!;
    const victim = where.filter((b) => b.segment === active).at(-1)!;
    await flipByte(segFile(f, active, '.log'), victim.position + victim.bytes.length - 3);
    const { log } = await reopen(f);
    expect(log.recovery.map((e) => e.kind)).toContain('truncated-tail');
    expect(log.endOffset()).toBe(victim.base);
    expect(await readAll(log, f)).toEqual(f.batches.filter((b) => b.base < victim.base).map((b) => b.base));
  });

  it('a segment truncated in the middle of a batch (torn write): the partial batch goes', async () => {
    const f = await fixture('clean');
    const { where, segs } = await learnLayout(f);
    const active = segs.at(-1)!;
    const last = where.filter((b) => b.segment === active).at(-1)!;
    await truncate(segFile(f, active, '.log'), last.position + 40);
    const { log } = await reopen(f);
    const event = log.recovery.find((e) => e.kind === 'truncated-tail')!;
    expect(event).toBeDefined();
    expect(event.bytesDropped).toBe(40);
    expect(event.fromOffset).toBe(last.base);
    expect(log.endOffset()).toBe(last.base);
    expect(await readAll(log, f)).toEqual(f.batches.slice(0, -1).map((b) => b.base));
  });

  it('garbage appended to the tail is cut, everything appended before stays', async () => {
    for (const garbage of [Buffer.from([1, 2, 3]), Buffer.alloc(100, 0), Buffer.alloc(5000, 0xab)]) {
      const f = await fixture('clean');
      const { segs } = await learnLayout(f);
      await appendFile(segFile(f, segs.at(-1)!, '.log'), garbage);
      const { log } = await reopen(f);
      const event = log.recovery.find((e) => e.kind === 'truncated-tail')!;
      expect(event.bytesDropped).toBe(garbage.length);
      expect(log.endOffset()).toBe(f.batches.at(-1)!.last + 1);
      expect(await readAll(log, f)).toEqual(f.batches.map((b) => b.base));
    }
  });

  it('a damaged batch header in an older segment: its segment is cut there, later segments stay readable', async () => {
    const f = await fixture('clean');
    const { where, segs } = await learnLayout(f);
    const older = segs[0]!;
    const inOlder = where.filter((b) => b.segment === older);
    const victim = inOlder.at(-1)!; // after the segment's last index entry: checked on open
    await flipByte(segFile(f, older, '.log'), victim.position + 9); // the batch length field
    const { log } = await reopen(f);
    const event = log.recovery.find((e) => e.kind === 'truncated-segment')!;
    expect(event).toBeDefined();
    expect(event.fromOffset).toBe(victim.base);
    // Documented choice: the rest of the damaged segment is lost, the later segments are
    // kept (no offset is ever reused), and a read in the gap starts at the next segment.
    expect(log.endOffset()).toBe(f.batches.at(-1)!.last + 1);
    const kept = f.batches.filter((b) => b.base !== victim.base).map((b) => b.base);
    expect(await readAll(log, f)).toEqual(kept);
    const inGap = await log.read(victim.base, 1 << 20);
    expect(readBatchHeader(concat(inGap.chunks)).baseOffset).toBe(segs[1]);
  });

  it('a damaged header deep in an older segment is found by the read that reaches it', async () => {
    const f = await fixture('clean');
    const { where, segs } = await learnLayout(f);
    const older = segs[0]!;
    const inOlder = where.filter((b) => b.segment === older);
    const victim = inOlder[1]!; // before the last index entry: open does not look there
    await flipByte(segFile(f, older, '.log'), victim.position + 16); // the magic byte
    const { log } = await reopen(f);
    expect(log.recovery).toEqual([]);
    // Before the damage: readable, and a read that runs into it stops before it.
    const first = await log.read(0, 1 << 20);
    expect(splitBatches(concat(first.chunks)).map((b) => readBatchHeader(b).baseOffset)).toEqual([inOlder[0]!.base]);
    // At the damage: a coded error, and the damage is reported.
    let caught: unknown;
    try {
      await log.read(victim.base, 1 << 20);
    } catch (error) {
      caught = error;
    }
    expect((caught as { code?: string }).code).toBe('CORRUPT_MESSAGE');
    expect(log.recovery.map((e) => e.kind)).toEqual(['corrupt-read']);
    // Later segments are unaffected.
    const later = await log.read(segs[1]!, 1 << 20);
    expect(readBatchHeader(concat(later.chunks)).baseOffset).toBe(segs[1]);
  });
});

describe('filesystem storage: damaged indexes are rebuilt', () => {
  for (const [label, damage] of [
    ['truncated in the middle of an entry', async (path: string) => truncate(path, (await stat(path)).size - 3)],
    ['deleted', async (path: string) => unlink(path)],
    ['with an entry past the end of the log', async (path: string) => appendFile(path, Buffer.from([0, 0, 0x7f, 0xff, 0, 0x0f, 0xff, 0xff]))],
    ['with entries that go backwards', async (path: string) => writeFile(path, Buffer.concat([await readFile(path), Buffer.alloc(8)]))],
    ['overwritten with zeros', async (path: string) => writeFile(path, Buffer.alloc((await stat(path)).size))],
  ] as const) {
    it(`an offset index ${label}`, async () => {
      const f = await fixture('clean');
      const { segs } = await learnLayout(f);
      const before = await readFile(segFile(f, segs[0]!, '.index'));
      expect(before.length).toBeGreaterThan(8); // the sparse index has entries to lose
      await damage(segFile(f, segs[0]!, '.index'));
      const { log } = await reopen(f);
      expect(log.recovery.map((e) => e.kind)).toEqual(['rebuilt-index']);
      expect(log.recovery[0]!.location).toBe(segFile(f, segs[0]!, '.index'));
      expect(await readFile(segFile(f, segs[0]!, '.index'))).toEqual(before);
      expect(await readAll(log, f)).toEqual(f.batches.map((b) => b.base));
      for (const b of f.batches) {
        const r = await log.read(b.last, 1);
        expect(readBatchHeader(concat(r.chunks)).baseOffset).toBe(b.base);
      }
    });
  }

  it('a deleted time index: rebuilt, and offsetForTimestamp answers as before', async () => {
    const f = await fixture('clean');
    const { segs } = await learnLayout(f);
    const before = await readFile(segFile(f, segs[1]!, '.timeindex'));
    await unlink(segFile(f, segs[1]!, '.timeindex'));
    const { log } = await reopen(f);
    expect(log.recovery.map((e) => e.kind)).toEqual(['rebuilt-index']);
    expect(await readFile(segFile(f, segs[1]!, '.timeindex'))).toEqual(before);
    for (const b of f.batches) expect(await log.offsetForTimestamp(b.ts)).toBe(b.base);
    expect(await log.offsetForTimestamp(f.batches.at(-1)!.ts + 1)).toBeNull();
  });

  it('the active segment index damaged after a crash', async () => {
    const f = await fixture('crash');
    const { segs } = await learnLayout(f);
    await unlink(join(f.partDir, '.clean-shutdown'));
    await truncate(segFile(f, segs.at(-1)!, '.index'), 5);
    const { log } = await reopen(f);
    expect(log.recovery.map((e) => e.kind)).toEqual(['rebuilt-index']);
    expect(await readAll(log, f)).toEqual(f.batches.map((b) => b.base));
  });
});

describe('filesystem storage: damaged metadata', () => {
  it('a damaged metadata file is an ERR_METADATA_CORRUPT error on open, never wrong data', async () => {
    const { dir, cleanup } = await tempDir('tributary-corrupt-');
    cleanups.push(cleanup);
    const storage = filesystemStorage({ dir });
    await storage.open();
    await storage.metadata.put('offsets/g/t/0', new TextEncoder().encode('42'));
    await storage.metadata.put('topics/t', new TextEncoder().encode('{"partitions":1}'));
    await storage.close();
    const path = join(dir, 'metadata.bin');
    const good = await readFile(path);
    for (const bad of [good.subarray(0, good.length - 1), Buffer.concat([good, Buffer.from([0])]), flip(good, 20), flip(good, good.length - 1), Buffer.alloc(0)]) {
      await writeFile(path, bad);
      let caught: unknown;
      try {
        await filesystemStorage({ dir }).open();
      } catch (error) {
        caught = error;
      }
      expect((caught as { code?: string }).code).toBe('ERR_METADATA_CORRUPT');
    }
    await writeFile(path, good);
    const again = filesystemStorage({ dir });
    await again.open();
    opened.push(again);
    expect(new TextDecoder().decode(await again.metadata.get('offsets/g/t/0'))).toBe('42');
  });

  it('a temp file left by a crash in the middle of a metadata write is ignored', async () => {
    const { dir, cleanup } = await tempDir('tributary-corrupt-');
    cleanups.push(cleanup);
    const storage = filesystemStorage({ dir });
    await storage.open();
    await storage.metadata.put('k', new TextEncoder().encode('committed'));
    await storage.close();
    await writeFile(join(dir, 'metadata.bin.tmp'), Buffer.from('half a write'));
    const again = filesystemStorage({ dir });
    await again.open();
    opened.push(again);
    expect(new TextDecoder().decode(await again.metadata.get('k'))).toBe('committed');
  });
});

function flip(bytes: Uint8Array, at: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[at] = copy[at]! ^ 0xff;
  return copy;
}
