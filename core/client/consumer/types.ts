/**
 * The consumer's public types (options, messages, handler payloads) and the contract
 * between a consumer and where its partitions come from (an {@link AssignmentSource}).
 */
import type { RecordHeader } from '../../records/record.ts';
import type { AsyncScope } from '../async-scope.ts';
import type { ClientParts } from '../client-parts.ts';
import type { RetryOptions } from '../retry.ts';
import type { SerializerChoices, TopicSettings } from '../serde.ts';

/** A partition of a topic. */
export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** A partition and where to start (undefined: `fromBeginning` decides). */
export interface TopicPartitionOffset extends TopicPartition {
  readonly offset?: number;
}

/** What the consumer does where its position is out of range (or, for `none`, fails with `OFFSET_OUT_OF_RANGE`). */
export type AutoOffsetReset = 'earliest' | 'latest' | 'none';

/** Consumer settings. */
export interface ConsumerOptions {
  /** Key and value deserializers (override the client's). */
  readonly serializers?: SerializerChoices;
  /** Per-topic deserializers. */
  readonly topics?: Readonly<Record<string, TopicSettings>>;
  /** Where a partition without an offset starts: earliest (true) or latest (false, the default). */
  readonly fromBeginning?: boolean;
  /** On OFFSET_OUT_OF_RANGE. Default: earliest when fromBeginning, else latest. */
  readonly autoOffsetReset?: AutoOffsetReset;
  /** Long-poll time of a Fetch. Default 500 (fetch.max.wait.ms). */
  readonly maxWaitMs?: number;
  /** Bytes a Fetch waits for. Default 1. */
  readonly minBytes?: number;
  /** Bytes per Fetch answer. Default 50 MiB (fetch.max.bytes). */
  readonly maxBytes?: number;
  /** Bytes per partition per Fetch. Default 1 MiB (max.partition.fetch.bytes). */
  readonly maxBytesPerPartition?: number;
  /**
   * A partition is fetched again only while fewer bytes than this wait unprocessed in its
   * queue, so memory stays within about this plus one fetch per partition. Default 1 MiB.
   */
  readonly maxPrefetchBytes?: number;
  /** 0 read_uncommitted (default), 1 read_committed. */
  readonly isolationLevel?: 0 | 1;
  /** Handler retries before the consumer crashes, and the backoff of retried fetches (which never crash it: a broker that restarts is waited for). Default: the client's. */
  readonly retry?: RetryOptions;
}

/** A consumed message, deserialized. */
export interface ConsumerMessage<K = any, V = any> {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** Create time, or append time for LogAppendTime topics (ms). */
  readonly timestamp: number;
  readonly key: K | null;
  readonly value: V | null;
  /** Headers in wire order (repeated keys kept); values are bytes. */
  readonly headers: readonly RecordHeader[];
}

/** Argument of an `eachMessage` handler. */
export interface EachMessagePayload<K = any, V = any> {
  readonly topic: string;
  readonly partition: number;
  readonly message: ConsumerMessage<K, V>;
  /** Pauses this partition after this message. */
  pause(): void;
  /** For group consumers (a no-op in assign mode). */
  heartbeat(): Promise<void>;
}

/** The batch of an `eachBatch` handler. */
export interface ConsumerBatch<K = any, V = any> {
  readonly topic: string;
  readonly partition: number;
  readonly highWatermark: number;
  readonly messages: ReadonlyArray<ConsumerMessage<K, V>>;
  firstOffset(): number | null;
  lastOffset(): number;
  isEmpty(): boolean;
}

/** Argument of an `eachBatch` handler. */
export interface EachBatchPayload<K = any, V = any> {
  readonly batch: ConsumerBatch<K, V>;
  /**
   * Marks messages up to `offset` processed. When the handler marks any, the position
   * moves past the last marked one; when it marks none, past the whole batch.
   */
  resolveOffset(offset: number): void;
  /** False once the consumer is stopping. */
  isRunning(): boolean;
  /** True when a seek or revoke made this batch obsolete. */
  isStale(): boolean;
  /** Pauses this partition after this batch. */
  pause(): void;
  heartbeat(): Promise<void>;
  /** Group consumers: commits the resolved positions when the auto-commit interval has passed (a no-op in assign mode). */
  commitOffsetsIfNecessary(): Promise<void>;
}

/** Argument of `Consumer.run`. */
export interface RunOptions {
  readonly eachMessage?: (payload: EachMessagePayload) => Promise<void> | void;
  readonly eachBatch?: (payload: EachBatchPayload) => Promise<void> | void;
}

/** Where partitions come from (see the module comment). */
export interface AssignmentSource {
  start(target: AssignmentTarget): Promise<void>;
  stop(): Promise<void>;
  /** What handlers' `heartbeat()` calls (group membership: heartbeat now if one is due). */
  heartbeat?(): Promise<void>;
  /** What eachBatch's `commitOffsetsIfNecessary()` calls. */
  commitOffsetsIfNecessary?(): Promise<void>;
}

/** Events every consumer emits (`consumer.on(event, listener)`); a group consumer adds the group's. */
export interface ConsumerEvents {
  /**
   * The consumer stopped for good on an error Kafka calls fatal (fenced, not authorized,
   * unsupported version, a handler that kept failing…). `done()` rejects with the same
   * error; a broker that restarts or moves is never one (the consumer waits for it).
   */
  readonly crash: { readonly error: unknown; readonly groupId: string | null };
}

/** The name of a consumer event. */
export type ConsumerEventName = keyof ConsumerEvents;

/** A listener of consumer event `E`. */
export type ConsumerEventListener<E extends ConsumerEventName> = (payload: ConsumerEvents[E]) => void;

/** What an assignment source may do to the consumer. */
export interface AssignmentTarget {
  /** Adds partitions (offset undefined: fromBeginning/latest via ListOffsets). */
  assign(partitions: readonly TopicPartitionOffset[]): Promise<void>;
  /** Removes partitions once no handler runs for them; resolves their processed positions. */
  revoke(partitions: readonly TopicPartition[]): Promise<TopicPartitionOffset[]>;
  /** Processed positions (the next offset to process) of the assigned partitions. */
  positions(): TopicPartitionOffset[];
  /** Stops the consumer with `error` (done() rejects with it): a fatal group error. */
  fail(error: unknown): void;
}

/** What the consumer needs from its client. */
export interface ConsumerContext extends ClientParts {
  /** Recognises calls made from inside this consumer's handlers (see async-scope.ts). */
  readonly asyncScope?: AsyncScope | undefined;
}
