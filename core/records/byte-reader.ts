/**
 * A cursor over a byte range that checks every bound. Whatever the input — truncated,
 * mutated, hostile — a read either returns a value inside `[pos, end)` or throws
 * `CORRUPT_MESSAGE` (Kafka error 2); it never reads past `end` and never lets a
 * RangeError escape.
 */
import { KafkaCode, kafkaError, type TributaryError } from '../errors.ts';
import { readUtf8 } from './utf8.ts';

function truncated(what: string, pos: number, need: number, end: number): TributaryError {
  return kafkaError(KafkaCode.CORRUPT_MESSAGE, `Truncated ${what} at byte ${pos}: needs ${need} byte(s), ${Math.max(0, end - pos)} remain`, {
    details: { pos, need, end },
  });
}

/** A bounds-checked reader of big-endian integers, varints and byte ranges. */
export class ByteReader {
  /** The underlying bytes (shared, never copied). */
  readonly buf: Uint8Array;
  /** Position of the next byte to read. */
  pos: number;
  /** One past the last readable byte. */
  end: number;
  // The backing store and offset of `buf`, cached: views built from them with the
  // Uint8Array constructor cost about half of what `subarray` does (measured).
  readonly #store: ArrayBufferLike;
  readonly #base: number;

  /** Reads `buf[pos, end)`. Throws `CORRUPT_MESSAGE` if the range lies outside `buf`. */
  constructor(buf: Uint8Array, pos = 0, end = buf.length) {
    if (!(pos >= 0 && pos <= end && end <= buf.length)) {
      throw kafkaError(KafkaCode.CORRUPT_MESSAGE, `Byte range ${pos}..${end} lies outside a buffer of ${buf.length} bytes`);
    }
    this.buf = buf;
    this.pos = pos;
    this.end = end;
    this.#store = buf.buffer;
    this.#base = buf.byteOffset;
  }

  /** Bytes left before `end`. */
  get remaining(): number {
    return this.end - this.pos;
  }

  /** Throws `CORRUPT_MESSAGE` unless `n` more bytes are readable. */
  need(n: number, what = 'field'): void {
    if (n > this.end - this.pos) throw truncated(what, this.pos, n, this.end);
  }

  /** Moves the cursor `n` bytes forward (bounds-checked). */
  skip(n: number): void {
    this.need(n, 'skip');
    this.pos += n;
  }

  /** Reads a signed byte. */
  readInt8(): number {
    if (this.pos >= this.end) throw truncated('int8', this.pos, 1, this.end);
    return (this.buf[this.pos++]! << 24) >> 24;
  }

  /** Reads a big-endian int16. */
  readInt16(): number {
    const p = this.pos;
    if (p + 2 > this.end) throw truncated('int16', p, 2, this.end);
    this.pos = p + 2;
    return ((this.buf[p]! << 24) | (this.buf[p + 1]! << 16)) >> 16;
  }

  /** Reads a big-endian int32. */
  readInt32(): number {
    const p = this.pos;
    if (p + 4 > this.end) throw truncated('int32', p, 4, this.end);
    const b = this.buf;
    this.pos = p + 4;
    return (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
  }

  /** Reads a big-endian uint32. */
  readUint32(): number {
    return this.readInt32() >>> 0;
  }

  /** Reads a big-endian int64 as a number (exact up to 2^53). */
  readInt64(): number {
    const hi = this.readInt32();
    const lo = this.readInt32() >>> 0;
    return hi * 4294967296 + lo;
  }

  /**
   * Reads an unsigned varint of at most 5 bytes, as Kafka's `readUnsignedVarint`: bits
   * past the 32nd are dropped, a sixth byte is `CORRUPT_MESSAGE`. Returns the raw 32 bits
   * as a signed int; use `>>> 0` for the unsigned value.
   */
  readRawVarint(): number {
    const buf = this.buf;
    const end = this.end;
    let pos = this.pos;
    if (pos >= end) throw truncated('varint', pos, 1, end);
    let b = buf[pos++]!;
    if (b < 0x80) {
      this.pos = pos;
      return b;
    }
    let value = b & 0x7f;
    let shift = 7;
    for (;;) {
      if (pos >= end) throw truncated('varint', pos, 1, end);
      b = buf[pos++]!;
      value |= (b & 0x7f) << shift;
      if (b < 0x80) break;
      shift += 7;
      if (shift > 28) throw kafkaError(KafkaCode.CORRUPT_MESSAGE, `Varint at byte ${this.pos} is longer than 5 bytes`);
    }
    this.pos = pos;
    return value;
  }

  /** Reads an unsigned varint (0 ≤ value < 2^32). */
  readUnsignedVarint(): number {
    return this.readRawVarint() >>> 0;
  }

  /** Reads a zigzag varint (an int32). */
  readVarint(): number {
    const v = this.readRawVarint();
    return (v >>> 1) ^ -(v & 1);
  }

  /**
   * Reads a zigzag varlong (an int64, at most 10 bytes) as a number: exact up to 2^53,
   * the nearest double beyond.
   */
  readVarlong(): number {
    const buf = this.buf;
    const end = this.end;
    let pos = this.pos;
    if (pos >= end) throw truncated('varlong', pos, 1, end);
    let b = buf[pos++]!;
    if (b < 0x80) {
      this.pos = pos;
      return (b >>> 1) ^ -(b & 1);
    }
    let lo = b & 0x7f;
    let hi = 0;
    for (let i = 1; ; i++) {
      if (pos >= end) throw truncated('varlong', pos, 1, end);
      b = buf[pos++]!;
      const bits = b & 0x7f;
      if (i < 4) lo |= bits << (7 * i);
      else if (i === 4) {
        lo |= bits << 28;
        hi = bits >>> 4;
      } else hi |= bits << (7 * i - 32);
      if (b < 0x80) break;
      if (i === 9) throw kafkaError(KafkaCode.CORRUPT_MESSAGE, `Varlong at byte ${this.pos} is longer than 10 bytes`);
    }
    this.pos = pos;
    if (hi === 0) return ((lo >>> 1) ^ -(lo & 1)) | 0;
    const magnitude = (hi >>> 1) * 4294967296 + (((lo >>> 1) | (hi << 31)) >>> 0);
    return lo & 1 ? -magnitude - 1 : magnitude;
  }

  /** Returns a view (no copy) of the next `n` bytes. */
  readBytes(n: number): Uint8Array {
    const p = this.pos;
    if (n < 0 || n > this.end - p) throw truncated('bytes', p, n, this.end);
    this.pos = p + n;
    return new Uint8Array(this.#store, this.#base + p, n);
  }

  /** Decodes the next `n` bytes as UTF-8. */
  readUtf8(n: number): string {
    const p = this.pos;
    if (n < 0 || n > this.end - p) throw truncated('string', p, n, this.end);
    this.pos = p + n;
    return readUtf8(this.buf, p, p + n);
  }

  /**
   * Reads a zigzag-varint length then that many bytes, as a view; length -1 is null,
   * any other negative length is `CORRUPT_MESSAGE`.
   */
  readVarintBytes(): Uint8Array | null {
    const n = this.readVarint();
    if (n < 0) {
      if (n === -1) return null;
      throw kafkaError(KafkaCode.CORRUPT_MESSAGE, `Negative length ${n} at byte ${this.pos}`);
    }
    return this.readBytes(n);
  }
}
