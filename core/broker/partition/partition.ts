/**
 * One partition replica hosted by this node: its log, its role (leader or follower) with
 * the leader epoch, the replica and in-sync sets, offset assignment and the high
 * watermark (Kafka's Partition).
 *
 * On a cluster of one the in-sync set is just this node, so the high watermark follows the
 * log end offset; it is nevertheless computed as the minimum over the in-sync replicas so
 * that follower replication drops in without changing the produce or fetch paths.
 */
import type { AppendOptions, BatchInfo, PartitionLog, ReadResult } from '../../contracts/storage.ts';
import { kafkaError, KafkaCode } from '../../errors.ts';
import { cutChunksBefore } from './batch-chunks.ts';
import { type IncomingBatch, stampBatch } from './produce-validation.ts';

/** What a leader-side append produced: the first offset and when the bytes are in the log. */
export interface LeaderAppend {
  /** Base offset of each batch, in order. */
  readonly baseOffsets: readonly number[];
  /** Settles when every batch is appended (the high watermark has moved by then). */
  readonly done: Promise<void>;
}

/** Partition state with a lifecycle: created when this node hosts it, closed when it no longer does. */
export class Partition {
  /** Topic name. */
  readonly topic: string;
  /** Partition index. */
  readonly partition: number;
  /** The storage log. */
  readonly log: PartitionLog;
  /** Node id of the leader. */
  leaderId: number;
  /** Incremented on every leadership change; stamped into appended batches. */
  leaderEpoch: number;
  /** Every replica's node id, the leader first. */
  replicas: number[];
  /** The in-sync replicas' node ids. */
  isr: number[];

  #nodeId: number;
  #nextOffset: number;
  /**
   * Bumped when an append fails: appends queued behind it were given offsets past the
   * failed one, so they fail too instead of leaving a gap (Kafka assigns no offset to a
   * failed append), and the next offset goes back to the log end.
   */
  #appendEpoch = 0;
  #highWatermark: number;
  // Log end offsets reported by followers (empty on a cluster of one).
  #followerEnd = new Map<number, number>();
  #tail: Promise<unknown> = Promise.resolve();
  // DeleteRecords' log start: storage trims whole batches or segments, Kafka's start is exact.
  #startFloor = 0;
  #listeners = new Set<() => void>();
  #closed = false;

  /**
   * `logStartOffset` is a start a DeleteRecords set before (kept in the metadata store by the
   * replica manager): storage may still hold whole batches below it.
   */
  constructor(topic: string, partition: number, log: PartitionLog, nodeId: number, replicas: number[], leaderEpoch = 0, logStartOffset = 0) {
    this.topic = topic;
    this.partition = partition;
    this.log = log;
    this.#nodeId = nodeId;
    this.leaderId = nodeId;
    this.leaderEpoch = leaderEpoch;
    this.replicas = replicas;
    this.isr = [...replicas];
    this.#nextOffset = log.endOffset();
    this.#startFloor = Math.min(logStartOffset, log.endOffset());
    // Everything recovered from storage was acknowledged before, or is all a single node has.
    this.#highWatermark = this.#computeHighWatermark();
  }

  /** First offset still held. */
  get logStartOffset(): number {
    const start = this.log.startOffset();
    return this.#startFloor > start ? this.#startFloor : start;
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

  /** True while this node leads the partition. */
  get isLeader(): boolean {
    return this.leaderId === this.#nodeId;
  }

  /**
   * The one leader-epoch check of every request that names an epoch (Fetch, ListOffsets):
   * 0 when `currentLeaderEpoch` is absent (-1) or current, FENCED_LEADER_EPOCH when the
   * caller is behind, UNKNOWN_LEADER_EPOCH when it is ahead of this replica.
   */
  checkLeaderEpoch(currentLeaderEpoch: number | undefined): number {
    if (currentLeaderEpoch === undefined || currentLeaderEpoch < 0) return KafkaCode.NONE;
    if (currentLeaderEpoch < this.leaderEpoch) return KafkaCode.FENCED_LEADER_EPOCH;
    if (currentLeaderEpoch > this.leaderEpoch) return KafkaCode.UNKNOWN_LEADER_EPOCH;
    return KafkaCode.NONE;
  }

  /** This node becomes (or stays) the leader at `leaderEpoch` with these replica sets. */
  makeLeader(leaderEpoch: number, replicas: number[], isr: number[]): void {
    this.leaderId = this.#nodeId;
    this.leaderEpoch = leaderEpoch;
    this.replicas = [...replicas];
    this.isr = [...isr];
    this.#followerEnd.clear();
    this.#advanceHighWatermark();
  }

  /** This node follows `leaderId` at `leaderEpoch`. */
  makeFollower(leaderId: number, leaderEpoch: number, replicas: number[], isr: number[]): void {
    this.leaderId = leaderId;
    this.leaderEpoch = leaderEpoch;
    this.replicas = [...replicas];
    this.isr = [...isr];
    this.#followerEnd.clear();
  }

  /**
   * Appends checked batches as the leader: assigns their offsets (synchronously, so the
   * order in which requests call it is the order of their batches in the log), stamps
   * base offset, leader epoch and LogAppendTime into the bytes in place, and queues the
   * appends. `records` holds every batch; `batches` are its checked batches.
   */
  appendAsLeader(records: Uint8Array, batches: readonly IncomingBatch[], logAppendTime: number | undefined): LeaderAppend {
    const baseOffsets: number[] = [];
    const appends: Promise<void>[] = [];
    for (const batch of batches) {
      const baseOffset = this.#nextOffset;
      this.#nextOffset += batch.header.recordCount;
      baseOffsets.push(baseOffset);
      const info = stampBatch(records, batch, { baseOffset, leaderEpoch: this.leaderEpoch, logAppendTime });
      const own = batches.length === 1 ? records : records.subarray(batch.pos, batch.pos + batch.size);
      appends.push(this.#append(own, info, undefined));
    }
    return { baseOffsets, done: Promise.all(appends).then(() => undefined) };
  }

  /**
   * Appends a batch exactly as the leader wrote it (replication): its offsets must start at
   * this log's end. The high watermark is not moved here; a follower takes the leader's.
   */
  appendAsFollower(batch: Uint8Array, info: BatchInfo, options?: AppendOptions): Promise<void> {
    if (info.baseOffset !== this.#nextOffset) {
      return Promise.reject(kafkaError(KafkaCode.OFFSET_OUT_OF_RANGE, `Batch at ${info.baseOffset} does not continue ${this.topic}-${this.partition} at ${this.#nextOffset}`));
    }
    this.#nextOffset = info.lastOffset + 1;
    return this.#queue(batch, info, options);
  }

  /** A follower's high watermark: the leader's, never past its own log end (and never back). */
  updateHighWatermark(leaderHighWatermark: number): void {
    const hw = Math.min(leaderHighWatermark, this.log.endOffset());
    if (hw > this.#highWatermark) {
      this.#highWatermark = hw;
      this.#notify();
    }
  }

  /**
   * Drops everything from `offset` on (a follower whose log diverged from its leader's).
   * Waits for appends in flight first.
   */
  async truncateTo(offset: number): Promise<void> {
    await this.settle();
    await this.log.truncateTo(offset);
    this.#nextOffset = this.log.endOffset();
    if (this.#highWatermark > this.#nextOffset) this.#highWatermark = this.#nextOffset;
  }

  /** Records a follower's log end offset (replication) and recomputes the high watermark. */
  updateFollowerEnd(nodeId: number, endOffset: number): void {
    this.#followerEnd.set(nodeId, endOffset);
    this.#advanceHighWatermark();
  }

  /**
   * DeleteRecords: moves the log start offset to `offset` (at most the high watermark, which
   * the caller checks), deleting the whole batches and segments before it that storage can
   * drop; records left in a kept batch below `offset` are no longer served (reads below
   * the start are OFFSET_OUT_OF_RANGE). Runs in order with the appends; `persist` records
   * the new start first. Resolves with the new log start offset (the low watermark).
   */
  deleteRecordsBefore(offset: number, persist?: (logStartOffset: number) => Promise<void>): Promise<number> {
    const run = this.#tail.then(async () => {
      if (this.#closed) throw kafkaError(KafkaCode.UNKNOWN_TOPIC_OR_PARTITION, `Partition ${this.topic}-${this.partition} is gone`);
      // The new start is durable before any data goes: a crash in between never shows deleted records again.
      if (offset > this.logStartOffset && persist) await persist(offset);
      if (offset > this.log.startOffset()) await this.log.trimBefore(offset);
      if (offset > this.#startFloor) this.#startFloor = offset;
      return this.logStartOffset;
    });
    this.#tail = run.catch(() => undefined);
    return run;
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
      throw kafkaError(KafkaCode.OFFSET_OUT_OF_RANGE, `Offset ${offset} is outside ${this.logStartOffset}..${this.logEndOffset} of ${this.topic}-${this.partition}`);
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

  // Appends run one after another in call order; the high watermark advances (and waiters wake) after each.
  #append(batch: Uint8Array, info: BatchInfo, options: AppendOptions | undefined): Promise<void> {
    return this.#queue(batch, info, options).then(() => this.#advanceHighWatermark());
  }

  /**
   * Queues one append behind the others. Offsets were assigned when it was queued; when an
   * earlier append failed meanwhile, those offsets follow a hole, so this one fails without
   * writing (a retriable storage error: the producer sends it again and gets the next
   * offset), and a failure rewinds the next offset to the log end. No offset is ever
   * skipped, as in Kafka, where assignment and append happen under one lock.
   */
  #queue(batch: Uint8Array, info: BatchInfo, options: AppendOptions | undefined): Promise<void> {
    const epoch = this.#appendEpoch;
    const run = this.#tail.then(async () => {
      if (this.#closed) throw kafkaError(KafkaCode.UNKNOWN_TOPIC_OR_PARTITION, `Partition ${this.topic}-${this.partition} is gone`);
      if (epoch !== this.#appendEpoch) {
        throw kafkaError(KafkaCode.KAFKA_STORAGE_ERROR, `An earlier append to ${this.topic}-${this.partition} failed; this batch, queued behind it at offset ${info.baseOffset}, was not written`);
      }
      try {
        await this.log.append(batch, info, options);
      } catch (error) {
        // Still inside the queue: nothing queued behind runs before the rewind.
        this.#appendEpoch++;
        this.#nextOffset = this.log.endOffset();
        throw error;
      }
    });
    this.#tail = run.catch(() => undefined);
    return run;
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
