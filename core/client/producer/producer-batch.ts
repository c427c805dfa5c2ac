/**
 * The producer's unit of work: one RecordBatch for one partition, from its first record
 * to its acknowledgement, and the per-partition queue batches wait in. A batch is
 * encoded (and compressed) once when it closes; retries resend those bytes with the
 * same base sequence, which is what lets an idempotent broker drop duplicates.
 */
import type { RecordInput } from '../../records/record.ts';
import type { ResolvedCompression } from '../serde.ts';

/** What one partition of a send reports back (kafkajs's RecordMetadata, with number offsets). */
export interface RecordMetadata {
  readonly topic: string;
  readonly partition: number;
  /** 0 on success. */
  readonly errorCode: number;
  /** Offset of this send's first record on this partition (-1 with acks=0). */
  readonly baseOffset: number;
  /** Broker append time when the topic uses LogAppendTime, else -1. */
  readonly logAppendTime: number;
  /** The partition's log start offset as the broker reported it (-1 when unknown). */
  readonly logStartOffset: number;
}

/**
 * Tracks one send()/sendBatch() call: it resolves when every batch holding one of its
 * records is acknowledged, and rejects on the first batch that fails for good.
 */
export class Delivery {
  readonly results: RecordMetadata[] = [];
  /** Batches still open for this delivery, plus one while records are being appended. */
  pending = 1;
  #settled = false;
  #resolve!: (results: RecordMetadata[]) => void;
  #reject!: (error: unknown) => void;
  readonly promise: Promise<RecordMetadata[]>;

  constructor() {
    this.promise = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /** Notes one acknowledged batch (the first result per partition is this send's). */
  batchDone(topic: string, partition: number, baseOffset: number, logAppendTime: number, logStartOffset: number): void {
    const results = this.results;
    let seen = false;
    for (let i = 0; i < results.length; i++) {
      const r = results[i]!;
      if (r.partition === partition && r.topic === topic) { seen = true; break; }
    }
    if (!seen) results.push({ topic, partition, errorCode: 0, baseOffset, logAppendTime, logStartOffset });
    this.release();
  }

  /** One holder less; resolves when none is left. */
  release(): void {
    if (--this.pending === 0 && !this.#settled) {
      this.#settled = true;
      this.#resolve(this.results);
    }
  }

  /** Fails the delivery (once). */
  fail(error: unknown): void {
    this.pending--;
    if (this.#settled) return;
    this.#settled = true;
    this.#reject(error);
  }
}

/** One partition's batch, open (collecting records) or closed (encoded, waiting or in flight). */
export class ProducerBatch {
  readonly id: number;
  readonly queue: PartitionQueue;
  readonly createdAt: number;
  readonly acks: number;
  readonly compression: ResolvedCompression;
  records: RecordInput[] = [];
  /** Estimated encoded size while open (header included). */
  estimate: number;
  /** Bytes reserved in the producer's buffer memory. */
  reserved = 0;
  readonly deliveries: Delivery[] = [];
  /** Index in `records` of each delivery's first record. */
  readonly firstIndex: number[] = [];
  /** Encoded batch once closed (null while compressing). */
  bytes: Uint8Array | null = null;
  recordCount = 0;
  /** The idempotent sequence this batch must carry (moves down when an earlier batch is rejected). */
  baseSequence = -1;
  /** The sequence written in `bytes` (restamped before sending when it differs from baseSequence). */
  stampedSequence = -1;
  /** Producer id and epoch this batch must carry (change when the producer bumps its epoch). */
  producerId = -1;
  producerEpoch = -1;
  /** Producer id and epoch written in `bytes`. */
  stampedProducerId = -1;
  stampedProducerEpoch = -1;
  attempts = 0;
  retryAt = 0;
  /** Sent to the broker at least once (an in-process broker may keep the bytes it got). */
  handedOver = false;
  done = false;
  /** Callbacks waiting for this batch to finish (flush). */
  waiters: Array<() => void> | null = null;

  constructor(id: number, queue: PartitionQueue, acks: number, compression: ResolvedCompression, headerSize: number, now: number) {
    this.id = id;
    this.queue = queue;
    this.acks = acks;
    this.compression = compression;
    this.estimate = headerSize;
    this.createdAt = now;
  }

  /** Adds a record; its bytes are already reserved. */
  append(record: RecordInput, size: number, delivery: Delivery): void {
    const n = this.deliveries.length;
    if (n === 0 || this.deliveries[n - 1] !== delivery) {
      this.deliveries.push(delivery);
      this.firstIndex.push(this.records.length);
      delivery.pending++;
    }
    this.records.push(record);
    this.estimate += size;
    this.reserved += size;
  }

  /** Resolves when the batch is finished (acknowledged or failed). */
  finished(): Promise<void> {
    if (this.done) return Promise.resolve();
    return new Promise((resolve) => (this.waiters ??= []).push(resolve));
  }
}

/** The batches of one partition: the open one, then closed ones in order. */
export class PartitionQueue {
  readonly topic: string;
  readonly partition: number;
  open: ProducerBatch | null = null;
  /** Closed batches waiting to be sent, ordered by id (retries go back in their place). */
  readonly ready: ProducerBatch[] = [];
  readonly inFlight = new Set<ProducerBatch>();

  constructor(topic: string, partition: number) {
    this.topic = topic;
    this.partition = partition;
  }

  /** Puts a batch back for a retry, in id order. */
  requeue(batch: ProducerBatch): void {
    let i = this.ready.length;
    while (i > 0 && this.ready[i - 1]!.id > batch.id) i--;
    this.ready.splice(i, 0, batch);
  }

  /** True when nothing is open, waiting or in flight. */
  get idle(): boolean {
    return this.open === null && this.ready.length === 0 && this.inFlight.size === 0;
  }
}
