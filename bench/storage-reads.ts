/**
 * The random-read row the storage benchmarks share: 1 MiB fetches at pseudo-random
 * offsets of a log, reported in records/s and MB/s of what the reads really returned.
 */
import type { PartitionLog } from '../core/contracts/storage.ts';
import { measure, type BenchRow } from './harness.ts';

/**
 * Measures `log.read(offset, fetchBytes)` at offsets spread over `[0, end)` (a fixed LCG,
 * so runs compare). Records/s assumes `recordsPerBatch` records per `batchBytes`.
 */
export async function randomReadRow(log: PartitionLog, end: number, fetchBytes: number, recordsPerBatch: number, batchBytes: number): Promise<BenchRow> {
  let seed = 1;
  let bytes = 0;
  let fetches = 0;
  const random = await measure(async () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const r = await log.read(seed % end, fetchBytes);
    bytes += r.bytes;
    fetches++;
  });
  // Bytes and fetches both include the warm-up; `random.iterations` does not.
  const perFetch = bytes / fetches;
  return {
    name: 'read 1 MiB fetches, random offsets',
    recordsPerSec: (random.opsPerSec * perFetch * recordsPerBatch) / batchBytes,
    mbPerSec: (random.opsPerSec * perFetch) / 1e6,
    extra: { fetchesPerSec: random.opsPerSec },
  };
}
