/**
 * The built-in partitioners: factories, Kafka's murmur2 hash, and the list that a
 * registry is filled from.
 */
import type { PartitionerFactory } from '../../core/contracts/partitioner.ts';
import type { Registry } from '../../core/registry.ts';
import { defaultPartitioner } from './default.ts';
import { murmur2Partitioner } from './murmur2.ts';
import { roundRobinPartitioner } from './round-robin.ts';
import { stickyPartitioner } from './sticky.ts';

export { defaultPartitioner, type BatchAwarePartitioner, type StickyPartitionerOptions } from './default.ts';
export { murmur2Partitioner } from './murmur2.ts';
export { roundRobinPartitioner } from './round-robin.ts';
export { stickyPartitioner, type StickyOnlyOptions } from './sticky.ts';
export { murmur2, partitionForKey, toPositive } from './murmur2-hash.ts';
export type { RandomSource } from './sticky-choice.ts';

/** One built-in partitioner: the name it registers under and its factory. */
export interface BuiltInPartitioner {
  readonly name: string;
  readonly factory: PartitionerFactory;
}

/** Every built-in partitioner; `default` is Kafka's default behaviour. */
export const builtInPartitioners: readonly BuiltInPartitioner[] = Object.freeze([
  { name: 'default', factory: defaultPartitioner as PartitionerFactory },
  { name: 'murmur2', factory: murmur2Partitioner as PartitionerFactory },
  { name: 'sticky', factory: stickyPartitioner as PartitionerFactory },
  { name: 'round-robin', factory: roundRobinPartitioner as PartitionerFactory },
]);

/** Registers every built-in partitioner in `registry` (for mod.ts and custom registries). */
export function registerBuiltInPartitioners(registry: Registry): Registry {
  for (const { name, factory } of builtInPartitioners) registry.register('partitioner', name, factory);
  return registry;
}
