/** Looking up metadata batches by offset (the in-memory quorums keep them in offset order). */
import type { MetadataBatch } from './metadata-quorum.ts';

/** Index of the first batch whose base offset is at or after `offset` (binary search). */
export function firstAtOrAfter(batches: readonly MetadataBatch[], offset: number): number {
  let lo = 0;
  let hi = batches.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (batches[mid]!.baseOffset < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

