/**
 * A Raft voter's metadata snapshots (KIP-630; Kafka's RawSnapshotWriter / FileRawSnapshotReader
 * and SnapshotGenerator): the metadata image at a committed offset, as the records that
 * rebuild it (image-records.ts), so that the log before that offset can go and a restarted
 * or new voter does not replay from zero.
 *
 * Format: the image's records in RecordBatch v2 batches of up to {@link SNAPSHOT_RECORDS_PER_BATCH}
 * records, encoded as the metadata log's batches are (metadata-batch-codec.ts: JSON values,
 * CRC), the snapshot's epoch as each batch's partition leader epoch. Its id is (endOffset,
 * epoch): the offset after the last record it covers and the epoch of that record. What
 * FetchSnapshot carries is these bytes with base offsets counted from 0 (the canonical form).
 *
 * Where: the batches are appended to partition 0 of `__cluster_metadata_snapshot` in the
 * node's Storage and synced; only then is the pointer `quorum/snapshot` in the metadata store
 * ({ endOffset, epoch, from, to }: the snapshot's batches are offsets [from, to) of that log)
 * replaced — one atomic put. A crash before the put leaves the previous snapshot in force (the
 * partial batches after it are ignored, then trimmed); after it, the new one. Older snapshots'
 * batches are trimmed once the pointer has moved.
 */
import type { Logger } from '../../../contracts/logger.ts';
import type { PartitionLog, Storage } from '../../../contracts/storage.ts';
import { TributaryError } from '../../../errors.ts';
import { concat } from '../../../protocol/writer.ts';
import type { MetadataRecord } from '../../metadata/records.ts';
import { decodeMetadataBatches, encodeMetadataBatch } from '../metadata-batch-codec.ts';

/** The snapshot partition's topic. */
export const SNAPSHOT_TOPIC = '__cluster_metadata_snapshot';
/** The metadata-store key naming the latest complete snapshot. */
export const SNAPSHOT_POINTER_KEY = 'quorum/snapshot';
/** Records per batch of a snapshot: batches of a few hundred KiB at most. */
export const SNAPSHOT_RECORDS_PER_BATCH = 1000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A snapshot's id (FetchSnapshot's SnapshotId): the offset after its last record, and that record's epoch. */
export interface SnapshotId {
  readonly endOffset: number;
  readonly epoch: number;
}

/** A complete snapshot: its id, its records, and its canonical bytes (what FetchSnapshot sends). */
export interface MetadataSnapshot {
  readonly id: SnapshotId;
  readonly records: readonly MetadataRecord[];
  readonly bytes: Uint8Array;
}

interface SnapshotPointer extends SnapshotId {
  readonly from: number;
  readonly to: number;
}

/** Encodes records as a snapshot's batches, the first at `baseOffset` (0: the canonical bytes). */
export function encodeSnapshot(id: SnapshotId, records: readonly MetadataRecord[], appendTimeMs: number, baseOffset = 0): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < records.length; i += SNAPSHOT_RECORDS_PER_BATCH) {
    const chunk = records.slice(i, i + SNAPSHOT_RECORDS_PER_BATCH);
    out.push(encodeMetadataBatch({ baseOffset: baseOffset + i, epoch: id.epoch, appendTimeMs, records: chunk }));
  }
  return out;
}

/** The records of a snapshot's bytes (CORRUPT_MESSAGE when a batch's CRC or JSON is bad; a gap are left over). */
export function decodeSnapshot(bytes: Uint8Array): MetadataRecord[] {
  const batches = decodeMetadataBatches(bytes);
  const records = batches.flatMap((b) => b.records);
  if (records.length !== (batches.length === 0 ? 0 : batches[batches.length - 1]!.baseOffset - batches[0]!.baseOffset + batches[batches.length - 1]!.records.length)) {
    throw new TributaryError('CORRUPT_MESSAGE', 'A metadata snapshot has a gap between its batches', { kafkaCode: 2 });
  }
  return records;
}

/** The snapshots of one voter: the latest complete one, and writing the next. */
export class SnapshotStore {
  readonly #storage: Storage;
  readonly #log: PartitionLog;
  readonly #logger: Logger;
  #latest: MetadataSnapshot | undefined;

  private constructor(storage: Storage, log: PartitionLog, logger: Logger) {
    this.#storage = storage;
    this.#log = log;
    this.#logger = logger;
  }

  /** Opens the snapshot partition and loads the snapshot the pointer names (none: no snapshot yet). */
  static async open(storage: Storage, logger: Logger): Promise<SnapshotStore> {
    const log = await storage.openPartition(SNAPSHOT_TOPIC, 0);
    for (const event of log.recovery) logger.warn('metadata snapshot log recovered', { ...event });
    const store = new SnapshotStore(storage, log, logger);
    const raw = await storage.metadata.get(SNAPSHOT_POINTER_KEY);
    if (raw === undefined) return store;
    const pointer = JSON.parse(decoder.decode(raw)) as SnapshotPointer;
    if (pointer.from < log.startOffset() || pointer.to > log.endOffset()) {
      // The pointer is written only after its batches are synced: they must be there.
      throw new TributaryError('ERR_METADATA_CORRUPT', `The metadata snapshot ${pointer.endOffset}/${pointer.epoch} names offsets [${pointer.from}, ${pointer.to}) of ${SNAPSHOT_TOPIC}, which holds [${log.startOffset()}, ${log.endOffset()})`);
    }
    const chunks: Uint8Array[] = [];
    let offset = pointer.from;
    while (offset < pointer.to) {
      const read = await log.read(offset, 4 * 1024 * 1024);
      const batches = decodeMetadataBatches(concat(read.chunks)).filter((b) => b.baseOffset >= offset && b.baseOffset < pointer.to);
      if (batches.length === 0) throw new TributaryError('ERR_METADATA_CORRUPT', `The metadata snapshot ${pointer.endOffset}/${pointer.epoch} cannot be read at offset ${offset} of ${SNAPSHOT_TOPIC}`);
      for (const b of batches) {
        chunks.push(encodeMetadataBatch({ ...b, baseOffset: b.baseOffset - pointer.from }));
        offset = b.baseOffset + b.records.length;
      }
    }
    const bytes = concat(chunks);
    const id = { endOffset: pointer.endOffset, epoch: pointer.epoch };
    store.#latest = Object.freeze({ id, records: Object.freeze(decodeSnapshot(bytes)), bytes });
    logger.info('metadata snapshot loaded', { endOffset: id.endOffset, epoch: id.epoch, records: store.#latest.records.length });
    return store;
  }

  /** The latest complete snapshot, if any. */
  get latest(): MetadataSnapshot | undefined {
    return this.#latest;
  }

  /**
   * Writes a snapshot of `records` (the image at `id.endOffset`) and makes it the latest:
   * batches synced first, then the pointer. Older snapshots' batches are trimmed after.
   */
  async save(id: SnapshotId, records: readonly MetadataRecord[], nowMs: number): Promise<MetadataSnapshot> {
    const from = this.#log.endOffset();
    const batches = encodeSnapshot(id, records, nowMs, from);
    let next = from;
    try {
      for (const bytes of batches) {
        const count = Math.min(SNAPSHOT_RECORDS_PER_BATCH, records.length - (next - from));
        await this.#log.append(bytes, { baseOffset: next, lastOffset: next + count - 1, maxTimestamp: nowMs, recordCount: count });
        next += count;
      }
      await this.#log.sync();
    } catch (error) {
      // Not durable: not a snapshot. The next one starts where this one's batches would have.
      await this.#log.truncateTo(from).catch(() => undefined);
      throw error;
    }
    const pointer: SnapshotPointer = { endOffset: id.endOffset, epoch: id.epoch, from, to: next };
    await this.#storage.metadata.put(SNAPSHOT_POINTER_KEY, encoder.encode(JSON.stringify(pointer)));
    this.#latest = Object.freeze({ id: { endOffset: id.endOffset, epoch: id.epoch }, records: Object.freeze([...records]), bytes: concat(encodeSnapshot(id, records, nowMs, 0)) });
    if (from > this.#log.startOffset()) {
      await this.#log.trimBefore(from).catch((error: unknown) => this.#logger.warn('metadata snapshot: trimming older snapshots failed', { error: String(error) }));
    }
    return this.#latest;
  }
}
