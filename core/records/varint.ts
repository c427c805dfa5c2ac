/**
 * Variable-length integers as Kafka writes them (protobuf style, least significant
 * group of seven bits first): unsigned varints, zigzag varints (int32) and zigzag
 * varlongs (int64 held in a JS number, exact up to 2^53).
 *
 * Writers are plain functions over `(buf, pos, value)` returning the new position, so
 * that encoders can size a buffer once and fill it without allocating. Readers live in
 * byte-reader.ts, where every bound is checked.
 */
import { TributaryError } from '../errors.ts';

const TWO_31 = 2147483648;

/** Longest unsigned varint / zigzag varint for a 32-bit value, in bytes. */
export const MAX_VARINT_BYTES = 5;
/** Longest zigzag varlong for a 64-bit value, in bytes. */
export const MAX_VARLONG_BYTES = 10;

// Sizes and writers work on int32 bit patterns with masks rather than on `>>> 0`
// values: a uint32 above 2^31 is not a small integer to V8, and mixing the two made
// these helpers an order of magnitude slower when measured.

/** Bytes a varint of the 32-bit pattern `bits` takes. */
function sizeOfBits(bits: number): number {
  if ((bits & ~0x7f) === 0) return 1;
  if ((bits & ~0x3fff) === 0) return 2;
  if ((bits & ~0x1fffff) === 0) return 3;
  if ((bits & ~0xfffffff) === 0) return 4;
  return 5;
}

/** Bytes an unsigned varint of `value` (0 ≤ value < 2^32) takes. */
export function sizeOfUnsignedVarint(value: number): number {
  return sizeOfBits(value | 0);
}

/** Zigzag form of a 32-bit signed integer, as an unsigned 32-bit value. */
export function zigzag32(value: number): number {
  return ((value << 1) ^ (value >> 31)) >>> 0;
}

/** Bytes a zigzag varint of the int32 `value` takes. */
export function sizeOfVarint(value: number): number {
  return sizeOfBits((value << 1) ^ (value >> 31));
}

// The zigzag form of a 64-bit value split in two unsigned words. Module-level so that
// the slow path of the varlong writers allocates nothing; both writers use it at once.
let zzHi = 0;
let zzLo = 0;

function zigzag64Parts(value: number): void {
  if (!Number.isSafeInteger(value)) {
    throw new TributaryError('ERR_INVALID_ARGUMENT', `A varlong needs a safe integer, got ${value}`, { details: { value } });
  }
  // zigzag(v) = 2v for v ≥ 0, 2(-v - 1) + 1 for v < 0; computed per word to stay exact.
  const m = value >= 0 ? value : -value - 1;
  const hi = Math.floor(m / TWO_31);
  zzHi = hi;
  zzLo = (((m - hi * TWO_31) * 2) | (value >= 0 ? 0 : 1)) >>> 0;
}

/** Bytes a zigzag varlong of `value` (a safe integer) takes. */
export function sizeOfVarlong(value: number): number {
  if ((value | 0) === value) return sizeOfBits((value << 1) ^ (value >> 31));
  zigzag64Parts(value);
  let hi = zzHi;
  let lo = zzLo;
  let n = 1;
  while (hi !== 0 || lo >= 0x80) {
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
    n++;
  }
  return n;
}

/** Writes the 32-bit pattern `bits` as a varint at `pos`; returns the position after it. */
function writeBits(buf: Uint8Array, pos: number, bits: number): number {
  // Most varints in a batch (deltas, small lengths) fit one byte.
  while ((bits & ~0x7f) !== 0) {
    buf[pos++] = (bits & 0x7f) | 0x80;
    bits >>>= 7;
  }
  buf[pos] = bits;
  return pos + 1;
}

/** Writes an unsigned varint (0 ≤ value < 2^32) at `pos`; returns the position after it. */
export function writeUnsignedVarint(buf: Uint8Array, pos: number, value: number): number {
  return writeBits(buf, pos, value | 0);
}

/** Writes the int32 `value` as a zigzag varint at `pos`; returns the position after it. */
export function writeVarint(buf: Uint8Array, pos: number, value: number): number {
  return writeBits(buf, pos, (value << 1) ^ (value >> 31));
}

/**
 * Writes the safe integer `value` as a zigzag varlong at `pos`; returns the position
 * after it. Throws `ERR_INVALID_ARGUMENT` for a value that is not a safe integer.
 */
export function writeVarlong(buf: Uint8Array, pos: number, value: number): number {
  if ((value | 0) === value) return writeBits(buf, pos, (value << 1) ^ (value >> 31));
  zigzag64Parts(value);
  let hi = zzHi;
  let lo = zzLo;
  while (hi !== 0 || lo >= 0x80) {
    buf[pos++] = (lo & 0x7f) | 0x80;
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
  }
  buf[pos++] = lo;
  return pos;
}

/** Writes a big-endian int16 at `pos`; returns the position after it. */
export function writeInt16BE(buf: Uint8Array, pos: number, value: number): number {
  buf[pos] = value >>> 8;
  buf[pos + 1] = value;
  return pos + 2;
}

/** Writes a big-endian int32 (or uint32) at `pos`; returns the position after it. */
export function writeInt32BE(buf: Uint8Array, pos: number, value: number): number {
  buf[pos] = value >>> 24;
  buf[pos + 1] = value >>> 16;
  buf[pos + 2] = value >>> 8;
  buf[pos + 3] = value;
  return pos + 4;
}

/**
 * Writes the safe integer `value` as a big-endian int64 at `pos`; returns the position
 * after it. Negative values are written in two's complement, as Java does.
 */
export function writeInt64BE(buf: Uint8Array, pos: number, value: number): number {
  const hi = Math.floor(value / 4294967296);
  writeInt32BE(buf, pos, hi | 0);
  return writeInt32BE(buf, pos + 4, value >>> 0);
}

/** Reads a big-endian int64 at `pos` as a number (exact up to 2^53). No bound check. */
export function readInt64BE(buf: Uint8Array, pos: number): number {
  const hi = (buf[pos]! << 24) | (buf[pos + 1]! << 16) | (buf[pos + 2]! << 8) | buf[pos + 3]!;
  const lo = ((buf[pos + 4]! << 24) | (buf[pos + 5]! << 16) | (buf[pos + 6]! << 8) | buf[pos + 7]!) >>> 0;
  return hi * 4294967296 + lo;
}
