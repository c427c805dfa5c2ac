/**
 * The `string` serializer: UTF-8 text, as Kafka's Java `StringSerializer` writes it.
 */
import type { Serializer } from '../../core/contracts/serializer.ts';
import { encodeUtf8 } from '../../core/records/utf8.ts';
import { deserializationError, serializationError } from './serde-errors.ts';

/** Options of {@link string}. */
export interface StringSerializerOptions {
  /**
   * Reject bytes that are not valid UTF-8 with `ERR_DESERIALIZATION`. Off by default:
   * like the Java deserializer, invalid sequences then decode to U+FFFD.
   */
  fatal?: boolean;
}


/** Creates a UTF-8 string serializer. */
export function string(options: StringSerializerOptions = {}): Serializer<string> {
  const fatal = options.fatal === true;
  // ignoreBOM: the bytes are the value; a leading U+FEFF is data, not a marker to drop.
  const decoder = new TextDecoder('utf-8', { fatal, ignoreBOM: true });
  return {
    name: 'string',
    serialize(value) {
      if (value === null) return null;
      if (typeof value !== 'string') throw serializationError('string', `expected a string, got ${typeof value}`);
      return encodeUtf8(value);
    },
    deserialize(bytes) {
      if (bytes === null) return null;
      // TextDecoder reads undefined as "" and throws a TypeError on other non-bytes.
      if (!(bytes instanceof Uint8Array)) throw deserializationError('string', `expected a Uint8Array, got ${typeof bytes}`);
      try {
        return decoder.decode(bytes);
      } catch (error) {
        throw deserializationError('string', 'the bytes are not valid UTF-8', error);
      }
    },
  };
}
