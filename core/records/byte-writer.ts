/**
 * A growable byte buffer for encoders that cannot size their output up front. Keep one
 * writer and `reset()` it between messages: its memory is reused, so steady-state
 * encoding allocates nothing but the bytes handed out by `toBytes()`.
 */
import { TributaryError } from '../errors.ts';
import { utf8Length, writeUtf8 } from './utf8.ts';
import {
  sizeOfVarlong,
  writeInt16BE,
  writeInt32BE,
  writeInt64BE,
  writeUnsignedVarint,
  writeVarint,
  writeVarlong,
} from './varint.ts';

/** Largest buffer a writer grows to (2 GiB - 1), the limit of an int32 size field. */
const MAX_CAPACITY = 0x7fffffff;

/** A reusable, growable big-endian writer of integers, varints, bytes and strings. */
export class ByteWriter {
  #buf: Uint8Array;
  /** Bytes written so far (the next write goes here). */
  pos = 0;

  /** Starts with `initialCapacity` bytes of room; grows by doubling. */
  constructor(initialCapacity = 1024) {
    this.#buf = new Uint8Array(Math.max(16, initialCapacity));
  }

  /** The backing buffer; valid until the next write that grows it. */
  get buffer(): Uint8Array {
    return this.#buf;
  }

  /** Forgets what was written, keeping the memory. */
  reset(): this {
    this.pos = 0;
    return this;
  }

  /** Makes room for `n` more bytes; returns the backing buffer (which may be new). */
  ensure(n: number): Uint8Array {
    const need = this.pos + n;
    if (need <= this.#buf.length) return this.#buf;
    if (need > MAX_CAPACITY) {
      throw new TributaryError('ERR_BUFFER_TOO_LARGE', `A ByteWriter cannot grow past ${MAX_CAPACITY} bytes (asked for ${need})`);
    }
    const next = new Uint8Array(Math.min(MAX_CAPACITY, Math.max(need, this.#buf.length * 2)));
    next.set(this.#buf.subarray(0, this.pos));
    this.#buf = next;
    return next;
  }

  /** Writes one byte. */
  writeInt8(value: number): this {
    this.ensure(1)[this.pos++] = value;
    return this;
  }

  /** Writes a big-endian int16. */
  writeInt16(value: number): this {
    this.pos = writeInt16BE(this.ensure(2), this.pos, value);
    return this;
  }

  /** Writes a big-endian int32 (or uint32). */
  writeInt32(value: number): this {
    this.pos = writeInt32BE(this.ensure(4), this.pos, value);
    return this;
  }

  /** Writes a big-endian int64 from a safe integer. */
  writeInt64(value: number): this {
    this.pos = writeInt64BE(this.ensure(8), this.pos, value);
    return this;
  }

  /** Writes an unsigned varint (0 ≤ value < 2^32). */
  writeUnsignedVarint(value: number): this {
    this.pos = writeUnsignedVarint(this.ensure(5), this.pos, value);
    return this;
  }

  /** Writes a zigzag varint (int32). */
  writeVarint(value: number): this {
    this.pos = writeVarint(this.ensure(5), this.pos, value);
    return this;
  }

  /** Writes a zigzag varlong from a safe integer. */
  writeVarlong(value: number): this {
    this.pos = writeVarlong(this.ensure(sizeOfVarlong(value)), this.pos, value);
    return this;
  }

  /** Writes raw bytes. */
  writeBytes(bytes: Uint8Array): this {
    this.ensure(bytes.length).set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }

  /** Writes a zigzag-varint length and the bytes; null is length -1. */
  writeVarintBytes(bytes: Uint8Array | null): this {
    if (bytes === null) return this.writeVarint(-1);
    return this.writeVarint(bytes.length).writeBytes(bytes);
  }

  /** Writes `s` as UTF-8 with no length prefix. */
  writeUtf8(s: string): this {
    const n = utf8Length(s);
    this.pos = writeUtf8(this.ensure(n), this.pos, s, n);
    return this;
  }

  /** Writes a zigzag-varint byte length and `s` as UTF-8 (Kafka's record header key). */
  writeVarintString(s: string): this {
    const n = utf8Length(s);
    this.writeVarint(n);
    this.pos = writeUtf8(this.ensure(n), this.pos, s, n);
    return this;
  }

  /** A view of what was written; valid until the next write or reset. */
  view(): Uint8Array {
    return this.#buf.subarray(0, this.pos);
  }

  /** A copy of what was written, independent of the writer. */
  toBytes(): Uint8Array {
    return this.#buf.slice(0, this.pos);
  }
}
