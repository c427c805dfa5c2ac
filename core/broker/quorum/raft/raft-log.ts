/**
 * A Raft voter's copy of the metadata log (Kafka's ReplicatedLog / KafkaMetadataLog):
 * partition 0 of `__cluster_metadata` in the node's Storage, one RecordBatch v2 per
 * metadata batch as SingleQuorum writes it (metadata-batch-codec.ts), plus its
 * leader-epoch cache (which epoch started at which offset). Unlike the single voter's log
 * it holds uncommitted batches too: a follower's tail may be cut off when it diverges
 * from the leader's.
 *
 * The whole log is also kept in memory (batches and their bytes): a metadata log is small,
 * every record of it is in the controller's image anyway, and serving fetches from memory
 * keeps the Raft state machine free of storage reads. Every append is synced before it
 * resolves: a voter's fetch offset, or the leader's own end offset, must only ever name
 * durable data, because the high watermark is computed from them.
 *
 * With snapshots (snapshot-store.ts) the log starts at the latest snapshot's end offset:
 * what came before is in the snapshot, and a fetch from below the start is answered with the
 * snapshot's id instead (validateFetchPosition). The leader-epoch cache then starts with the
 * snapshot's epoch at the log start, so a follower whose log ends exactly at the snapshot
 * is valid and the last epoch of an empty log is the snapshot's.
 *
 * Mutations must not overlap: the caller (RaftQuorum) runs them one at a time.
 */
import type { Logger } from '../../../contracts/logger.ts';
import type { PartitionLog, Storage } from '../../../contracts/storage.ts';
import { TributaryError } from '../../../errors.ts';
import { concat } from '../../../protocol/writer.ts';
import { iterateBatches } from '../../../records/batch-iterator.ts';
import { type EpochEndOffset, LeaderEpochCache } from '../../partition/leader-epoch-cache.ts';
import type { MetadataRecord } from '../../metadata/records.ts';
import { decodeMetadataBatches, encodeMetadataBatch, METADATA_TOPIC } from '../metadata-batch-codec.ts';
import { type MetadataBatch, nextOffsetAfter } from '../metadata-quorum.ts';
import type { SnapshotId } from './snapshot-store.ts';

/** Bytes per read while loading the log on open. */
const LOAD_CHUNK_BYTES = 1024 * 1024;

/** One batch of the log: decoded, and its stored bytes (what a Fetch answer carries). */
export interface LogEntry {
  readonly batch: MetadataBatch;
  readonly bytes: Uint8Array;
}

/** What a leader makes of a follower's (fetch offset, last fetched epoch). */
export type FetchPosition =
  | { readonly kind: 'valid' }
  /** The follower is behind the log start (or at it in another epoch): it must load this snapshot first. */
  | { readonly kind: 'snapshot'; readonly snapshotId: SnapshotId }
  /** The follower's log diverges: it must truncate to where `epoch` ends here (`endOffset`) and fetch again. */
  | { readonly kind: 'diverging'; readonly epoch: number; readonly endOffset: number };

/** The local metadata log of a Raft voter. */
export class RaftLog {
  readonly #log: PartitionLog;
  readonly #logger: Logger;
  readonly #entries: LogEntry[] = [];
  readonly #epochs = new LeaderEpochCache();
  #end = 0;
  // The latest snapshot: the log starts at its end offset (none: at 0).
  #snapshot: SnapshotId | undefined;

  private constructor(log: PartitionLog, logger: Logger) {
    this.#log = log;
    this.#logger = logger;
  }

  /**
   * Opens `__cluster_metadata` partition 0 of `storage` and reads every whole batch back;
   * with `snapshot` (the latest one, loaded first), only the batches after it.
   */
  static async open(storage: Storage, logger: Logger, snapshot?: SnapshotId): Promise<RaftLog> {
    const log = await storage.openPartition(METADATA_TOPIC, 0);
    for (const event of log.recovery) logger.warn('metadata log recovered', { ...event });
    const raftLog = new RaftLog(log, logger);
    let offset = log.startOffset();
    raftLog.#end = offset;
    if (snapshot) {
      raftLog.#startAtSnapshot(snapshot);
      if (log.endOffset() <= snapshot.endOffset) {
        // Nothing after the snapshot (a follower that installed one, then crashed before its next append).
        if (log.endOffset() > log.startOffset()) await log.truncateTo(log.startOffset());
        offset = log.endOffset();
      }
    }
    while (offset < log.endOffset()) {
      const read = await log.read(offset, LOAD_CHUNK_BYTES);
      if (read.bytes === 0) break;
      const before = offset;
      const bytes = concat(read.chunks);
      for (const entry of splitEntries(bytes)) {
        if (entry.batch.baseOffset < offset) continue;
        offset = nextOffsetAfter(entry.batch);
        // Covered by the snapshot: kept on disk until the next trim, not in the log.
        if (snapshot && entry.batch.baseOffset < snapshot.endOffset) continue;
        raftLog.#push(entry);
      }
      if (offset === before) break;
    }
    if (offset < log.endOffset()) {
      // Bytes past the last whole batch (an adapter that kept a torn tail): not ours to keep.
      logger.warn('metadata log: dropping what follows the last whole batch', { offset, endOffset: log.endOffset() });
      await log.truncateTo(offset);
    }
    return raftLog;
  }

  /** One past the last offset held (the log end offset). */
  get endOffset(): number {
    return this.#end;
  }

  /** The epoch of the last batch (an empty log: the snapshot's, or 0 as Kafka's lastFetchedEpoch). */
  get lastEpoch(): number {
    return this.#entries[this.#entries.length - 1]?.batch.epoch ?? this.#snapshot?.epoch ?? 0;
  }

  /** The first offset held: the latest snapshot's end offset, or 0. */
  get startOffset(): number {
    return this.#snapshot?.endOffset ?? 0;
  }

  /** The latest snapshot's id, if the log starts at one. */
  get snapshotId(): SnapshotId | undefined {
    return this.#snapshot;
  }

  /**
   * The snapshot `id` (synced) covers everything before its end offset, which this log holds
   * (a voter's own snapshot of its committed log): the batches before it go.
   */
  async dropBeforeSnapshot(id: SnapshotId): Promise<void> {
    if (id.endOffset > this.#end) throw new TributaryError('ERR_INVALID_ARGUMENT', `A snapshot ending at ${id.endOffset} is past the log end ${this.#end}`);
    let drop = 0;
    while (drop < this.#entries.length && this.#entries[drop]!.batch.baseOffset < id.endOffset) drop++;
    this.#entries.splice(0, drop);
    this.#snapshot = id;
    this.#epochs.truncateFromStart(id.endOffset);
    if (this.#epochs.entries.length === 0) this.#epochs.assign(id.epoch, id.endOffset);
    const start = await this.#log.trimBefore(Math.min(id.endOffset, this.#log.endOffset()));
    this.#logger.info('metadata log: dropped what the snapshot covers', { snapshotEnd: id.endOffset, epoch: id.epoch, storedStart: start });
  }

  /**
   * A follower installed the leader's snapshot `id` (synced): its whole log goes, and it
   * starts again at the snapshot's end offset (Kafka's truncateFullyToLatestSnapshot).
   */
  async resetToSnapshot(id: SnapshotId): Promise<void> {
    if (this.#log.endOffset() > this.#log.startOffset()) await this.#log.truncateTo(this.#log.startOffset());
    await this.#log.sync();
    this.#entries.length = 0;
    this.#epochs.clear();
    this.#startAtSnapshot(id);
  }

  #startAtSnapshot(id: SnapshotId): void {
    this.#snapshot = id;
    this.#end = id.endOffset;
    this.#epochs.assign(id.epoch, id.endOffset);
  }

  /** How many batches are held. */
  get size(): number {
    return this.#entries.length;
  }

  /** Every batch held, in order (a copy: for the invariants of tests and simulations). */
  batches(): MetadataBatch[] {
    return this.#entries.map((e) => e.batch);
  }

  /** The batches whose base offset is in [from, to), in order. */
  batchesBetween(from: number, to: number): MetadataBatch[] {
    const out: MetadataBatch[] = [];
    for (let i = this.#indexAtOrAfter(from); i < this.#entries.length; i++) {
      const batch = this.#entries[i]!.batch;
      if (batch.baseOffset >= to) break;
      out.push(batch);
    }
    return out;
  }

  /** The highest epoch of any batch, or `floor`. */
  maxEpoch(floor: number): number {
    return Math.max(floor, this.#epochs.latestEpoch ?? 0);
  }

  /** Where `epoch` ends in this log (Kafka's endOffsetForEpoch): the leader-epoch cache's answer. */
  endOffsetForEpoch(epoch: number): EpochEndOffset {
    return this.#epochs.endOffsetFor(epoch, this.#end);
  }

  /**
   * Whether a follower that has fetched up to `fetchOffset`, its last batch written at
   * `lastFetchedEpoch`, holds a prefix of this log (Kafka's validateOffsetAndEpoch): it
   * does when this log's `lastFetchedEpoch` ends at or after `fetchOffset`; otherwise it
   * must truncate to where that epoch (or the largest one below it) ends here.
   */
  validateFetchPosition(fetchOffset: number, lastFetchedEpoch: number): FetchPosition {
    const snapshot = this.#snapshot;
    // Kafka's rule: below the log start, or at it with another epoch, only the snapshot helps.
    if (snapshot && (fetchOffset < snapshot.endOffset || (fetchOffset === snapshot.endOffset && lastFetchedEpoch !== snapshot.epoch))) return { kind: 'snapshot', snapshotId: snapshot };
    if (fetchOffset === 0) return { kind: 'valid' };
    const found = this.#epochs.endOffsetFor(lastFetchedEpoch, this.#end);
    if (found.epoch === -1) {
      // An epoch above every one this log has: the follower has a tail this log never had.
      return { kind: 'diverging', epoch: this.lastEpoch, endOffset: this.#end };
    }
    if (found.epoch !== lastFetchedEpoch || found.endOffset < fetchOffset) return { kind: 'diverging', epoch: found.epoch, endOffset: found.endOffset };
    return { kind: 'valid' };
  }

  /**
   * Where a follower truncates when the leader says `epoch` ends at `endOffset` in its log
   * (Kafka's truncateToEndOffset): this log's end of that epoch, capped at the leader's
   * when it is the same epoch.
   */
  truncationOffsetFor(epoch: number, endOffset: number): number {
    const local = this.#epochs.endOffsetFor(epoch, this.#end);
    if (local.epoch === -1) return Math.min(endOffset, this.#end);
    return local.epoch === epoch ? Math.min(local.endOffset, endOffset) : Math.min(local.endOffset, this.#end);
  }

  /** Whole batches' bytes from `offset` up to (not past) `upTo`, at most `maxBytes` but always the first batch. */
  read(offset: number, upTo: number, maxBytes: number): Uint8Array[] {
    const chunks: Uint8Array[] = [];
    let bytes = 0;
    for (let i = this.#indexHolding(offset); i < this.#entries.length; i++) {
      const entry = this.#entries[i]!;
      if (nextOffsetAfter(entry.batch) > upTo) break;
      if (chunks.length > 0 && bytes + entry.bytes.length > maxBytes) break;
      chunks.push(entry.bytes);
      bytes += entry.bytes.length;
    }
    return chunks;
  }

  /** Appends one batch written by this node as leader at `epoch`, synced; returns it as readers will see it. */
  async appendAsLeader(records: readonly MetadataRecord[], epoch: number, appendTimeMs: number): Promise<MetadataBatch> {
    if (records.length === 0) throw new TributaryError('ERR_INVALID_ARGUMENT', 'A metadata batch needs at least one record');
    const bytes = encodeMetadataBatch({ baseOffset: this.#end, epoch, appendTimeMs, records });
    // What readers get is what the log gives back after a restart (JSON), never the caller's objects.
    const entry = splitEntries(bytes)[0]!;
    await this.#write([entry]);
    return entry.batch;
  }

  /**
   * Appends the whole batches of a leader's Fetch answer that start at or after this log's
   * end, synced. Returns how many were appended.
   */
  async appendAsFollower(bytes: Uint8Array): Promise<number> {
    const entries = splitEntries(bytes).filter((e) => e.batch.baseOffset >= this.#end);
    if (entries.length === 0) return 0;
    if (entries[0]!.batch.baseOffset !== this.#end) {
      throw new TributaryError('ERR_OFFSET_ORDER', `The leader sent metadata from offset ${entries[0]!.batch.baseOffset}; this log ends at ${this.#end}`);
    }
    await this.#write(entries);
    return entries.length;
  }

  /** Drops every batch at or after `offset` (a follower's diverging tail). */
  async truncateTo(offset: number): Promise<void> {
    // Never into the snapshot: what it covers is committed.
    offset = Math.max(offset, this.startOffset);
    if (offset >= this.#end) return;
    await this.#log.truncateTo(offset);
    await this.#log.sync();
    while (this.#entries.length > 0 && this.#entries[this.#entries.length - 1]!.batch.baseOffset >= offset) this.#entries.pop();
    this.#end = this.#entries.length > 0 ? nextOffsetAfter(this.#entries[this.#entries.length - 1]!.batch) : Math.max(this.startOffset, Math.min(offset, this.#log.endOffset()));
    this.#epochs.truncateFromEnd(this.#end);
    // Back to the snapshot: its epoch still names where the log starts.
    if (this.#snapshot && this.#epochs.entries.length === 0) this.#epochs.assign(this.#snapshot.epoch, this.#snapshot.endOffset);
  }

  async #write(entries: readonly LogEntry[]): Promise<void> {
    for (const entry of entries) {
      const b = entry.batch;
      await this.#log.append(entry.bytes, { baseOffset: b.baseOffset, lastOffset: nextOffsetAfter(b) - 1, maxTimestamp: b.appendTimeMs, recordCount: b.records.length }, { sync: true });
    }
    try {
      await this.#log.sync();
    } catch (error) {
      // Not durable, so not in the log: the next batch takes these offsets again.
      await this.#log.truncateTo(entries[0]!.batch.baseOffset).catch((cause: unknown) => this.#logger.error('metadata log: dropping an unsynced batch failed', { error: String(cause) }));
      throw error;
    }
    for (const entry of entries) this.#push(entry);
  }

  #push(entry: LogEntry): void {
    this.#entries.push(entry);
    this.#epochs.assign(entry.batch.epoch, entry.batch.baseOffset);
    this.#end = nextOffsetAfter(entry.batch);
  }

  // Index of the first batch whose base offset is at or after `offset`.
  #indexAtOrAfter(offset: number): number {
    let lo = 0;
    let hi = this.#entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#entries[mid]!.batch.baseOffset < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  // Index of the batch holding `offset` (or the next one).
  #indexHolding(offset: number): number {
    const i = this.#indexAtOrAfter(offset);
    if (i > 0 && nextOffsetAfter(this.#entries[i - 1]!.batch) > offset) return i - 1;
    return i;
  }
}

/** The whole batches in `bytes`, each with a copy of its own bytes (not pinning a larger buffer). */
function splitEntries(bytes: Uint8Array): LogEntry[] {
  const out: LogEntry[] = [];
  for (const slice of iterateBatches(bytes)) {
    const batch = decodeMetadataBatches(slice.bytes)[0]!;
    out.push({ batch: Object.freeze({ ...batch, records: Object.freeze(batch.records) }), bytes: slice.bytes.slice() });
  }
  return out;
}
