/**
 * A bounds-checked reader over one frame. Every read checks the bytes left first, so a
 * malformed or hostile frame ends in a coded {@link TributaryError}, never in a
 * RangeError, an out-of-bounds read, or an allocation sized by an attacker.
 */
import { TributaryError, type ErrorCode } from '../errors.ts';

const utf8 = new TextDecoder('utf-8');
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const TWO_32 = 4294967296;

/** Reads Kafka primitives from a Uint8Array, advancing `offset`. */
export class Reader {
  /** The bytes being read (a view; never copied). */
  readonly bytes: Uint8Array;
  /** Position of the next read, relative to `bytes`. */
  offset: number;
  /** Where reading must stop (exclusive). */
  readonly end: number;
  /** The error code thrown when the input is malformed. */
  readonly errorCode: ErrorCode;
  // Created on first use: most messages need no 64-bit or float reads, and the small
  // integers are read byte by byte, which is faster than DataView calls here.
  private dataView: DataView | null = null;

  constructor(bytes: Uint8Array, offset = 0, end = bytes.byteLength, errorCode: ErrorCode = 'ERR_MALFORMED_REQUEST') {
    this.bytes = bytes;
    this.offset = offset;
    this.end = end;
    this.errorCode = errorCode;
  }

  private get view(): DataView {
    return (this.dataView ??= new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength));
  }

  /** Bytes left before `end`. */
  get remaining(): number {
    return this.end - this.offset;
  }

  /** Throws the reader's coded error with a reason and the current position. */
  fail(reason: string): never {
    // Kafka's INVALID_REQUEST (42) is what a broker answers for a body it cannot parse.
    throw new TributaryError(this.errorCode, `malformed frame: ${reason} at byte ${this.offset}`, {
      kafkaCode: 42,
      details: { offset: this.offset, end: this.end },
    });
  }

  private need(n: number): number {
    const at = this.offset;
    if (n > this.end - at) this.fail(`needs ${n} bytes, ${this.end - at} left`);
    this.offset = at + n;
    return at;
  }

  /** Reads an int8. */
  int8(): number { return (this.bytes[this.need(1)]! << 24) >> 24; }
  /** Reads a big-endian int16. */
  int16(): number {
    const at = this.need(2);
    return ((this.bytes[at]! << 24) | (this.bytes[at + 1]! << 16)) >> 16;
  }
  /** Reads a big-endian uint16. */
  uint16(): number {
    const at = this.need(2);
    return (this.bytes[at]! << 8) | this.bytes[at + 1]!;
  }
  /** Reads a big-endian int32. */
  int32(): number {
    const at = this.need(4);
    const b = this.bytes;
    return (b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!;
  }
  /** Reads a big-endian uint32. */
  uint32(): number { return this.int32() >>> 0; }
  /** Reads a big-endian float64. */
  float64(): number { return this.view.getFloat64(this.need(8)); }
  /** Reads a boolean (any non-zero byte is true). */
  bool(): boolean { return this.bytes[this.need(1)] !== 0; }

  /** int64 as a JS number: exact for |n| ≤ 2^53, rounded beyond (offsets and times fit). */
  int64(): number {
    const hi = this.int32();
    return hi * TWO_32 + (this.int32() >>> 0);
  }

  /** int64 as a bigint, exact over the whole range. */
  int64Big(): bigint {
    return this.view.getBigInt64(this.need(8));
  }

  /** Unsigned LEB128 varint up to 32 bits. */
  uvarint(): number {
    // One-byte values (counts, lengths, empty tag buffers) are by far the most common.
    if (this.offset < this.end && this.bytes[this.offset]! < 0x80) return this.bytes[this.offset++]!;
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 5; i++, scale *= 128) {
      if (this.offset >= this.end) this.fail('truncated varint');
      const b = this.bytes[this.offset++]!;
      result += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (result > 0xffffffff) this.fail('varint overflows 32 bits');
        return result;
      }
    }
    return this.fail('varint longer than 5 bytes');
  }

  /** Zig-zag signed varint (32 bits). */
  varint(): number {
    const u = this.uvarint();
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }

  /** Zig-zag signed varlong as a number (exact to 2^53). */
  varlong(): number {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.offset >= this.end) this.fail('truncated varlong');
      const b = this.bytes[this.offset++]!;
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) {
        if (result >> 64n) this.fail('varlong overflows 64 bits');
        return Number((result >> 1n) ^ -(result & 1n));
      }
    }
    return this.fail('varlong longer than 10 bytes');
  }

  /** Reads `n` bytes as a view into the frame (no copy). */
  raw(n: number): Uint8Array {
    const at = this.need(n);
    return this.bytes.subarray(at, at + n);
  }

  /** UTF-8 text of `n` bytes; short ASCII strings skip TextDecoder (most names are). */
  text(n: number): string {
    const at = this.need(n);
    const b = this.bytes;
    if (n <= 64) {
      let s = '';
      let i = at;
      const stop = at + n;
      for (; i < stop; i++) {
        const c = b[i]!;
        if (c >= 0x80) break;
        s += String.fromCharCode(c);
      }
      if (i === stop) return s;
    }
    return utf8.decode(b.subarray(at, at + n));
  }

  /** Length of a classic (int16) string: -1 is null, other negatives are malformed. */
  private stringLength(nullable: boolean): number {
    const n = this.int16();
    if (n < -1 || (n === -1 && !nullable)) this.fail(`invalid string length ${n}`);
    return n;
  }

  /** Length of a compact string/bytes/array (varint N+1; 0 is null). */
  private compactLength(nullable: boolean): number {
    const n = this.uvarint() - 1;
    if (n === -1 && !nullable) this.fail('null where not nullable');
    return n;
  }

  /** Reads an int16-length string (not nullable). */
  string(): string { return this.text(this.stringLength(false)); }
  /** Reads an int16-length string; -1 is null. */
  nullableString(): string | null {
    const n = this.stringLength(true);
    return n < 0 ? null : this.text(n);
  }
  /** Reads a compact string (not nullable). */
  compactString(): string { return this.text(this.compactLength(false)); }
  /** Reads a compact string; 0 is null. */
  compactNullableString(): string | null {
    const n = this.compactLength(true);
    return n < 0 ? null : this.text(n);
  }

  /** int32-length bytes (nullable when allowed); a view into the frame. */
  bytesField(nullable: boolean): Uint8Array | null {
    const n = this.int32();
    if (n < -1 || (n === -1 && !nullable)) this.fail(`invalid bytes length ${n}`);
    return n < 0 ? null : this.raw(n);
  }

  /** Compact bytes (varint N+1); a view into the frame. */
  compactBytes(nullable: boolean): Uint8Array | null {
    const n = this.compactLength(nullable);
    return n < 0 ? null : this.raw(n);
  }

  /**
   * An array count, checked against the bytes left (each element takes at least
   * `minElementSize` bytes) so a forged count cannot make us allocate gigabytes.
   * Returns -1 for a null array.
   */
  arrayLength(compact: boolean, nullable: boolean, minElementSize = 1): number {
    let n: number;
    if (compact) n = this.compactLength(nullable);
    else {
      n = this.int32();
      if (n < -1 || (n === -1 && !nullable)) this.fail(`invalid array length ${n}`);
    }
    if (n > 0 && n * minElementSize > this.end - this.offset) this.fail(`array of ${n} elements exceeds the frame`);
    return n;
  }

  /** A 16-byte uuid in canonical lowercase 8-4-4-4-12 form. */
  uuid(): string {
    const at = this.need(16);
    const b = this.bytes;
    let s = '';
    for (let i = 0; i < 16; i++) {
      if (i === 4 || i === 6 || i === 8 || i === 10) s += '-';
      s += HEX[b[at + i]!];
    }
    return s;
  }

  /** Skips a whole tagged-field section (used by headers and unknown structs). */
  skipTaggedFields(): void {
    const count = this.uvarint();
    for (let i = 0; i < count; i++) {
      this.uvarint();
      this.need(this.uvarint());
    }
  }
}
