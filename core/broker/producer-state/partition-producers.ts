/**
 * Idempotent-producer state of one partition: per producer id, its epoch and the sequence
 * ranges and offsets of its last five batches, as Kafka's ProducerStateManager keeps them.
 * It decides whether an incoming batch is the next in sequence, a retry of a recent batch
 * (answered with the original offset, not appended again), or an error.
 */
import { kafkaError } from '../../errors.ts';
import type { BatchHeader } from '../../records/batch-header.ts';

/** How many recent batches per producer are remembered for duplicate detection (Kafka: 5). */
export const RETAINED_BATCHES = 5;

/** A batch as remembered for dedup (Kafka's BatchMetadata; the client's ProducerBatch is the batch being built and sent). */
export interface BatchMetadata {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly baseOffset: number;
  readonly lastOffset: number;
}

/** One producer's entry. */
export interface ProducerEntry {
  readonly producerId: number;
  epoch: number;
  /** Oldest first; never empty. */
  batches: BatchMetadata[];
  /** When the broker last appended for it (ms; the expiry clock). */
  lastTimestamp: number;
}

/** The facts of a batch header the checks need. */
export type SequencedHeader = Pick<BatchHeader, 'producerId' | 'producerEpoch' | 'baseSequence' | 'lastOffsetDelta'>;

const INT32_MAX = 2147483647;

/** The sequence after `seq` advanced by `delta` (sequences wrap at 2^31 - 1, as Kafka's). */
export function addSequence(seq: number, delta: number): number {
  return seq > INT32_MAX - delta ? delta - (INT32_MAX - seq) - 1 : seq + delta;
}

function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT32_MAX);
}

/** The table of one partition. */
export class PartitionProducers {
  readonly #entries = new Map<number, ProducerEntry>();

  /** Number of producers known. */
  get size(): number {
    return this.#entries.size;
  }

  /** The entry of a producer id, if any. */
  entry(producerId: number): ProducerEntry | undefined {
    return this.#entries.get(producerId);
  }

  /**
   * Checks a batch before it is appended: the recent batch it repeats (a retry), or null
   * when it may be appended. Throws INVALID_PRODUCER_EPOCH for an older epoch,
   * OUT_OF_ORDER_SEQUENCE_NUMBER for a gap or a new epoch not starting at 0, and
   * INVALID_RECORD for an idempotent batch without a sequence. A producer this partition
   * does not know (new, or expired) may start at any sequence, as in Kafka 2.5+.
   */
  check(header: SequencedHeader): BatchMetadata | null {
    if (header.producerId < 0) return null;
    if (header.baseSequence < 0) throw kafkaError(87, `Batch of producer ${header.producerId} has no sequence number`);
    const entry = this.#entries.get(header.producerId);
    if (!entry) return null;
    const firstSeq = header.baseSequence;
    if (header.producerEpoch < entry.epoch) {
      throw kafkaError(47, `Producer ${header.producerId} epoch ${header.producerEpoch} is older than the current ${entry.epoch}`);
    }
    if (header.producerEpoch === entry.epoch) {
      const lastSeq = addSequence(firstSeq, header.lastOffsetDelta);
      const duplicate = entry.batches.find((b) => b.firstSeq === firstSeq && b.lastSeq === lastSeq);
      if (duplicate) return duplicate;
      const last = entry.batches[entry.batches.length - 1]!.lastSeq;
      if (!inSequence(last, firstSeq)) {
        throw kafkaError(45, `Producer ${header.producerId} sent sequence ${firstSeq}, expected ${addSequence(last, 1)}`);
      }
      return null;
    }
    if (firstSeq !== 0) throw kafkaError(45, `Producer ${header.producerId} started epoch ${header.producerEpoch} at sequence ${firstSeq}, not 0`);
    return null;
  }

  /** Records an appended (or recovered) batch; `now` restarts the producer's expiry clock. */
  record(header: SequencedHeader, baseOffset: number, now = 0): void {
    if (header.producerId < 0 || header.baseSequence < 0) return;
    const batch: BatchMetadata = {
      firstSeq: header.baseSequence,
      lastSeq: addSequence(header.baseSequence, header.lastOffsetDelta),
      baseOffset,
      lastOffset: baseOffset + header.lastOffsetDelta,
    };
    const entry = this.#entries.get(header.producerId);
    if (!entry || header.producerEpoch > entry.epoch) {
      this.#entries.set(header.producerId, { producerId: header.producerId, epoch: header.producerEpoch, batches: [batch], lastTimestamp: now });
      return;
    }
    if (header.producerEpoch < entry.epoch) return; // a stale batch met during recovery
    entry.lastTimestamp = Math.max(entry.lastTimestamp, now);
    entry.batches.push(batch);
    if (entry.batches.length > RETAINED_BATCHES) entry.batches.shift();
  }

  /**
   * Forgets a batch whose append failed, and the producer's batches recorded after it:
   * appends queued behind a failed one fail too (see Partition), and their failures may be
   * reported in any order, so the earliest one takes the later ones with it.
   */
  forget(producerId: number, baseOffset: number): void {
    const entry = this.#entries.get(producerId);
    if (!entry) return;
    const at = entry.batches.findIndex((b) => b.baseOffset === baseOffset);
    if (at < 0) return;
    entry.batches.splice(at);
    if (entry.batches.length === 0) this.#entries.delete(producerId);
  }

  /**
   * Forgets producers that have not appended since `cutoff` (Kafka's producer id
   * expiration): without it every producer that ever wrote stays in memory and in the
   * snapshot. A forgotten producer that comes back may start at any sequence.
   * Returns how many were forgotten.
   */
  expire(cutoff: number): number {
    let n = 0;
    for (const [id, e] of this.#entries) {
      if (e.lastTimestamp < cutoff) {
        this.#entries.delete(id);
        n++;
      }
    }
    return n;
  }

  /** A JSON-able copy of every entry. */
  toJSON(): ProducerEntry[] {
    return [...this.#entries.values()].map((e) => ({ producerId: e.producerId, epoch: e.epoch, batches: e.batches.map((b) => ({ ...b })), lastTimestamp: e.lastTimestamp }));
  }

  /**
   * Replaces the table with entries from {@link toJSON} (malformed ones are skipped; an
   * entry without a time gets `now`, so that it is kept a full expiration period).
   */
  restore(entries: readonly ProducerEntry[], now = 0): void {
    this.#entries.clear();
    for (const e of entries) {
      if (!Number.isSafeInteger(e?.producerId) || !Number.isInteger(e.epoch) || !Array.isArray(e.batches) || e.batches.length === 0) continue;
      const batches = e.batches
        .filter((b) => [b.firstSeq, b.lastSeq, b.baseOffset, b.lastOffset].every(Number.isSafeInteger))
        .slice(-RETAINED_BATCHES)
        .map((b) => ({ firstSeq: b.firstSeq, lastSeq: b.lastSeq, baseOffset: b.baseOffset, lastOffset: b.lastOffset }));
      const lastTimestamp = Number.isSafeInteger(e.lastTimestamp) ? e.lastTimestamp : now;
      if (batches.length > 0) this.#entries.set(e.producerId, { producerId: e.producerId, epoch: e.epoch, batches, lastTimestamp });
    }
  }
}
