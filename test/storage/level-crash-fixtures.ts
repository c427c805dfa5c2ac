/**
 * Shared by the LevelDB crash test and its child process: the batches the child appends
 * are a pure function of (partition, base offset, count, value size), so the parent can
 * rebuild the exact bytes of every acknowledged append from the child's one-line report.
 */
import type { BatchInfo } from '../../core/contracts/storage.ts';
import { encodeBatchSync } from '../../core/records/index.ts';

/** The topic the crash test writes. */
export const CRASH_TOPIC = 'crash';
/** Partitions written concurrently by the child. */
export const CRASH_PARTITIONS = 2;

/** What the child reports for each acknowledged append. */
export interface CrashAppend {
  partition: number;
  baseOffset: number;
  count: number;
  valueSize: number;
}

/** The batch bytes and info for one append (deterministic). */
export function crashBatch(spec: CrashAppend): { bytes: Uint8Array; info: BatchInfo } {
  const records = [];
  const t0 = 1_700_000_000_000 + spec.baseOffset * 10;
  for (let i = 0; i < spec.count; i++) {
    const value = new Uint8Array(spec.valueSize);
    const seed = (spec.partition * 7919 + (spec.baseOffset + i) * 31) >>> 0;
    for (let j = 0; j < value.length; j++) value[j] = (seed + j * 13) & 0xff;
    records.push({ key: null, value, timestamp: t0 + i });
  }
  const bytes = encodeBatchSync({ records, baseOffset: spec.baseOffset });
  return {
    bytes,
    info: { baseOffset: spec.baseOffset, lastOffset: spec.baseOffset + spec.count - 1, maxTimestamp: t0 + spec.count - 1, recordCount: spec.count },
  };
}

/** The line the child prints once an append is acknowledged. */
export function ackLine(a: CrashAppend): string {
  return `A ${a.partition} ${a.baseOffset} ${a.count} ${a.valueSize}\n`;
}

/** Parses an ack line, or returns undefined for anything else. */
export function parseAck(line: string): CrashAppend | undefined {
  const m = /^A (\d+) (\d+) (\d+) (\d+)$/.exec(line);
  if (!m) return undefined;
  return { partition: Number(m[1]), baseOffset: Number(m[2]), count: Number(m[3]), valueSize: Number(m[4]) };
}
