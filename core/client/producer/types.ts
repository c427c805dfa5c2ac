/**
 * The producer's public types (what `send()` takes and how a producer is configured) and
 * the few internal shapes its parts hand each other.
 */
import type { RecordInput } from '../../records/record.ts';
import type { ClientParts } from '../client-parts.ts';
import type { RetryOptions } from '../retry.ts';
import type { CompressionChoice, PartitionerChoice, SerializerChoices, TopicSettings } from '../serde.ts';

export type { RecordMetadata } from './producer-batch.ts';

/** Header values a message may carry: bytes, a string (UTF-8) or null. */
export type HeaderValue = Uint8Array | string | null;

/** One message to send. */
export interface ProducerMessage {
  /** Key (serialized by the topic's key serializer); null or absent for keyless. */
  readonly key?: unknown;
  /** Value (serialized by the topic's value serializer); null is a tombstone. */
  readonly value: unknown;
  /** Headers as an object (`{ trace: 'abc' }`) or a list (repeated keys kept). */
  readonly headers?: Readonly<Record<string, HeaderValue | undefined>> | ReadonlyArray<{ readonly key: string; readonly value: HeaderValue }>;
  /** Explicit partition (skips the partitioner). */
  readonly partition?: number;
  /** Create time in ms (number or numeric string); default: when send() was called. */
  readonly timestamp?: number | string;
}

/** Acks: 0 (no answer), 1 (leader), -1 or 'all' (in-sync replicas). */
export type Acks = 0 | 1 | -1 | 'all';

/** Messages for one topic. */
export interface TopicMessages {
  readonly topic: string;
  readonly messages: readonly ProducerMessage[];
}

/** Argument of `Producer.send`. */
export interface ProducerRecord extends TopicMessages {
  readonly acks?: Acks;
  readonly compression?: CompressionChoice;
}

/** Argument of `Producer.sendBatch`. */
export interface ProducerBatchRecord {
  readonly topicMessages: readonly TopicMessages[];
  readonly acks?: Acks;
  readonly compression?: CompressionChoice;
}

/** Producer settings. */
export interface ProducerOptions {
  /** Default acks. Default -1 (all), which idempotence requires. */
  readonly acks?: Acks;
  /** Compression of every batch unless a topic or send says otherwise. Default: the client's, else none. */
  readonly compression?: CompressionChoice;
  /** Partitioner. Default: the client's, else `default` (murmur2 for keys, sticky for keyless). */
  readonly partitioner?: PartitionerChoice;
  /** Key and value serializers (override the client's). */
  readonly serializers?: SerializerChoices;
  /** Per-topic serializers, compression and partitioner. */
  readonly topics?: Readonly<Record<string, TopicSettings>>;
  /**
   * How long a batch waits for more records before it is sent. Default 5 ms: Kafka 4.0
   * made 5 its default (KIP-1030) because the larger batches it buys cost less latency
   * under load than the many small requests of 0 do.
   */
  readonly lingerMs?: number;
  /** A batch closes once it reaches this many bytes. Default 16384 (Kafka's batch.size). */
  readonly batchSize?: number;
  /** Bytes of records from send() to acknowledgement. Default 32 MiB (buffer.memory). */
  readonly bufferMemory?: number;
  /** How long send() waits for buffer memory before `ERR_BUFFER_FULL`. Default 60000 (max.block.ms). */
  readonly maxBlockMs?: number;
  /** Largest Produce request. Default 1 MiB (max.request.size). */
  readonly maxRequestSize?: number;
  /** Unanswered Produce requests per broker. Default 5. */
  readonly maxInFlightRequests?: number;
  /** Idempotent delivery. Default true (off automatically when acks is not all and idempotence was not asked for). */
  readonly idempotent?: boolean;
  /**
   * Retries of retriable failures (default: the client's). A batch is retried until its
   * delivery timeout; `retry.retries`, when set (here or on the client), also bounds it.
   */
  readonly retry?: RetryOptions;
  /**
   * delivery.timeout.ms: how long a record may wait for its acknowledgement from send(),
   * retries included — a broker that restarts within it loses no send. A batch still
   * unacknowledged after it fails (`ERR_DELIVERY_TIMEOUT`, or the last retriable error).
   * Default 120000.
   */
  readonly deliveryTimeoutMs?: number;
  /** Broker-side timeout of a Produce request (acks=all). Default 30000. */
  readonly timeoutMs?: number;
}

/** What the producer needs from its client. */
export interface ProducerContext extends ClientParts {
  /** The client's default compression and partitioner (a producer's own options win). */
  readonly compression?: CompressionChoice | undefined;
  readonly partitioner?: PartitionerChoice | undefined;
}

/** A message validated and serialized by the front, ready for the accumulator. */
export interface PreparedRecord {
  readonly topic: string;
  readonly record: RecordInput;
  /** The explicit partition, or undefined for the partitioner to choose. */
  readonly partition: number | undefined;
  /** Estimated encoded size in bytes (what it reserves in buffer memory). */
  readonly size: number;
}

/** Where the producer is in its life: the sender reads it to decide whether to linger and retry. */
export interface ProducerLifecycle {
  /** True once close() has finished: nothing is retried any more. */
  closed(): boolean;
  /** True while flush() or close() runs: batches go without lingering. */
  urgent(): boolean;
}
