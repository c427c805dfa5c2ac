/**
 * The replica manager: the partitions this node hosts, and the only way requests reach
 * them (Kafka's ReplicaManager). Produce appends through {@link ReplicaManager.appendRecords},
 * Fetch reads through {@link ReplicaManager.fetchRecords}, ListOffsets looks up through
 * {@link ReplicaManager.fetchOffset}; waits (long polls, acks=all) go through one queue of
 * delayed operations.
 */
import { type Clock, systemClock } from '../clock.ts';
import type { Logger } from '../contracts/logger.ts';
import type { PartitionLog, Storage } from '../contracts/storage.ts';
import { TributaryError, kafkaError, KafkaCode } from '../errors.ts';
import type { CodecSource } from '../records/record-batch.ts';
import { toErrorPair } from './error-pair.ts';
import { DelayedOperations, type ShutdownWatch } from './partition/delayed-operations.ts';
import { lookupOffset } from './partition/offset-lookup.ts';
import { codecOf, needsRecompression, recompressBatch, targetCodec } from './partition/recompress.ts';
import { CompressionCodec } from '../contracts/compressor.ts';
import { BatchAttributes, batchSizeAt, readBatchHeader, verifyBatchCrc } from '../records/batch-header.ts';
import type { AlterPartitionItem, AlterPartitionItemResult } from './controller/broker-to-controller.ts';
import { type LeaderEpochCache } from './partition/leader-epoch-cache.ts';
import { deleteLeaderEpochs, leaderEpochKey, loadLeaderEpochs, saveLeaderEpochs } from './partition/leader-epoch-store.ts';
import { concat } from '../protocol/writer.ts';
import type { MetadataDelta } from './metadata/metadata-delta.ts';
import type { MetadataImage, PartitionRegistration, TopicImage } from './metadata/metadata-image.ts';
import type { MetadataPublisher } from './metadata/metadata-publisher.ts';
import type { MetadataRecord } from './metadata/records.ts';
import { Partition, REPLICA_LAG_TIME_MAX_MS } from './partition/partition.ts';
import { INTERNAL_LOGS } from './topic-name.ts';
import { type IncomingBatch, checkBatches } from './partition/produce-validation.ts';
import type { ProducerStateManager } from './producer-state/producer-state-manager.ts';
import { type LogConfig, type TopicConfigDefaults, logConfig } from './topic-config.ts';

/** A topic as far as this node hosts it: its log config and its partitions, by index. */
export interface HostedTopic {
  readonly name: string;
  readonly id: string;
  readonly logConfig: LogConfig;
  readonly partitions: readonly Partition[];
}

interface MutableHostedTopic {
  readonly name: string;
  readonly id: string;
  logConfig: LogConfig;
  readonly partitions: Partition[];
}

/** Options of {@link ReplicaManager}. */
export interface ReplicaManagerOptions {
  readonly nodeId: number;
  readonly logger: Logger;
  /** Where the partition logs live. */
  readonly storage: Storage;
  /** Broker-wide topic config defaults (what a topic's log config falls back to). */
  readonly topicDefaults: TopicConfigDefaults;
  /**
   * Rewrites {@link topicDefaults} in place from the image's dynamic broker configs; called
   * when they change, before the hosted topics' log configs are computed again.
   */
  readonly dynamicDefaults?: { update(image: MetadataImage): void };
  /** Applies the flush policy to a freshly opened log (returns the log to append through). */
  readonly wrapLog?: (log: PartitionLog) => PartitionLog;
  readonly producerState: ProducerStateManager;
  /** Ends waits when the broker shuts down. */
  readonly shutdown?: ShutdownWatch;
  /** Decompressors for ListOffsets by timestamp (see offset-lookup.ts). */
  readonly codecs?: CodecSource;
  /** Time for waits, follower lag and the ISR expiration check (default: the system clock). */
  readonly clock?: Clock;
  /**
   * Proposes an ISR change of a partition this node leads (BrokerToController
   * AlterPartition for one item, with this broker's id and epoch). Without it (a cluster
   * of one) the ISR never changes and no expiration check runs.
   */
  readonly alterPartition?: (item: AlterPartitionItem) => Promise<AlterPartitionItemResult>;
  /** replica.lag.time.max.ms (default 30000): a follower behind this long leaves the ISR. */
  readonly replicaLagTimeMaxMs?: number;
  /**
   * Whether this node may act as leader now (default: always). A cluster member that has
   * just (re)started must not: its image may still name it leader from before a crash that
   * cost it its unsynced tail, until the controller has taken its registration (which moves
   * leadership and ISR places away from the previous incarnation) and unfenced it.
   */
  readonly leadershipAllowed?: () => boolean;
}

/** A partition this node follows, as the replica fetchers are told of it. */
export interface FollowedPartition {
  readonly topicId: string;
  readonly partition: Partition;
  /** The node to fetch from. */
  readonly leaderId: number;
  readonly leaderEpoch: number;
}

/**
 * The replica fetchers as the replica manager drives them (replication/replica-fetcher-manager.ts):
 * which partitions to fetch from which leader.
 */
export interface ReplicaFetchers {
  /** Starts (or, on a new leader or epoch, restarts) fetching these partitions. */
  addPartitions(entries: readonly FollowedPartition[]): void;
  /** Stops fetching these partitions (this node leads them now, or they are gone). */
  removePartitions(partitions: readonly Partition[]): void;
}

/** One partition's records in a Produce. */
export interface AppendEntry {
  readonly topic: string;
  readonly partition: number;
  readonly records: Uint8Array | null;
}

/** What one partition's append answers. */
export interface AppendResult {
  readonly errorCode: number;
  readonly errorMessage: string | null;
  readonly baseOffset: number;
  readonly logAppendTimeMs: number;
  readonly logStartOffset: number;
}

/** A Produce's appends. */
export interface AppendRequest {
  /** 0, 1 or -1 (checked by the caller). */
  readonly acks: number;
  /** How long acks=-1 may wait for the in-sync replicas. */
  readonly timeoutMs: number;
  /** The Produce version (zstd needs v7+). */
  readonly apiVersion: number;
  readonly entries: readonly AppendEntry[];
}

/** One partition asked for in a Fetch. */
export interface FetchEntry {
  /** Topic name (Fetch v0–12) or id (v13+), per {@link FetchRequestParams.byId}. */
  readonly topic: string;
  readonly partition: number;
  readonly fetchOffset: number;
  readonly partitionMaxBytes: number;
  readonly currentLeaderEpoch?: number;
  /** The epoch of the last batch the follower has (Fetch v12+, followers), -1 when absent. */
  readonly lastFetchedEpoch?: number;
}

/** A Fetch as the replica manager serves it. */
export interface FetchRequestParams {
  /** -1 for consumers; a broker id for followers (which must fetch from the leader and read up to its log end). */
  readonly replicaId: number;
  /** 0 READ_UNCOMMITTED, 1 READ_COMMITTED. */
  readonly isolationLevel: number;
  readonly maxWaitMs: number;
  readonly minBytes: number;
  readonly maxBytes: number;
  readonly apiVersion: number;
  /** True when entries name topics by id (Fetch v13+). */
  readonly byId: boolean;
  readonly entries: readonly FetchEntry[];
}

/** What one partition of a Fetch answers. */
export interface FetchResult {
  readonly partitionIndex: number;
  readonly errorCode: number;
  readonly highWatermark: number;
  readonly lastStableOffset: number;
  readonly logStartOffset: number;
  readonly abortedTransactions: [] | null;
  readonly preferredReadReplica: number;
  readonly records: Uint8Array[];
  /** Fetch v12+: where the follower's log diverged from the leader's (then no records). */
  readonly divergingEpoch?: { readonly epoch: number; readonly endOffset: number };
  /** Fetch v12+: the leader this node knows, on NOT_LEADER_OR_FOLLOWER and fenced epochs. */
  readonly currentLeader?: { readonly leaderId: number; readonly leaderEpoch: number };
}

/** What one partition of an OffsetForLeaderEpoch answers. */
export interface EpochEndOffsetResult {
  readonly errorCode: number;
  readonly leaderEpoch: number;
  readonly endOffset: number;
}

/** What one partition of a ListOffsets answers. */
export interface OffsetResult {
  readonly errorCode: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly leaderEpoch: number;
}

interface Slot {
  readonly entry: FetchEntry;
  readonly partition: Partition | undefined;
  /** Kafka error to answer without reading, or 0. */
  readonly error: number;
}

interface ReadOutcome {
  readonly results: FetchResult[];
  readonly bytes: number;
  /** True when a partition answered an error or a divergence: the fetch answers without waiting. */
  readonly errors: boolean;
}

function failed(error: unknown): AppendResult {
  const { errorCode, errorMessage } = toErrorPair(error);
  return { errorCode, errorMessage, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 };
}

/** The partition epoch of a registration, when the image carries it. */
function partitionEpochOf(registration: PartitionRegistration): number | undefined {
  const epoch = (registration as PartitionRegistration & { readonly partitionEpoch?: number }).partitionEpoch;
  return typeof epoch === 'number' ? epoch : undefined;
}

function partitionKey(topicId: string, partition: number): string {
  return `${topicId}:${partition}`;
}

/**
 * Metadata-store entries `log-start/<topic id>:<partition>`: the log start offset a
 * DeleteRecords set (Kafka's log-start-offset checkpoint), above what storage trimmed.
 */
const LOG_START_PREFIX = 'log-start/';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The partitions this node hosts and the operations over them. It learns which partitions
 * to host, and its role in each, from metadata changes ({@link applyMetadata}).
 */
export class ReplicaManager implements MetadataPublisher {
  readonly name = 'replica-manager';
  readonly #options: ReplicaManagerOptions;
  readonly #byName = new Map<string, MutableHostedTopic>();
  readonly #byId = new Map<string, MutableHostedTopic>();
  // Per partition, the turn of the last append that is being recompressed: later appends commit after it.
  readonly #converting = new Map<Partition, Promise<void>>();
  // Logs opened for partitions about to be published, by topic id and partition.
  readonly #prepared = new Map<string, PartitionLog>();
  // Log start offsets a DeleteRecords set, read with the logs in `prepare`.
  readonly #preparedStart = new Map<string, number>();
  // Leader-epoch caches loaded with the logs in `prepare`.
  readonly #preparedEpochs = new Map<string, LeaderEpochCache>();
  // The highest partition epoch the records named, per partition (see partitionEpochOf).
  readonly #recordPartitionEpochs = new Map<string, number>();
  readonly #clock: Clock;
  #fetchers: ReplicaFetchers | undefined;
  #isrTimer: unknown;
  #closed = false;
  /** Waits on partitions: fetch long polls and acks=all. */
  readonly delayed: DelayedOperations;

  constructor(options: ReplicaManagerOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.delayed = new DelayedOperations(options.shutdown, this.#clock);
    if (options.alterPartition) this.#scheduleIsrExpiration();
  }

  /**
   * Hands the replica fetchers in (the manager needs this replica manager, so it comes
   * after construction) and tells them every partition this node follows now.
   */
  useFetchers(fetchers: ReplicaFetchers): void {
    this.#fetchers = fetchers;
    const followed: FollowedPartition[] = [];
    for (const topic of this.#byId.values()) {
      for (const p of topic.partitions) if (p && p.open && !p.isLeader && p.leaderId >= 0) followed.push({ topicId: topic.id, partition: p, leaderId: p.leaderId, leaderEpoch: p.leaderEpoch });
    }
    if (followed.length > 0) fetchers.addPartitions(followed);
  }

  /** The hosted partition of topic id `topicId`, if open. */
  partitionById(topicId: string, index: number): Partition | undefined {
    const p = this.#byId.get(topicId)?.partitions[index];
    return p && p.open ? p : undefined;
  }

  /** The hosted partition `topic`-`index`, if this node has it open. */
  partition(topic: string, index: number): Partition | undefined {
    const p = this.#byName.get(topic)?.partitions[index];
    return p && p.open ? p : undefined;
  }

  /** The hosted topic named `name`. */
  hostedTopic(name: string): HostedTopic | undefined {
    return this.#byName.get(name);
  }

  /** Every hosted topic, by name. */
  hostedTopics(): HostedTopic[] {
    // A node hosts some partitions of a topic: its array has holes, which callers must not see.
    return [...this.#byName.values()].map((t) => ({ ...t, partitions: t.partitions.filter((p) => p !== undefined) })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Every hosted partition. */
  partitions(): Partition[] {
    return [...this.#byName.values()].flatMap((t) => t.partitions);
  }

  /**
   * Opens the logs of partitions that `records` give this node, before the image names
   * them (so a partition the image shows can be served at once).
   */
  prepare(records: readonly MetadataRecord[], image: MetadataImage): Promise<void> | void {
    const { nodeId, storage, logger } = this.#options;
    const opening: Promise<void>[] = [];
    for (const record of records) {
      if (record.type !== 'partition' || !record.replicas.includes(nodeId)) continue;
      // The partition epoch as the records carry it, for an image whose registrations may not.
      if (record.partitionEpoch !== undefined) {
        const seen = partitionKey(record.topicId, record.partitionId);
        this.#recordPartitionEpochs.set(seen, Math.max(record.partitionEpoch, this.#recordPartitionEpochs.get(seen) ?? 0));
      }
      const key = partitionKey(record.topicId, record.partitionId);
      if (this.#byId.get(record.topicId)?.partitions[record.partitionId] || this.#prepared.has(key)) continue;
      const topicRecord = records.find((r) => r.type === 'topic' && r.topicId === record.topicId);
      const known = image.topicById(record.topicId);
      const name = topicRecord?.type === 'topic' ? topicRecord.name : known?.name;
      if (name === undefined) continue;
      const configs = new Map(known?.configs);
      for (const r of records) if (r.type === 'config' && r.resourceName === name) r.value === null ? configs.delete(r.name) : configs.set(r.name, r.value);
      const config = logConfig(configs, this.#options.topicDefaults);
      opening.push(
        storage.openPartition(name, record.partitionId, { segmentBytes: config.segmentBytes, segmentMs: config.segmentMs }).then((log) => {
          for (const event of log.recovery) logger.warn('partition log recovered', { topic: name, partition: record.partitionId, ...event });
          this.#prepared.set(key, this.#options.wrapLog ? this.#options.wrapLog(log) : log);
        }).then(() => storage.metadata.get(LOG_START_PREFIX + key)).then((stored) => {
          if (stored) this.#preparedStart.set(key, Number(decoder.decode(stored)));
        }).then(async () => {
          const log = this.#prepared.get(key)!;
          const epochKey = leaderEpochKey(record.topicId, record.partitionId);
          const loaded = await loadLeaderEpochs(log, storage.metadata, epochKey);
          if (loaded.rebuilt && loaded.cache.entries.length > 0) logger.info('leader-epoch cache rebuilt from the log', { topic: name, partition: record.partitionId, epochs: loaded.cache.entries.length });
          if (loaded.changed) await saveLeaderEpochs(storage.metadata, epochKey, loaded.cache);
          this.#preparedEpochs.set(key, loaded.cache);
        }),
      );
    }
    // Every opening settles before a failure is reported, so that abort() finds them all.
    if (opening.length > 0) {
      return Promise.allSettled(opening).then((settled) => {
        const failure = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failure) throw failure.reason;
      });
    }
  }

  /**
   * Undoes {@link prepare} for records that will not be published: closes the logs it
   * opened for them, and with `discard` (a failed creation) deletes their data, so that
   * neither a handle nor a ghost partition is left behind. Partitions already hosted are
   * never touched.
   */
  async abort(records: readonly MetadataRecord[], image: MetadataImage, discard: boolean): Promise<void> {
    const { nodeId, storage, logger } = this.#options;
    for (const record of records) {
      if (record.type !== 'partition' || !record.replicas.includes(nodeId)) continue;
      if (this.#byId.get(record.topicId)?.partitions[record.partitionId]) continue;
      const key = partitionKey(record.topicId, record.partitionId);
      const log = this.#prepared.get(key);
      this.#prepared.delete(key);
      this.#preparedStart.delete(key);
      this.#preparedEpochs.delete(key);
      const topicRecord = records.find((r) => r.type === 'topic' && r.topicId === record.topicId);
      const name = topicRecord?.type === 'topic' ? topicRecord.name : image.topicById(record.topicId)?.name;
      try {
        if (discard && name !== undefined) await storage.deletePartition(name, record.partitionId);
        else await log?.close();
      } catch (error) {
        logger.warn('could not undo the opening of a partition log', { topic: name, partition: record.partitionId, error: String(error) });
      }
    }
  }

  /** {@link MetadataPublisher} entry: see {@link applyMetadata}. */
  onMetadataUpdate(delta: MetadataDelta, image: MetadataImage): Promise<void> | void {
    return this.applyMetadata(delta, image);
  }

  /**
   * Follows a metadata change: hosts new partitions that name this node (as leader or
   * follower), changes roles on new leader epochs, updates log configs, and stops hosting
   * deleted topics — their partitions close at once and the returned promise settles once
   * their logs are deleted.
   */
  applyMetadata(delta: MetadataDelta, image: MetadataImage): Promise<void> | void {
    const { nodeId } = this.#options;
    const deletions: Promise<void>[] = [];
    const stopFetching: Partition[] = [];
    const startFetching: FollowedPartition[] = [];
    if (delta.brokerConfigsChanged && this.#options.dynamicDefaults) {
      // New broker-wide defaults (a dynamic broker config): every hosted topic's log config follows.
      this.#options.dynamicDefaults.update(image);
      for (const hosted of this.#byId.values()) {
        const topic = image.topicById(hosted.id);
        if (topic) hosted.logConfig = logConfig(topic.configs, this.#options.topicDefaults);
      }
    }
    for (const id of delta.deletedTopics.keys()) {
      const hosted = this.#byId.get(id);
      if (!hosted) continue;
      this.#byId.delete(id);
      if (this.#byName.get(hosted.name) === hosted) this.#byName.delete(hosted.name);
      for (const partition of hosted.partitions) {
        if (!partition) continue;
        this.#recordPartitionEpochs.delete(partitionKey(id, partition.partition));
        partition.close();
        stopFetching.push(partition);
      }
      deletions.push(this.#deleteLogs(hosted));
    }
    for (const [id, changed] of delta.changedPartitions) {
      const topic = image.topicById(id);
      if (!topic) continue;
      const hosted = this.#host(topic);
      for (const index of [...changed].sort((a, b) => a - b)) {
        const registration = topic.partitions[index];
        if (!registration || !registration.replicas.includes(nodeId)) {
          // Reassigned away (KIP-455): stop fetching and delete the stray replica, as Kafka's brokers do.
          const stray = hosted.partitions[index];
          if (stray) {
            delete hosted.partitions[index];
            this.#recordPartitionEpochs.delete(partitionKey(id, index));
            stray.close();
            stopFetching.push(stray);
            deletions.push(this.#deletePartitionLog(hosted.name, id, stray));
            this.#options.logger.info('replica reassigned away: log deleted', { topic: hosted.name, partition: index });
          }
          continue;
        }
        const partitionEpoch = partitionEpochOf(registration) ?? this.#recordPartitionEpochs.get(partitionKey(id, index)) ?? 0;
        let partition = hosted.partitions[index];
        if (!partition) partition = hosted.partitions[index] = this.#openPartition(topic, registration, partitionEpoch);
        if (registration.leader === nodeId) {
          partition.makeLeader(registration.leaderEpoch, [...registration.replicas], [...registration.isr], partitionEpoch);
          stopFetching.push(partition);
        } else {
          const restart = partition.makeFollower(registration.leader, registration.leaderEpoch, [...registration.replicas], [...registration.isr], partitionEpoch);
          if (registration.leader < 0) stopFetching.push(partition);
          else if (restart) startFetching.push({ topicId: id, partition, leaderId: registration.leader, leaderEpoch: registration.leaderEpoch });
        }
      }
    }
    for (const id of delta.changedConfigs) {
      const hosted = this.#byId.get(id);
      const topic = image.topicById(id);
      if (hosted && topic) hosted.logConfig = logConfig(topic.configs, this.#options.topicDefaults);
    }
    if (stopFetching.length > 0) this.#fetchers?.removePartitions(stopFetching);
    if (startFetching.length > 0) this.#fetchers?.addPartitions(startFetching);
    // Logs prepare() opened for a record of this change that a later one of it superseded (the
    // partition reassigned away again, say): this node does not host them, so they close — a
    // stray log deleted later must not linger as an open handle a re-added replica would reuse.
    // Only this change's partitions: another change may be preparing concurrently.
    for (const [id, changed] of delta.changedPartitions) {
      for (const index of changed) {
        const key = partitionKey(id, index);
        const log = this.#prepared.get(key);
        if (!log || image.partition(id, index)?.replicas.includes(nodeId)) continue;
        this.#prepared.delete(key);
        this.#preparedStart.delete(key);
        this.#preparedEpochs.delete(key);
        deletions.push(log.close().catch((error: unknown) => this.#options.logger.warn('could not close an unused partition log', { key, error: String(error) })));
      }
    }
    if (deletions.length > 0) return Promise.all(deletions).then(() => undefined);
  }

  #openPartition(topic: TopicImage, registration: PartitionRegistration, partitionEpoch: number): Partition {
    const { nodeId, storage, logger } = this.#options;
    const index = registration.partition;
    const key = partitionKey(topic.id, index);
    const log = this.#prepared.get(key);
    if (!log) throw new TributaryError('ERR_INVALID_ARGUMENT', `The log of ${topic.name}-${index} was not opened before it was published`);
    this.#prepared.delete(key);
    const start = this.#preparedStart.get(key) ?? 0;
    this.#preparedStart.delete(key);
    const epochCache = this.#preparedEpochs.get(key);
    this.#preparedEpochs.delete(key);
    const epochKey = leaderEpochKey(topic.id, index);
    return new Partition(topic.name, index, log, nodeId, [...registration.replicas], registration.leaderEpoch, start, {
      clock: this.#clock,
      logger,
      topicId: topic.id,
      partitionEpoch,
      epochCache,
      saveEpochs: (cache) => saveLeaderEpochs(storage.metadata, epochKey, cache),
      alterPartition: this.#options.alterPartition,
      replicaLagTimeMaxMs: this.#options.replicaLagTimeMaxMs,
    });
  }

  /**
   * Deletes logs of topics or partitions the image does not have (a deletion interrupted by a
   * crash) and, with `unassigned` (a cluster member whose image is replayed up to the committed
   * log), of partitions whose replicas no longer name this node: a replica reassigned away
   * while the node was down (Kafka's stray replicas, deleted at start-up as well).
   */
  async removeStrayLogs(image: MetadataImage, unassigned = false): Promise<void> {
    const { storage, logger, nodeId } = this.#options;
    for (const ref of await storage.listPartitions()) {
      // The broker's own logs (committed offsets) are no topic of the image.
      if (INTERNAL_LOGS.has(ref.topic)) continue;
      const topic = image.topic(ref.topic);
      if (!topic || ref.partition >= topic.partitions.length) {
        // A topic deleted while its log deletion was interrupted: finish the job (as Kafka does).
        logger.warn('removing the log of a deleted topic', { topic: ref.topic, partition: ref.partition });
        await storage.deletePartition(ref.topic, ref.partition);
      } else if (unassigned && !topic.partitions[ref.partition]?.replicas.includes(nodeId) && !this.#byId.get(topic.id)?.partitions[ref.partition]) {
        logger.warn('removing a stray replica (reassigned to other brokers)', { topic: ref.topic, partition: ref.partition });
        await storage.deletePartition(ref.topic, ref.partition);
        await storage.metadata.delete(LOG_START_PREFIX + partitionKey(topic.id, ref.partition));
        await deleteLeaderEpochs(storage.metadata, leaderEpochKey(topic.id, ref.partition));
      }
    }
  }

  /** Waits until every append issued so far has finished. */
  async settle(): Promise<void> {
    for (const partition of this.partitions()) await partition.settle();
  }

  /** Marks every partition closed (wakes waiting fetches) and stops the ISR expiration check. */
  closeAll(): void {
    this.#closed = true;
    this.#clock.clearTimeout(this.#isrTimer);
    this.#isrTimer = undefined;
    const all = this.partitions().filter((p) => p !== undefined);
    this.#fetchers?.removePartitions(all);
    for (const partition of all) partition.close();
  }

  /**
   * Every replica.lag.time.max.ms / 2, each partition this node leads proposes dropping the
   * followers that have not caught up for replica.lag.time.max.ms (Kafka's isr-expiration task).
   */
  #scheduleIsrExpiration(): void {
    const every = Math.max(1, Math.floor((this.#options.replicaLagTimeMaxMs ?? REPLICA_LAG_TIME_MAX_MS) / 2));
    this.#isrTimer = this.#clock.setTimeout(() => {
      if (this.#closed) return;
      this.maybeShrinkIsr();
      this.#scheduleIsrExpiration();
    }, every);
  }

  /** Runs the ISR expiration check of every partition this node leads now (the timer calls it). */
  maybeShrinkIsr(): void {
    const now = this.#clock.now();
    for (const partition of this.partitions()) if (partition && partition.open && this.#leads(partition)) partition.maybeShrinkIsr(now);
  }

  #host(topic: TopicImage): MutableHostedTopic {
    let hosted = this.#byId.get(topic.id);
    if (!hosted) {
      hosted = { name: topic.name, id: topic.id, logConfig: logConfig(topic.configs, this.#options.topicDefaults), partitions: [] };
      this.#byId.set(topic.id, hosted);
      this.#byName.set(topic.name, hosted);
    }
    return hosted;
  }

  async #deleteLogs(hosted: MutableHostedTopic): Promise<void> {
    for (const partition of hosted.partitions) if (partition) await this.#deletePartitionLog(hosted.name, hosted.id, partition);
  }

  // Deletes one closed partition's log, log start and leader-epoch cache once its appends settled.
  async #deletePartitionLog(name: string, topicId: string, partition: Partition): Promise<void> {
    await partition.settle();
    await this.#options.storage.deletePartition(name, partition.partition);
    await this.#options.storage.metadata.delete(LOG_START_PREFIX + partitionKey(topicId, partition.partition));
    await deleteLeaderEpochs(this.#options.storage.metadata, leaderEpochKey(topicId, partition.partition));
  }

  // Leads `partition` and may act on it (see ReplicaManagerOptions.leadershipAllowed).
  #leads(partition: Partition): boolean {
    return partition.isLeader && (this.#options.leadershipAllowed?.() ?? true);
  }

  /**
   * Checks, stamps and appends each entry's records and answers per acks (acks=-1 waits
   * for the high watermark to pass the batches). Everything up to the appends runs
   * synchronously, so batches of pipelined requests reach the log in request order.
   * Results come in entry order; a partition this node does not host is
   * UNKNOWN_TOPIC_OR_PARTITION.
   */
  appendRecords(request: AppendRequest): Promise<AppendResult[]> {
    return Promise.all(request.entries.map((entry) => this.#appendEntry(entry, request)));
  }

  #appendEntry(entry: AppendEntry, request: AppendRequest): Promise<AppendResult> {
    const { logger } = this.#options;
    const topic = this.#byName.get(entry.topic);
    const partition = topic?.partitions[entry.partition];
    if (!topic || !partition || !partition.open) {
      return Promise.resolve(failed(kafkaError(KafkaCode.UNKNOWN_TOPIC_OR_PARTITION, `Unknown topic or partition ${entry.topic}-${entry.partition}`)));
    }
    if (!this.#leads(partition)) return Promise.resolve(notLeader(partition));
    const config = topic.logConfig;
    const target = targetCodec(config.compressionType);
    let batches: IncomingBatch[];
    try {
      batches = checkBatches(entry.records, { maxMessageBytes: config.maxMessageBytes, segmentBytes: config.segmentBytes, apiVersion: request.apiVersion });
      if (target === CompressionCodec.zstd && request.apiVersion < 7) {
        throw kafkaError(KafkaCode.UNSUPPORTED_COMPRESSION_TYPE, `Topic ${topic.name} stores zstd batches, which need Produce v7 or later`);
      }
    } catch (error) {
      logger.debug('produce rejected', { topic: topic.name, partition: partition.partition, error: String(error) });
      return Promise.resolve(failed(error));
    }
    const convert = needsRecompression(batches, target);
    const ahead = this.#converting.get(partition);
    // The fast path: stored as they came, no decoding, offsets assigned before this returns.
    if (!convert && !ahead) return this.#commit(topic, partition, entry.records!, batches, request);
    return this.#convertThenCommit(topic, partition, entry.records!, batches, convert ? target : null, request, ahead);
  }

  /**
   * The slow path: batches re-encoded in the topic's codec (partition/recompress.ts). The
   * conversion runs at once, concurrently with other requests; the commit (dedup, offsets,
   * append) waits for the entries of this partition that came before, so the log and the
   * producer sequences keep request order. Nothing gets an offset before its conversion
   * succeeded.
   */
  async #convertThenCommit(
    topic: MutableHostedTopic,
    partition: Partition,
    records: Uint8Array,
    batches: IncomingBatch[],
    target: number | null,
    request: AppendRequest,
    ahead: Promise<void> | undefined,
  ): Promise<AppendResult> {
    let release!: () => void;
    const turn = new Promise<void>((resolve) => (release = resolve));
    this.#converting.set(partition, turn);
    const converting = target === null ? Promise.resolve({ records, batches }) : this.#recompress(records, batches, target, topic.logConfig.maxMessageBytes);
    converting.catch(() => undefined);
    let outcome: Promise<AppendResult>;
    try {
      await ahead;
      const converted = await converting;
      outcome = this.#commit(topic, partition, converted.records, converted.batches, request);
    } catch (error) {
      this.#options.logger.debug('produce rejected', { topic: topic.name, partition: partition.partition, error: String(error) });
      outcome = Promise.resolve(failed(error));
    } finally {
      release();
      if (this.#converting.get(partition) === turn) this.#converting.delete(partition);
    }
    return outcome;
  }

  /** Every batch in codec `target`, in one buffer; a converted batch larger than max.message.bytes is MESSAGE_TOO_LARGE. */
  async #recompress(records: Uint8Array, batches: readonly IncomingBatch[], target: number, maxMessageBytes: number): Promise<{ records: Uint8Array; batches: IncomingBatch[] }> {
    const parts = await Promise.all(
      batches.map((b) => (codecOf(b) === target ? records.subarray(b.pos, b.pos + b.size) : recompressBatch(records, b, target, this.#options.codecs))),
    );
    const out = parts.length === 1 ? parts[0]! : concat(parts);
    const converted: IncomingBatch[] = [];
    let pos = 0;
    for (const part of parts) {
      if (part.length > maxMessageBytes) throw kafkaError(KafkaCode.MESSAGE_TOO_LARGE, `Record batch of ${part.length} bytes after recompression exceeds max.message.bytes ${maxMessageBytes}`);
      converted.push({ pos, size: part.length, header: readBatchHeader(out, pos) });
      pos += part.length;
    }
    return { records: out, batches: converted };
  }

  /**
   * The synchronous part of an append: idempotent dedup, offsets, stamping, the queued log
   * append; then the answer per acks.
   */
  #commit(topic: MutableHostedTopic, partition: Partition, records: Uint8Array, batches: IncomingBatch[], request: AppendRequest): Promise<AppendResult> {
    const { logger, producerState } = this.#options;
    const config = topic.logConfig;
    // Leadership may have moved while a conversion ran.
    if (!this.#leads(partition) || !partition.open) return Promise.resolve(partition.open ? notLeader(partition) : failed(kafkaError(KafkaCode.UNKNOWN_TOPIC_OR_PARTITION, `Partition ${topic.name}-${partition.partition} is gone`)));
    // acks=all refuses before the append when too few replicas are in sync (the committed ISR, as Kafka).
    if (request.acks === -1 && partition.isr.length < config.minInsyncReplicas) {
      return Promise.resolve(failed(kafkaError(KafkaCode.NOT_ENOUGH_REPLICAS, `${topic.name}-${partition.partition} has ${partition.isr.length} in-sync replicas, min.insync.replicas is ${config.minInsyncReplicas}`)));
    }
    let duplicate: { baseOffset: number } | null;
    try {
      duplicate = producerState.admit(partition, batches);
    } catch (error) {
      logger.debug('produce rejected', { topic: topic.name, partition: partition.partition, error: String(error) });
      return Promise.resolve(failed(error));
    }
    if (duplicate) {
      // An idempotent producer's retry: answer with the first append's offset (once it is done), append nothing.
      // Under acks=all the retry waits for replication as the first try did (Kafka's DelayedProduce
      // asks the same of a duplicate): the first try may have timed out on a leader that could not
      // replicate it, and answering the retry at once would acknowledge what no follower has.
      const baseOffset = duplicate.baseOffset;
      const leaderEpoch = partition.leaderEpoch;
      const last = baseOffset + batches.reduce((n, b) => n + b.header.recordCount, 0);
      return partition.settle().then(async (): Promise<AppendResult> => {
        if (request.acks === -1) {
          const error = await this.#awaitReplication(topic, partition, leaderEpoch, last, request.timeoutMs);
          if (error) return failed(error);
        }
        return { errorCode: 0, errorMessage: null, baseOffset, logAppendTimeMs: -1, logStartOffset: partition.logStartOffset };
      });
    }
    const logAppendTime = config.timestampType === 'LogAppendTime' ? this.#clock.now() : undefined;
    const leaderEpoch = partition.leaderEpoch;
    const { baseOffsets, done } = partition.appendAsLeader(records, batches, logAppendTime);
    batches.forEach((batch, i) => producerState.record(partition, batch.header, baseOffsets[i]!));
    const firstOffset = baseOffsets[0] ?? -1;
    const last = batches.length > 0 ? baseOffsets[batches.length - 1]! + batches[batches.length - 1]!.header.recordCount : firstOffset;
    return done.then(
      async (): Promise<AppendResult> => {
        // acks=all: the in-sync replicas must have the batches (on a cluster of one they do already).
        if (request.acks === -1) {
          const error = await this.#awaitReplication(topic, partition, leaderEpoch, last, request.timeoutMs);
          if (error) return failed(error);
        }
        return { errorCode: 0, errorMessage: null, baseOffset: firstOffset, logAppendTimeMs: logAppendTime ?? -1, logStartOffset: partition.logStartOffset };
      },
      (error: unknown) => {
        logger.error('append failed', { topic: topic.name, partition: partition.partition, error: String(error) });
        producerState.forget(partition, batches, firstOffset);
        return failed(error instanceof TributaryError && error.kafkaCode !== undefined ? error : kafkaError(KafkaCode.KAFKA_STORAGE_ERROR, String(error)));
      },
    );
  }

  /**
   * acks=all after the append (Kafka's DelayedProduce): waits until the high watermark
   * passes `last`, then answers NOT_ENOUGH_REPLICAS_AFTER_APPEND when the committed ISR
   * shrank below min.insync.replicas meanwhile; NOT_LEADER_OR_FOLLOWER when leadership
   * moved (the batches may be truncated away); REQUEST_TIMED_OUT after `timeoutMs`.
   */
  async #awaitReplication(topic: MutableHostedTopic, partition: Partition, leaderEpoch: number, last: number, timeoutMs: number): Promise<TributaryError | undefined> {
    const lost = () => !this.#leads(partition) || partition.leaderEpoch !== leaderEpoch;
    const reason = await this.delayed.waitUntil([partition], () => lost() || !partition.open || partition.highWatermark >= last, timeoutMs);
    const name = `${topic.name}-${partition.partition}`;
    if (lost()) return kafkaError(KafkaCode.NOT_LEADER_OR_FOLLOWER, `This node no longer leads ${name} at epoch ${leaderEpoch}`);
    if (partition.highWatermark >= last) {
      const min = topic.logConfig.minInsyncReplicas;
      if (partition.isr.length < min) return kafkaError(KafkaCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND, `${name} has ${partition.isr.length} in-sync replicas after the append, min.insync.replicas is ${min}`);
      return undefined;
    }
    if (reason === 'timeout') return kafkaError(KafkaCode.REQUEST_TIMED_OUT, `The in-sync replicas of ${name} did not catch up within ${timeoutMs} ms`);
    return kafkaError(KafkaCode.NOT_LEADER_OR_FOLLOWER, `${name} closed before its in-sync replicas caught up`);
  }

  /**
   * Reads whole stored batches from each entry's offset up to the high watermark. Long
   * poll: when fewer than minBytes are available it waits until data arrives on any of
   * its partitions, maxWaitMs passes or the broker shuts down, then answers with what
   * there is. Results come in entry order.
   */
  async fetchRecords(request: FetchRequestParams): Promise<FetchResult[]> {
    const slots = this.#resolve(request);
    const readCommitted = request.isolationLevel === 1;
    const follower = request.replicaId >= 0;
    const upTo = follower ? 'end' : 'committed';
    const deadline = this.#clock.now() + Math.max(0, request.maxWaitMs);
    const watched = slots.flatMap((s) => (s.partition && s.error === 0 ? [s.partition] : []));
    // Followers read up to the log end, so they wait for it to move; consumers for the high watermark.
    const mark = (p: Partition) => (follower ? p.logEndOffset : p.highWatermark);
    let marks = watched.map(mark);
    let outcome = await this.#readAll(slots, request, readCommitted);
    const shutdown = this.#options.shutdown;
    while (!outcome.errors && outcome.bytes < request.minBytes && watched.length > 0) {
      const left = deadline - this.#clock.now();
      if (left <= 0 || shutdown?.aborted()) break;
      // Data that landed while we were reading would not wake us: look before sleeping.
      const moved = watched.some((p, i) => mark(p) !== marks[i] || !p.open);
      const reason = moved ? 'data' : await this.delayed.waitForData(watched, left, upTo);
      marks = watched.map(mark);
      outcome = await this.#readAll(slots, request, readCommitted);
      if (reason !== 'data') break;
    }
    return outcome.results;
  }

  /**
   * OffsetForLeaderEpoch for one partition: where `leaderEpoch` ends in the leader's log
   * (the leader-epoch cache), after the leader and leader-epoch checks. Only the leader
   * answers, except to replica id -2 (Kafka's debugging id).
   */
  lastOffsetForLeaderEpoch(topic: string, index: number, currentLeaderEpoch: number | undefined, leaderEpoch: number, replicaId = -1): EpochEndOffsetResult {
    const none = { errorCode: 0, leaderEpoch: -1, endOffset: -1 };
    const partition = this.partition(topic, index);
    if (!partition) return { ...none, errorCode: KafkaCode.UNKNOWN_TOPIC_OR_PARTITION };
    if (replicaId !== -2 && !this.#leads(partition)) return { ...none, errorCode: KafkaCode.NOT_LEADER_OR_FOLLOWER };
    const epochError = partition.checkLeaderEpoch(currentLeaderEpoch);
    if (epochError !== 0) return { ...none, errorCode: epochError };
    const found = partition.endOffsetForEpoch(leaderEpoch);
    if (found.endOffset < 0) return none;
    return { errorCode: 0, leaderEpoch: found.epoch, endOffset: found.endOffset };
  }

  /**
   * Appends batches a follower fetched from its leader, exactly as the leader wrote them
   * (replica fetcher): each batch's CRC is checked, batches the log already has are
   * skipped, producer state records each idempotent batch (so a new leader still
   * recognises a retried duplicate). Resolves with the new log end offset.
   */
  async appendReplicated(partition: Partition, records: Uint8Array): Promise<number> {
    const { producerState } = this.#options;
    const appends: Promise<void>[] = [];
    for (let pos = 0; pos + 61 <= records.length; ) {
      const size = batchSizeAt(records, pos);
      // A fetch may end with a partial batch (a size limit cut it): the next fetch gets it whole.
      if (size < 61 || pos + size > records.length) break;
      const header = readBatchHeader(records, pos);
      const batch = records.subarray(pos, pos + size);
      pos += size;
      const lastOffset = header.baseOffset + header.lastOffsetDelta;
      if (lastOffset < partition.nextOffset) continue;
      verifyBatchCrc(batch, 0, header);
      // A log started over at the leader's log start gets the leader's first batch, which may
      // begin before that start (storage keeps whole batches): start the log at the batch (Kafka's rule).
      if (header.baseOffset < partition.nextOffset && appends.length === 0 && partition.logEndOffset === partition.logStartOffset) {
        await partition.truncateFullyAndStartAt(header.baseOffset);
        if (partition.isLeader || !partition.open) throw kafkaError(KafkaCode.NOT_LEADER_OR_FOLLOWER, `${partition.topic}-${partition.partition} changed role during a replica append`);
      }
      appends.push(partition.appendAsFollower(batch, { baseOffset: header.baseOffset, lastOffset, maxTimestamp: header.maxTimestamp, recordCount: header.recordCount }));
      if (header.producerId >= 0 && (header.attributes & BatchAttributes.control) === 0) producerState.record(partition, header, header.baseOffset);
    }
    try {
      await Promise.all(appends);
    } catch (error) {
      // What was not written must not count as sequences: start over from the log.
      await partition.settle();
      await producerState.rebuild(partition);
      throw error;
    }
    return partition.logEndOffset;
  }

  /**
   * Moves a follower's log start up to the leader's (DeleteRecords and retention on the
   * leader reach the followers this way, as in Kafka); never past the follower's own log end.
   */
  async followLogStart(partition: Partition, leaderLogStartOffset: number): Promise<void> {
    const offset = Math.min(leaderLogStartOffset, partition.logEndOffset);
    if (offset <= partition.logStartOffset) return;
    const key = partition.topicId ? LOG_START_PREFIX + partitionKey(partition.topicId, partition.partition) : undefined;
    const persist = key ? (start: number) => this.#options.storage.metadata.put(key, encoder.encode(String(start))) : undefined;
    await partition.deleteRecordsBefore(offset, persist);
  }

  /**
   * Truncates a follower's log to `offset` (a diverging epoch), its epoch cache with it,
   * and rebuilds its producer state from what is left.
   */
  async truncate(partition: Partition, offset: number): Promise<void> {
    await partition.truncateTo(offset);
    await this.#options.producerState.rebuild(partition);
  }

  /**
   * Empties a follower's log and starts it at `offset` (the leader's log start is past this
   * log's end); the new start is persisted as a DeleteRecords start is.
   */
  async truncateFullyAndStartAt(partition: Partition, offset: number): Promise<void> {
    if (partition.topicId) await this.#options.storage.metadata.put(LOG_START_PREFIX + partitionKey(partition.topicId, partition.partition), encoder.encode(String(offset)));
    await partition.truncateFullyAndStartAt(offset);
    await this.#options.producerState.rebuild(partition);
  }

  /**
   * ListOffsets for one partition (see offset-lookup.ts), after the leader-epoch check.
   * A partition this node does not host is UNKNOWN_TOPIC_OR_PARTITION.
   */
  async fetchOffset(topic: string, index: number, currentLeaderEpoch: number | undefined, timestamp: number, apiVersion: number): Promise<OffsetResult> {
    const none = { errorCode: 0, offset: -1, timestamp: -1, leaderEpoch: -1 };
    const partition = this.partition(topic, index);
    if (!partition) return { ...none, errorCode: KafkaCode.UNKNOWN_TOPIC_OR_PARTITION };
    if (!this.#leads(partition)) return { ...none, errorCode: KafkaCode.NOT_LEADER_OR_FOLLOWER };
    const epochError = partition.checkLeaderEpoch(currentLeaderEpoch);
    if (epochError !== 0) return { ...none, errorCode: epochError };
    try {
      const found = await lookupOffset(partition, timestamp, apiVersion, this.#options.codecs);
      // Kafka answers no epoch with no offset (a timestamp after every record).
      return { errorCode: 0, offset: found.offset, timestamp: found.timestamp, leaderEpoch: found.offset >= 0 ? partition.leaderEpoch : -1 };
    } catch (error) {
      return { ...none, errorCode: toErrorPair(error).errorCode };
    }
  }

  /**
   * DeleteRecords for one partition: moves its log start offset to `offset` (-1: the high
   * watermark). UNKNOWN_TOPIC_OR_PARTITION when not hosted, NOT_LEADER_OR_FOLLOWER on a
   * follower, OFFSET_OUT_OF_RANGE beyond the high watermark. Resolves with the low watermark.
   */
  async deleteRecords(topic: string, index: number, offset: number): Promise<{ errorCode: number; lowWatermark: number }> {
    const partition = this.partition(topic, index);
    if (!partition || !partition.open) return { errorCode: KafkaCode.UNKNOWN_TOPIC_OR_PARTITION, lowWatermark: -1 };
    if (!this.#leads(partition)) return { errorCode: KafkaCode.NOT_LEADER_OR_FOLLOWER, lowWatermark: -1 };
    const hw = partition.highWatermark;
    const target = offset === -1 ? hw : offset;
    if (!Number.isSafeInteger(target) || target < 0 || target > hw) return { errorCode: KafkaCode.OFFSET_OUT_OF_RANGE, lowWatermark: -1 };
    try {
      const key = LOG_START_PREFIX + partitionKey(this.#byName.get(topic)!.id, index);
      const persist = (start: number) => this.#options.storage.metadata.put(key, encoder.encode(String(start)));
      return { errorCode: KafkaCode.NONE, lowWatermark: await partition.deleteRecordsBefore(target, persist) };
    } catch (error) {
      this.#options.logger.warn('DeleteRecords failed', { topic, partition: index, offset: target, error: String(error) });
      return { errorCode: toErrorPair(error).errorCode, lowWatermark: -1 };
    }
  }

  #resolve(request: FetchRequestParams): Slot[] {
    return request.entries.map((entry) => {
      const topic = request.byId ? this.#byId.get(entry.topic) : this.#byName.get(entry.topic);
      const partition = topic?.partitions[entry.partition];
      let error: number = KafkaCode.NONE;
      if (!topic) error = request.byId ? KafkaCode.UNKNOWN_TOPIC_ID : KafkaCode.UNKNOWN_TOPIC_OR_PARTITION;
      else if (!partition || !partition.open) error = KafkaCode.UNKNOWN_TOPIC_OR_PARTITION;
      else if (!this.#leads(partition)) error = KafkaCode.NOT_LEADER_OR_FOLLOWER;
      else error = partition.checkLeaderEpoch(entry.currentLeaderEpoch);
      // A follower this partition does not list: its view (or ours) is stale; it retries (Kafka's rule).
      if (error === 0 && request.replicaId >= 0 && !partition!.replicas.includes(request.replicaId)) {
        error = entry.currentLeaderEpoch !== undefined && entry.currentLeaderEpoch >= 0 ? KafkaCode.UNKNOWN_LEADER_EPOCH : KafkaCode.NOT_LEADER_OR_FOLLOWER;
      }
      return { entry, partition, error };
    });
  }

  async #readAll(slots: readonly Slot[], request: FetchRequestParams, readCommitted: boolean): Promise<ReadOutcome> {
    const follower = request.replicaId >= 0;
    let remaining = request.maxBytes;
    let bytes = 0;
    let errors = false;
    const results: FetchResult[] = [];
    for (const slot of slots) {
      const partition = slot.partition;
      let errorCode = slot.error;
      let records: Uint8Array[] = [];
      let divergingEpoch: { epoch: number; endOffset: number } | undefined;
      if (errorCode === 0 && partition) {
        if (!partition.open) errorCode = KafkaCode.UNKNOWN_TOPIC_OR_PARTITION;
        else if (!this.#leads(partition)) errorCode = KafkaCode.NOT_LEADER_OR_FOLLOWER;
        else {
          const limit = Math.min(slot.entry.partitionMaxBytes, remaining);
          // KIP-74: from v3 the first partition with data may exceed the limits so a fetch always progresses.
          const minOneBatch = request.apiVersion >= 3 && bytes === 0;
          try {
            const lastFetchedEpoch = slot.entry.lastFetchedEpoch ?? -1;
            // A follower that names its last epoch learns where its log left the leader's (KIP-320 / KIP-595).
            const diverged = follower && lastFetchedEpoch >= 0 ? partition.divergingEpoch(slot.entry.fetchOffset, lastFetchedEpoch) : null;
            if (diverged) divergingEpoch = { epoch: diverged.epoch, endOffset: diverged.endOffset };
            else {
              // The log end before the read: appends after it do not keep a follower from catching up.
              const leaderEnd = partition.logEndOffset;
              const result = await partition.read(slot.entry.fetchOffset, Math.max(0, limit), minOneBatch, follower ? 'end' : 'committed');
              records = result.chunks;
              bytes += result.bytes;
              remaining -= result.bytes;
              if (follower) partition.updateFollowerFetch(request.replicaId, slot.entry.fetchOffset, leaderEnd, this.#clock.now());
            }
          } catch (error) {
            errorCode = toErrorPair(error).errorCode;
          }
        }
      }
      // An error or a divergence is answered at once (Kafka's DelayedFetch completes on either).
      if (errorCode !== 0 || divergingEpoch) errors = true;
      const ok = errorCode === 0 && partition !== undefined;
      const leaderHint = partition && (errorCode === KafkaCode.NOT_LEADER_OR_FOLLOWER || errorCode === KafkaCode.FENCED_LEADER_EPOCH)
        ? { currentLeader: { leaderId: partition.leaderId, leaderEpoch: partition.leaderEpoch } }
        : {};
      results.push({
        partitionIndex: slot.entry.partition,
        errorCode,
        highWatermark: ok ? partition.highWatermark : -1,
        lastStableOffset: ok ? partition.lastStableOffset : -1,
        logStartOffset: ok ? partition.logStartOffset : -1,
        // As Kafka: none (null) for READ_UNCOMMITTED reads, a list (empty: no transactions yet)
        // for READ_COMMITTED ones and for error answers, which keep the field's default.
        abortedTransactions: readCommitted || !ok ? [] : null,
        preferredReadReplica: -1,
        records,
        ...(divergingEpoch ? { divergingEpoch } : {}),
        ...leaderHint,
      });
    }
    return { results, bytes, errors };
  }
}

/** NOT_LEADER_OR_FOLLOWER for a produce to a partition this node hosts but does not lead. */
function notLeader(partition: Partition): AppendResult {
  return failed(kafkaError(KafkaCode.NOT_LEADER_OR_FOLLOWER, `This node does not lead ${partition.topic}-${partition.partition} (leader ${partition.leaderId}, epoch ${partition.leaderEpoch})`));
}
