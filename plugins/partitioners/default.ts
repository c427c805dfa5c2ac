/**
 * The `default` partitioner: Kafka's built-in behaviour. Keyed records go to
 * `toPositive(murmur2(key)) % n`, as the Java client puts them; keyless records stick
 * to one partition per topic until its batch is closed (KIP-480).
 */
import type { Partitioner } from '../../core/contracts/partitioner.ts';
import { partitionForKey } from './murmur2-hash.ts';
import { checkKey, checkPartitionCount, checkRandomOption } from './partition-count.ts';
import { createStickyChoice, type RandomSource } from './sticky-choice.ts';

/** Options of the murmur2-and-sticky partitioners (`default`, `murmur2`, `sticky`). */
export interface StickyPartitionerOptions {
  /** Random source for choosing sticky partitions (default Math.random). */
  random?: RandomSource;
}

/** A partitioner that always has `onBatchClosed` (the sticky ones need to hear of it). */
export type BatchAwarePartitioner = Partitioner & Required<Pick<Partitioner, 'onBatchClosed'>>;

/**
 * Builds a murmur2-for-keys, sticky-for-keyless partitioner under `name`; with
 * `ignoreKeys`, keyed records are sticky too (Java's `partitioner.ignore.keys`).
 */
export function createKeyHashSticky(name: string, random: RandomSource | undefined, ignoreKeys = false): BatchAwarePartitioner {
  checkRandomOption(name, random);
  const sticky = createStickyChoice(random);
  return {
    name,
    partition({ topic, key, partitionCount }) {
      checkPartitionCount(name, partitionCount);
      checkKey(name, key);
      // An absent key (undefined from untyped callers) is keyless, like null.
      if (key !== null && key !== undefined && !ignoreKeys) return partitionForKey(key, partitionCount);
      return sticky.current(topic, partitionCount);
    },
    onBatchClosed(topic, partition, partitionCount) {
      sticky.batchClosed(topic, partition, partitionCount);
    },
  };
}

/** Creates Kafka's default partitioner: murmur2 for keys, sticky for keyless records. */
export function defaultPartitioner(options: StickyPartitionerOptions = {}): BatchAwarePartitioner {
  return createKeyHashSticky('default', options.random);
}
