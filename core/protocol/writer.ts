/**
 * A growable writer that produces a list of chunks. Small fields go into one buffer;
 * large byte payloads (record batches) are appended by reference as their own chunks,
 * so a Fetch response carrying stored batches never copies them.
 */
import { TributaryError } from '../errors.ts';

const encoder = new TextEncoder();
const TWO_32 = 4294967296;
const UUID_RE = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;

/** Number of UTF-8 bytes `s` encodes to. */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      // A valid surrogate pair is 4 bytes for 2 UTF-16 units; a lone surrogate becomes U+FFFD (3).
      if (d >= 0xdc00 && d < 0xe000) { n += 2; i++; } else n += 2;
    } else n += 2;
  }
  return n;
}

/** Bytes a value takes as an unsigned varint. */
export function uvarintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) { n = Math.floor(n / 128); size++; }
  return size;
}

/** Writes Kafka primitives; {@link finish} returns the chunks. */
export class Writer {
  private buf: Uint8Array;
  private view: DataView;
  /** Write position in `buf`. */
  private pos = 0;
  /** Start of the bytes in `buf` not yet emitted as a chunk. */
  private start = 0;
  private readonly chunks: Uint8Array[] = [];
  /** Bytes emitted as chunks so far (for {@link length}). */
  private emitted = 0;

  constructor(initialSize = 512) {
    this.buf = new Uint8Array(initialSize);
    this.view = new DataView(this.buf.buffer);
  }

  /** Total bytes written so far, external chunks included. */
  get length(): number {
    return this.emitted + this.pos - this.start;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    // Only the pending part moves; emitted chunks keep pointing into the old buffer.
    const pending = this.pos - this.start;
    const next = new Uint8Array(Math.max(this.buf.length * 2, pending + n + 256));
    next.set(this.buf.subarray(this.start, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
    this.start = 0;
    this.pos = pending;
  }

  /** Writes an int8. */
  int8(v: number): void { this.ensure(1); this.view.setInt8(this.pos, v); this.pos += 1; }
  /** Writes a big-endian int16. */
  int16(v: number): void { this.ensure(2); this.view.setInt16(this.pos, v); this.pos += 2; }
  /** Writes a big-endian uint16. */
  uint16(v: number): void { this.ensure(2); this.view.setUint16(this.pos, v); this.pos += 2; }
  /** Writes a big-endian int32. */
  int32(v: number): void { this.ensure(4); this.view.setInt32(this.pos, v); this.pos += 4; }
  /** Writes a big-endian uint32. */
  uint32(v: number): void { this.ensure(4); this.view.setUint32(this.pos, v); this.pos += 4; }
  /** Writes a big-endian float64. */
  float64(v: number): void { this.ensure(8); this.view.setFloat64(this.pos, v); this.pos += 8; }
  /** Writes a boolean as 0 or 1. */
  bool(v: boolean): void { this.ensure(1); this.buf[this.pos++] = v ? 1 : 0; }

  /** int64 from a number (integral, |n| ≤ 2^63) or a bigint. */
  int64(v: number | bigint): void {
    this.ensure(8);
    if (typeof v === 'bigint') this.view.setBigInt64(this.pos, BigInt.asIntN(64, v));
    else {
      const hi = Math.floor(v / TWO_32);
      this.view.setInt32(this.pos, hi);
      this.view.setUint32(this.pos + 4, v - hi * TWO_32);
    }
    this.pos += 8;
  }

  /** Unsigned varint (up to 2^53). */
  uvarint(v: number): void {
    this.ensure(10);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }

  /** Zig-zag signed 32-bit varint. */
  varint(v: number): void {
    this.uvarint(((v << 1) ^ (v >> 31)) >>> 0);
  }

  /** Zig-zag signed 64-bit varlong. */
  varlong(v: number | bigint): void {
    let u = BigInt.asUintN(64, (BigInt(v) << 1n) ^ (BigInt(v) >> 63n));
    this.ensure(10);
    while (u >= 0x80n) {
      this.buf[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.pos++] = Number(u);
  }

  /** Copies bytes into the buffer (small payloads). */
  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** Appends a chunk by reference (no copy); small chunks are copied instead. */
  chunk(bytes: Uint8Array): void {
    if (bytes.length < 256) { this.raw(bytes); return; }
    if (this.pos > this.start) {
      this.chunks.push(this.buf.subarray(this.start, this.pos));
      this.emitted += this.pos - this.start;
      this.start = this.pos;
    }
    this.chunks.push(bytes);
    this.emitted += bytes.length;
  }

  /** UTF-8 text of a known byte length (from {@link utf8Length}). */
  text(s: string, byteLength: number): void {
    this.ensure(byteLength);
    if (byteLength === s.length) {
      // All ASCII: a plain loop beats TextEncoder for the short names protocols carry.
      const b = this.buf;
      let p = this.pos;
      for (let i = 0; i < s.length; i++) b[p++] = s.charCodeAt(i);
      this.pos = p;
    } else {
      this.pos += encoder.encodeInto(s, this.buf.subarray(this.pos, this.pos + byteLength)).written!;
    }
  }

  /** int16-length string; null writes -1. */
  string(s: string | null): void {
    if (s === null) { this.int16(-1); return; }
    const n = utf8Length(s);
    if (n > 0x7fff) throw new TributaryError('ERR_INVALID_FIELD', `string of ${n} bytes exceeds 32767`);
    this.int16(n);
    this.text(s, n);
  }

  /** Compact string (varint N+1); null writes 0. */
  compactString(s: string | null): void {
    if (s === null) { this.uvarint(0); return; }
    const n = utf8Length(s);
    this.uvarint(n + 1);
    this.text(s, n);
  }

  /** A 16-byte uuid from its hex form (dashes optional). */
  uuid(s: string): void {
    if (!UUID_RE.test(s)) throw new TributaryError('ERR_INVALID_FIELD', `not a uuid: ${s}`);
    const hex = s.replace(/-/g, '');
    this.ensure(16);
    for (let i = 0; i < 16; i++) this.buf[this.pos++] = parseInt(hex.substr(i * 2, 2), 16);
  }

  /** The written bytes as chunks (external chunks in place, never copied). */
  finish(): Uint8Array[] {
    if (this.pos > this.start || this.chunks.length === 0) this.chunks.push(this.buf.subarray(this.start, this.pos));
    this.emitted += this.pos - this.start;
    this.start = this.pos;
    return this.chunks;
  }

  /** The written bytes as one array (copies when there is more than one chunk). */
  finishOne(): Uint8Array {
    const chunks = this.finish();
    if (chunks.length === 1) return chunks[0]!;
    return concat(chunks);
  }
}

/** Concatenates chunks into one array. */
export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.length; }
  return out;
}
