/**
 * The benchmark harness: measure a function, print a table, write JSON.
 *
 * Machines here are noisy, so each result may carry the ratio to a peer measured in the
 * same run (a peer's number taken on another day means nothing).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One row of a benchmark table. */
export interface BenchRow {
  /** What was measured, e.g. `encode batch (1000 × 100 B)`. */
  name: string;
  /** Throughput figures; any subset. */
  recordsPerSec?: number;
  mbPerSec?: number;
  opsPerSec?: number;
  /** Other numbers worth printing (latency, compression ratio, …). */
  extra?: Record<string, number | string>;
  /** Ratio of our throughput to a peer's, measured in the same run. */
  ratio?: { peer: string; value: number };
}

/** Options for {@link measure}. */
export interface MeasureOptions {
  /** How long to run after warm-up, in ms (default 1000, or BENCH_TIME_MS). */
  timeMs?: number;
  /** Warm-up time in ms (default timeMs / 4). */
  warmupMs?: number;
}

/** Result of {@link measure}: how many calls per second `fn` sustained. */
export interface Measurement {
  opsPerSec: number;
  iterations: number;
  elapsedMs: number;
}

function defaultTime(): number {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.BENCH_TIME_MS;
  return env ? Number(env) : 1000;
}

/** Calls `fn` repeatedly (awaiting it when it returns a promise) and reports calls/s. */
export async function measure(fn: () => unknown, options: MeasureOptions = {}): Promise<Measurement> {
  const timeMs = options.timeMs ?? defaultTime();
  const warmupMs = options.warmupMs ?? timeMs / 4;
  const run = async (ms: number) => {
    let iterations = 0;
    const start = performance.now();
    let now = start;
    // Calls run in groups between two clock reads: reading the clock after every call
    // would distort very cheap functions. A group doubles while it takes under 1 ms, so
    // a slow function still stops close to `ms`.
    let group = 1;
    while (now - start < ms) {
      const groupStart = now;
      for (let i = 0; i < group; i++) {
        const r = fn();
        if (r && typeof (r as Promise<unknown>).then === 'function') await r;
      }
      iterations += group;
      now = performance.now();
      if (now - groupStart < 1 && group < 4096) group *= 2;
    }
    return { iterations, elapsedMs: now - start };
  };
  await run(warmupMs);
  const { iterations, elapsedMs } = await run(timeMs);
  return { opsPerSec: (iterations * 1000) / elapsedMs, iterations, elapsedMs };
}

function fmt(n: number | undefined): string {
  if (n === undefined) return '';
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  if (n >= 100) return n.toFixed(0);
  return n.toFixed(2);
}

/** Prints rows as a table under a title and writes them to bench/results/<suite>.json. */
export function report(suite: string, rows: BenchRow[]): void {
  const header = ['benchmark', 'records/s', 'MB/s', 'ops/s', 'ratio', 'notes'];
  const lines = rows.map((r) => [
    r.name,
    fmt(r.recordsPerSec),
    fmt(r.mbPerSec),
    fmt(r.opsPerSec),
    r.ratio ? `${r.ratio.value.toFixed(2)}× ${r.ratio.peer}` : '',
    r.extra ? Object.entries(r.extra).map(([k, v]) => `${k}=${typeof v === 'number' ? fmt(v) : v}`).join(' ') : '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 || i === 5 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  console.log(`\n## ${suite}`);
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const l of lines) console.log(line(l));
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${suite}.json`), JSON.stringify({ suite, date: new Date().toISOString(), rows }, null, 2));
}
