/**
 * The `murmur2` partitioner: keyed records by Kafka's murmur2 hash (Java-compatible);
 * keyless records as the default partitioner places them (sticky, KIP-480).
 */
import { createKeyHashSticky, type BatchAwarePartitioner, type StickyPartitionerOptions } from './default.ts';

/** Creates the murmur2 partitioner. */
export function murmur2Partitioner(options: StickyPartitionerOptions = {}): BatchAwarePartitioner {
  return createKeyHashSticky('murmur2', options.random);
}
