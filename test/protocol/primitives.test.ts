/** Primitive codecs: round trips, edge values, and bounds checks that end in coded errors. */
import { describe, expect, it } from 'vitest';
import { TributaryError } from '../../core/errors.ts';
import { Reader, Writer, concat, utf8Length, uvarintSize } from '../../core/protocol/index.ts';

function roundTrip(write: (w: Writer) => void, read: (r: Reader) => unknown): unknown {
  const w = new Writer(4);
  write(w);
  const bytes = w.finishOne();
  const r = new Reader(bytes);
  const value = read(r);
  expect(r.remaining).toBe(0);
  return value;
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(TributaryError);
    return (error as TributaryError).code;
  }
  return 'no error';
}

describe('fixed-width integers and floats', () => {
  it.each([
    ['int8', [-128, -1, 0, 127]],
    ['int16', [-32768, -1, 0, 32767]],
    ['uint16', [0, 1, 65535]],
    ['int32', [-2147483648, -1, 0, 2147483647]],
    ['uint32', [0, 1, 4294967295]],
    ['float64', [0, -1.5, Math.PI, Number.MAX_VALUE, -Infinity]],
  ] as const)('%s', (type, values) => {
    for (const v of values) expect(roundTrip((w) => w[type](v), (r) => r[type]())).toBe(v);
  });

  it('int64 from numbers and bigints, to numbers exact to 2^53', () => {
    for (const v of [0, 1, -1, 2 ** 32, -(2 ** 32), 2 ** 32 - 1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 1_700_000_000_000]) {
      expect(roundTrip((w) => w.int64(v), (r) => r.int64())).toBe(v);
      expect(roundTrip((w) => w.int64(BigInt(v)), (r) => r.int64())).toBe(v);
    }
    expect(roundTrip((w) => w.int64(2n ** 63n - 1n), (r) => r.int64Big())).toBe(2n ** 63n - 1n);
    expect(roundTrip((w) => w.int64(-(2n ** 63n)), (r) => r.int64Big())).toBe(-(2n ** 63n));
    // -1 is all ones on the wire.
    const w = new Writer();
    w.int64(-1);
    expect([...w.finishOne()]).toEqual([255, 255, 255, 255, 255, 255, 255, 255]);
  });

  it('bool', () => {
    expect(roundTrip((w) => w.bool(true), (r) => r.bool())).toBe(true);
    expect(roundTrip((w) => w.bool(false), (r) => r.bool())).toBe(false);
  });
});

describe('varints', () => {
  it('unsigned varint round trips and sizes', () => {
    for (const v of [0, 1, 127, 128, 300, 16383, 16384, 2 ** 31, 2 ** 32 - 1]) {
      const w = new Writer();
      w.uvarint(v);
      const bytes = w.finishOne();
      expect(bytes.length).toBe(uvarintSize(v));
      expect(new Reader(bytes).uvarint()).toBe(v);
    }
    const w = new Writer();
    w.uvarint(300);
    expect([...w.finishOne()]).toEqual([0xac, 0x02]);
  });

  it('zig-zag varint and varlong', () => {
    for (const v of [0, -1, 1, -64, 63, -2147483648, 2147483647]) expect(roundTrip((w) => w.varint(v), (r) => r.varint())).toBe(v);
    for (const v of [0, -1, 1, 2 ** 40, -(2 ** 40), Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]) {
      expect(roundTrip((w) => w.varlong(v), (r) => r.varlong())).toBe(v);
    }
    const w = new Writer();
    w.varint(-1);
    expect([...w.finishOne()]).toEqual([1]);
  });

  it('rejects truncated and overlong varints', () => {
    expect(codeOf(() => new Reader(new Uint8Array([0x80, 0x80])).uvarint())).toBe('ERR_MALFORMED_REQUEST');
    expect(codeOf(() => new Reader(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0x01])).uvarint())).toBe('ERR_MALFORMED_REQUEST');
    expect(codeOf(() => new Reader(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x7f])).uvarint())).toBe('ERR_MALFORMED_REQUEST');
    expect(codeOf(() => new Reader(new Uint8Array(11).fill(0xff)).varlong())).toBe('ERR_MALFORMED_REQUEST');
  });
});

describe('strings, bytes, uuid', () => {
  const texts = ['', 'topic-1', 'ünïcødé ✓', '😀 pair', 'x'.repeat(1000)];

  it('classic and compact strings (ASCII and UTF-8)', () => {
    for (const s of texts) {
      expect(utf8Length(s)).toBe(new TextEncoder().encode(s).length);
      expect(roundTrip((w) => w.string(s), (r) => r.string())).toBe(s);
      expect(roundTrip((w) => w.compactString(s), (r) => r.compactString())).toBe(s);
    }
    expect(roundTrip((w) => w.string(null), (r) => r.nullableString())).toBe(null);
    expect(roundTrip((w) => w.compactString(null), (r) => r.compactNullableString())).toBe(null);
  });

  it('null where not nullable is malformed', () => {
    expect(codeOf(() => new Reader(new Uint8Array([0xff, 0xff])).string())).toBe('ERR_MALFORMED_REQUEST');
    expect(codeOf(() => new Reader(new Uint8Array([0])).compactString())).toBe('ERR_MALFORMED_REQUEST');
    expect(codeOf(() => new Reader(new Uint8Array([0xff, 0xff, 0xff, 0xff])).bytesField(false))).toBe('ERR_MALFORMED_REQUEST');
    expect(codeOf(() => new Reader(new Uint8Array([0xff, 0xfe])).nullableString())).toBe('ERR_MALFORMED_REQUEST');
  });

  it('a length running past the frame is malformed', () => {
    expect(codeOf(() => new Reader(new Uint8Array([0, 5, 65, 65])).string())).toBe('ERR_MALFORMED_REQUEST');
    expect(codeOf(() => new Reader(new Uint8Array([0x7f, 0xff, 0xff, 0xff, 1])).bytesField(true))).toBe('ERR_MALFORMED_REQUEST');
    expect(codeOf(() => new Reader(new Uint8Array([10, 1, 2])).compactBytes(true))).toBe('ERR_MALFORMED_REQUEST');
    // A reader bounded inside a larger buffer stops at its end, not the buffer's.
    expect(codeOf(() => new Reader(new Uint8Array([0, 3, 65, 65, 65]), 0, 4).string())).toBe('ERR_MALFORMED_REQUEST');
  });

  it('bytes decode as views into the frame (no copy)', () => {
    const w = new Writer();
    w.int32(3);
    w.raw(new Uint8Array([7, 8, 9]));
    const frame = w.finishOne();
    const view = new Reader(frame).bytesField(false)!;
    expect([...view]).toEqual([7, 8, 9]);
    expect(view.buffer).toBe(frame.buffer);
  });

  it('uuid in canonical lowercase form; bad text is a coded error', () => {
    const id = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
    expect(roundTrip((w) => w.uuid(id), (r) => r.uuid())).toBe(id);
    expect(roundTrip((w) => w.uuid(id.toUpperCase()), (r) => r.uuid())).toBe(id);
    expect(codeOf(() => new Writer().uuid('nope'))).toBe('ERR_INVALID_FIELD');
  });

  it('a string over 32767 bytes cannot be written as a classic string', () => {
    expect(codeOf(() => new Writer().string('x'.repeat(40000)))).toBe('ERR_INVALID_FIELD');
  });
});

describe('arrays and tagged fields', () => {
  it('array counts are checked against the bytes left', () => {
    const huge = new Uint8Array([0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 1]);
    expect(codeOf(() => new Reader(huge).arrayLength(false, false, 4))).toBe('ERR_MALFORMED_REQUEST');
    expect(codeOf(() => new Reader(new Uint8Array([0xff, 0xff, 0xff, 0xfe])).arrayLength(false, true))).toBe('ERR_MALFORMED_REQUEST');
    expect(new Reader(new Uint8Array([0xff, 0xff, 0xff, 0xff])).arrayLength(false, true)).toBe(-1);
    expect(new Reader(new Uint8Array([0])).arrayLength(true, true)).toBe(-1);
    expect(new Reader(new Uint8Array([3, 1, 1])).arrayLength(true, false)).toBe(2);
    expect(codeOf(() => new Reader(new Uint8Array([0xff, 0xff, 0xff, 0x0f])).arrayLength(true, false))).toBe('ERR_MALFORMED_REQUEST');
  });

  it('skips unknown tagged fields, and rejects one running past the frame', () => {
    const r = new Reader(new Uint8Array([2, 5, 2, 0xaa, 0xbb, 9, 0, 42]));
    r.skipTaggedFields();
    expect(r.int8()).toBe(42);
    expect(codeOf(() => new Reader(new Uint8Array([1, 5, 10, 0])).skipTaggedFields())).toBe('ERR_MALFORMED_REQUEST');
  });

  it('reads past the end fail with a coded error, never a RangeError', () => {
    const empty = new Reader(new Uint8Array(0));
    for (const read of ['int8', 'int16', 'int32', 'int64', 'uint16', 'uint32', 'float64', 'bool', 'uuid', 'string', 'compactString'] as const) {
      expect(codeOf(() => empty[read]())).toBe('ERR_MALFORMED_REQUEST');
    }
  });
});

describe('writer', () => {
  it('grows from a tiny buffer and keeps large chunks by reference', () => {
    const big = new Uint8Array(10_000).fill(5);
    const w = new Writer(2);
    w.int32(1);
    w.chunk(big);
    w.string('after');
    w.chunk(new Uint8Array([1, 2, 3]));
    expect(w.length).toBe(4 + 10_000 + 7 + 3);
    const chunks = w.finish();
    expect(chunks).toHaveLength(3);
    expect(chunks[1]).toBe(big);
    const all = concat(chunks);
    const r = new Reader(all);
    expect(r.int32()).toBe(1);
    expect(r.raw(10_000).every((b) => b === 5)).toBe(true);
    expect(r.string()).toBe('after');
    expect([...r.raw(3)]).toEqual([1, 2, 3]);
  });
});
