import { describe, expect, it } from 'vitest';
import {
  ByteReader,
  ByteWriter,
  readUtf8,
  sizeOfUnsignedVarint,
  sizeOfVarint,
  sizeOfVarlong,
  utf8Length,
  writeUnsignedVarint,
  writeVarint,
  writeVarlong,
} from '../../core/records/index.ts';
import { TributaryError } from '../../core/errors.ts';

const int32s = [0, 1, -1, 63, -64, 64, -65, 127, 128, 8191, -8192, 8192, 2 ** 20, -(2 ** 20), 2 ** 30, 2 ** 31 - 1, -(2 ** 31)];
const int64s = [
  ...int32s,
  2 ** 31,
  -(2 ** 31) - 1,
  2 ** 32,
  -(2 ** 32),
  2 ** 35 + 12345,
  1_700_000_000_000,
  -1_700_000_000_000,
  2 ** 52,
  -(2 ** 52) - 7,
  Number.MAX_SAFE_INTEGER,
  Number.MIN_SAFE_INTEGER,
];

/** Reference zigzag varlong, on bigint, written independently of the code under test. */
function referenceVarlong(value: number): number[] {
  let v = BigInt(value);
  v = v >= 0n ? v << 1n : (-v << 1n) - 1n;
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

describe('varint', () => {
  it('writes zigzag varints and varlongs byte for byte as the reference, and reads them back', () => {
    const buf = new Uint8Array(16);
    for (const v of int64s) {
      const end = writeVarlong(buf, 0, v);
      expect([...buf.subarray(0, end)], String(v)).toEqual(referenceVarlong(v));
      expect(sizeOfVarlong(v)).toBe(end);
      const reader = new ByteReader(buf, 0, end);
      expect(reader.readVarlong()).toBe(v);
      expect(reader.remaining).toBe(0);
    }
    for (const v of int32s) {
      const end = writeVarint(buf, 0, v);
      expect([...buf.subarray(0, end)]).toEqual(referenceVarlong(v));
      expect(sizeOfVarint(v)).toBe(end);
      expect(new ByteReader(buf, 0, end).readVarint()).toBe(v);
    }
  });

  it('writes and reads unsigned varints up to 2^32 - 1', () => {
    const buf = new Uint8Array(8);
    for (const v of [0, 1, 127, 128, 300, 16383, 16384, 2 ** 21, 2 ** 28 - 1, 2 ** 28, 2 ** 32 - 1]) {
      const end = writeUnsignedVarint(buf, 0, v);
      expect(sizeOfUnsignedVarint(v)).toBe(end);
      expect(new ByteReader(buf, 0, end).readUnsignedVarint()).toBe(v);
    }
    expect([...buf.subarray(0, writeUnsignedVarint(buf, 0, 300))]).toEqual([0xac, 0x02]);
  });

  it('rejects varints that run past the end or are too long with CORRUPT_MESSAGE', () => {
    const cases: Array<[number[], (r: ByteReader) => unknown]> = [
      [[], (r) => r.readVarint()],
      [[0x80], (r) => r.readVarint()],
      [[0xff, 0xff, 0xff, 0xff, 0xff, 0x01], (r) => r.readVarint()],
      [[0x80, 0x80], (r) => r.readVarlong()],
      [[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], (r) => r.readVarlong()],
      [[0x03], (r) => r.readVarintBytes()], // length -2
      [[0x04, 1], (r) => r.readVarintBytes()], // length 2, one byte present
      [[1, 2, 3], (r) => r.readInt32()],
      [[1], (r) => r.readInt16()],
    ];
    for (const [bytes, read] of cases) {
      const reader = new ByteReader(Uint8Array.from(bytes));
      let error: unknown;
      try {
        read(reader);
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify(bytes)).toBeInstanceOf(TributaryError);
      expect((error as TributaryError).code).toBe('CORRUPT_MESSAGE');
    }
  });

  it('never reads beyond its end, even inside a larger buffer', () => {
    const buf = Uint8Array.from([0x80, 0x01, 0x02]);
    expect(() => new ByteReader(buf, 0, 1).readVarint()).toThrowError(expect.objectContaining({ code: 'CORRUPT_MESSAGE' }));
    expect(new ByteReader(buf, 0, 2).readVarint()).toBe(64);
    expect(() => new ByteReader(buf, 2, 5)).toThrowError(expect.objectContaining({ code: 'CORRUPT_MESSAGE' }));
  });

  it('refuses to write a varlong that is not a safe integer', () => {
    const buf = new Uint8Array(16);
    for (const bad of [Number.NaN, 2 ** 53, 0.5, Infinity]) {
      expect(() => writeVarlong(buf, 0, bad)).toThrowError(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    }
  });
});

describe('ByteWriter', () => {
  it('grows, resets and keeps its memory', () => {
    const w = new ByteWriter(16);
    w.writeInt8(-1).writeInt16(-2).writeInt32(0x01020304).writeInt64(-3).writeUnsignedVarint(300).writeVarint(-1).writeVarlong(2 ** 40);
    w.writeVarintBytes(null).writeVarintBytes(Uint8Array.from([9, 8])).writeVarintString('héllo').writeBytes(new Uint8Array(100).fill(7));
    const r = new ByteReader(w.toBytes());
    expect(r.readInt8()).toBe(-1);
    expect(r.readInt16()).toBe(-2);
    expect(r.readInt32()).toBe(0x01020304);
    expect(r.readInt64()).toBe(-3);
    expect(r.readUnsignedVarint()).toBe(300);
    expect(r.readVarint()).toBe(-1);
    expect(r.readVarlong()).toBe(2 ** 40);
    expect(r.readVarintBytes()).toBeNull();
    expect([...r.readVarintBytes()!]).toEqual([9, 8]);
    expect(r.readUtf8(r.readVarint())).toBe('héllo');
    expect(r.readBytes(100).every((b) => b === 7)).toBe(true);
    expect(r.remaining).toBe(0);
    const buffer = w.buffer;
    w.reset().writeInt8(1);
    expect(w.buffer).toBe(buffer);
    expect([...w.view()]).toEqual([1]);
  });
});

describe('utf8', () => {
  it('measures, writes and reads ASCII, multi-byte, astral and lone-surrogate strings', () => {
    for (const s of ['', 'a', 'content-type', 'é', '€uro', '日本語のキー', '🙂x', 'x\ud800y', '\udc00', 'k'.repeat(100) + 'é']) {
      const expected = new TextEncoder().encode(s);
      expect(utf8Length(s), s).toBe(expected.length);
      const w = new ByteWriter(4).writeUtf8(s);
      expect([...w.view()]).toEqual([...expected]);
      expect(readUtf8(expected, 0, expected.length)).toBe(new TextDecoder().decode(expected));
    }
  });
});
