/**
 * The keyless half of Kafka's default partitioner (KIP-480, "sticky"): every keyless
 * record of a topic goes to one partition until the producer closes the batch for that
 * partition, then a new partition is drawn at random — a different one whenever there
 * is more than one. Batches fill faster and fewer requests are sent than with
 * round-robin.
 */

/** Where randomness comes from: a function like Math.random, returning [0, 1). */
export type RandomSource = () => number;

/** Per-topic sticky partitions; one instance per producer. */
export interface StickyChoice {
  /** The sticky partition for `topic`, drawing one when there is none or it is out of range. */
  current(topic: string, partitionCount: number): number;
  /** Moves `topic` on when its current sticky partition's batch was closed. */
  batchClosed(topic: string, partition: number, partitionCount: number): void;
}

/** Creates the per-topic sticky state. */
export function createStickyChoice(random: RandomSource = Math.random): StickyChoice {
  const sticky = new Map<string, number>();

  const draw = (partitionCount: number, previous: number | undefined): number => {
    if (partitionCount <= 1) return 0;
    if (previous === undefined || previous >= partitionCount) return Math.floor(random() * partitionCount) % partitionCount;
    // Uniform over the other partitions without a retry loop: draw from n-1 and skip the old one.
    const r = Math.floor(random() * (partitionCount - 1)) % (partitionCount - 1);
    return r >= previous ? r + 1 : r;
  };

  return {
    current(topic, partitionCount) {
      const partition = sticky.get(topic);
      if (partition !== undefined && partition < partitionCount) return partition;
      const chosen = draw(partitionCount, undefined);
      sticky.set(topic, chosen);
      return chosen;
    },
    batchClosed(topic, partition, partitionCount) {
      const current = sticky.get(topic);
      // A batch closing on another partition (a keyed one, or one we already left)
      // says nothing about the sticky one; Java ignores it too.
      if (current !== undefined && current !== partition) return;
      sticky.set(topic, draw(partitionCount, current));
    },
  };
}
