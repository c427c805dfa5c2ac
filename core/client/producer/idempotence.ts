/**
 * Idempotence: the producer id and epoch from InitProducerId, the next sequence of every
 * partition, and what keeps them right when batches fail — the part of the producer that
 * grows into the transaction manager (Kafka's TransactionManager holds the same state).
 *
 * A batch rejected for certain (the broker said so, or never got it) leaves a hole in the
 * partition's sequences: later batches move down by its record count. A batch whose fate
 * is unknown (retries spent on a timeout or a cut connection, or OUT_OF_ORDER_SEQUENCE_NUMBER /
 * UNKNOWN_PRODUCER_ID / INVALID_PRODUCER_EPOCH for good) leaves the broker's next expected
 * sequence unknown, and every later batch could be refused forever. As the Java client
 * does (KIP-360), sending then holds until no batch is in flight, InitProducerId (v3+
 * carries the current id and epoch) gives a new epoch or id, every partition's sequence
 * restarts at 0 and the waiting batches are restamped.
 */
import type { Logger } from '../../contracts/logger.ts';
import { TributaryError, kafkaError } from '../../errors.ts';
import { KafkaCode } from '../../kafka-error-codes.ts';
import { ApiKey } from '../../protocol/api-keys.ts';
import { BatchField, computeBatchCrc } from '../../records/batch-header.ts';
import { writeInt16BE, writeInt32BE, writeInt64BE } from '../../records/varint.ts';
import { commonVersion } from '../client-versions.ts';
import type { Cluster } from '../cluster.ts';
import { type RetryPolicy, withRetry } from '../retry.ts';
import type { Transport } from '../transport.ts';
import type { PartitionQueue, ProducerBatch } from './producer-batch.ts';

/** Sequences wrap after this (Kafka's Integer.MAX_VALUE). */
export const MAX_SEQUENCE = 0x7fffffff;

const { OUT_OF_ORDER_SEQUENCE_NUMBER, INVALID_PRODUCER_EPOCH, UNKNOWN_PRODUCER_ID } = KafkaCode;

/** A producer id and epoch, as InitProducerId answers them. */
export interface ProducerIdAndEpoch {
  readonly producerId: number;
  readonly producerEpoch: number;
}

/** Gets a new producer id (given -1, -1) or, given the current id and epoch, a bumped epoch. */
export type InitProducerId = (producerId: number, producerEpoch: number) => Promise<ProducerIdAndEpoch>;

/** InitProducerId over `cluster` (any broker), with retries. */
export function initProducerIdOver(cluster: Cluster, retry: RetryPolicy): InitProducerId {
  return (producerId, producerEpoch) =>
    withRetry(retry, async () => {
      const res = await cluster.send(await cluster.anyConnection(), ApiKey.InitProducerId, { transactionalId: null, transactionTimeoutMs: 60_000, producerId, producerEpoch });
      if (res.errorCode !== 0) throw kafkaError(res.errorCode, 'InitProducerId failed');
      return res;
    });
}

/** Settings of an {@link IdempotenceManager}. */
export interface IdempotenceOptions {
  /** Whether the producer wants idempotence (false: every batch is plain). */
  readonly enabled: boolean;
  /** Asked for explicitly (a broker without InitProducerId is then worth a warning). */
  readonly explicit: boolean;
  readonly logger: Logger;
  readonly initProducerId: InitProducerId;
}

function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/** The producer id, epoch and per-partition sequences of an idempotent producer. */
export class IdempotenceManager {
  readonly #logger: Logger;
  readonly #explicit: boolean;
  readonly #initProducerId: InitProducerId;
  #enabled: boolean;
  #producerId = -1;
  #producerEpoch = -1;
  /** Next sequence per partition; outlives the partition's (idle, dropped) queue. */
  readonly #sequences = new Map<string, number>();
  /** A batch failed with an unknown outcome: sending waits for a new epoch (KIP-360). */
  #epochBumpNeeded = false;
  #bumpingEpoch = false;

  constructor(options: IdempotenceOptions) {
    this.#enabled = options.enabled;
    this.#explicit = options.explicit;
    this.#logger = options.logger;
    this.#initProducerId = options.initProducerId;
  }

  /** True while the producer wants idempotence (before start(), or after it found InitProducerId). */
  get wanted(): boolean {
    return this.#enabled;
  }

  /** True while batches are numbered: idempotence is wanted and a producer id was given. */
  get active(): boolean {
    return this.#enabled && this.#producerId >= 0;
  }

  /** The producer id (-1 when not idempotent). */
  get producerId(): number {
    return this.#producerId;
  }

  /** The producer epoch (-1 when not idempotent). */
  get producerEpoch(): number {
    return this.#producerEpoch;
  }

  /** True while sending must hold for a new epoch (KIP-360). */
  get holding(): boolean {
    return this.#epochBumpNeeded;
  }

  /**
   * Gets a producer id when the broker advertises InitProducerId (`apiVersions`: what it
   * advertised); else the producer goes on without idempotence (logged).
   */
  async start(apiVersions: Transport['apiVersions']): Promise<void> {
    if (!this.#enabled) return;
    if (commonVersion(apiVersions, ApiKey.InitProducerId) === undefined) {
      if (this.#explicit) {
        this.#logger.warn('the broker does not advertise InitProducerId: producing without idempotence');
      } else {
        this.#logger.debug('the broker does not advertise InitProducerId: producing without idempotence');
      }
      this.#enabled = false;
      return;
    }
    const body = await this.#initProducerId(-1, -1);
    this.#producerId = body.producerId;
    this.#producerEpoch = body.producerEpoch;
    this.#logger.debug('idempotent producer', { producerId: this.#producerId, producerEpoch: this.#producerEpoch });
  }

  /**
   * Numbers a batch as it closes (its recordCount set): its partition's next sequence, the producer id and
   * epoch. A batch whose send overrides acks below all stays plain: without every
   * replica's answer its sequence could not be trusted, and a lost one would block later
   * batches.
   */
  assignSequence(batch: ProducerBatch): void {
    if (!this.active || batch.acks !== -1) return;
    const q = batch.queue;
    const key = partitionKey(q.topic, q.partition);
    const sequence = this.#sequences.get(key) ?? 0;
    batch.baseSequence = sequence;
    batch.stampedSequence = sequence;
    batch.producerId = batch.stampedProducerId = this.#producerId;
    batch.producerEpoch = batch.stampedProducerEpoch = this.#producerEpoch;
    this.#sequences.set(key, (sequence + batch.recordCount) % (MAX_SEQUENCE + 1));
  }

  /** The sequence the next batch of `topic`/`partition` gets (0 for a partition not produced to yet). */
  nextSequence(topic: string, partition: number): number {
    return this.#sequences.get(partitionKey(topic, partition)) ?? 0;
  }

  /**
   * True when OUT_OF_ORDER_SEQUENCE_NUMBER on `batch` is worth a retry rather than final:
   * it is behind an earlier batch being retried (and goes after it), was sent with a
   * sequence that has moved since, or a new epoch is pending (it is restamped first).
   */
  retriesOutOfOrder(batch: ProducerBatch, error: unknown): boolean {
    if (!(error instanceof TributaryError) || error.kafkaCode !== OUT_OF_ORDER_SEQUENCE_NUMBER) return false;
    const q = batch.queue;
    return this.#epochBumpNeeded || q.ready.length > 0 || q.inFlight.size > 0 || batch.stampedSequence !== batch.baseSequence;
  }

  /**
   * Keeps sequences right after `batch` failed for good (it is out of its queue already):
   * closes its gap when the broker certainly did not write it, and asks for a new epoch
   * when nobody knows (unless the producer is closed).
   */
  batchFailed(batch: ProducerBatch, error: unknown, closed: boolean): void {
    if (batch.baseSequence < 0) return;
    const code = error instanceof TributaryError ? error.kafkaCode : undefined;
    // Not written for certain when the broker said so, or never got the batch.
    const notWritten = !batch.handedOver || (code !== undefined && code !== OUT_OF_ORDER_SEQUENCE_NUMBER);
    if (notWritten) this.#closeSequenceGap(batch);
    // Written or not, nobody knows (a timeout, a cut connection), or the broker lost track of
    // our sequences or epoch: only a new epoch makes the partition's next sequence certain.
    if (batch.handedOver && (code === undefined || code === OUT_OF_ORDER_SEQUENCE_NUMBER || code === INVALID_PRODUCER_EPOCH || code === UNKNOWN_PRODUCER_ID) && !closed) {
      this.#epochBumpNeeded = true;
    }
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
    const key = partitionKey(q.topic, q.partition);
    const next = this.#sequences.get(key);
    if (next !== undefined && next >= from + shift) this.#sequences.set(key, next - shift);
  }

  /**
   * KIP-360: once no batch is in flight (their answers may still move sequences), gets a
   * new epoch (or id) and restarts every partition's sequences at 0 for the waiting
   * batches. Resolves when a bump ends (the sender then drains); null when none started.
   * Without a usable epoch nothing waiting can be sent in order: `fail` fails it, and the
   * next send tries again.
   */
  bumpEpochWhenIdle(queues: () => Iterable<PartitionQueue>, fail: (batch: ProducerBatch, error: unknown) => void): Promise<void> | null {
    if (this.#bumpingEpoch) return null;
    let waiting = false;
    for (const q of queues()) {
      if (q.inFlight.size > 0) return null;
      if (q.ready.length > 0) waiting = true;
    }
    // Nothing to send: the bump waits for the next batch (the broker may be down now).
    if (!waiting) return null;
    this.#bumpingEpoch = true;
    const [oldId, oldEpoch] = [this.#producerId, this.#producerEpoch];
    return this.#initProducerId(oldId, oldEpoch).then(
      (body) => {
        this.#producerId = body.producerId;
        this.#producerEpoch = body.producerEpoch;
        this.#epochBumpNeeded = false;
        this.#sequences.clear();
        for (const q of queues()) {
          let sequence = 0;
          for (const b of q.ready) {
            b.baseSequence = sequence;
            b.producerId = body.producerId;
            b.producerEpoch = body.producerEpoch;
            sequence = (sequence + b.recordCount) % (MAX_SEQUENCE + 1);
          }
          if (q.ready.length > 0) this.#sequences.set(partitionKey(q.topic, q.partition), sequence);
        }
        this.#logger.info('idempotent producer: new epoch after a batch with an unknown outcome', { producerId: body.producerId, producerEpoch: body.producerEpoch, previousId: oldId, previousEpoch: oldEpoch });
      },
      (error) => {
        this.#logger.warn('idempotent producer: could not get a new epoch', { error: String(error) });
        for (const q of [...queues()]) for (const b of [...q.ready]) fail(b, error);
      },
    ).finally(() => {
      this.#bumpingEpoch = false;
    });
  }
}

/** True when `batch`'s bytes carry another sequence, id or epoch than it must (an earlier batch failed, or a new epoch came). */
export function needsRestamp(batch: ProducerBatch): boolean {
  return batch.stampedSequence !== batch.baseSequence || batch.stampedProducerEpoch !== batch.producerEpoch || batch.stampedProducerId !== batch.producerId;
}

/** Writes `batch`'s producer id, epoch and sequence into its bytes (a copy the caller owns) and the CRC that covers them. */
export function restamp(batch: ProducerBatch): void {
  const bytes = batch.bytes!;
  writeInt64BE(bytes, BatchField.producerId, batch.producerId);
  writeInt16BE(bytes, BatchField.producerEpoch, batch.producerEpoch);
  writeInt32BE(bytes, BatchField.baseSequence, batch.baseSequence);
  writeInt32BE(bytes, BatchField.crc, computeBatchCrc(bytes, 0, bytes.length));
  batch.stampedSequence = batch.baseSequence;
  batch.stampedProducerId = batch.producerId;
  batch.stampedProducerEpoch = batch.producerEpoch;
}
