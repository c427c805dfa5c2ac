/**
 * The producer's public entry, kept where it always was: the implementation lives in
 * producer/ (front, accumulator, sender, idempotence) — see producer/producer.ts.
 */
export { Producer } from './producer/producer.ts';
export type {
  Acks,
  HeaderValue,
  ProducerBatchRecord,
  ProducerContext,
  ProducerMessage,
  ProducerOptions,
  ProducerRecord,
  RecordMetadata,
  TopicMessages,
} from './producer/types.ts';
