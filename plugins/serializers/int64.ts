/**
 * The `int64` serializer: an 8-byte big-endian two's-complement integer, byte for byte
 * what Kafka's Java `LongSerializer` writes. Values are bigints, since a JS number
 * cannot hold every long.
 */
import type { Serializer } from '../../core/contracts/serializer.ts';
import { readView } from './fixed-width.ts';
import { serializationError } from './serde-errors.ts';

const MIN = -(2n ** 63n);
const MAX = 2n ** 63n - 1n;

/**
 * Creates an int64 serializer. `serialize` takes a bigint in [-2^63, 2^63) — or, for
 * convenience, a safe-integer number — and `deserialize` always returns a bigint.
 * Anything else is `ERR_SERIALIZATION` (DataView would silently wrap it).
 */
export function int64(): Serializer<bigint> {
  return {
    name: 'int64',
    serialize(value) {
      if (value === null) return null;
      let big: bigint;
      if (typeof value === 'bigint') big = value;
      else if (typeof value === 'number' && Number.isSafeInteger(value)) big = BigInt(value);
      else throw serializationError('int64', `expected a bigint (or a safe integer), got ${typeof value === 'number' ? value : typeof value}`);
      if (big < MIN || big > MAX) throw serializationError('int64', `${big} is outside [-2^63, 2^63)`);
      const out = new Uint8Array(8);
      new DataView(out.buffer).setBigInt64(0, big, false);
      return out;
    },
    deserialize(bytes) {
      if (bytes === null) return null;
      return readView('int64', bytes, 8).getBigInt64(0, false);
    },
  };
}
