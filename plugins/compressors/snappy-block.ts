/**
 * Snappy raw block format (the "block" format of the Snappy spec): a varint with the
 * uncompressed length, then literal and copy elements. Written from the format
 * description; the encoder works on 64 KiB fragments, as the reference encoder does,
 * so every copy offset fits in two bytes.
 */
import { decompressionError } from './codec-errors.ts';

const FRAGMENT = 1 << 16;
const HASH_BITS = 14;
const HASH_SHIFT = 32 - HASH_BITS;
// A copy element of 3 bytes (tag + 2-byte offset) yields at most 64 bytes, so no valid
// block expands by more than 64/3 per input byte; anything claiming more is corrupt.
const MAX_EXPANSION = 22;

/** The most bytes {@link snappyCompressBlock} can write for `n` input bytes. */
export function snappyMaxCompressedLength(n: number): number {
  return 32 + n + Math.floor(n / 6);
}

function load32(a: Uint8Array, i: number): number {
  return a[i]! | (a[i + 1]! << 8) | (a[i + 2]! << 16) | (a[i + 3]! << 24);
}

function writeLiteral(src: Uint8Array, from: number, to: number, out: Uint8Array, op: number): number {
  const n = to - from - 1;
  if (n < 60) {
    out[op++] = n << 2;
  } else if (n < 0x100) {
    out[op++] = 60 << 2;
    out[op++] = n;
  } else if (n < 0x10000) {
    out[op++] = 61 << 2;
    out[op++] = n & 0xff;
    out[op++] = n >>> 8;
  } else if (n < 0x1000000) {
    out[op++] = 62 << 2;
    out[op++] = n & 0xff;
    out[op++] = (n >>> 8) & 0xff;
    out[op++] = n >>> 16;
  } else {
    out[op++] = 63 << 2;
    out[op++] = n & 0xff;
    out[op++] = (n >>> 8) & 0xff;
    out[op++] = (n >>> 16) & 0xff;
    out[op++] = n >>> 24;
  }
  if (to - from > 16) {
    out.set(src.subarray(from, to), op);
    return op + (to - from);
  }
  for (let i = from; i < to; i++) out[op++] = src[i]!;
  return op;
}

function writeCopy(offset: number, len: number, out: Uint8Array, op: number): number {
  // Copies hold at most 64 bytes; keep the remainder ≥ 4 so it can use the short form.
  while (len >= 68) {
    out[op++] = 2 | (63 << 2);
    out[op++] = offset & 0xff;
    out[op++] = offset >>> 8;
    len -= 64;
  }
  if (len > 64) {
    out[op++] = 2 | (59 << 2);
    out[op++] = offset & 0xff;
    out[op++] = offset >>> 8;
    len -= 60;
  }
  if (len < 12 && offset < 2048) {
    out[op++] = 1 | ((len - 4) << 2) | ((offset >>> 8) << 5);
    out[op++] = offset & 0xff;
  } else {
    out[op++] = 2 | ((len - 1) << 2);
    out[op++] = offset & 0xff;
    out[op++] = offset >>> 8;
  }
  return op;
}

function compressFragment(src: Uint8Array, start: number, end: number, out: Uint8Array, op: number, table: Uint16Array): number {
  let anchor = start;
  // Leave a tail of plain literals so the 4-byte loads never read past the fragment.
  const limit = end - 15;
  if (start < limit) {
    table.fill(0);
    let ip = start + 1;
    let skip = 32;
    while (ip < limit) {
      const v = load32(src, ip);
      const h = Math.imul(v, 0x1e35a7bd) >>> HASH_SHIFT;
      const candidate = start + table[h]!;
      table[h] = ip - start;
      if (candidate < ip && load32(src, candidate) === v) {
        if (anchor < ip) op = writeLiteral(src, anchor, ip, out, op);
        let len = 4;
        while (ip + len < end && src[candidate + len] === src[ip + len]) len++;
        op = writeCopy(ip - candidate, len, out, op);
        ip += len;
        anchor = ip;
        skip = 32;
        // Index the position just before the next search so runs chain together.
        if (ip - 1 < limit) table[Math.imul(load32(src, ip - 1), 0x1e35a7bd) >>> HASH_SHIFT] = ip - 1 - start;
      } else {
        // Incompressible data is skipped faster the longer no match turns up.
        ip += skip++ >> 5;
      }
    }
  }
  if (anchor < end) op = writeLiteral(src, anchor, end, out, op);
  return op;
}

/**
 * Compresses `src` into one raw Snappy block into `out` at `op` (which must have room
 * for {@link snappyMaxCompressedLength}); returns the position after the block.
 */
export function snappyCompressInto(src: Uint8Array, out: Uint8Array, op: number, table: Uint16Array = new Uint16Array(1 << HASH_BITS)): number {
  let n = src.length;
  while (n >= 0x80) {
    out[op++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  out[op++] = n;
  for (let start = 0; start < src.length; start += FRAGMENT) {
    op = compressFragment(src, start, Math.min(start + FRAGMENT, src.length), out, op, table);
  }
  return op;
}

/** Compresses `src` into one raw Snappy block. */
export function snappyCompressBlock(src: Uint8Array): Uint8Array {
  const out = new Uint8Array(snappyMaxCompressedLength(src.length));
  return out.slice(0, snappyCompressInto(src, out, 0));
}

/**
 * Reads the uncompressed length at the start of the raw block `src[start, end)`,
 * checking it against `max` and against what the block could possibly expand to.
 */
export function snappyUncompressedLength(src: Uint8Array, start: number, end: number, max: number): { length: number; dataStart: number } {
  let length = 0;
  let ip = start;
  for (let shift = 0; ; shift += 7) {
    if (ip >= end || shift > 28) throw decompressionError('snappy', 'bad uncompressed-length varint');
    const b = src[ip++]!;
    length += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) break;
  }
  if (length > 0xffffffff) throw decompressionError('snappy', 'uncompressed length exceeds 32 bits');
  if (length > max) throw decompressionError('snappy', `uncompressed length ${length} exceeds the limit of ${max} bytes`);
  if (length > (end - ip) * MAX_EXPANSION) throw decompressionError('snappy', `uncompressed length ${length} impossible for ${end - ip} bytes of input`);
  return { length, dataStart: ip };
}

/**
 * Decompresses the raw Snappy block `src[start, end)` into `out` at `op`, producing
 * exactly `length` bytes (as read by {@link snappyUncompressedLength}). Every element
 * is bound-checked; anything malformed is `ERR_DECOMPRESSION`.
 */
export function snappyDecompressInto(src: Uint8Array, ip: number, end: number, out: Uint8Array, op: number, length: number): void {
  const outStart = op;
  const outEnd = op + length;
  while (ip < end) {
    const tag = src[ip++]!;
    const kind = tag & 3;
    if (kind === 0) {
      let n = tag >>> 2;
      if (n >= 60) {
        const bytes = n - 59;
        if (ip + bytes > end) throw decompressionError('snappy', 'truncated literal length');
        n = src[ip]!;
        if (bytes > 1) n |= src[ip + 1]! << 8;
        if (bytes > 2) n |= src[ip + 2]! << 16;
        if (bytes > 3) n = (n | (src[ip + 3]! << 24)) >>> 0;
        ip += bytes;
      }
      n += 1;
      if (ip + n > end) throw decompressionError('snappy', 'literal runs past the end of the input');
      if (op + n > outEnd) throw decompressionError('snappy', 'literal runs past the declared length');
      if (n > 16) {
        out.set(src.subarray(ip, ip + n), op);
        op += n;
        ip += n;
      } else {
        for (let i = 0; i < n; i++) out[op++] = src[ip++]!;
      }
      continue;
    }
    let len: number;
    let offset: number;
    if (kind === 1) {
      if (ip >= end) throw decompressionError('snappy', 'truncated copy');
      len = ((tag >>> 2) & 7) + 4;
      offset = ((tag >>> 5) << 8) | src[ip++]!;
    } else if (kind === 2) {
      if (ip + 2 > end) throw decompressionError('snappy', 'truncated copy');
      len = (tag >>> 2) + 1;
      offset = src[ip]! | (src[ip + 1]! << 8);
      ip += 2;
    } else {
      if (ip + 4 > end) throw decompressionError('snappy', 'truncated copy');
      len = (tag >>> 2) + 1;
      offset = load32(src, ip) >>> 0;
      ip += 4;
    }
    if (offset === 0 || offset > op - outStart) throw decompressionError('snappy', 'copy offset out of range');
    if (op + len > outEnd) throw decompressionError('snappy', 'copy runs past the declared length');
    // Overlapping copies (offset < len) repeat a pattern, so copy byte by byte.
    for (let from = op - offset, stop = op + len; op < stop; ) out[op++] = out[from++]!;
  }
  if (op !== outEnd) throw decompressionError('snappy', `block produced ${op - outStart} bytes, declared ${length}`);
}

/** Decompresses one raw Snappy block, allowing at most `max` output bytes. */
export function snappyDecompressBlock(src: Uint8Array, max: number): Uint8Array {
  const { length, dataStart } = snappyUncompressedLength(src, 0, src.length, max);
  const out = new Uint8Array(length);
  snappyDecompressInto(src, dataStart, src.length, out, 0, length);
  return out;
}
