/**
 * The Producer: serialize → partition → per-partition accumulator (linger, batch size)
 * → one RecordBatch encoded and compressed once → Produce requests, one per broker and
 * round, pipelined up to `maxInFlightRequests` → per-send record metadata.
 *
 * This file is the front: options, validation and serialization, and the lifecycle
 * (connect, flush, close). The work is done by its parts:
 * - accumulator.ts — per-partition queues, linger, and the `bufferMemory` bound (bytes
 *   of records from acceptance to acknowledgement; when it is full, send waits — and the
 *   accumulator stops lingering, so memory frees sooner — and fails with
 *   `ERR_BUFFER_FULL` after `maxBlockMs`);
 * - sender.ts — per-broker Produce requests, retries with backoff, acknowledgements;
 * - idempotence.ts — producer id, epoch and sequences (on by default): InitProducerId,
 *   at most 5 batches per partition in flight, retries with the original sequence, and a
 *   new epoch after a batch with an unknown outcome (KIP-360). A broker that does not
 *   advertise InitProducerId gets a non-idempotent producer (logged at debug).
 */
import type { Partitioner } from '../../contracts/partitioner.ts';
import type { SerdeContext, Serializer } from '../../contracts/serializer.ts';
import { TributaryError, kafkaError } from '../../errors.ts';
import { KafkaCode } from '../../kafka-error-codes.ts';
import { BATCH_HEADER_SIZE } from '../../records/batch-header.ts';
import { NO_HEADERS, type RecordHeader } from '../../records/record.ts';
import type { Registry } from '../../registry.ts';
import type { Cluster } from '../cluster.ts';
import { type RetryPolicy, retryPolicy, withRetry } from '../retry.ts';
import {
  type CompressionChoice,
  type ResolvedCompression,
  SerdeTable,
  type TopicSettings,
  mergeTopicSettings,
  resolveCompression,
  resolvePartitioner,
} from '../serde.ts';
import { RecordAccumulator, type TopicRoute } from './accumulator.ts';
import { BufferMemory } from './buffer-memory.ts';
import { IdempotenceManager, initProducerIdOver } from './idempotence.ts';
import { Delivery, type RecordMetadata } from './producer-batch.ts';
import { Sender } from './sender.ts';
import type { Acks, HeaderValue, PreparedRecord, ProducerBatchRecord, ProducerContext, ProducerMessage, ProducerOptions, ProducerRecord, TopicMessages } from './types.ts';

const encoder = new TextEncoder();
// Per-record overhead on top of key, value and headers: length, attributes and
// timestamp/offset deltas, key and value lengths, header count — all varints.
const RECORD_OVERHEAD = 21;

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
  readonly #serdes: SerdeTable;
  readonly #topicSettings: Readonly<Record<string, TopicSettings>>;
  readonly #partitioner: Partitioner;
  readonly #topicPartitioners = new Map<string, Partitioner>();
  readonly #compression: ResolvedCompression;
  readonly #topicCompression = new Map<string, ResolvedCompression>();
  readonly #acks: number;
  readonly #maxBlockMs: number;
  readonly #maxRequestSize: number;
  readonly #retry: RetryPolicy;
  readonly #memory: BufferMemory;
  readonly #idempotence: IdempotenceManager;
  readonly #accumulator: RecordAccumulator;
  readonly #sender: Sender;
  /** Sends whose records are not all in the accumulator yet. */
  readonly #accepting = new Set<Promise<unknown>>();
  #ready: Promise<void> | undefined;
  #isReady = false;
  #flushing = 0;
  #state: 'open' | 'closing' | 'closed' = 'open';

  constructor(context: ProducerContext, options: ProducerOptions = {}) {
    this.#cluster = context.cluster;
    this.#registry = context.registry;
    this.#topicSettings = mergeTopicSettings(context.topics, options.topics);
    this.#serdes = new SerdeTable(context.registry, { ...context.serializers, ...options.serializers }, this.#topicSettings);
    this.#partitioner = resolvePartitioner(context.registry, options.partitioner ?? context.partitioner);
    this.#compression = resolveCompression(context.registry, options.compression ?? context.compression);
    this.#acks = toAcks(options.acks, -1);
    const lingerMs = positiveInt('lingerMs', options.lingerMs, 5, 0);
    const batchSize = positiveInt('batchSize', options.batchSize, 16384);
    this.#memory = new BufferMemory(positiveInt('bufferMemory', options.bufferMemory, 32 * 1024 * 1024));
    this.#maxBlockMs = positiveInt('maxBlockMs', options.maxBlockMs, 60_000, 0);
    this.#maxRequestSize = positiveInt('maxRequestSize', options.maxRequestSize, 1024 * 1024);
    const maxInFlightRequests = positiveInt('maxInFlightRequests', options.maxInFlightRequests, 5);
    const timeoutMs = positiveInt('timeoutMs', options.timeoutMs, 30_000);
    this.#retry = retryPolicy(options.retry ?? context.retry);
    const deliveryTimeoutMs = positiveInt('deliveryTimeoutMs', options.deliveryTimeoutMs, 120_000);
    // Kafka's retries default to "as many as the delivery timeout allows"; a count set by the user bounds them too.
    const maxAttempts = (options.retry ?? context.retry)?.retries ?? Infinity;
    const explicit = options.idempotent === true;
    let idempotent = options.idempotent ?? true;
    if (idempotent && this.#acks !== -1) {
      if (explicit) throw new TributaryError('ERR_INVALID_ARGUMENT', 'An idempotent producer needs acks=all (-1)');
      idempotent = false;
    }
    this.#idempotence = new IdempotenceManager({ enabled: idempotent, explicit, logger: context.logger, initProducerId: initProducerIdOver(this.#cluster, this.#retry) });
    this.#accumulator = new RecordAccumulator({
      lingerMs,
      batchSize,
      memory: this.#memory,
      idempotence: this.#idempotence,
      partitionCount: (topic) => this.#cluster.cachedTopic(topic)?.partitions.length,
      partitionerFor: (topic) => this.#partitionerFor(topic),
      compressionFor: (topic) => this.#compressionFor(topic),
      events: {
        wakeAt: (at) => this.#sender.wakeAt(at),
        drainSoon: () => this.#sender.drainSoon(),
        failed: (batch, error) => this.#sender.fail(batch, error),
      },
    });
    this.#sender = new Sender({
      cluster: this.#cluster,
      logger: context.logger,
      retry: this.#retry,
      accumulator: this.#accumulator,
      idempotence: this.#idempotence,
      lifecycle: {
        closed: () => this.#state === 'closed',
        urgent: () => this.#flushing > 0 || this.#state !== 'open',
      },
      lingerMs,
      maxRequestSize: this.#maxRequestSize,
      maxInFlightRequests,
      timeoutMs,
      deliveryTimeoutMs,
      maxAttempts,
    });
  }

  /** True while the producer numbers its batches (InitProducerId succeeded). */
  get idempotent(): boolean {
    return this.#idempotence.active;
  }

  /** The producer id (-1 when not idempotent). */
  get producerId(): number {
    return this.#idempotence.producerId;
  }

  /** The producer epoch (-1 when not idempotent); grows (or comes with a new id) after a batch with an unknown outcome. */
  get producerEpoch(): number {
    return this.#idempotence.producerEpoch;
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
    if (this.#idempotence.wanted) {
      const transport = await withRetry(this.#retry, () => this.#cluster.anyConnection());
      await this.#idempotence.start(transport.apiVersions);
    }
    this.#isReady = true;
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
    const prepared: PreparedRecord[] = [];
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
        if (route?.topic !== p.topic) route = this.#accumulator.route(p.topic);
        if (!this.#memory.tryReserve(p.size)) {
          this.#sender.drainSoon();
          await this.#memory.reserve(p.size, this.#maxBlockMs);
          if ((this.#state as string) === 'closed') {
            this.#memory.release(p.size);
            throw new TributaryError('ERR_PRODUCER_CLOSED', 'The producer is closed');
          }
        }
        try {
          this.#accumulator.append(p, route, acks, sendCompression, delivery, now);
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

  #prepare(topic: string, m: ProducerMessage, keySerde: Serializer<unknown>, valueSerde: Serializer<unknown>, keyContext: SerdeContext, valueContext: SerdeContext, now: number): PreparedRecord {
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
      throw kafkaError(KafkaCode.MESSAGE_TOO_LARGE, `A record of about ${size} bytes exceeds maxRequestSize (${this.#maxRequestSize}) or bufferMemory (${this.#memory.limit})`, {
        details: { topic, size },
      });
    }
    return { topic, record: { key, value, headers, timestamp }, partition, size };
  }

  async #topicMetadata(topic: string): Promise<void> {
    await withRetry(this.#retry, () => this.#cluster.topicMetadata([topic]));
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

  /** Sends everything accepted so far without lingering and waits until it is acknowledged or failed. */
  async flush(): Promise<void> {
    this.#flushing++;
    try {
      await Promise.allSettled([...this.#accepting]);
      const batches = this.#accumulator.allBatches();
      this.#sender.drain();
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
    while (this.#accumulator.busy) {
      const batches = this.#accumulator.allBatches();
      if (batches.length === 0) break;
      this.#sender.drain();
      await Promise.all(batches.map((b) => b.finished()));
    }
    this.#state = 'closed';
    this.#sender.stop();
  }

  /** Same as {@link close} (kafkajs's name). */
  disconnect(): Promise<void> {
    return this.close();
  }
}
