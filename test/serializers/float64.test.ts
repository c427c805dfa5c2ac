import { describe, expect, it } from 'vitest';
import { float64 } from '../../plugins/serializers/float64.ts';
import { expectCoded, serializerConformance } from '../../conformance/serializer.ts';

serializerConformance('float64', () => float64(), [0, -0, 1, -1.5, Math.PI, Number.MAX_VALUE, Number.MIN_VALUE, Infinity, -Infinity, NaN, 2 ** 60], {
  invalid: [new Uint8Array(0), new Uint8Array(4), new Uint8Array(7), new Uint8Array(9)],
  unserializable: ['1', 1n, {}],
  // toEqual tells -0 from 0 and takes NaN as equal to NaN: what a double round trip needs.
});

describe('float64 serializer', () => {
  // What Kafka's Java DoubleSerializer writes: Double.doubleToLongBits, big-endian.
  it.each([
    [1, [0x3f, 0xf0, 0, 0, 0, 0, 0, 0]],
    [-2, [0xc0, 0, 0, 0, 0, 0, 0, 0]],
    [0.1, [0x3f, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a]],
    [Infinity, [0x7f, 0xf0, 0, 0, 0, 0, 0, 0]],
    [-0, [0x80, 0, 0, 0, 0, 0, 0, 0]],
    [NaN, [0x7f, 0xf8, 0, 0, 0, 0, 0, 0]],
  ])('writes %d as Java does', (value, bytes) => {
    expect(Array.from(float64().serialize(value)!)).toEqual(bytes);
    expect(float64().deserialize(new Uint8Array(bytes))).toEqual(value);
  });

  it('writes any NaN as the canonical NaN', () => {
    const odd = new Float64Array(new BigUint64Array([0x7ff0000000000001n]).buffer)[0]!;
    expect(Number.isNaN(odd)).toBe(true);
    expect(Array.from(float64().serialize(odd)!)).toEqual([0x7f, 0xf8, 0, 0, 0, 0, 0, 0]);
  });

  it('refuses a payload of the wrong size', () => {
    expectCoded(() => float64().deserialize(new Uint8Array(4)), 'ERR_DESERIALIZATION');
  });
});
