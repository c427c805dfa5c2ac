/** Helpers shared by the fixed-width number serializers (int32, int64, float64). */
import { deserializationError } from './serde-errors.ts';

/**
 * A DataView over exactly `bytes`, after checking that it holds `width` bytes. Bytes
 * handed to a deserializer are often a view into a larger fetched batch, so the view
 * must honour `byteOffset`.
 */
export function readView(serializer: string, bytes: Uint8Array, width: number): DataView {
  if (!(bytes instanceof Uint8Array)) throw deserializationError(serializer, `expected a Uint8Array, got ${typeof bytes}`);
  if (bytes.length !== width) {
    // Kafka's Java deserializers refuse any other size too ("Size of data received … is not 4").
    throw deserializationError(serializer, `expected ${width} bytes, got ${bytes.length}`);
  }
  return new DataView(bytes.buffer, bytes.byteOffset, width);
}
