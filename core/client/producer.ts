/**
 * The Producer: serialize → partition → per-partition accumulator (linger, batch size)
 * → one RecordBatch encoded and compressed once → Produce requests, one per broker and
 * round, pipelined up to `maxInFlightRequests` → per-send record metadata.
 *
 * Memory is bounded by `bufferMemory`: bytes of records from acceptance to
 * acknowledgement. When it is full, send waits (and the accumulator stops lingering, so
 * memory frees sooner) and fails with `ERR_BUFFER_FULL` after `maxBlockMs`.
 *
 * Idempotence (on by default): the producer gets an id from InitProducerId, numbers each
 * partition's records, keeps at most 5 batches per partition in flight and retries a
 * batch with its original sequence, in order. A broker that does not advertise
 * InitProducerId gets a non-idempotent producer (logged at debug).
 *
 * When a batch fails without the producer knowing whether the broker wrote it (retries
 * spent on a timeout or a dropped connection, or OUT_OF_ORDER_SEQUENCE_NUMBER /
 * UNKNOWN_PRODUCER_ID / INVALID_PRODUCER_EPOCH for good), the broker's next expected
 * sequence is unknown and every later batch could be refused forever. As the Java client
 * does (KIP-360), the producer then holds its batches until none is in flight, asks
 * InitProducerId (v3+ carries the current id and epoch) for a new epoch or id, restarts
 * every partition's sequence at 0 and restamps the waiting batches.
 */
import type { Logger } from '../contracts/logger.ts';
import type { Partitioner } from '../contracts/partitioner.ts';
import type { SerdeContext, Serializer } from '../contracts/serializer.ts';
import { TributaryError, kafkaError } from '../errors.ts';
import { ApiKey } from '../protocol/api-keys.ts';
import { BATCH_HEADER_SIZE, BatchField, computeBatchCrc } from '../records/batch-header.ts';
import { NO_HEADERS, type RecordHeader, type RecordInput } from '../records/record.ts';
import { encodeBatch, encodeBatchSync } from '../records/record-batch.ts';
import { writeInt16BE, writeInt32BE, writeInt64BE } from '../records/varint.ts';
import type { Registry } from '../registry.ts';
import { commonVersion } from './client-versions.ts';
import { type Cluster, needsRefresh } from './cluster.ts';
import { BufferMemory } from './buffer-memory.ts';
import { Delivery, PartitionQueue, ProducerBatch, type RecordMetadata } from './producer-batch.ts';
import { type RetryOptions, type RetryPolicy, backoff, retryPolicy, withRetry } from './retry.ts';
import {
  type CompressionChoice,
  type PartitionerChoice,
  type ResolvedCompression,
  type SerializerChoices,
  SerdeTable,
  type TopicSettings,
  mergeTopicSettings,
  resolveCompression,
  resolvePartitioner,
} from './serde.ts';

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

/** Argument of {@link Producer.send}. */
export interface ProducerRecord extends TopicMessages {
  readonly acks?: Acks;
  readonly compression?: CompressionChoice;
}

/** Argument of {@link Producer.sendBatch}. */
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
  /** Retries of retriable failures (default: the client's). */
  readonly retry?: RetryOptions;
  /** Broker-side timeout of a Produce request (acks=all). Default 30000. */
  readonly timeoutMs?: number;
}

/** What the producer needs from its client. */
export interface ProducerContext {
  readonly cluster: Cluster;
  readonly registry: Registry;
  readonly logger: Logger;
  readonly retry: RetryOptions | undefined;
  readonly serializers: SerializerChoices | undefined;
  readonly topics: Readonly<Record<string, TopicSettings>> | undefined;
  /** The client's default compression and partitioner (a producer's own options win). */
  readonly compression?: CompressionChoice | undefined;
  readonly partitioner?: PartitionerChoice | undefined;
}

interface Prepared {
  readonly topic: string;
  readonly record: RecordInput;
  readonly partition: number | undefined;
  readonly size: number;
}

/** What appending a record needs about its topic, looked up once per topic per send rather than per record. */
interface TopicRoute {
  readonly topic: string;
  readonly partitioner: Partitioner;
  readonly compression: ResolvedCompression;
  /** The topic's partition queues by partition (the same objects as in the producer's queue map). */
  readonly queues: Array<PartitionQueue | undefined>;
  /** Partition count from the metadata cache when the send began appending. */
  count: number;
}

interface SendRound {
  readonly node: number;
  readonly acks: number;
  readonly batches: ProducerBatch[];
  bytes: number;
}

const encoder = new TextEncoder();
// Per-record overhead on top of key, value and headers: length, attributes and
// timestamp/offset deltas, key and value lengths, header count — all varints.
const RECORD_OVERHEAD = 21;
const MAX_SEQUENCE = 0x7fffffff;

function toAcks(acks: Acks | undefined, fallback: number): number {
  if (acks === undefined) return fallback;
  if (acks === 'all' || acks === -1) return -1;
  if (acks === 0 || acks === 1) return acks;
  throw new TributaryError('ERR_INVALID_ARGUMENT', `acks must be 0, 1, -1 or 'all', got ${String(acks)}`);
}

function positiveInt(name: string, value: number | undefined, fallback: number, min = 1): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min) throw new TributaryError('ERR_INVALID_ARGUMENT', `${name} must be an integer ≥ ${min}, got ${String(v)}`);
  return v;
}

function headerBytes(value: HeaderValue | undefined): Uint8Array | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') return encoder.encode(value);
  throw new TributaryError('ERR_INVALID_ARGUMENT', 'A header value must be a string, bytes or null');
}

function toHeaders(headers: ProducerMessage['headers']): readonly RecordHeader[] {
  if (headers === undefined || headers === null) return NO_HEADERS;
  const out: RecordHeader[] = [];
  if (Array.isArray(headers)) {
    for (const h of headers as ReadonlyArray<{ key: string; value: HeaderValue }>) {
      if (typeof h?.key !== 'string') throw new TributaryError('ERR_INVALID_ARGUMENT', 'A header needs a string key');
      out.push({ key: h.key, value: headerBytes(h.value) });
    }
  } else {
    for (const key in headers as Record<string, HeaderValue>) {
      const value = (headers as Record<string, HeaderValue | undefined>)[key];
      if (value === undefined) continue;
      out.push({ key, value: headerBytes(value) });
    }
  }
  return out.length === 0 ? NO_HEADERS : out;
}

function headersSize(headers: readonly RecordHeader[]): number {
  let n = 0;
  for (let i = 0; i < headers.length; i++) {
    const h = headers[i]!;
    n += 10 + h.key.length * 3 + (h.value?.length ?? 0);
  }
  return n;
}

/** A producer with its accumulator, sender and memory bound. */
export class Producer {
  readonly #cluster: Cluster;
  readonly #registry: Registry;
  readonly #logger: Logger;
  readonly #serdes: SerdeTable;
  readonly #topicSettings: Readonly<Record<string, TopicSettings>>;
  readonly #partitioner: Partitioner;
  readonly #topicPartitioners = new Map<string, Partitioner>();
  readonly #compression: ResolvedCompression;
  readonly #topicCompression = new Map<string, ResolvedCompression>();
  readonly #acks: number;
  readonly #lingerMs: number;
  readonly #batchSize: number;
  readonly #maxBlockMs: number;
  readonly #maxRequestSize: number;
  readonly #maxInFlightRequests: number;
  readonly #timeoutMs: number;
  readonly #retry: RetryPolicy;
  readonly #memory: BufferMemory;
  readonly #queues = new Map<string, PartitionQueue>();
  readonly #routes = new Map<string, TopicRoute>();
  readonly #nodeInFlight = new Map<number, number>();
  /** Next idempotent sequence per partition; outlives the partition's (idle, dropped) queue. */
  readonly #sequences = new Map<string, number>();
  /** Sends whose records are not all in the accumulator yet. */
  readonly #accepting = new Set<Promise<unknown>>();
  #idempotent: boolean;
  readonly #idempotenceExplicit: boolean;
  #producerId = -1;
  #producerEpoch = -1;
  #nextBatchId = 1;
  #ready: Promise<void> | undefined;
  #isReady = false;
  #drainQueued = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Infinity;
  #flushing = 0;
  #state: 'open' | 'closing' | 'closed' = 'open';
  #refreshing = false;
  /** An idempotent batch failed with an unknown outcome: sending waits for a new epoch (KIP-360). */
  #epochBumpNeeded = false;
  #bumpingEpoch = false;

  constructor(context: ProducerContext, options: ProducerOptions = {}) {
    this.#cluster = context.cluster;
    this.#registry = context.registry;
    this.#logger = context.logger;
    this.#topicSettings = mergeTopicSettings(context.topics, options.topics);
    this.#serdes = new SerdeTable(context.registry, { ...context.serializers, ...options.serializers }, this.#topicSettings);
    this.#partitioner = resolvePartitioner(context.registry, options.partitioner ?? context.partitioner);
    this.#compression = resolveCompression(context.registry, options.compression ?? context.compression);
    this.#acks = toAcks(options.acks, -1);
    this.#lingerMs = positiveInt('lingerMs', options.lingerMs, 5, 0);
    this.#batchSize = positiveInt('batchSize', options.batchSize, 16384);
    this.#memory = new BufferMemory(positiveInt('bufferMemory', options.bufferMemory, 32 * 1024 * 1024));
    this.#maxBlockMs = positiveInt('maxBlockMs', options.maxBlockMs, 60_000, 0);
    this.#maxRequestSize = positiveInt('maxRequestSize', options.maxRequestSize, 1024 * 1024);
    this.#maxInFlightRequests = positiveInt('maxInFlightRequests', options.maxInFlightRequests, 5);
    this.#timeoutMs = positiveInt('timeoutMs', options.timeoutMs, 30_000);
    this.#retry = retryPolicy(options.retry ?? context.retry);
    this.#idempotenceExplicit = options.idempotent === true;
    this.#idempotent = options.idempotent ?? true;
    if (this.#idempotent && this.#acks !== -1) {
      if (this.#idempotenceExplicit) throw new TributaryError('ERR_INVALID_ARGUMENT', 'An idempotent producer needs acks=all (-1)');
      this.#idempotent = false;
    }
  }

  /** True while the producer numbers its batches (InitProducerId succeeded). */
  get idempotent(): boolean {
    return this.#idempotent && this.#producerId >= 0;
  }

  /** The producer id (-1 when not idempotent). */
  get producerId(): number {
    return this.#producerId;
  }

  /** The producer epoch (-1 when not idempotent); grows (or comes with a new id) after a batch with an unknown outcome. */
  get producerEpoch(): number {
    return this.#producerEpoch;
  }

  /** Bytes of records accepted and not yet acknowledged. */
  get bufferedBytes(): number {
    return this.#memory.used;
  }

  /** Connects to the cluster and, when idempotent, gets a producer id. send() does it on first use. */
  connect(): Promise<void> {
    this.#ready ??= this.#init();
    this.#ready.catch(() => {
      this.#ready = undefined;
    });
    return this.#ready;
  }

  async #init(): Promise<void> {
    // A broker restarting as the application starts is retried like any retriable failure.
    await withRetry(this.#retry, () => this.#cluster.connect());
    if (this.#idempotent) {
      const transport = await withRetry(this.#retry, () => this.#cluster.anyConnection());
      if (commonVersion(transport.apiVersions, ApiKey.InitProducerId) === undefined) {
        if (this.#idempotenceExplicit) {
          this.#logger.warn('the broker does not advertise InitProducerId: producing without idempotence');
        } else {
          this.#logger.debug('the broker does not advertise InitProducerId: producing without idempotence');
        }
        this.#idempotent = false;
      } else {
        const body = await this.#initProducerId(-1, -1);
        this.#producerId = body.producerId;
        this.#producerEpoch = body.producerEpoch;
        this.#logger.debug('idempotent producer', { producerId: this.#producerId, producerEpoch: this.#producerEpoch });
      }
    }
    this.#isReady = true;
  }

  /** InitProducerId (with retries): a new producer id, or — given the current id and epoch — a bumped epoch. */
  #initProducerId(producerId: number, producerEpoch: number): Promise<{ producerId: number; producerEpoch: number }> {
    return withRetry(this.#retry, async () => {
      const res = await this.#cluster.send(await this.#cluster.anyConnection(), ApiKey.InitProducerId, { transactionalId: null, transactionTimeoutMs: 60_000, producerId, producerEpoch });
      if (res.errorCode !== 0) throw kafkaError(res.errorCode, 'InitProducerId failed');
      return res;
    });
  }

  /** Sends messages to one topic; resolves per partition once acknowledged (see {@link RecordMetadata}). */
  send(record: ProducerRecord): Promise<RecordMetadata[]> {
    if (!record || typeof record.topic !== 'string' || !Array.isArray(record.messages)) {
      return Promise.reject(new TributaryError('ERR_INVALID_ARGUMENT', 'send needs { topic, messages: [...] }'));
    }
    return this.#track(this.#send([record], record.acks, record.compression));
  }

  /** Sends messages to several topics in one call. */
  sendBatch(batch: ProducerBatchRecord): Promise<RecordMetadata[]> {
    if (!batch || !Array.isArray(batch.topicMessages)) {
      return Promise.reject(new TributaryError('ERR_INVALID_ARGUMENT', 'sendBatch needs { topicMessages: [...] }'));
    }
    return this.#track(this.#send(batch.topicMessages, batch.acks, batch.compression));
  }

  /** Remembers a send until its records are in the accumulator (flush waits for that). */
  #track(accepting: Promise<{ delivered: Promise<RecordMetadata[]> }>): Promise<RecordMetadata[]> {
    this.#accepting.add(accepting);
    const forget = () => this.#accepting.delete(accepting);
    accepting.then(forget, forget);
    return accepting.then((accepted) => accepted.delivered);
  }

  /** Validates, serializes and appends; resolves (with the delivery promise) once every record is in a batch. */
  async #send(groups: readonly TopicMessages[], acksChoice: Acks | undefined, compressionChoice: CompressionChoice | undefined): Promise<{ delivered: Promise<RecordMetadata[]> }> {
    if (this.#state !== 'open') throw new TributaryError('ERR_PRODUCER_CLOSED', 'The producer is closed');
    if (!this.#isReady) await this.connect();
    this.#cluster.refreshIfStale();
    const acks = toAcks(acksChoice, this.#acks);
    const sendCompression = compressionChoice === undefined ? undefined : resolveCompression(this.#registry, compressionChoice);
    const now = Date.now();
    // Phase 1: validate and serialize everything, so a bad message queues nothing.
    const prepared: Prepared[] = [];
    for (const group of groups) {
      const topic = group.topic;
      if (typeof topic !== 'string' || topic.length === 0) throw new TributaryError('ERR_INVALID_ARGUMENT', 'A topic name is required');
      if (!Array.isArray(group.messages)) throw new TributaryError('ERR_INVALID_ARGUMENT', `messages for ${topic} must be an array`);
      const serde = this.#serdes.forTopic(topic);
      const keyContext: SerdeContext = { topic, isKey: true };
      const valueContext: SerdeContext = { topic, isKey: false };
      for (const m of group.messages) prepared.push(this.#prepare(topic, m, serde.key, serde.value, keyContext, valueContext, now));
    }
    // Topics must be known (and so created when auto-creation is on) before partitioning.
    for (const group of groups) if (!this.#cluster.cachedTopic(group.topic)) await this.#topicMetadata(group.topic);
    // An explicit partition beyond the cached count may be new (createPartitions): refresh once.
    const stale = new Set<string>();
    for (const p of prepared) {
      if (p.partition !== undefined && p.partition >= (this.#cluster.cachedTopic(p.topic)?.partitions.length ?? 0)) stale.add(p.topic);
    }
    if (stale.size > 0) await this.#cluster.refresh([...stale]);
    if ((this.#state as string) === 'closed') throw new TributaryError('ERR_PRODUCER_CLOSED', 'The producer is closed');
    // Phase 2: partition, reserve memory, append.
    const delivery = new Delivery();
    let i = 0;
    let route: TopicRoute | undefined;
    try {
      for (; i < prepared.length; i++) {
        const p = prepared[i]!;
        if (route?.topic !== p.topic) route = this.#route(p.topic);
        if (!this.#memory.tryReserve(p.size)) {
          this.#scheduleDrain();
          await this.#memory.reserve(p.size, this.#maxBlockMs);
          if ((this.#state as string) === 'closed') {
            this.#memory.release(p.size);
            throw new TributaryError('ERR_PRODUCER_CLOSED', 'The producer is closed');
          }
        }
        try {
          this.#append(p, route, acks, sendCompression, delivery, now);
        } catch (error) {
          this.#memory.release(p.size);
          throw error;
        }
      }
    } catch (error) {
      delivery.fail(error);
      return { delivered: delivery.promise };
    }
    delivery.release();
    return { delivered: delivery.promise };
  }

  #prepare(topic: string, m: ProducerMessage, keySerde: Serializer<any>, valueSerde: Serializer<any>, keyContext: SerdeContext, valueContext: SerdeContext, now: number): Prepared {
    if (m === null || typeof m !== 'object') throw new TributaryError('ERR_INVALID_ARGUMENT', 'A message must be an object');
    const key = m.key === undefined || m.key === null ? null : keySerde.serialize(m.key, keyContext);
    const value = m.value === undefined || m.value === null ? null : valueSerde.serialize(m.value, valueContext);
    const headers = toHeaders(m.headers);
    let timestamp = now;
    if (m.timestamp !== undefined) {
      timestamp = typeof m.timestamp === 'string' ? Number(m.timestamp) : m.timestamp;
      if (!Number.isSafeInteger(timestamp)) throw new TributaryError('ERR_INVALID_ARGUMENT', `Invalid timestamp ${String(m.timestamp)}`);
    }
    const partition = m.partition;
    if (partition !== undefined && (!Number.isInteger(partition) || partition < 0)) {
      throw new TributaryError('ERR_INVALID_ARGUMENT', `Invalid partition ${String(partition)}`);
    }
    const size = RECORD_OVERHEAD + (key?.length ?? 0) + (value?.length ?? 0) + (headers === NO_HEADERS ? 0 : headersSize(headers));
    if (size + BATCH_HEADER_SIZE + 64 > this.#maxRequestSize || size > this.#memory.limit) {
      throw kafkaError(10, `A record of about ${size} bytes exceeds maxRequestSize (${this.#maxRequestSize}) or bufferMemory (${this.#memory.limit})`, {
        details: { topic, size },
      });
    }
    return { topic, record: { key, value, headers, timestamp }, partition, size };
  }

  async #topicMetadata(topic: string): Promise<void> {
    await withRetry(this.#retry, () => this.#cluster.topicMetadata([topic]));
  }

  /** The route of `topic`, with its partition count refreshed from the metadata cache. */
  #route(topic: string): TopicRoute {
    let route = this.#routes.get(topic);
    if (!route) this.#routes.set(topic, (route = { topic, partitioner: this.#partitionerFor(topic), compression: this.#compressionFor(topic), queues: [], count: 0 }));
    route.count = this.#cluster.cachedTopic(topic)?.partitions.length ?? 0;
    return route;
  }

  #append(p: Prepared, route: TopicRoute, acks: number, sendCompression: ResolvedCompression | undefined, delivery: Delivery, now: number): void {
    const topic = p.topic;
    const count = route.count;
    let partition = p.partition;
    if (partition === undefined) {
      partition = route.partitioner.partition({ topic, key: p.record.key, value: p.record.value, partitionCount: count });
    } else if (partition >= count) {
      throw kafkaError(3, `Topic ${topic} has no partition ${partition} (it has ${count})`, { details: { topic, partition } });
    }
    let q = route.queues[partition];
    if (!q) {
      q = route.queues[partition] = new PartitionQueue(topic, partition);
      this.#queues.set(`${topic}\u0000${partition}`, q);
    }
    const compression = sendCompression ?? route.compression;
    let batch = q.open;
    if (batch && (batch.acks !== acks || batch.compression.codec !== compression.codec || batch.compression.source !== compression.source || batch.estimate + p.size > this.#batchSize)) {
      this.#close(q, count);
      batch = null;
    }
    if (!batch) {
      batch = q.open = new ProducerBatch(this.#nextBatchId++, q, acks, compression, BATCH_HEADER_SIZE, now);
      this.#wakeAt(now + this.#lingerMs);
    }
    batch.append(p.record, p.size, delivery);
    if (batch.estimate >= this.#batchSize) {
      this.#close(q, count);
      this.#scheduleDrain();
    }
  }

  #partitionerFor(topic: string): Partitioner {
    const choice = Object.hasOwn(this.#topicSettings, topic) ? this.#topicSettings[topic]!.partitioner : undefined;
    if (choice === undefined) return this.#partitioner;
    let p = this.#topicPartitioners.get(topic);
    if (!p) this.#topicPartitioners.set(topic, (p = resolvePartitioner(this.#registry, choice)));
    return p;
  }

  #compressionFor(topic: string): ResolvedCompression {
    const choice = Object.hasOwn(this.#topicSettings, topic) ? this.#topicSettings[topic]!.compression : undefined;
    if (choice === undefined) return this.#compression;
    let c = this.#topicCompression.get(topic);
    if (!c) this.#topicCompression.set(topic, (c = resolveCompression(this.#registry, choice)));
    return c;
  }

  /** Closes the open batch of `q`: assigns its sequence, encodes it once, queues it. */
  #close(q: PartitionQueue, partitionCount: number): void {
    const batch = q.open;
    if (!batch) return;
    q.open = null;
    const records = batch.records;
    batch.recordCount = records.length;
    // A send that overrides acks below all gets a plain batch: without every replica's
    // answer its sequence could not be trusted, and a lost one would block later batches.
    const idempotent = this.idempotent && batch.acks === -1;
    if (idempotent) {
      const key = `${q.topic}\u0000${q.partition}`;
      const sequence = this.#sequences.get(key) ?? 0;
      batch.baseSequence = sequence;
      batch.stampedSequence = sequence;
      batch.producerId = batch.stampedProducerId = this.#producerId;
      batch.producerEpoch = batch.stampedProducerEpoch = this.#producerEpoch;
      this.#sequences.set(key, (sequence + records.length) % (MAX_SEQUENCE + 1));
    }
    const input = {
      records,
      compression: batch.compression.codec,
      producerId: batch.producerId,
      producerEpoch: batch.producerEpoch,
      baseSequence: batch.baseSequence,
    };
    q.ready.push(batch);
    const partitioner = this.#partitionerFor(q.topic);
    partitioner.onBatchClosed?.(q.topic, q.partition, partitionCount || (this.#cluster.cachedTopic(q.topic)?.partitions.length ?? 1));
    if (input.compression === 0) {
      try {
        batch.bytes = encodeBatchSync(input);
      } catch (error) {
        this.#fail(batch, error);
        return;
      }
      batch.records = [];
      return;
    }
    encodeBatch(input, batch.compression.source).then(
      (bytes) => {
        batch.bytes = bytes;
        batch.records = [];
        this.#scheduleDrain();
      },
      (error) => this.#fail(batch, error),
    );
  }

  #wakeAt(at: number): void {
    // With linger 0 a batch due now drains on a microtask (what one synchronous send
    // appended goes together). A later time — a retry's backoff, a metadata retry — waits
    // on the timer: draining on microtasks until then would spin and starve the event loop.
    if (this.#lingerMs === 0 && at <= Date.now()) {
      this.#scheduleDrain();
      return;
    }
    if (this.#timer !== undefined && this.#timerAt <= at) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = Infinity;
      this.#drain();
    }, Math.max(0, at - Date.now()));
  }

  #scheduleDrain(): void {
    if (this.#drainQueued) return;
    this.#drainQueued = true;
    queueMicrotask(() => {
      this.#drainQueued = false;
      this.#drain();
    });
  }

  /** Closes batches that are due, and sends what may go: one batch per partition per request. */
  #drain(): void {
    const now = Date.now();
    const force = this.#flushing > 0 || this.#state !== 'open' || this.#memory.exhausted;
    const perPartition = this.idempotent ? Math.min(5, this.#maxInFlightRequests) : this.#maxInFlightRequests;
    let wake = Infinity;
    let missingLeader = false;
    const rounds = new Map<string, SendRound>();
    const planned = new Map<number, number>();
    const hold = this.#epochBumpNeeded;
    for (const q of this.#queues.values()) {
      const open = q.open;
      if (open) {
        if (force || now - open.createdAt >= this.#lingerMs) this.#close(q, 0);
        else wake = Math.min(wake, open.createdAt + this.#lingerMs);
      }
      if (hold) continue;
      let round = 0;
      while (q.ready.length > 0 && q.inFlight.size < perPartition) {
        const batch = q.ready[0]!;
        if (batch.bytes === null) break;
        if (batch.retryAt > now) {
          wake = Math.min(wake, batch.retryAt);
          break;
        }
        const node = this.#cluster.leaderOf(q.topic, q.partition);
        if (node < 0) {
          missingLeader = true;
          break;
        }
        const key = `${node}/${batch.acks}/${round}`;
        let r = rounds.get(key);
        if (r && r.bytes + batch.bytes.length > this.#maxRequestSize) {
          round++;
          continue;
        }
        if (!r) {
          const used = (this.#nodeInFlight.get(node) ?? 0) + (planned.get(node) ?? 0);
          if (used >= this.#maxInFlightRequests) break;
          planned.set(node, (planned.get(node) ?? 0) + 1);
          rounds.set(key, (r = { node, acks: batch.acks, batches: [], bytes: 0 }));
        }
        q.ready.shift();
        q.inFlight.add(batch);
        r.batches.push(batch);
        r.bytes += batch.bytes.length;
        round++;
      }
    }
    for (const r of rounds.values()) void this.#sendRound(r);
    if (hold) this.#bumpEpochWhenIdle();
    if (missingLeader) this.#refreshSoon();
    if (wake !== Infinity) this.#wakeAt(wake);
  }

  /**
   * KIP-360: once no batch is in flight (their answers may still move sequences), gets a
   * new epoch (or id) and restarts every partition's sequences at 0 for the waiting batches.
   */
  #bumpEpochWhenIdle(): void {
    if (this.#bumpingEpoch) return;
    let waiting = false;
    for (const q of this.#queues.values()) {
      if (q.inFlight.size > 0) return;
      if (q.ready.length > 0) waiting = true;
    }
    // Nothing to send: the bump waits for the next batch (the broker may be down now).
    if (!waiting) return;
    this.#bumpingEpoch = true;
    const [oldId, oldEpoch] = [this.#producerId, this.#producerEpoch];
    this.#initProducerId(oldId, oldEpoch).then(
      (body) => {
        this.#producerId = body.producerId;
        this.#producerEpoch = body.producerEpoch;
        this.#epochBumpNeeded = false;
        this.#sequences.clear();
        for (const q of this.#queues.values()) {
          let sequence = 0;
          for (const b of q.ready) {
            b.baseSequence = sequence;
            b.producerId = body.producerId;
            b.producerEpoch = body.producerEpoch;
            sequence = (sequence + b.recordCount) % (MAX_SEQUENCE + 1);
          }
          if (q.ready.length > 0) this.#sequences.set(`${q.topic}\u0000${q.partition}`, sequence);
        }
        this.#logger.info('idempotent producer: new epoch after a batch with an unknown outcome', { producerId: body.producerId, producerEpoch: body.producerEpoch, previousId: oldId, previousEpoch: oldEpoch });
      },
      (error) => {
        // Without a usable epoch, nothing waiting can be sent in order: it fails; the next send tries again.
        this.#logger.warn('idempotent producer: could not get a new epoch', { error: String(error) });
        for (const q of [...this.#queues.values()]) for (const b of [...q.ready]) this.#fail(b, error);
      },
    ).finally(() => {
      this.#bumpingEpoch = false;
      this.#scheduleDrain();
    });
  }

  #refreshSoon(): void {
    if (this.#refreshing) return;
    this.#refreshing = true;
    this.#cluster.refresh().then(
      () => {
        this.#refreshing = false;
        this.#scheduleDrain();
      },
      (error) => {
        this.#refreshing = false;
        this.#logger.debug('metadata refresh failed', { error: String(error) });
        // Try again after a backoff; batches keep waiting (bounded by their retries when sent).
        this.#wakeAt(Date.now() + backoff(this.#retry, 1));
      },
    );
  }

  async #sendRound(r: SendRound): Promise<void> {
    this.#nodeInFlight.set(r.node, (this.#nodeInFlight.get(r.node) ?? 0) + 1);
    const byTopic = new Map<string, Array<{ index: number; records: Uint8Array }>>();
    for (const b of r.batches) {
      // An in-process broker keeps the bytes it was handed (and stamps offsets into them): a retry sends a copy.
      const restamp = b.stampedSequence !== b.baseSequence || b.stampedProducerEpoch !== b.producerEpoch || b.stampedProducerId !== b.producerId;
      if (b.handedOver || restamp) b.bytes = b.bytes!.slice();
      b.handedOver = true;
      if (restamp) {
        // An earlier batch was rejected (the broker expects this one's records lower down),
        // or the producer took a new epoch: the header changes, and so does the CRC it covers.
        writeInt64BE(b.bytes!, BatchField.producerId, b.producerId);
        writeInt16BE(b.bytes!, BatchField.producerEpoch, b.producerEpoch);
        writeInt32BE(b.bytes!, BatchField.baseSequence, b.baseSequence);
        writeInt32BE(b.bytes!, BatchField.crc, computeBatchCrc(b.bytes!, 0, b.bytes!.length));
        b.stampedSequence = b.baseSequence;
        b.stampedProducerId = b.producerId;
        b.stampedProducerEpoch = b.producerEpoch;
      }
      let list = byTopic.get(b.queue.topic);
      if (!list) byTopic.set(b.queue.topic, (list = []));
      list.push({ index: b.queue.partition, records: b.bytes! });
    }
    const topicData: Array<{ name: string; partitionData: Array<{ index: number; records: Uint8Array }> }> = [];
    for (const [name, partitionData] of byTopic) topicData.push({ name, partitionData });
    const body = { transactionalId: null, acks: r.acks, timeoutMs: this.#timeoutMs, topicData };
    let response: any;
    try {
      const transport = await this.#cluster.connection(r.node);
      response = await this.#cluster.send(transport, ApiKey.Produce, body, { expectResponse: r.acks !== 0, extraTimeoutMs: this.#timeoutMs });
    } catch (error) {
      this.#nodeDone(r.node);
      for (const b of r.batches) this.#retryOrFail(b, error);
      this.#scheduleDrain();
      return;
    }
    this.#nodeDone(r.node);
    if (r.acks === 0) {
      for (const b of r.batches) this.#complete(b, -1, -1, -1);
    } else {
      this.#handleResponse(r, response);
    }
    this.#scheduleDrain();
  }

  #nodeDone(node: number): void {
    this.#nodeInFlight.set(node, (this.#nodeInFlight.get(node) ?? 1) - 1);
  }

  #handleResponse(r: SendRound, response: any): void {
    const answered = new Set<ProducerBatch>();
    for (const t of response.responses as any[]) {
      for (const p of t.partitionResponses as any[]) {
        const batch = r.batches.find((b) => b.queue.partition === p.index && b.queue.topic === t.name);
        if (!batch || answered.has(batch)) continue;
        answered.add(batch);
        const code: number = p.errorCode;
        if (code === 0) this.#complete(batch, p.baseOffset, p.logAppendTimeMs ?? -1, p.logStartOffset ?? -1);
        else if (code === 46) this.#complete(batch, -1, -1, -1); // DUPLICATE_SEQUENCE_NUMBER: an earlier attempt was written
        else this.#retryOrFail(batch, kafkaError(code, p.errorMessage ?? undefined, { details: { topic: t.name, partition: p.index } }));
      }
    }
    for (const b of r.batches) {
      if (!answered.has(b)) this.#retryOrFail(b, new TributaryError('ERR_MISSING_RESPONSE', `No answer for ${b.queue.topic}-${b.queue.partition}`, { retriable: true }));
    }
  }

  #retryOrFail(batch: ProducerBatch, error: unknown): void {
    const q = batch.queue;
    q.inFlight.delete(batch);
    let retriable = error instanceof TributaryError && error.retriable;
    // Out of order behind an earlier batch being retried: this one is retried after it.
    // So is one refused while a new epoch is pending: it is restamped before it goes again.
    if (error instanceof TributaryError && error.kafkaCode === 45 && (this.#epochBumpNeeded || q.ready.length > 0 || q.inFlight.size > 0 || batch.stampedSequence !== batch.baseSequence)) retriable = true;
    if (retriable && batch.attempts < this.#retry.retries && this.#state !== 'closed') {
      batch.attempts++;
      batch.retryAt = Date.now() + backoff(this.#retry, batch.attempts);
      q.requeue(batch);
      this.#logger.debug('retrying batch', { topic: q.topic, partition: q.partition, attempt: batch.attempts, error: String(error) });
      if (needsRefresh(error)) this.#refreshSoon();
      this.#wakeAt(batch.retryAt);
      return;
    }
    this.#fail(batch, error);
  }

  #complete(batch: ProducerBatch, baseOffset: number, logAppendTime: number, logStartOffset: number): void {
    const q = batch.queue;
    q.inFlight.delete(batch);
    this.#finish(batch);
    const { topic, partition } = q;
    for (let i = 0; i < batch.deliveries.length; i++) {
      batch.deliveries[i]!.batchDone(topic, partition, baseOffset < 0 ? -1 : baseOffset + batch.firstIndex[i]!, logAppendTime, logStartOffset);
    }
  }

  #fail(batch: ProducerBatch, error: unknown): void {
    const q = batch.queue;
    q.inFlight.delete(batch);
    const at = q.ready.indexOf(batch);
    if (at >= 0) q.ready.splice(at, 1);
    if (q.open === batch) q.open = null;
    // Closed when the broker certainly did not write the batch: it said so, or never got it.
    const notWritten = !batch.handedOver || (error instanceof TributaryError && error.kafkaCode !== undefined && error.kafkaCode !== 45);
    if (batch.baseSequence >= 0 && notWritten) {
      this.#closeSequenceGap(batch);
    }
    // Written or not, nobody knows (a timeout, a cut connection), or the broker lost track of
    // our sequences or epoch: only a new epoch makes the partition's next sequence certain.
    const code = error instanceof TributaryError ? error.kafkaCode : undefined;
    if (batch.baseSequence >= 0 && batch.handedOver && (code === undefined || code === 45 || code === 47 || code === 59) && this.#state !== 'closed') {
      this.#epochBumpNeeded = true;
    }
    this.#finish(batch);
    for (const d of batch.deliveries) d.fail(error);
  }

  /**
   * The broker answered that `batch` was not written, so it still expects the batch's
   * first sequence next: later batches of the partition move down by its record count
   * (restamped before they are sent again), and so does the next sequence to assign.
   * Without this, every later batch would fail with OUT_OF_ORDER_SEQUENCE_NUMBER.
   */
  #closeSequenceGap(batch: ProducerBatch): void {
    const q = batch.queue;
    const shift = batch.recordCount;
    const from = batch.baseSequence;
    const moveDown = (b: ProducerBatch) => {
      if (b !== batch && b.baseSequence > from) b.baseSequence -= shift;
    };
    for (const b of q.ready) moveDown(b);
    for (const b of q.inFlight) moveDown(b);
    const key = `${q.topic}\u0000${q.partition}`;
    const next = this.#sequences.get(key);
    if (next !== undefined && next >= from + shift) this.#sequences.set(key, next - shift);
  }

  #finish(batch: ProducerBatch): void {
    if (batch.done) return;
    batch.done = true;
    batch.bytes = null;
    this.#memory.release(batch.reserved);
    const waiters = batch.waiters;
    batch.waiters = null;
    if (waiters) for (const w of waiters) w();
    const q = batch.queue;
    if (q.idle) {
      this.#queues.delete(`${q.topic}\u0000${q.partition}`);
      const route = this.#routes.get(q.topic);
      if (route && route.queues[q.partition] === q) route.queues[q.partition] = undefined;
    }
  }

  #allBatches(): ProducerBatch[] {
    const out: ProducerBatch[] = [];
    for (const q of this.#queues.values()) {
      if (q.open) out.push(q.open);
      out.push(...q.ready, ...q.inFlight);
    }
    return out;
  }

  /** Sends everything accepted so far without lingering and waits until it is acknowledged or failed. */
  async flush(): Promise<void> {
    this.#flushing++;
    try {
      await Promise.allSettled([...this.#accepting]);
      const batches = this.#allBatches();
      this.#drain();
      await Promise.all(batches.map((b) => b.finished()));
    } finally {
      this.#flushing--;
    }
  }

  /**
   * Delivers everything pending (or rejects it once its retries are spent), then
   * closes; later sends fail with `ERR_PRODUCER_CLOSED`. The client's connections stay.
   */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closing';
    this.#memory.rejectAll(new TributaryError('ERR_PRODUCER_CLOSED', 'The producer closed while send() waited for memory'));
    await Promise.allSettled([...this.#accepting]);
    while (this.#queues.size > 0) {
      const batches = this.#allBatches();
      if (batches.length === 0) break;
      this.#drain();
      await Promise.all(batches.map((b) => b.finished()));
    }
    this.#state = 'closed';
    if (this.#timer !== undefined) clearTimeout(this.#timer);
  }

  /** Same as {@link close} (kafkajs's name). */
  disconnect(): Promise<void> {
    return this.close();
  }
}
