/**
 * One partition as its leader sees it: the log, the leader epoch, the replica and in-sync
 * sets, offset assignment, the high watermark and the fetchers waiting for data.
 *
 * On a cluster of one the in-sync set is just this node, so the high watermark follows the
 * log end offset; it is nevertheless computed as the minimum over the in-sync replicas so
 * that follower replication drops in without changing the produce or fetch paths.
 */
import type { AppendOptions, BatchInfo, PartitionLog, ReadResult } from '../contracts/storage.ts';
import { kafkaError } from '../errors.ts';
import { cutChunksBefore } from './batch-chunks.ts';

/** Partition state with a lifecycle: created on topic creation or load, dropped on delete. */
export class PartitionState {
  /** Topic name. */
  readonly topic: string;
  /** Partition index. */
  readonly partition: number;
  /** The storage log. */
  readonly log: PartitionLog;
  /** Node id of the leader (this node, until clusters exist). */
  leaderId: number;
  /** Incremented on every leadership change; stamped into appended batches. */
  leaderEpoch: number;
  /** Every replica's node id, the leader first. */
  replicas: number[];
  /** The in-sync replicas' node ids. */
  isr: number[];

  #nodeId: number;
  #nextOffset: number;
  #highWatermark: number;
  // Log end offsets reported by followers (empty on a cluster of one).
  #followerEnd = new Map<number, number>();
  #tail: Promise<unknown> = Promise.resolve();
  #listeners = new Set<() => void>();
  #closed = false;

  constructor(topic: string, partition: number, log: PartitionLog, nodeId: number, replicas: number[], leaderEpoch = 0) {
    this.topic = topic;
    this.partition = partition;
    this.log = log;
    this.#nodeId = nodeId;
    this.leaderId = nodeId;
    this.leaderEpoch = leaderEpoch;
    this.replicas = replicas;
    this.isr = [...replicas];
    this.#nextOffset = log.endOffset();
    // Everything recovered from storage was acknowledged before, or is all a single node has.
    this.#highWatermark = this.#computeHighWatermark();
  }

  /** First offset still held. */
  get logStartOffset(): number {
    return this.log.startOffset();
  }

  /** One past the last offset appended to this node's log. */
  get logEndOffset(): number {
    return this.log.endOffset();
  }

  /** Offsets below this are committed and may be read by consumers. */
  get highWatermark(): number {
    return this.#highWatermark;
  }

  /** With no open transactions, the last stable offset is the high watermark. */
  get lastStableOffset(): number {
    return this.#highWatermark;
  }

  /** False once the topic was deleted or the broker closed. */
  get open(): boolean {
    return !this.#closed;
  }

  /**
   * Reserves `count` consecutive offsets and returns the first. Synchronous, so that the
   * order in which requests call it is the order of their batches in the log.
   */
  reserveOffsets(count: number): number {
    const base = this.#nextOffset;
    this.#nextOffset += count;
    return base;
  }

  /**
   * Appends a batch whose offsets came from {@link reserveOffsets}. Appends run one after
   * another in call order; the high watermark advances (and fetchers wake) after each.
   */
  append(batch: Uint8Array, info: BatchInfo, options?: AppendOptions): Promise<void> {
    const run = this.#tail.then(() => {
      if (this.#closed) throw kafkaError(3, `Partition ${this.topic}-${this.partition} is gone`);
      return this.log.append(batch, info, options);
    });
    this.#tail = run.catch(() => undefined);
    return run.then(() => this.#advanceHighWatermark());
  }

  /** Records a follower's log end offset (replication) and recomputes the high watermark. */
  updateFollowerEnd(nodeId: number, endOffset: number): void {
    this.#followerEnd.set(nodeId, endOffset);
    this.#advanceHighWatermark();
  }

  /** Re-reads the log after retention moved its start; wakes nobody (no new data). */
  resync(): void {
    if (this.#nextOffset < this.log.endOffset()) this.#nextOffset = this.log.endOffset();
  }

  /**
   * Reads committed batches from `offset`: whole stored batches, at most `maxBytes` unless
   * `minOneBatch` lets the first exceed it, never past the high watermark. An offset
   * outside [log start, log end] is `OFFSET_OUT_OF_RANGE`.
   */
  async read(offset: number, maxBytes: number, minOneBatch: boolean): Promise<ReadResult> {
    if (offset < this.logStartOffset || offset > this.logEndOffset) {
      throw kafkaError(1, `Offset ${offset} is outside ${this.logStartOffset}..${this.logEndOffset} of ${this.topic}-${this.partition}`);
    }
    const hw = this.#highWatermark;
    if (offset >= hw || maxBytes <= 0 && !minOneBatch) return { chunks: [], bytes: 0 };
    const result = await this.log.read(offset, Math.max(0, maxBytes), { minOneBatch });
    // An append may have landed between the watermark check and the read: cut at the watermark.
    return cutChunksBefore(result, this.#highWatermark);
  }

  /** Calls `listener` whenever the high watermark advances or the partition closes. */
  onData(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Marks the partition gone (topic deleted, broker closing) and wakes every waiter. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#notify();
  }

  /** Waits until every append issued so far has finished (successfully or not). */
  async settle(): Promise<void> {
    await this.#tail;
  }

  #computeHighWatermark(): number {
    let hw = this.log.endOffset();
    for (const id of this.isr) {
      if (id === this.#nodeId) continue;
      hw = Math.min(hw, this.#followerEnd.get(id) ?? 0);
    }
    return hw;
  }

  #advanceHighWatermark(): void {
    const hw = this.#computeHighWatermark();
    if (hw > this.#highWatermark) {
      this.#highWatermark = hw;
      this.#notify();
    }
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}
