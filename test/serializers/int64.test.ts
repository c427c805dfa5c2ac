import { describe, expect, it } from 'vitest';
import { int64 } from '../../plugins/serializers/int64.ts';
import { expectCoded, serializerConformance } from '../../conformance/serializer.ts';

const MAX = 2n ** 63n - 1n;
const MIN = -(2n ** 63n);

serializerConformance('int64', () => int64(), [0n, 1n, -1n, MAX, MIN, 2n ** 53n + 1n, -123456789012345n], {
  invalid: [new Uint8Array(0), new Uint8Array(4), new Uint8Array(7), new Uint8Array(9)],
  unserializable: [MAX + 1n, MIN - 1n, 2 ** 53, 1.5, '1', NaN],
});

describe('int64 serializer', () => {
  // What Kafka's Java LongSerializer writes: 8 bytes, big-endian, two's complement.
  it.each([
    [1n, [0, 0, 0, 0, 0, 0, 0, 1]],
    [-1n, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]],
    [MAX, [0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]],
    [MIN, [0x80, 0, 0, 0, 0, 0, 0, 0]],
    [0x0102030405060708n, [1, 2, 3, 4, 5, 6, 7, 8]],
  ])('writes %s as Java does', (value, bytes) => {
    expect(Array.from(int64().serialize(value)!)).toEqual(bytes);
    expect(int64().deserialize(new Uint8Array(bytes))).toBe(value);
  });

  it('accepts safe-integer numbers and reads back bigints', () => {
    const s = int64();
    expect(s.deserialize(s.serialize(-42 as unknown as bigint))).toBe(-42n);
    expect(s.deserialize(s.serialize(Number.MAX_SAFE_INTEGER as unknown as bigint))).toBe(BigInt(Number.MAX_SAFE_INTEGER));
  });

  it('refuses a payload of the wrong size', () => {
    expectCoded(() => int64().deserialize(new Uint8Array(4)), 'ERR_DESERIALIZATION');
  });
});
