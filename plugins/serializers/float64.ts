/**
 * The `float64` serializer: an 8-byte big-endian IEEE 754 double, byte for byte what
 * Kafka's Java `DoubleSerializer` writes (NaN as the canonical 0x7ff8000000000000, as
 * `Double.doubleToLongBits` does).
 */
import type { Serializer } from '../../core/contracts/serializer.ts';
import { readView } from './fixed-width.ts';
import { serializationError } from './serde-errors.ts';

/** Creates a float64 serializer; any JS number (±Infinity, NaN, -0 included) is accepted. */
export function float64(): Serializer<number> {
  return {
    name: 'float64',
    serialize(value) {
      if (value === null) return null;
      if (typeof value !== 'number') throw serializationError('float64', `expected a number, got ${typeof value}`);
      const out = new Uint8Array(8);
      const view = new DataView(out.buffer);
      // The engine may keep a NaN's payload bits; Java writes one canonical NaN.
      if (Number.isNaN(value)) view.setUint32(0, 0x7ff80000, false);
      else view.setFloat64(0, value, false);
      return out;
    },
    deserialize(bytes) {
      if (bytes === null) return null;
      return readView('float64', bytes, 8).getFloat64(0, false);
    },
  };
}
