/**
 * Names of the files of one segment: the base offset zero-padded to 20 digits (as
 * Kafka names them, so that `ls` sorts them by offset) with `.log`, `.index` and
 * `.timeindex` suffixes.
 */
import { join } from 'node:path';

/** Suffix of segment data files. */
export const LOG_SUFFIX = '.log';
/** Suffix of sparse offset index files. */
export const INDEX_SUFFIX = '.index';
/** Suffix of time index files. */
export const TIME_INDEX_SUFFIX = '.timeindex';

/** `00000000000000000042` for 42. */
export function segmentName(baseOffset: number): string {
  return String(baseOffset).padStart(20, '0');
}

/** The base offset a file name encodes, or undefined when it is not a segment file. */
export function parseSegmentName(fileName: string): { baseOffset: number; suffix: string } | undefined {
  const m = /^(\d{20})(\.log|\.index|\.timeindex)$/.exec(fileName);
  if (!m) return undefined;
  const baseOffset = Number(m[1]);
  return Number.isSafeInteger(baseOffset) ? { baseOffset, suffix: m[2]! } : undefined;
}

/** Paths of the three files of the segment at `baseOffset` in `dir`. */
export function segmentPaths(dir: string, baseOffset: number): { log: string; index: string; timeIndex: string } {
  const name = segmentName(baseOffset);
  return { log: join(dir, name + LOG_SUFFIX), index: join(dir, name + INDEX_SUFFIX), timeIndex: join(dir, name + TIME_INDEX_SUFFIX) };
}
