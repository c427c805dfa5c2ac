/**
 * The `round-robin` partitioner: every record, keyed or not, goes to the next
 * partition of its topic in turn, as Java's `RoundRobinPartitioner` does.
 */
import type { Partitioner } from '../../core/contracts/partitioner.ts';
import { checkKey, checkPartitionCount } from './partition-count.ts';

/** Creates a round-robin partitioner with one counter per topic, starting at partition 0. */
export function roundRobinPartitioner(): Partitioner {
  const counters = new Map<string, number>();
  return {
    name: 'round-robin',
    partition({ topic, key, partitionCount }) {
      checkPartitionCount('round-robin', partitionCount);
      checkKey('round-robin', key);
      const next = counters.get(topic) ?? 0;
      // An int32 counter that wraps, masked like Java's toPositive(counter.getAndIncrement()).
      counters.set(topic, (next + 1) | 0);
      return (next & 0x7fffffff) % partitionCount;
    },
  };
}
