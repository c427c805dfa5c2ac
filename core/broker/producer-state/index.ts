/** Idempotent-producer state: producer ids, per-partition sequences, persistence. */
export { ProducerStateManager, PRODUCER_ID_EXPIRATION_MS } from './producer-state-manager.ts';
export { ProducerIdManager, PRODUCER_ID_BLOCK_SIZE, type ProducerIdResult } from './producer-ids.ts';
export { PartitionProducers, RETAINED_BATCHES, addSequence, type BatchMetadata, type ProducerEntry, type SequencedHeader } from './partition-producers.ts';
