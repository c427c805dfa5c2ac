/**
 * The `int32` serializer: a 4-byte big-endian two's-complement integer, byte for byte
 * what Kafka's Java `IntegerSerializer` writes.
 */
import type { Serializer } from '../../core/contracts/serializer.ts';
import { readView } from './fixed-width.ts';
import { serializationError } from './serde-errors.ts';

const MIN = -2147483648;
const MAX = 2147483647;

/** Creates an int32 serializer; values outside [-2^31, 2^31) or not integers are `ERR_SERIALIZATION`. */
export function int32(): Serializer<number> {
  return {
    name: 'int32',
    serialize(value) {
      if (value === null) return null;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < MIN || value > MAX) {
        throw serializationError('int32', `expected an integer in [-2^31, 2^31), got ${String(value)}`);
      }
      const out = new Uint8Array(4);
      new DataView(out.buffer).setInt32(0, value, false);
      return out;
    },
    deserialize(bytes) {
      if (bytes === null) return null;
      return readView('int32', bytes, 4).getInt32(0, false);
    },
  };
}
