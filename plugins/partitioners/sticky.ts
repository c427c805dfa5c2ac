/**
 * The `sticky` partitioner: keyless records stick to one partition per topic until the
 * producer closes its batch (KIP-480); keyed records go by murmur2 like the Java client,
 * unless `ignoreKeys` makes them sticky too.
 */
import { createKeyHashSticky, type BatchAwarePartitioner, type StickyPartitionerOptions } from './default.ts';

/** Options of {@link stickyPartitioner}. */
export interface StickyOnlyOptions extends StickyPartitionerOptions {
  /**
   * Treat keyed records like keyless ones (Java's `partitioner.ignore.keys=true`): a key
   * then no longer decides its partition.
   */
  ignoreKeys?: boolean;
}

/** Creates the sticky partitioner. */
export function stickyPartitioner(options: StickyOnlyOptions = {}): BatchAwarePartitioner {
  return createKeyHashSticky('sticky', options.random, options.ignoreKeys === true);
}
