/**
 * The record accumulator: per-partition queues of batches, lingering, and the buffer
 * memory bound. A record goes into its partition's open batch; the batch closes when it
 * reaches `batchSize`, when its linger time is up, or at once when the sender must not
 * wait (flush, close, memory full). Closing numbers it (idempotence), encodes and
 * compresses it once, and queues it for the sender.
 */
import type { Partitioner } from '../../contracts/partitioner.ts';
import { kafkaError } from '../../errors.ts';
import { KafkaCode } from '../../kafka-error-codes.ts';
import { BATCH_HEADER_SIZE } from '../../records/batch-header.ts';
import { encodeBatch, encodeBatchSync } from '../../records/record-batch.ts';
import type { ResolvedCompression } from '../serde.ts';
import type { BufferMemory } from './buffer-memory.ts';
import type { IdempotenceManager } from './idempotence.ts';
import { type Delivery, PartitionQueue, ProducerBatch } from './producer-batch.ts';
import type { PreparedRecord } from './types.ts';

/** What appending a record needs about its topic, looked up once per topic per send rather than per record. */
export interface TopicRoute {
  readonly topic: string;
  readonly partitioner: Partitioner;
  readonly compression: ResolvedCompression;
  /** The topic's partition queues by partition (the same objects as in the accumulator's queue map). */
  readonly queues: Array<PartitionQueue | undefined>;
  /** Partition count from the metadata cache when the send began appending. */
  count: number;
}

/** How the accumulator tells the sender that there is work. */
export interface AccumulatorEvents {
  /** A lingering batch is due at `at` (ms since the epoch). */
  wakeAt(at: number): void;
  /** A batch is ready to go (it filled up, or its encoding finished). */
  drainSoon(): void;
  /** A batch could not be encoded: it fails for good. */
  failed(batch: ProducerBatch, error: unknown): void;
}

/** Settings and collaborators of a {@link RecordAccumulator}. */
export interface AccumulatorOptions {
  readonly lingerMs: number;
  readonly batchSize: number;
  readonly memory: BufferMemory;
  /** Numbers batches as they close. */
  readonly idempotence: Pick<IdempotenceManager, 'assignSequence'>;
  /** The topic's partition count in the metadata cache (undefined when the topic is not cached). */
  partitionCount(topic: string): number | undefined;
  /** The topic's partitioner (one instance per topic setting, kept: partitioners have state). */
  partitionerFor(topic: string): Partitioner;
  /** The topic's compression unless a send overrides it. */
  compressionFor(topic: string): ResolvedCompression;
  readonly events: AccumulatorEvents;
}

function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/** Per-partition batch queues with linger and a memory bound. */
export class RecordAccumulator {
  /** Bytes of records accepted and not yet acknowledged. */
  readonly memory: BufferMemory;
  readonly #lingerMs: number;
  readonly #batchSize: number;
  readonly #options: AccumulatorOptions;
  readonly #events: AccumulatorEvents;
  readonly #queues = new Map<string, PartitionQueue>();
  readonly #routes = new Map<string, TopicRoute>();
  #nextBatchId = 1;

  constructor(options: AccumulatorOptions) {
    this.#options = options;
    this.#events = options.events;
    this.memory = options.memory;
    this.#lingerMs = options.lingerMs;
    this.#batchSize = options.batchSize;
  }

  /** The partition queues holding a batch (a queue goes once idle). */
  queues(): IterableIterator<PartitionQueue> {
    return this.#queues.values();
  }

  /** True while some partition has a batch open, waiting or in flight. */
  get busy(): boolean {
    return this.#queues.size > 0;
  }

  /** The route of `topic`, with its partition count refreshed from the metadata cache. */
  route(topic: string): TopicRoute {
    let route = this.#routes.get(topic);
    if (!route) this.#routes.set(topic, (route = { topic, partitioner: this.#options.partitionerFor(topic), compression: this.#options.compressionFor(topic), queues: [], count: 0 }));
    route.count = this.#options.partitionCount(topic) ?? 0;
    return route;
  }

  /**
   * Appends a record (its bytes already reserved in memory) to its partition's open
   * batch, opening one (and starting its linger) or closing a full one as needed.
   */
  append(p: PreparedRecord, route: TopicRoute, acks: number, sendCompression: ResolvedCompression | undefined, delivery: Delivery, now: number): void {
    const topic = p.topic;
    const count = route.count;
    let partition = p.partition;
    if (partition === undefined) {
      partition = route.partitioner.partition({ topic, key: p.record.key, value: p.record.value, partitionCount: count });
    } else if (partition >= count) {
      throw kafkaError(KafkaCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${topic} has no partition ${partition} (it has ${count})`, { details: { topic, partition } });
    }
    let q = route.queues[partition];
    if (!q) {
      q = route.queues[partition] = new PartitionQueue(topic, partition);
      this.#queues.set(partitionKey(topic, partition), q);
    }
    const compression = sendCompression ?? route.compression;
    let batch = q.open;
    if (batch && (batch.acks !== acks || batch.compression.codec !== compression.codec || batch.compression.source !== compression.source || batch.estimate + p.size > this.#batchSize)) {
      this.#close(q, count);
      batch = null;
    }
    if (!batch) {
      batch = q.open = new ProducerBatch(this.#nextBatchId++, q, acks, compression, BATCH_HEADER_SIZE, now);
      this.#events.wakeAt(now + this.#lingerMs);
    }
    batch.append(p.record, p.size, delivery);
    if (batch.estimate >= this.#batchSize) {
      this.#close(q, count);
      this.#events.drainSoon();
    }
  }

  /**
   * Closes every open batch whose linger is up (every one when `force`); returns when the
   * next lingering one is due (Infinity when none is).
   */
  closeDue(now: number, force: boolean): number {
    let wake = Infinity;
    for (const q of this.#queues.values()) {
      const open = q.open;
      if (!open) continue;
      if (force || now - open.createdAt >= this.#lingerMs) this.#close(q, 0);
      else wake = Math.min(wake, open.createdAt + this.#lingerMs);
    }
    return wake;
  }

  /** Closes the open batch of `q`: assigns its sequence, encodes it once, queues it. */
  #close(q: PartitionQueue, partitionCount: number): void {
    const batch = q.open;
    if (!batch) return;
    q.open = null;
    const records = batch.records;
    batch.recordCount = records.length;
    this.#options.idempotence.assignSequence(batch);
    const input = {
      records,
      compression: batch.compression.codec,
      producerId: batch.producerId,
      producerEpoch: batch.producerEpoch,
      baseSequence: batch.baseSequence,
    };
    q.ready.push(batch);
    const partitioner = this.#options.partitionerFor(q.topic);
    partitioner.onBatchClosed?.(q.topic, q.partition, partitionCount || (this.#options.partitionCount(q.topic) ?? 1));
    if (input.compression === 0) {
      try {
        batch.bytes = encodeBatchSync(input);
      } catch (error) {
        this.#events.failed(batch, error);
        return;
      }
      batch.records = [];
      return;
    }
    encodeBatch(input, batch.compression.source).then(
      (bytes) => {
        batch.bytes = bytes;
        batch.records = [];
        this.#events.drainSoon();
      },
      (error) => this.#events.failed(batch, error),
    );
  }

  /** Takes a batch out of its queue (open, waiting or in flight): it failed for good. */
  remove(batch: ProducerBatch): void {
    const q = batch.queue;
    q.inFlight.delete(batch);
    const at = q.ready.indexOf(batch);
    if (at >= 0) q.ready.splice(at, 1);
    if (q.open === batch) q.open = null;
  }

  /**
   * Ends a batch (acknowledged or failed, once): frees its bytes and memory, wakes its
   * waiters, and drops its queue when that is idle now.
   */
  deallocate(batch: ProducerBatch): void {
    if (batch.done) return;
    batch.done = true;
    batch.bytes = null;
    this.memory.release(batch.reserved);
    const waiters = batch.waiters;
    batch.waiters = null;
    if (waiters) for (const w of waiters) w();
    const q = batch.queue;
    if (q.idle) {
      this.#queues.delete(partitionKey(q.topic, q.partition));
      const route = this.#routes.get(q.topic);
      if (route && route.queues[q.partition] === q) route.queues[q.partition] = undefined;
    }
  }

  /** Every batch not finished yet: open, waiting and in flight. */
  allBatches(): ProducerBatch[] {
    const out: ProducerBatch[] = [];
    for (const q of this.#queues.values()) {
      if (q.open) out.push(q.open);
      out.push(...q.ready, ...q.inFlight);
    }
    return out;
  }
}
