/**
 * Memory storage: append and read throughput with real RecordBatch v2 bytes (batches of
 * 1,000 records with 100-byte values, made by the record codec), as the broker uses it:
 * `batchInfoOf` on the header, then `append`; fetch-sized reads of 1 MiB.
 *
 * Peers in the same run are the ceilings of what the adapter does: pushing the batch into
 * a plain array (append without copy), `Uint8Array.slice` (append with copy), and walking
 * a plain array of batches up to 1 MiB (read).
 */
import { memoryStorage, type MemoryStorageOptions } from '../adapters/memory/index.ts';
import type { PartitionLog } from '../core/contracts/storage.ts';
import { setBaseOffset } from '../core/records/batch-header.ts';
import { encodeBatchSync, type RecordInput } from '../core/records/index.ts';
import { batchInfoOf } from '../core/storage/batch-info.ts';
import { measure, report, type BenchRow } from './harness.ts';

const RECORDS = 1000;
const FETCH_BYTES = 1024 * 1024;

function makeBatch(baseOffset: number): Uint8Array {
  const records: RecordInput[] = Array.from({ length: RECORDS }, (_, i) => {
    const value = new Uint8Array(100);
    for (let j = 0; j < 100; j++) value[j] = (i * 13 + j) & 0xff;
    return { key: null, value, timestamp: 1_700_000_000_000 + i };
  });
  const bytes = encodeBatchSync({ records });
  setBaseOffset(bytes, baseOffset);
  return bytes;
}

async function openLog(options: MemoryStorageOptions): Promise<PartitionLog> {
  const storage = memoryStorage(options);
  await storage.open();
  return storage.openPartition('bench', 0);
}

const template = makeBatch(0);
const batchBytes = template.length;
const rows: BenchRow[] = [];
const perSec = (ops: number) => ({ recordsPerSec: ops * RECORDS, mbPerSec: (ops * batchBytes) / 1e6 });

// Append: a ring of distinct network-like buffers whose base offset is rewritten in place
// (as the broker assigns offsets); retention empties the log now and then so the heap stays small.
async function appendBench(options: MemoryStorageOptions): Promise<number> {
  const log = await openLog(options);
  const ring = Array.from({ length: 16 }, () => template.slice());
  let n = 0;
  const m = await measure(async () => {
    const batch = ring[n & 15]!;
    setBaseOffset(batch, log.endOffset());
    await log.append(batch, batchInfoOf(batch));
    if ((++n & 255) === 0) await log.trimBefore(log.endOffset());
  });
  return m.opsPerSec;
}

// The peers do the same per-batch work minus the log: async, a ring of buffers, offsets
// rewritten, the store dropped as often as the log is emptied.
async function peerBench(copy: boolean): Promise<number> {
  const ring = Array.from({ length: 16 }, () => template.slice());
  let store: Uint8Array[] = [];
  let n = 0;
  const m = await measure(async () => {
    const batch = ring[n & 15]!;
    setBaseOffset(batch, n * RECORDS);
    store.push(copy ? batch.slice() : batch);
    if ((++n & 255) === 0) store = [];
  });
  return m.opsPerSec;
}

// Read: 400 distinct batches (~44 MB), fetched 1 MiB at a time from the start, wrapping.
const readLog = await openLog({ segmentBytes: 16 * 1024 * 1024 });
const stored: Uint8Array[] = [];
for (let i = 0; i < 400; i++) {
  const b = makeBatch(i * RECORDS);
  stored.push(b);
  await readLog.append(b, batchInfoOf(b));
}
const end = readLog.endOffset();
let position = 0;
let bytesRead = 0;
let fetches = 0;
const seq = await measure(async () => {
  const r = await readLog.read(position, FETCH_BYTES);
  bytesRead += r.bytes;
  fetches++;
  // Every stored batch holds RECORDS offsets; the broker does not parse what it serves.
  position += r.chunks.length * RECORDS;
  if (position >= end) position = 0;
});
const bytesPerFetch = bytesRead / fetches;
const readMbps = (seq.opsPerSec * bytesPerFetch) / 1e6;
const readRecords = (seq.opsPerSec * bytesPerFetch * RECORDS) / batchBytes;

let peerIndex = 0;
const walkPeer = await measure(async () => {
  // The same work without the log: gather whole batches up to 1 MiB from an array.
  const chunks: Uint8Array[] = [];
  let total = 0;
  while (total + stored[peerIndex]!.length <= FETCH_BYTES) {
    chunks.push(stored[peerIndex]!);
    total += stored[peerIndex]!.length;
    peerIndex = (peerIndex + 1) % stored.length;
  }
  return chunks;
});
rows.push({ name: 'read 1 MiB fetches, sequential', recordsPerSec: readRecords, mbPerSec: readMbps, ratio: { peer: 'array walk', value: seq.opsPerSec / walkPeer.opsPerSec }, extra: { fetchesPerSec: seq.opsPerSec, note: 'zero-copy' } });

let seed = 1;
const random = await measure(async () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  const r = await readLog.read(seed % end, FETCH_BYTES);
  bytesRead += r.bytes;
});
rows.push({ name: 'read 1 MiB fetches, random offsets', recordsPerSec: (random.opsPerSec * bytesPerFetch * RECORDS) / batchBytes, mbPerSec: (random.opsPerSec * bytesPerFetch) / 1e6, extra: { fetchesPerSec: random.opsPerSec } });

// Appends last: the copying one leaves garbage that would slow whatever ran after it.
const appendNoCopy = await appendBench({ copyOnAppend: 'auto' });
const arrayPeer = await peerBench(false);
rows.push({ name: `append ${RECORDS} × 100 B (no copy)`, ...perSec(appendNoCopy), ratio: { peer: 'array push', value: appendNoCopy / arrayPeer }, extra: { batchBytes } });
const appendCopy = await appendBench({ copyOnAppend: 'always' });
const slicePeer = await peerBench(true);
rows.push({ name: `append ${RECORDS} × 100 B (copy)`, ...perSec(appendCopy), ratio: { peer: 'slice + push', value: appendCopy / slicePeer } });

report('storage-memory', rows);
