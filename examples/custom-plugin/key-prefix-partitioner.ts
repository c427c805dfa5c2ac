/**
 * A partitioner of your own: route by the part of the key before a separator.
 *
 * Keys like `eu:truck-07` and `eu:truck-12` share the prefix `eu`, so they land in the
 * same partition: one consumer then sees a whole region in order (order is only kept
 * within a partition). The prefix is hashed with Kafka's murmur2, exactly as the default
 * partitioner hashes whole keys, so a Java producer using a prefix-extracting partitioner
 * with murmur2 would agree. Keys without the separator are hashed whole; keyless records
 * go round-robin.
 *
 * A partitioner is a plain object from a factory: `name`, `partition(input)` and,
 * optionally, `onBatchClosed`. Each producer creates its own (the round-robin counter is
 * per instance).
 */
import { TributaryError, partitionForKey, type Partitioner } from '../../mod.ts';

/** Options of {@link keyPrefixPartitioner}. */
export interface KeyPrefixPartitionerOptions {
  /** One ASCII character that ends the prefix. Default `:`. */
  readonly separator?: string;
}

/** Creates the `key-prefix` partitioner. */
export function keyPrefixPartitioner(options: KeyPrefixPartitionerOptions = {}): Partitioner {
  const separator = options.separator ?? ':';
  if (separator.length !== 1 || separator.charCodeAt(0) > 0x7f) {
    throw new TributaryError('ERR_INVALID_ARGUMENT', `separator must be one ASCII character, got ${JSON.stringify(separator)}`);
  }
  const sepByte = separator.charCodeAt(0);
  const next = new Map<string, number>();
  return {
    name: 'key-prefix',
    partition({ topic, key, partitionCount }) {
      if (!Number.isInteger(partitionCount) || partitionCount < 1) {
        throw new TributaryError('ERR_INVALID_ARGUMENT', `partitionCount must be a positive integer, got ${partitionCount}`);
      }
      if (key === null || key === undefined) {
        const n = next.get(topic) ?? 0;
        next.set(topic, (n + 1) % partitionCount);
        return n % partitionCount;
      }
      // A string here would be hashed as garbage: the producer serializes keys first.
      if (!(key instanceof Uint8Array)) {
        throw new TributaryError('ERR_INVALID_ARGUMENT', `key must be bytes (a Uint8Array), got ${typeof key}`);
      }
      // The key bytes are the serialized key; for string keys, UTF-8. subarray: no copy.
      const end = key.indexOf(sepByte);
      return partitionForKey(end < 0 ? key : key.subarray(0, end), partitionCount);
    },
  };
}
