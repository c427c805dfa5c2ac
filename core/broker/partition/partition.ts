/**
 * One partition replica hosted by this node: its log, its role (leader or follower) with
 * the leader epoch, the replica and in-sync sets, offset assignment, the leader-epoch
 * cache and the high watermark (Kafka's Partition).
 *
 * As leader it tracks every follower's log end offset and when it last caught up (from
 * their fetches), computes the high watermark as the minimum log end over the maximal ISR
 * (the committed ISR plus a replica an in-flight expansion adds; a replica an in-flight
 * shrink removes still counts until the controller commits it), and proposes ISR changes
 * through an injected AlterPartition call, one at a time. On a cluster of one the ISR is
 * just this node and the high watermark follows the log end.
 */
import type { Clock } from '../../clock.ts';
import { systemClock } from '../../clock.ts';
import type { Logger } from '../../contracts/logger.ts';
import { silentLogger } from '../../contracts/logger.ts';
import type { AppendOptions, BatchInfo, PartitionLog, ReadResult } from '../../contracts/storage.ts';
import { kafkaError, KafkaCode } from '../../errors.ts';
import type { AlterPartitionItem, AlterPartitionItemResult } from '../controller/broker-to-controller.ts';
import { cutChunksBefore } from './batch-chunks.ts';
import { type EpochEndOffset, LeaderEpochCache, UNDEFINED_EPOCH } from './leader-epoch-cache.ts';
import { type IncomingBatch, stampBatch } from './produce-validation.ts';

/** What a leader-side append produced: the first offset and when the bytes are in the log. */
export interface LeaderAppend {
  /** Base offset of each batch, in order. */
  readonly baseOffsets: readonly number[];
  /** Settles when every batch is appended (the high watermark has moved by then). */
  readonly done: Promise<void>;
}

/** Kafka's replica.lag.time.max.ms default. */
export const REPLICA_LAG_TIME_MAX_MS = 30_000;
/** How long a leader waits before sending an AlterPartition again that did not reach a controller. */
const ALTER_PARTITION_RETRY_MS = 1_000;

/** Optional collaborators and settings of a {@link Partition} (a cluster of one needs none). */
export interface PartitionOptions {
  /** Time for follower lag and retries (default: the system clock). */
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** The topic's id (named in AlterPartition). */
  readonly topicId?: string;
  /** The partition epoch of the registration this replica starts from (default 0). */
  readonly partitionEpoch?: number;
  /** The leader-epoch cache loaded with the log (default: empty). */
  readonly epochCache?: LeaderEpochCache;
  /** Persists the epoch cache; called, in order with the appends, whenever it changes. */
  readonly saveEpochs?: (cache: LeaderEpochCache) => Promise<void>;
  /**
   * Proposes an ISR change to the controller (the BrokerToController AlterPartition call
   * for one partition). Without it the ISR never changes from this side.
   */
  readonly alterPartition?: (item: AlterPartitionItem) => Promise<AlterPartitionItemResult>;
  /** A follower not caught up for this long leaves the ISR (replica.lag.time.max.ms). */
  readonly replicaLagTimeMaxMs?: number;
}

/** What the leader knows of one follower (Kafka's Replica state). */
export interface FollowerState {
  /** Its log end offset as its last fetch said, -1 before the first fetch in this leader epoch. */
  logEndOffset: number;
  /** The last time it had everything the leader had (ms, the partition's clock). */
  lastCaughtUpTimeMs: number;
  /** The leader's log end offset at its previous fetch. */
  lastFetchLeaderLogEndOffset: number;
  /** When its previous fetch came. */
  lastFetchTimeMs: number;
}

/** An AlterPartition in flight. */
interface PendingIsr {
  /** The ISR proposed. */
  readonly proposed: readonly number[];
  /** Committed ∪ proposed: what the high watermark waits for meanwhile. */
  readonly maximal: readonly number[];
  /** False once the controller refused it: only metadata ends it then. */
  retry: boolean;
}

/** Partition state with a lifecycle: created when this node hosts it, closed when it no longer does. */
export class Partition {
  /** Topic name. */
  readonly topic: string;
  /** Partition index. */
  readonly partition: number;
  /** The storage log. */
  readonly log: PartitionLog;
  /** Epoch → start offset of every leader epoch that wrote to this log. */
  readonly epochs: LeaderEpochCache;
  /** The topic id (empty when the partition was built without one). */
  readonly topicId: string;
  /** Node id of the leader (-1: none). */
  leaderId: number;
  /** Incremented on every leadership change; stamped into appended batches. */
  leaderEpoch: number;
  /** Bumped by the controller on every change of this partition; AlterPartition names it. */
  partitionEpoch: number;
  /** Every replica's node id, the leader first. */
  replicas: number[];
  /** The committed in-sync replicas' node ids. */
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
  // Per follower, as leader (empty on a cluster of one).
  #followers = new Map<number, FollowerState>();
  // The log end offset when this node became leader of the current epoch.
  #leaderEpochStartOffset = 0;
  #pending: PendingIsr | undefined;
  #retryTimer: unknown;
  #tail: Promise<unknown> = Promise.resolve();
  // DeleteRecords' log start: storage trims whole batches or segments, Kafka's start is exact.
  #startFloor = 0;
  #listeners = new Set<() => void>();
  #closed = false;
  // False until makeLeader or makeFollower ran once (the constructor's role is provisional).
  #roleSet = false;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #saveEpochs: ((cache: LeaderEpochCache) => Promise<void>) | undefined;
  readonly #alterPartition: ((item: AlterPartitionItem) => Promise<AlterPartitionItemResult>) | undefined;
  /** replica.lag.time.max.ms of this partition. */
  readonly replicaLagTimeMaxMs: number;

  /**
   * `logStartOffset` is a start a DeleteRecords set before (kept in the metadata store by the
   * replica manager): storage may still hold whole batches below it.
   */
  constructor(topic: string, partition: number, log: PartitionLog, nodeId: number, replicas: number[], leaderEpoch = 0, logStartOffset = 0, options: PartitionOptions = {}) {
    this.topic = topic;
    this.partition = partition;
    this.log = log;
    this.#nodeId = nodeId;
    this.leaderId = nodeId;
    this.leaderEpoch = leaderEpoch;
    this.partitionEpoch = options.partitionEpoch ?? 0;
    this.replicas = replicas;
    this.isr = [...replicas];
    this.topicId = options.topicId ?? '';
    this.epochs = options.epochCache ?? new LeaderEpochCache();
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    this.#saveEpochs = options.saveEpochs;
    this.#alterPartition = options.alterPartition;
    this.replicaLagTimeMaxMs = options.replicaLagTimeMaxMs ?? REPLICA_LAG_TIME_MAX_MS;
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

  /** The offset the next append takes: the log end plus the appends still queued. */
  get nextOffset(): number {
    return this.#nextOffset;
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
   * The ISR the high watermark waits for: the committed ISR, plus the replica an
   * expansion in flight adds; a replica a shrink in flight removes still counts.
   */
  get maximalIsr(): readonly number[] {
    return this.#pending?.maximal ?? this.isr;
  }

  /** True while an AlterPartition of this partition is in flight (or refused, awaiting metadata). */
  get alterPartitionPending(): boolean {
    return this.#pending !== undefined;
  }

  /** The log end offset when this node became leader of the current epoch. */
  get leaderEpochStartOffset(): number {
    return this.#leaderEpochStartOffset;
  }

  /** What the leader knows of follower `replicaId` (undefined when not leading or not a replica). */
  followerState(replicaId: number): Readonly<FollowerState> | undefined {
    return this.#followers.get(replicaId);
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

  /**
   * This node becomes (or stays) the leader at `leaderEpoch` with these replica sets.
   * A new leader epoch is recorded in the epoch cache at the log end before anything is
   * written in it, and every follower's state starts over (unknown log end; caught up now
   * when in the ISR). The same epoch again only adopts a newer partition epoch's sets.
   * Returns true when the leader epoch is new to this replica.
   */
  makeLeader(leaderEpoch: number, replicas: number[], isr: number[], partitionEpoch = this.partitionEpoch): boolean {
    const isNew = !this.isLeader || leaderEpoch !== this.leaderEpoch || !this.#roleSet;
    this.#roleSet = true;
    if (!isNew) {
      if (partitionEpoch < this.partitionEpoch) return false;
      // The state an in-flight proposal was computed from, arriving late through the metadata log
      // (the AlterPartition answer came first): nothing new, and dropping the proposal would let
      // the high watermark pass a replica whose addition is about to commit.
      if (partitionEpoch === this.partitionEpoch && this.#pending !== undefined) return false;
      // As Kafka: the controller's word replaces whatever was proposed (a refused proposal included).
      this.#clearPending();
      this.partitionEpoch = partitionEpoch;
      this.replicas = [...replicas];
      this.isr = [...isr];
      this.#resetMissingFollowers(false);
      this.#advanceHighWatermark();
      this.#notify();
      return false;
    }
    this.leaderId = this.#nodeId;
    this.leaderEpoch = leaderEpoch;
    this.partitionEpoch = partitionEpoch;
    this.replicas = [...replicas];
    this.isr = [...isr];
    this.#clearPending();
    this.#leaderEpochStartOffset = this.#nextOffset;
    if (this.epochs.assign(leaderEpoch, this.#nextOffset)) this.#queueSaveEpochs();
    this.#followers.clear();
    this.#resetMissingFollowers(true);
    this.#advanceHighWatermark();
    this.#notify();
    return true;
  }

  /**
   * This node follows `leaderId` at `leaderEpoch`. Waiters on this partition wake (an
   * acks=all produce then answers NOT_LEADER_OR_FOLLOWER). Returns true when the leader
   * or its epoch changed (the fetcher must start over).
   */
  makeFollower(leaderId: number, leaderEpoch: number, replicas: number[], isr: number[], partitionEpoch = this.partitionEpoch): boolean {
    const isNew = this.leaderId !== leaderId || leaderEpoch !== this.leaderEpoch || !this.#roleSet;
    this.#roleSet = true;
    if (!isNew && partitionEpoch < this.partitionEpoch) return false;
    this.leaderId = leaderId;
    this.leaderEpoch = leaderEpoch;
    this.partitionEpoch = partitionEpoch;
    this.replicas = [...replicas];
    this.isr = [...isr];
    this.#followers.clear();
    this.#clearPending();
    this.#notify();
    return isNew;
  }

  /**
   * Appends checked batches as the leader: assigns their offsets (synchronously, so the
   * order in which requests call it is the order of their batches in the log), stamps
   * base offset, leader epoch and LogAppendTime into the bytes in place, and queues the
   * appends. `records` holds every batch; `batches` are its checked batches.
   */
  appendAsLeader(records: Uint8Array, batches: readonly IncomingBatch[], logAppendTime: number | undefined): LeaderAppend {
    if (!this.isLeader) throw kafkaError(KafkaCode.NOT_LEADER_OR_FOLLOWER, `This node does not lead ${this.topic}-${this.partition}`);
    // Normally recorded by makeLeader; a partition built as leader without it records its epoch here.
    if (this.epochs.latestEpoch === undefined || this.epochs.latestEpoch < this.leaderEpoch) {
      if (this.epochs.assign(this.leaderEpoch, this.#nextOffset)) this.#queueSaveEpochs();
    }
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
   * this log's end. A batch of a leader epoch newer than the cache's latest records that
   * epoch first. The high watermark is not moved here; a follower takes the leader's.
   */
  appendAsFollower(batch: Uint8Array, info: BatchInfo, options?: AppendOptions): Promise<void> {
    // A fetch answered by the old leader must not land after this node started its own epoch.
    if (this.isLeader && this.#roleSet) {
      return Promise.reject(kafkaError(KafkaCode.NOT_LEADER_OR_FOLLOWER, `${this.topic}-${this.partition} is led by this node now`));
    }
    if (info.baseOffset !== this.#nextOffset) {
      return Promise.reject(kafkaError(KafkaCode.OFFSET_OUT_OF_RANGE, `Batch at ${info.baseOffset} does not continue ${this.topic}-${this.partition} at ${this.#nextOffset}`));
    }
    const epoch = batch.byteLength >= 16 ? new DataView(batch.buffer, batch.byteOffset, batch.byteLength).getInt32(12) : -1;
    const latest = this.epochs.latestEpoch;
    if (epoch >= 0 && (latest === undefined || epoch > latest)) {
      if (this.epochs.assign(epoch, info.baseOffset)) this.#queueSaveEpochs();
    }
    this.#nextOffset = info.lastOffset + 1;
    return this.#queue(batch, info, options).then(() => this.#notify());
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
   * Drops everything from `offset` on (a follower whose log diverged from its leader's),
   * and the epoch cache entries starting there. Runs in order with the appends.
   */
  truncateTo(offset: number): Promise<void> {
    return this.#task(async () => {
      await this.log.truncateTo(offset);
      this.#nextOffset = this.log.endOffset();
      if (this.epochs.truncateFromEnd(this.#nextOffset)) await this.#saveEpochsNow();
      if (this.#highWatermark > this.#nextOffset) this.#highWatermark = this.#nextOffset;
    });
  }

  /**
   * Empties the log and starts it again at `offset` (a follower whose log end is below the
   * leader's log start). Storage has no such primitive: the log is truncated to its start
   * and the next append leaves a gap up to `offset`, which the log start offset hides.
   */
  truncateFullyAndStartAt(offset: number): Promise<void> {
    return this.#task(async () => {
      await this.log.truncateTo(this.log.startOffset());
      this.#startFloor = offset;
      this.#nextOffset = offset;
      this.epochs.clear();
      await this.#saveEpochsNow();
      this.#highWatermark = offset;
    });
  }

  /**
   * Records a follower's fetch (as leader): its log end is its fetch offset; it is caught
   * up when it asked for the leader's log end, or for at least what the leader had at its
   * previous fetch (then since that fetch) — Kafka's rule. Then the ISR may grow and the
   * high watermark advance. `leaderEndOffset` is this log's end when the fetch was read.
   */
  updateFollowerFetch(replicaId: number, fetchOffset: number, leaderEndOffset: number, now = this.#clock.now()): void {
    if (!this.isLeader) return;
    const state = this.#followerOrCreate(replicaId);
    if (!state) return;
    if (fetchOffset >= leaderEndOffset) state.lastCaughtUpTimeMs = Math.max(state.lastCaughtUpTimeMs, now);
    else if (fetchOffset >= state.lastFetchLeaderLogEndOffset) state.lastCaughtUpTimeMs = Math.max(state.lastCaughtUpTimeMs, state.lastFetchTimeMs);
    state.logEndOffset = fetchOffset;
    state.lastFetchLeaderLogEndOffset = leaderEndOffset;
    state.lastFetchTimeMs = now;
    this.#maybeExpandIsr(replicaId, state);
    this.#advanceHighWatermark();
  }

  /** Records a follower's log end offset (replication) and recomputes the high watermark. */
  updateFollowerEnd(nodeId: number, endOffset: number): void {
    this.updateFollowerFetch(nodeId, endOffset, this.log.endOffset());
  }

  /**
   * Proposes removing the ISR members that have not caught up for replica.lag.time.max.ms
   * (as leader, with no AlterPartition in flight). Returns the replicas proposed out.
   */
  maybeShrinkIsr(now = this.#clock.now()): number[] {
    if (!this.isLeader || this.#pending || !this.#alterPartition || this.#closed) return [];
    const end = this.log.endOffset();
    const out = this.isr.filter((id) => {
      if (id === this.#nodeId) return false;
      const state = this.#followers.get(id);
      if (!state) return true;
      return state.logEndOffset !== end && now - state.lastCaughtUpTimeMs > this.replicaLagTimeMaxMs;
    });
    if (out.length === 0) return [];
    this.#logger.info('shrinking the ISR', { topic: this.topic, partition: this.partition, isr: this.isr, outOfSync: out, leaderEpoch: this.leaderEpoch });
    this.#propose(this.isr.filter((id) => !out.includes(id)), [...this.isr]);
    return out;
  }

  /**
   * Where leader epoch `epoch` ends in this log (OffsetForLeaderEpoch, DivergingEpoch):
   * see {@link LeaderEpochCache.endOffsetFor}.
   */
  endOffsetForEpoch(epoch: number): EpochEndOffset {
    return this.epochs.endOffsetFor(epoch, this.log.endOffset());
  }

  /**
   * The leader's check of a follower fetch that names its last fetched epoch (Kafka's
   * rule): null when the follower's log is a prefix of this one up to `fetchOffset`,
   * otherwise the epoch and end offset it must truncate to. OFFSET_OUT_OF_RANGE when the
   * epoch's end cannot be found or `fetchOffset` is below the log start.
   */
  divergingEpoch(fetchOffset: number, lastFetchedEpoch: number): EpochEndOffset | null {
    const found = this.endOffsetForEpoch(lastFetchedEpoch);
    if (found.epoch === UNDEFINED_EPOCH || found.endOffset === UNDEFINED_EPOCH) {
      throw kafkaError(KafkaCode.OFFSET_OUT_OF_RANGE, `No end offset for epoch ${lastFetchedEpoch} in ${this.topic}-${this.partition}`);
    }
    if (fetchOffset < this.logStartOffset) {
      throw kafkaError(KafkaCode.OFFSET_OUT_OF_RANGE, `Offset ${fetchOffset} is below the log start ${this.logStartOffset} of ${this.topic}-${this.partition}`);
    }
    if (found.epoch < lastFetchedEpoch || found.endOffset < fetchOffset) return found;
    return null;
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
      // Epochs wholly before the new start are gone with their data.
      if (this.epochs.truncateFromStart(this.logStartOffset)) await this.#saveEpochsNow();
      return this.logStartOffset;
    });
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /** Re-reads the log after retention moved its start; wakes nobody (no new data). */
  resync(): void {
    if (this.#nextOffset < this.log.endOffset()) this.#nextOffset = this.log.endOffset();
    if (this.epochs.truncateFromStart(this.logStartOffset)) this.#queueSaveEpochs();
  }

  /**
   * Reads batches from `offset`: whole stored batches, at most `maxBytes` unless
   * `minOneBatch` lets the first exceed it, never past the high watermark — or, for a
   * follower's fetch (`upTo` 'end'), up to the log end. An offset outside [log start,
   * log end] is `OFFSET_OUT_OF_RANGE`.
   */
  async read(offset: number, maxBytes: number, minOneBatch: boolean, upTo: 'committed' | 'end' = 'committed'): Promise<ReadResult> {
    if (offset < this.logStartOffset || offset > this.logEndOffset) {
      throw kafkaError(KafkaCode.OFFSET_OUT_OF_RANGE, `Offset ${offset} is outside ${this.logStartOffset}..${this.logEndOffset} of ${this.topic}-${this.partition}`);
    }
    const limit = upTo === 'end' ? this.log.endOffset() : this.#highWatermark;
    if (offset >= limit || maxBytes <= 0 && !minOneBatch) return { chunks: [], bytes: 0 };
    const result = await this.log.read(offset, Math.max(0, maxBytes), { minOneBatch });
    // An append may have landed between the watermark check and the read: cut at the watermark.
    return upTo === 'end' ? result : cutChunksBefore(result, this.#highWatermark);
  }

  /**
   * Calls `listener` whenever something a waiter may watch changes: the high watermark
   * advances, the log end moves, the role or the ISR changes, or the partition closes.
   */
  onData(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Marks the partition gone (topic deleted, broker closing) and wakes every waiter. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#clearPending();
    this.#notify();
  }

  /** Waits until every append issued so far has finished (successfully or not). */
  async settle(): Promise<void> {
    await this.#tail;
  }

  // Appends run one after another in call order; the high watermark advances (and waiters wake) after each.
  #append(batch: Uint8Array, info: BatchInfo, options: AppendOptions | undefined): Promise<void> {
    return this.#queue(batch, info, options).then(() => {
      // The log end moved (follower long polls wait for it) even when the high watermark did not.
      if (!this.#advanceHighWatermark()) this.#notify();
    });
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
    for (const id of this.maximalIsr) {
      if (id === this.#nodeId) continue;
      hw = Math.min(hw, this.#followers.get(id)?.logEndOffset ?? 0);
    }
    return hw;
  }

  /** Moves the high watermark up when the ISR's log ends allow (as leader); true when it moved. */
  #advanceHighWatermark(): boolean {
    if (!this.isLeader) return false;
    const hw = this.#computeHighWatermark();
    if (hw > this.#highWatermark) {
      this.#highWatermark = hw;
      this.#notify();
      return true;
    }
    return false;
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }

  /** Runs `work` in order with the appends (truncations). */
  #task(work: () => Promise<void>): Promise<void> {
    const run = this.#tail.then(async () => {
      if (this.#closed) throw kafkaError(KafkaCode.UNKNOWN_TOPIC_OR_PARTITION, `Partition ${this.topic}-${this.partition} is gone`);
      await work();
    });
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /** Saves the epoch cache in order with the appends; a failed save is logged (the log rebuilds it on load). */
  #queueSaveEpochs(): void {
    if (!this.#saveEpochs) return;
    this.#tail = this.#tail.then(() => this.#saveEpochsNow()).catch(() => undefined);
  }

  async #saveEpochsNow(): Promise<void> {
    if (!this.#saveEpochs) return;
    try {
      await this.#saveEpochs(this.epochs);
    } catch (error) {
      this.#logger.warn('could not save the leader-epoch cache', { topic: this.topic, partition: this.partition, error: String(error) });
    }
  }

  /** The state of replica `id` as leader, created on first use for a replica that has none. */
  #followerOrCreate(id: number): FollowerState | undefined {
    if (id === this.#nodeId || !this.replicas.includes(id)) return undefined;
    let state = this.#followers.get(id);
    if (!state) {
      state = { logEndOffset: -1, lastCaughtUpTimeMs: 0, lastFetchLeaderLogEndOffset: -1, lastFetchTimeMs: 0 };
      this.#followers.set(id, state);
    }
    return state;
  }

  /**
   * Gives every replica without state one (a new leader epoch: all of them). One in the
   * ISR counts as caught up now, so a new leader does not drop a follower at once.
   */
  #resetMissingFollowers(newEpoch: boolean): void {
    const now = this.#clock.now();
    for (const id of this.replicas) {
      if (id === this.#nodeId || this.#followers.has(id)) continue;
      const inSync = this.isr.includes(id);
      this.#followers.set(id, {
        logEndOffset: -1,
        lastCaughtUpTimeMs: inSync ? now : 0,
        lastFetchLeaderLogEndOffset: inSync && newEpoch ? this.#nextOffset : -1,
        lastFetchTimeMs: inSync ? now : 0,
      });
    }
    for (const id of [...this.#followers.keys()]) if (!this.replicas.includes(id)) this.#followers.delete(id);
  }

  /** Proposes adding `id` when it has caught up to the high watermark within the current leader epoch. */
  #maybeExpandIsr(id: number, state: FollowerState): void {
    if (!this.#alterPartition || this.#pending || this.#closed || this.isr.includes(id)) return;
    if (state.logEndOffset < this.#highWatermark || state.logEndOffset < this.#leaderEpochStartOffset) return;
    this.#logger.info('expanding the ISR', { topic: this.topic, partition: this.partition, isr: this.isr, adding: id, leaderEpoch: this.leaderEpoch });
    const proposed = [...this.isr, id];
    this.#propose(proposed, proposed);
  }

  #propose(proposed: number[], maximal: number[]): void {
    const pending: PendingIsr = { proposed, maximal, retry: true };
    this.#pending = pending;
    this.#send(pending);
  }

  #send(pending: PendingIsr): void {
    const alter = this.#alterPartition!;
    const item: AlterPartitionItem = { topicId: this.topicId, partition: this.partition, leaderEpoch: this.leaderEpoch, partitionEpoch: this.partitionEpoch, newIsr: pending.proposed };
    let call: Promise<AlterPartitionItemResult>;
    try {
      call = alter(item);
    } catch (error) {
      call = Promise.reject(error);
    }
    call.then(
      (result) => this.#answered(pending, result),
      (error: unknown) => {
        if (this.#pending !== pending) return;
        this.#logger.warn('AlterPartition did not reach a controller; retrying', { topic: this.topic, partition: this.partition, error: String(error) });
        this.#retryLater(pending, true);
      },
    );
  }

  #answered(pending: PendingIsr, result: AlterPartitionItemResult): void {
    if (this.#pending !== pending || this.#closed) return;
    if (result.errorCode === KafkaCode.NONE) {
      this.#pending = undefined;
      if (result.leaderEpoch === this.leaderEpoch && result.partitionEpoch >= this.partitionEpoch) {
        this.isr = [...result.isr];
        this.partitionEpoch = result.partitionEpoch;
      }
      // A committed shrink may let the high watermark move; waiters re-check min.insync.replicas.
      if (!this.#advanceHighWatermark()) this.#notify();
      return;
    }
    this.#logger.info('AlterPartition refused', { topic: this.topic, partition: this.partition, errorCode: result.errorCode, proposed: pending.proposed });
    switch (result.errorCode) {
      case KafkaCode.NOT_CONTROLLER:
        // The controller moved: the same proposal goes again.
        this.#retryLater(pending, true);
        return;
      case KafkaCode.INELIGIBLE_REPLICA:
      case KafkaCode.OPERATION_NOT_ATTEMPTED:
        // Back to the committed state; a later fetch or lag check proposes again (after a pause).
        this.#retryLater(pending, false);
        return;
      default:
        // Stale partition epoch, fenced epoch, not the leader: the metadata that says so is on its way.
        pending.retry = false;
    }
  }

  #retryLater(pending: PendingIsr, resend: boolean): void {
    this.#clock.clearTimeout(this.#retryTimer);
    const epoch = this.leaderEpoch;
    this.#retryTimer = this.#clock.setTimeout(() => {
      this.#retryTimer = undefined;
      if (this.#pending !== pending || this.#closed || !this.isLeader || this.leaderEpoch !== epoch) return;
      if (resend) this.#send(pending);
      else {
        this.#pending = undefined;
        this.#notify();
      }
    }, ALTER_PARTITION_RETRY_MS);
  }

  #clearPending(): void {
    this.#pending = undefined;
    this.#clock.clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
  }
}
