/**
 * LZ4 block format: sequences of [token][literal length…][literals][offset][match
 * length…]. Written from the format description. The encoder is the plain greedy
 * single-probe hash search (what `lz4 -1` does); the decoder checks every bound.
 */
import { decompressionError } from './codec-errors.ts';

const MIN_MATCH = 4;
// The format requires the last 5 bytes to be literals and the last match to start at
// least 12 bytes before the end of the block.
const LAST_LITERALS = 5;
const MF_LIMIT = 12;
const MAX_OFFSET = 65535;
const HASH_BITS = 14;

/** The most bytes {@link lz4CompressBlock} can write for `n` input bytes. */
export function lz4BlockBound(n: number): number {
  return n + Math.floor(n / 255) + 16;
}

function load32(a: Uint8Array, i: number): number {
  return a[i]! | (a[i + 1]! << 8) | (a[i + 2]! << 16) | (a[i + 3]! << 24);
}

function writeLength(out: Uint8Array, op: number, n: number): number {
  while (n >= 255) {
    out[op++] = 255;
    n -= 255;
  }
  out[op++] = n;
  return op;
}

function writeLiterals(src: Uint8Array, from: number, to: number, out: Uint8Array, op: number): number {
  if (to - from > 16) {
    out.set(src.subarray(from, to), op);
    return op + (to - from);
  }
  for (let i = from; i < to; i++) out[op++] = src[i]!;
  return op;
}

/**
 * Compresses `src[start, end)` as one independent block into `out` at `op` (room for
 * {@link lz4BlockBound} needed); returns the position after it. `table` is scratch.
 */
export function lz4CompressBlock(src: Uint8Array, start: number, end: number, out: Uint8Array, op: number, table: Int32Array): number {
  let anchor = start;
  const matchLimit = end - MF_LIMIT;
  const extendLimit = end - LAST_LITERALS;
  if (end - start > MF_LIMIT) {
    table.fill(-1);
    let ip = start;
    let searches = 1 << 6;
    while (ip < matchLimit) {
      const v = load32(src, ip);
      const h = Math.imul(v, 2654435761) >>> (32 - HASH_BITS);
      let ref = table[h]!;
      table[h] = ip;
      if (ref < 0 || ip - ref > MAX_OFFSET || load32(src, ref) !== v) {
        // Skip ahead faster through data that does not compress.
        ip += searches++ >> 6;
        continue;
      }
      searches = 1 << 6;
      // Grow the match backwards over literals that also match.
      while (ip > anchor && ref > start && src[ip - 1] === src[ref - 1]) {
        ip--;
        ref--;
      }
      let len = MIN_MATCH;
      while (ip + len < extendLimit && src[ref + len] === src[ip + len]) len++;
      const literals = ip - anchor;
      const ml = len - MIN_MATCH;
      const tokenAt = op++;
      out[tokenAt] = ((literals < 15 ? literals : 15) << 4) | (ml < 15 ? ml : 15);
      if (literals >= 15) op = writeLength(out, op, literals - 15);
      op = writeLiterals(src, anchor, ip, out, op);
      const offset = ip - ref;
      out[op++] = offset & 0xff;
      out[op++] = offset >>> 8;
      if (ml >= 15) op = writeLength(out, op, ml - 15);
      ip += len;
      anchor = ip;
      if (ip - 2 < matchLimit) table[Math.imul(load32(src, ip - 2), 2654435761) >>> (32 - HASH_BITS)] = ip - 2;
    }
  }
  const literals = end - anchor;
  out[op++] = (literals < 15 ? literals : 15) << 4;
  if (literals >= 15) op = writeLength(out, op, literals - 15);
  return writeLiterals(src, anchor, end, out, op);
}

/** A new scratch hash table for {@link lz4CompressBlock}. */
export function lz4HashTable(): Int32Array {
  return new Int32Array(1 << HASH_BITS);
}

/**
 * Decompresses the block `src[ip, end)` into `out` starting at `op`, never writing at or
 * past `outEnd`. Matches may reach back to `windowStart` (the block's own start for
 * independent blocks, earlier output for linked ones). Returns the new output position.
 */
export function lz4DecompressBlock(src: Uint8Array, ip: number, end: number, out: Uint8Array, op: number, outEnd: number, windowStart: number): number {
  if (ip >= end) throw decompressionError('lz4', 'empty compressed block');
  for (;;) {
    const token = src[ip++]!;
    let literals = token >>> 4;
    if (literals === 15) {
      let b: number;
      do {
        if (ip >= end) throw decompressionError('lz4', 'truncated literal length');
        b = src[ip++]!;
        literals += b;
      } while (b === 255);
    }
    if (literals > end - ip) throw decompressionError('lz4', 'literals run past the end of the block');
    if (literals > outEnd - op) throw decompressionError('lz4', 'output exceeds the declared or allowed size');
    if (literals > 16) {
      out.set(src.subarray(ip, ip + literals), op);
      op += literals;
      ip += literals;
    } else {
      for (let i = 0; i < literals; i++) out[op++] = src[ip++]!;
    }
    if (ip === end) return op;
    if (end - ip < 2) throw decompressionError('lz4', 'truncated match offset');
    const offset = src[ip]! | (src[ip + 1]! << 8);
    ip += 2;
    if (offset === 0 || offset > op - windowStart) throw decompressionError('lz4', 'match offset out of range');
    let len = token & 15;
    if (len === 15) {
      let b: number;
      do {
        if (ip >= end) throw decompressionError('lz4', 'truncated match length');
        b = src[ip++]!;
        len += b;
      } while (b === 255);
    }
    len += MIN_MATCH;
    if (len > outEnd - op) throw decompressionError('lz4', 'output exceeds the declared or allowed size');
    let from = op - offset;
    if (offset >= len && len > 32) {
      out.copyWithin(op, from, from + len);
      op += len;
    } else {
      // Overlapping matches repeat a pattern and must be copied byte by byte.
      for (const stop = op + len; op < stop; ) out[op++] = out[from++]!;
    }
  }
}
