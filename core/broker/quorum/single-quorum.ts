/**
 * The metadata quorum of one voter (`--controller-quorum` naming a single node): the
 * metadata log is partition 0 of `__cluster_metadata` in this node's own Storage, one
 * RecordBatch v2 per metadata batch (metadata-batch-codec.ts). A batch is committed once
 * it is synced to storage — with one voter, durable is the majority. The node always
 * leads once open; its epoch is bumped and persisted on every start (`quorum/epoch` in
 * the storage's metadata store), so batches written by an earlier run carry a lower epoch
 * than this run's.
 *
 * The whole log is read back on open (a torn tail after a crash was already cut off by
 * the storage adapter's recovery, and a trailing partial batch is skipped by the codec)
 * and kept in memory for readers: a metadata log is small, and every record in it is in
 * the controller's image anyway.
 */
import type { Clock } from '../../clock.ts';
import type { Logger } from '../../contracts/logger.ts';
import type { PartitionLog, Storage } from '../../contracts/storage.ts';
import { kafkaError, KafkaCode, TributaryError } from '../../errors.ts';
import type { MetadataRecord } from '../metadata/records.ts';
import { decodeMetadataBatches, encodeMetadataBatch, METADATA_TOPIC } from './metadata-batch-codec.ts';
import { CommittedBatches } from './committed-batches.ts';
import { concat } from '../../protocol/writer.ts';
import { type MetadataBatch, type MetadataQuorum, type MetadataRead, nextOffsetAfter, type QuorumLeader } from './metadata-quorum.ts';

/** Where the epoch of the last start is kept in the storage's metadata store. */
export const QUORUM_EPOCH_KEY = 'quorum/epoch';

/** Bytes per read while loading the log on open. */
const LOAD_CHUNK_BYTES = 1024 * 1024;

/** Options of {@link SingleQuorum}. */
export interface SingleQuorumOptions {
  /** This node's storage (opened by the caller): the log goes in its `__cluster_metadata` partition 0. */
  readonly storage: Storage;
  /** This node's id: the one voter, the leader once open. */
  readonly nodeId: number;
  /** Append times and read waits. */
  readonly clock: Clock;
  readonly logger: Logger;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A metadata quorum of one voter, its log in its storage. */
export class SingleQuorum implements MetadataQuorum {
  readonly #options: SingleQuorumOptions;
  readonly #committed: CommittedBatches;
  readonly #listeners = new Set<(leader: QuorumLeader) => void>();
  #log: PartitionLog | undefined;
  #leader: QuorumLeader;
  #closed = false;
  // Appends run one after another: each takes the log end the previous one left.
  #appending: Promise<unknown> = Promise.resolve();

  constructor(options: SingleQuorumOptions) {
    this.#options = options;
    this.#committed = new CommittedBatches(options.clock);
    this.#leader = Object.freeze({ nodeId: -1, epoch: 0 });
  }

  /**
   * Opens the log, reads every batch back, and starts a new epoch (one above the stored
   * one and above every batch's), persisted before this node leads in it.
   */
  async open(): Promise<void> {
    const { storage, logger, nodeId } = this.#options;
    if (this.#log || this.#closed) throw new TributaryError('ERR_STORAGE_OPEN', 'The metadata quorum was opened already');
    const log = await storage.openPartition(METADATA_TOPIC, 0);
    for (const event of log.recovery) logger.warn('metadata log recovered', { ...event });
    let offset = log.startOffset();
    while (offset < log.endOffset()) {
      const read = await log.read(offset, LOAD_CHUNK_BYTES);
      if (read.bytes === 0) break;
      const batches = decodeMetadataBatches(concat(read.chunks));
      const before = offset;
      for (const batch of batches) {
        if (batch.baseOffset < offset) continue;
        this.#committed.commit(batch);
        offset = nextOffsetAfter(batch);
      }
      // Nothing whole past where we were: the rest is not a batch (the adapter's recovery keeps only whole ones).
      if (offset === before) break;
    }
    this.#committed.end = Math.max(offset, log.endOffset());
    const stored = await storage.metadata.get(QUORUM_EPOCH_KEY);
    const storedEpoch = stored === undefined ? 0 : Number(decoder.decode(stored));
    if (!Number.isSafeInteger(storedEpoch) || storedEpoch < 0) {
      throw new TributaryError('ERR_METADATA_CORRUPT', `The stored metadata quorum epoch (${QUORUM_EPOCH_KEY}) is not a number: ${decoder.decode(stored!)}`);
    }
    const epoch = this.#committed.maxEpoch(storedEpoch) + 1;
    await storage.metadata.put(QUORUM_EPOCH_KEY, encoder.encode(String(epoch)));
    this.#log = log;
    this.#leader = Object.freeze({ nodeId, epoch });
    logger.info('metadata quorum open', { nodeId, epoch, batches: this.#committed.count, endOffset: this.#committed.end });
    for (const listener of [...this.#listeners]) listener(this.#leader);
  }

  leader(): QuorumLeader {
    return this.#leader;
  }

  /** One past the last committed offset. */
  get highWatermark(): number {
    return this.#committed.end;
  }

  append(records: readonly MetadataRecord[], expectedEpoch: number): Promise<number> {
    const run = this.#appending.then(() => this.#append(records, expectedEpoch));
    this.#appending = run.catch(() => undefined);
    return run;
  }

  async #append(records: readonly MetadataRecord[], expectedEpoch: number): Promise<number> {
    const log = this.#log;
    if (this.#closed || !log) throw kafkaError(KafkaCode.NOT_CONTROLLER, this.#closed ? 'The metadata quorum is closed' : 'The metadata quorum is not open yet');
    if (expectedEpoch !== this.#leader.epoch) {
      throw kafkaError(KafkaCode.NOT_CONTROLLER, `Append for epoch ${expectedEpoch} refused: the quorum is at epoch ${this.#leader.epoch}`);
    }
    if (records.length === 0) throw kafkaError(KafkaCode.INVALID_REQUEST, 'A metadata batch needs at least one record');
    const batch: MetadataBatch = Object.freeze({ baseOffset: this.#committed.end, epoch: this.#leader.epoch, appendTimeMs: this.#options.clock.now(), records: Object.freeze([...records]) });
    const bytes = encodeMetadataBatch(batch);
    const next = nextOffsetAfter(batch);
    await log.append(bytes, { baseOffset: batch.baseOffset, lastOffset: next - 1, maxTimestamp: batch.appendTimeMs, recordCount: records.length }, { sync: true });
    try {
      // Committed means durable: nothing is visible to readers before the sync.
      await log.sync();
    } catch (error) {
      // Not committed, so not in the log either: the next batch takes this offset again.
      await log.truncateTo(batch.baseOffset).catch((cause: unknown) => this.#options.logger.error('metadata log: dropping an unsynced batch failed', { baseOffset: batch.baseOffset, error: String(cause) }));
      throw error;
    }
    // What readers get is what the log gives back after a restart (JSON), never the caller's objects.
    this.#committed.commit(decodeMetadataBatches(bytes)[0]!);
    return batch.baseOffset;
  }

  read(fromOffset: number, waitMs: number): Promise<MetadataRead> {
    return this.#committed.read(fromOffset, waitMs);
  }

  onLeaderChange(listener: (leader: QuorumLeader) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stops: waiting reads answer, later appends reject. The log itself is closed with the storage. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#committed.close();
    await this.#appending;
  }
}
