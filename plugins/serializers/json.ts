/**
 * The `json` serializer: `JSON.stringify` as UTF-8, read back with `JSON.parse`.
 */
import type { Serializer } from '../../core/contracts/serializer.ts';
import { encodeUtf8 } from '../../core/records/utf8.ts';
import { describe, deserializationError, serializationError } from './serde-errors.ts';

/** Options of {@link json}. */
export interface JsonSerializerOptions {
  /** Passed to `JSON.stringify` (for example to write bigint or Date fields your way). */
  replacer?: (this: unknown, key: string, value: unknown) => unknown;
  /** Passed to `JSON.parse`. */
  reviver?: (this: unknown, key: string, value: unknown) => unknown;
}

// JSON text must be UTF-8 (RFC 8259); bytes that are not are corrupt, not text to guess at.
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Creates a JSON serializer. A JavaScript `null` value is a Kafka null (a tombstone),
 * never the JSON text `null`; the text `null` in a record reads back as `null` too.
 */
export function json<T = unknown>(options: JsonSerializerOptions = {}): Serializer<T> {
  const { replacer, reviver } = options;
  return {
    name: 'json',
    serialize(value) {
      if (value === null) return null;
      let text: string | undefined;
      try {
        text = JSON.stringify(value, replacer);
      } catch (error) {
        // BigInt without a replacer, cycles, a throwing toJSON.
        throw serializationError('json', `the value cannot be written as JSON: ${describe(error)}`, error);
      }
      if (text === undefined) throw serializationError('json', `a ${typeof value} has no JSON form`);
      return encodeUtf8(text);
    },
    deserialize(bytes) {
      if (bytes === null) return null;
      try {
        return JSON.parse(decoder.decode(bytes), reviver) as T;
      } catch (error) {
        throw deserializationError('json', `the bytes are not JSON: ${describe(error)}`, error);
      }
    },
  };
}
