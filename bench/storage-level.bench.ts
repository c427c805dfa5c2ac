/**
 * LevelDB storage: append throughput without and with a sync per append, read
 * throughput (1 MiB fetches, sequential and at random offsets), and the time to open a
 * partition, with real RecordBatch v2 bytes (batches of 1,000 records with 100-byte
 * values, made by the record codec), `batchInfoOf` on the header as the broker does.
 *
 * The peer, measured in the same run, is `level` itself with the same tuning: one
 * `put` of the same bytes under a sequential 8-byte key (sync or not), and a values
 * iterator over ~1 MiB of them: the ceiling of LevelDB on this machine, so the ratio is
 * the adapter's overhead (its index entry, its key layout, its bookkeeping).
 * This machine is shared and noisy (LevelDB compacts in the background too), so each
 * pair is measured in alternating rounds and the median of each side is reported.
 * Temp dirs under os.tmpdir().
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { levelStorage } from '../adapters/level/index.ts';
import type { PartitionLog, Storage } from '../core/contracts/storage.ts';
import { setBaseOffset } from '../core/records/batch-header.ts';
import { encodeBatchSync, type RecordInput } from '../core/records/index.ts';
import { batchInfoOf } from '../core/storage/batch-info.ts';
import { randomReadRow } from './storage-reads.ts';
import { measure, report, type BenchRow } from './harness.ts';

const RECORDS = 1000;
const FETCH_BYTES = 1024 * 1024;
/** Same tuning as the adapter's defaults, so the peer is a fair ceiling. */
const TUNING = { writeBufferSize: 16 * 1024 * 1024, maxFileSize: 8 * 1024 * 1024 };

function makeBatch(baseOffset: number): Uint8Array {
  const records: RecordInput[] = Array.from({ length: RECORDS }, (_, i) => {
    const value = new Uint8Array(100);
    // Varied bytes (not a constant fill) so that Snappy in LevelDB cannot shrink them away.
    let x = (i + 1) * 2654435761 + baseOffset;
    for (let j = 0; j < 100; j++) {
      x = (x * 1103515245 + 12345) >>> 0;
      value[j] = x >>> 24;
    }
    return { key: null, value, timestamp: 1_700_000_000_000 + i };
  });
  const bytes = encodeBatchSync({ records });
  setBaseOffset(bytes, baseOffset);
  return bytes;
}

// A ring of distinct batches whose base offset is rewritten in place (as the broker assigns offsets).
const ring = Array.from({ length: 16 }, (_, i) => makeBatch(i * RECORDS));
const batchBytes = ring[0]!.length;
const rows: BenchRow[] = [];
const perSec = (ops: number) => ({ recordsPerSec: ops * RECORDS, mbPerSec: (ops * batchBytes) / 1e6 });
const scratch = await mkdtemp(join(tmpdir(), 'tributary-bench-level-'));
let dirs = 0;

async function openStorage(): Promise<{ storage: Storage; log: PartitionLog; location: string }> {
  const location = join(scratch, `s${dirs++}`);
  const storage = levelStorage({ location });
  await storage.open();
  return { storage, log: await storage.openPartition('bench', 0), location };
}

async function appendBench(sync: boolean): Promise<number> {
  const { storage, log, location } = await openStorage();
  let n = 0;
  const m = await measure(async () => {
    const batch = ring[n++ & 15]!;
    setBaseOffset(batch, log.endOffset());
    await log.append(batch, batchInfoOf(batch), { sync });
  });
  await storage.close();
  await rm(location, { recursive: true, force: true });
  return m.opsPerSec;
}

function key(n: number): Uint8Array {
  const k = new Uint8Array(8);
  new DataView(k.buffer).setUint32(4, n);
  return k;
}

/** The ceiling: the same bytes put into a bare `level` database, one put per batch. */
async function plainPutBench(sync: boolean): Promise<number> {
  const location = join(scratch, `plain${dirs++}`);
  const db = new Level<Uint8Array, Uint8Array>(location, { keyEncoding: 'view', valueEncoding: 'view', ...TUNING });
  await db.open();
  let n = 0;
  const m = await measure(async () => {
    const batch = ring[n & 15]!;
    await db.put(key(n++), batch, { sync });
  });
  await db.close();
  await rm(location, { recursive: true, force: true });
  return m.opsPerSec;
}

const ROUNDS = 3;

/** Runs the functions in turn ROUNDS times; returns the median of each. */
async function alternate(...fns: Array<() => Promise<number>>): Promise<number[]> {
  const results = fns.map(() => [] as number[]);
  for (let i = 0; i < ROUNDS; i++) for (let f = 0; f < fns.length; f++) results[f]!.push(await fns[f]!());
  return results.map((xs) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)]!);
}

/**
 * The adapter's write pattern on a bare database: the batch under a data key plus a
 * 24-byte entry under an index key in another key range, in one db.batch. It separates
 * the adapter's own overhead from LevelDB's: two key ranges per write make every level-0
 * table overlap the others, so compaction merges instead of moving tables down.
 */
async function twoRangeBench(): Promise<number> {
  const location = join(scratch, `plain${dirs++}`);
  const db = new Level<Uint8Array, Uint8Array>(location, { keyEncoding: 'view', valueEncoding: 'view', ...TUNING });
  await db.open();
  const entry = new Uint8Array(24);
  let n = 0;
  const m = await measure(async () => {
    const batch = ring[n & 15]!;
    const data = key(n++);
    const index = data.slice();
    index[0] = 0xff;
    await db.batch([
      { type: 'put', key: data, value: batch },
      { type: 'put', key: index, value: entry },
    ]);
  });
  await db.close();
  await rm(location, { recursive: true, force: true });
  return m.opsPerSec;
}

const [plain, plainPeer, twoRange] = await alternate(() => appendBench(false), () => plainPutBench(false), twoRangeBench);
rows.push({ name: `append ${RECORDS} × 100 B, no sync`, ...perSec(plain!), ratio: { peer: 'level put', value: plain! / plainPeer! }, extra: { batchBytes } });
rows.push({ name: '  peer: bare level put of the same bytes', ...perSec(plainPeer!) });
rows.push({ name: '  bare level, data + index key per batch', ...perSec(twoRange!), ratio: { peer: 'level put', value: twoRange! / plainPeer! } });
const [synced, syncedPeer] = await alternate(() => appendBench(true), () => plainPutBench(true));
rows.push({ name: `append ${RECORDS} × 100 B, sync each append`, ...perSec(synced!), ratio: { peer: 'level put sync', value: synced! / syncedPeer! } });
rows.push({ name: '  peer: bare level put, sync', ...perSec(syncedPeer!) });

// Read: 400 distinct batches (~44 MB), fetched 1 MiB at a time from the start, wrapping;
// the peer reads as many values per fetch with a bare iterator over a copy of the batches.
// Both databases are compacted before measuring, so neither pays for background compaction.
const readLocation = join(scratch, `s${dirs++}`);
const readDb = new Level<Uint8Array, Uint8Array>(readLocation, { keyEncoding: 'view', valueEncoding: 'view', ...TUNING });
const readStorage = levelStorage({ db: readDb });
await readStorage.open();
const readLog = await readStorage.openPartition('bench', 0);
const peerLocation = join(scratch, `plain${dirs++}`);
const peerDb = new Level<Uint8Array, Uint8Array>(peerLocation, { keyEncoding: 'view', valueEncoding: 'view', ...TUNING });
await peerDb.open();
for (let i = 0; i < 400; i++) {
  const b = makeBatch(i * RECORDS);
  await readLog.append(b, batchInfoOf(b));
  await peerDb.put(key(i), b);
}
await readLog.sync();
// compactRange is classic-level's (what `level` is on Node); level's types omit it.
type Compactable = { compactRange(start: Uint8Array, end: Uint8Array): Promise<void> };
for (const db of [readDb, peerDb]) await (db as unknown as Compactable).compactRange(Uint8Array.of(0), Uint8Array.of(0xff));
const end = readLog.endOffset();
const batchesPerFetch = Math.max(1, Math.floor(FETCH_BYTES / batchBytes));
let fetchesPerSec = 0;

async function sequentialRead(): Promise<number> {
  let position = 0;
  let bytesRead = 0;
  let fetches = 0;
  const m = await measure(async () => {
    const r = await readLog.read(position, FETCH_BYTES);
    bytesRead += r.bytes;
    fetches++;
    position = batchInfoOf(r.chunks[r.chunks.length - 1]!).lastOffset + 1;
    if (position >= end) position = 0;
  });
  fetchesPerSec = m.opsPerSec;
  return (m.opsPerSec * (bytesRead / fetches)) / 1e6;
}

async function peerRead(): Promise<number> {
  let at = 0;
  let bytesRead = 0;
  let fetches = 0;
  const m = await measure(async () => {
    const values = await peerDb.values({ gte: key(at), limit: batchesPerFetch, highWaterMarkBytes: FETCH_BYTES + 1024 }).all();
    for (const v of values) bytesRead += v.length;
    fetches++;
    at += batchesPerFetch;
    if (at >= 400) at = 0;
  });
  return (m.opsPerSec * (bytesRead / fetches)) / 1e6;
}

const [seqMbPerSec = 0, peerMbPerSec = 1] = await alternate(sequentialRead, peerRead);
await peerDb.close();
rows.push({
  name: 'read 1 MiB fetches, sequential',
  recordsPerSec: (seqMbPerSec * 1e6 * RECORDS) / batchBytes,
  mbPerSec: seqMbPerSec,
  ratio: { peer: 'level iterator', value: seqMbPerSec / peerMbPerSec },
  extra: { fetchesPerSec },
});
rows.push({ name: '  peer: bare level values iterator, same batches', mbPerSec: peerMbPerSec, recordsPerSec: (peerMbPerSec * 1e6 * RECORDS) / batchBytes });

rows.push(await randomReadRow(readLog, end, FETCH_BYTES, RECORDS, batchBytes));
await readStorage.close();
await readDb.close();

// Open: a partition of 400 batches plus 10,000 small ones (index load + tail CRC check).
const { storage: bigStorage, log: bigLog, location: bigLocation } = await openStorage();
const small = encodeBatchSync({ records: [{ key: null, value: new Uint8Array(100), timestamp: 1_700_000_000_000 }] });
let smallEnd = 0;
const pending: Promise<void>[] = [];
for (let i = 0; i < 10_000; i++) {
  setBaseOffset(small, smallEnd);
  pending.push(bigLog.append(small.slice(), batchInfoOf(small)));
  smallEnd++;
}
await Promise.all(pending);
await bigStorage.close();
const opened = await measure(
  async () => {
    const s = levelStorage({ location: bigLocation });
    await s.open();
    await s.openPartition('bench', 0);
    await s.close();
  },
  { timeMs: 2000 },
);
rows.push({ name: 'open storage + partition of 10,000 batches, close', opsPerSec: opened.opsPerSec, extra: { msPerOpen: 1000 / opened.opsPerSec } });

await rm(readLocation, { recursive: true, force: true });
await rm(scratch, { recursive: true, force: true });
report('storage-level', rows);
