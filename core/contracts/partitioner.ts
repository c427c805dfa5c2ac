/** The Partitioner extension point: which partition a record goes to. */
import type { Plugin, PluginFactory } from './plugin.ts';

/** What a partitioner is told about one record. */
export interface PartitionInput {
  readonly topic: string;
  /** Serialized key, or null for a keyless record. */
  readonly key: Uint8Array | null;
  /** Serialized value (most partitioners ignore it). */
  readonly value?: Uint8Array | null;
  /** Number of partitions the topic has now (≥ 1). */
  readonly partitionCount: number;
}

/**
 * Chooses a partition in `[0, partitionCount)`. Partitioners may keep state (sticky
 * and round-robin do), so a producer creates its own instance from the factory.
 */
export interface Partitioner extends Plugin {
  /** The partition for this record. */
  partition(input: PartitionInput): number;
  /**
   * Told by the producer when the batch for `topic` on `partition` is closed (full or
   * sent), so a sticky partitioner can move keyless records on (KIP-480).
   */
  onBatchClosed?(topic: string, partition: number, partitionCount: number): void;
}

/** A factory that builds a partitioner from options. */
export type PartitionerFactory<O = unknown> = PluginFactory<Partitioner, O>;
