import { describe, expect, it } from 'vitest';
import { int32 } from '../../plugins/serializers/int32.ts';
import { expectCoded, serializerConformance } from '../../conformance/serializer.ts';

serializerConformance('int32', () => int32(), [0, 1, -1, 42, 2147483647, -2147483648, 123456789], {
  invalid: [new Uint8Array(0), new Uint8Array(3), new Uint8Array(5), new Uint8Array(8)],
  unserializable: [2147483648, -2147483649, 1.5, NaN, Infinity, '1', 1n],
});

describe('int32 serializer', () => {
  // What Kafka's Java IntegerSerializer writes: 4 bytes, big-endian, two's complement.
  it.each([
    [0, [0, 0, 0, 0]],
    [1, [0, 0, 0, 1]],
    [-1, [0xff, 0xff, 0xff, 0xff]],
    [256, [0, 0, 1, 0]],
    [2147483647, [0x7f, 0xff, 0xff, 0xff]],
    [-2147483648, [0x80, 0, 0, 0]],
  ])('writes %i as Java does', (value, bytes) => {
    expect(Array.from(int32().serialize(value)!)).toEqual(bytes);
    expect(int32().deserialize(new Uint8Array(bytes))).toBe(value);
  });

  it('refuses a payload of the wrong size', () => {
    expectCoded(() => int32().deserialize(new Uint8Array(7)), 'ERR_DESERIALIZATION');
  });
});
