/**
 * Idempotent-producer state of every partition, and its persistence.
 *
 * The produce path asks {@link ProducerStateManager.admit} before assigning offsets and
 * calls {@link ProducerStateManager.record} as it does, synchronously, so pipelined
 * requests see each other's sequences in log order.
 *
 * Persistence follows Kafka: the log is the truth and the state is rebuilt from the batch
 * headers (producer id, epoch, base sequence) of the log on start. A snapshot (the table
 * plus the log end offset it covers, under `producer-state/<topic>/<partition>`) is written
 * at a clean close, so a restart only reads the headers appended after it; without a usable
 * snapshot (crash, truncated log, recreated topic) the whole log's headers are read.
 */
import type { Logger } from '../../contracts/logger.ts';
import type { MetadataOp, MetadataStore } from '../../contracts/storage.ts';
import { kafkaError } from '../../errors.ts';
import { BatchAttributes, type BatchHeader, batchSizeAt, readBatchHeader } from '../../records/batch-header.ts';
import type { Partition as PartitionState } from '../partition/partition.ts';
import type { HostedTopic as Topic } from '../replica-manager.ts';
import { PartitionProducers, type BatchMetadata, type ProducerEntry } from './partition-producers.ts';
import { ProducerIdManager, type ProducerIdManagerOptions } from './producer-ids.ts';

const SNAPSHOT_PREFIX = 'producer-state/';
/** How long a producer may stay idle before its state is forgotten (Kafka's producer.id.expiration.ms). */
export const PRODUCER_ID_EXPIRATION_MS = 86_400_000;
const SCAN_CHUNK_BYTES = 1 << 20;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A stored snapshot of one partition. */
interface Snapshot {
  readonly topicId: string;
  /** The log end offset the table covers. */
  readonly endOffset: number;
  readonly producers: ProducerEntry[];
}

function snapshotKey(topic: string, partition: number): string {
  return `${SNAPSHOT_PREFIX}${topic}/${partition}`;
}

/** Records every idempotent batch header of `log` from `from` into `table`; returns how many batches were read. */
async function scanInto(table: PartitionProducers, log: PartitionState['log'], start: number): Promise<number> {
  let from = start;
  const end = log.endOffset();
  const now = Date.now();
  let scanned = 0;
  while (from < end) {
    const read = await log.read(from, SCAN_CHUNK_BYTES, { minOneBatch: true });
    if (read.bytes === 0) break;
    let next = from;
    for (const chunk of read.chunks) {
      for (let pos = 0; pos < chunk.length; ) {
        const size = batchSizeAt(chunk, pos);
        if (size < 0 || pos + size > chunk.length) break;
        const h = readBatchHeader(chunk, pos);
        pos += size;
        const last = h.baseOffset + h.lastOffsetDelta;
        if (last < from) continue;
        // Rebuilt producers start their expiry clock now: the log does not say when they last wrote.
        if (h.producerId >= 0 && (h.attributes & BatchAttributes.control) === 0) table.record(h, h.baseOffset, now);
        next = Math.max(next, last + 1);
        scanned++;
      }
    }
    if (next <= from) break;
    from = next;
  }
  return scanned;
}

/** Producer ids and per-partition sequence state; one per broker. */
export class ProducerStateManager {
  /** Producer id allocation (InitProducerId). */
  readonly ids: ProducerIdManager;
  readonly #store: MetadataStore;
  readonly #logger: Logger;
  // Keyed by the partition object, so a deleted and recreated topic starts clean.
  readonly #tables = new WeakMap<PartitionState, PartitionProducers>();

  /** `ids`: where producer id blocks come from (default: this broker's metadata store). */
  constructor(store: MetadataStore, logger: Logger, ids: ProducerIdManagerOptions = {}) {
    this.#store = store;
    this.#logger = logger;
    this.ids = new ProducerIdManager(store, ids);
  }

  /** The table of a partition (created empty on first use). */
  table(partition: PartitionState): PartitionProducers {
    let table = this.#tables.get(partition);
    if (!table) this.#tables.set(partition, (table = new PartitionProducers()));
    return table;
  }

  /**
   * Checks the batches of one partition of a Produce request: returns the earlier batch a
   * single-batch retry repeats (to be answered with its offset), or null to append; throws
   * the protocol's error otherwise (see {@link PartitionProducers.check}). A request with
   * several batches is checked as a whole; a repeated batch inside one is
   * DUPLICATE_SEQUENCE_NUMBER, since its offsets cannot be answered separately.
   */
  admit(partition: PartitionState, batches: ReadonlyArray<{ readonly header: BatchHeader }>): BatchMetadata | null {
    if (batches.length === 1) {
      const header = batches[0]!.header;
      return header.producerId < 0 ? null : this.table(partition).check(header);
    }
    if (!batches.some((b) => b.header.producerId >= 0)) return null;
    const trial = new PartitionProducers();
    trial.restore(this.table(partition).toJSON());
    let offset = 0;
    for (const { header } of batches) {
      if (trial.check(header)) throw kafkaError(46, `Producer ${header.producerId} repeated sequence ${header.baseSequence} inside a request`);
      trial.record(header, offset);
      offset += header.lastOffsetDelta + 1;
    }
    return null;
  }

  /** Notes a batch whose offsets were just assigned. */
  record(partition: PartitionState, header: BatchHeader, baseOffset: number): void {
    if (header.producerId >= 0) this.table(partition).record(header, baseOffset, Date.now());
  }

  /**
   * Forgets, in every partition, producers idle for `maxAgeMs` (Kafka's
   * producer.id.expiration.ms, default one day). Returns how many entries went.
   */
  expire(topics: readonly Topic[], now: number, maxAgeMs = PRODUCER_ID_EXPIRATION_MS): number {
    let removed = 0;
    for (const topic of topics) {
      for (const partition of topic.partitions) removed += this.#tables.get(partition)?.expire(now - maxAgeMs) ?? 0;
    }
    if (removed > 0) this.#logger.debug('expired idle producers', { removed });
    return removed;
  }

  /** Takes back batches whose append failed, so a retry is appended rather than called a duplicate. */
  forget(partition: PartitionState, batches: ReadonlyArray<{ readonly header: BatchHeader }>, firstOffset: number): void {
    let offset = firstOffset;
    const table = this.table(partition);
    const placed = batches.map((b) => {
      const at = offset;
      offset += b.header.recordCount;
      return { producerId: b.header.producerId, at };
    });
    for (const p of placed.reverse()) if (p.producerId >= 0) table.forget(p.producerId, p.at);
  }

  /** Restores producer ids and every partition's table (snapshot, then the log after it). */
  async load(topics: readonly Topic[]): Promise<void> {
    await this.ids.load();
    for (const topic of topics) {
      for (const partition of topic.partitions) await this.#loadPartition(topic, partition);
    }
  }

  async #loadPartition(topic: Topic, partition: PartitionState): Promise<void> {
    const table = this.table(partition);
    const log = partition.log;
    let from = log.startOffset();
    const stored = await this.#store.get(snapshotKey(topic.name, partition.partition));
    if (stored) {
      let usable = false;
      try {
        const snap = JSON.parse(decoder.decode(stored)) as Snapshot;
        // A snapshot of another incarnation of the topic, or of data the log no longer has, is void.
        if (snap.topicId === topic.id && Number.isSafeInteger(snap.endOffset) && snap.endOffset <= log.endOffset() && Array.isArray(snap.producers)) {
          table.restore(snap.producers, Date.now());
          from = Math.max(from, snap.endOffset);
          usable = true;
        }
      } catch {
        this.#logger.warn('ignoring an unreadable producer state snapshot', { topic: topic.name, partition: partition.partition });
      }
      // A void snapshot is removed at once: once the log grows past its end offset again it
      // would look usable to the next start after a crash, and restore sequences the log lost.
      if (!usable) await this.#store.delete(snapshotKey(topic.name, partition.partition));
    }
    const scanned = await scanInto(table, log, from);
    if (scanned > 0 || table.size > 0) {
      this.#logger.debug('producer state restored', { topic: topic.name, partition: partition.partition, producers: table.size, batchesScanned: scanned });
    }
  }

  /**
   * Rebuilds a partition's table from its log alone (a follower truncated its log: the
   * batches it dropped must not count as sequences any more). Appends to the partition
   * must not run meanwhile (the replica fetcher awaits this before appending again).
   */
  async rebuild(partition: PartitionState): Promise<void> {
    const table = new PartitionProducers();
    await scanInto(table, partition.log, partition.log.startOffset());
    this.#tables.set(partition, table);
  }

  /** Writes a snapshot of every partition's table in one atomic write (at a clean close). */
  async snapshot(topics: readonly Topic[]): Promise<void> {
    const ops: MetadataOp[] = [];
    for (const topic of topics) {
      for (const partition of topic.partitions) {
        const table = this.#tables.get(partition);
        const key = snapshotKey(topic.name, partition.partition);
        if (!table || table.size === 0) {
          ops.push({ type: 'delete', key });
          continue;
        }
        const snap: Snapshot = { topicId: topic.id, endOffset: partition.logEndOffset, producers: table.toJSON() };
        ops.push({ type: 'put', key, value: encoder.encode(JSON.stringify(snap)) });
      }
    }
    if (ops.length > 0) await this.#store.write(ops);
  }
}
