/**
 * The consumer's public entry, kept where it always was: the implementation lives in
 * consumer/ (front, fetcher, handler runner) — see consumer/consumer.ts.
 */
export { Consumer } from './consumer/consumer.ts';
export type {
  AssignmentSource,
  AssignmentTarget,
  AutoOffsetReset,
  ConsumerBatch,
  ConsumerContext,
  ConsumerEventListener,
  ConsumerEventName,
  ConsumerEvents,
  ConsumerMessage,
  ConsumerOptions,
  EachBatchPayload,
  EachMessagePayload,
  RunOptions,
  TopicPartition,
  TopicPartitionOffset,
} from './consumer/types.ts';
