/**
 * The replica manager: the partitions this node hosts, and the only way requests reach
 * them (Kafka's ReplicaManager). Produce appends through {@link ReplicaManager.appendRecords},
 * Fetch reads through {@link ReplicaManager.fetchRecords}, ListOffsets looks up through
 * {@link ReplicaManager.fetchOffset}; waits (long polls, acks=all) go through one queue of
 * delayed operations.
 */
import type { Logger } from '../contracts/logger.ts';
import type { PartitionLog, Storage } from '../contracts/storage.ts';
import { TributaryError, kafkaError, KafkaCode } from '../errors.ts';
import type { CodecSource } from '../records/record-batch.ts';
import { toErrorPair } from './error-pair.ts';
import { DelayedOperations, type ShutdownWatch } from './partition/delayed-operations.ts';
import { lookupOffset } from './partition/offset-lookup.ts';
import { codecOf, needsRecompression, recompressBatch, targetCodec } from './partition/recompress.ts';
import { CompressionCodec } from '../contracts/compressor.ts';
import { readBatchHeader } from '../records/batch-header.ts';
import { concat } from '../protocol/writer.ts';
import type { MetadataDelta } from './metadata/metadata-delta.ts';
import type { MetadataImage, TopicImage } from './metadata/metadata-image.ts';
import type { MetadataPublisher } from './metadata/metadata-publisher.ts';
import type { MetadataRecord } from './metadata/records.ts';
import { Partition } from './partition/partition.ts';
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
  /** Applies the flush policy to a freshly opened log (returns the log to append through). */
  readonly wrapLog?: (log: PartitionLog) => PartitionLog;
  readonly producerState: ProducerStateManager;
  /** Ends waits when the broker shuts down. */
  readonly shutdown?: ShutdownWatch;
  /** Decompressors for ListOffsets by timestamp (see offset-lookup.ts). */
  readonly codecs?: CodecSource;
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
}

/** A Fetch as the replica manager serves it. */
export interface FetchRequestParams {
  /** -1 for consumers; a broker id for followers (served like consumers until replication exists). */
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
  readonly errors: boolean;
}

function failed(error: unknown): AppendResult {
  const { errorCode, errorMessage } = toErrorPair(error);
  return { errorCode, errorMessage, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 };
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
  /** Waits on partitions: fetch long polls and acks=all. */
  readonly delayed: DelayedOperations;

  constructor(options: ReplicaManagerOptions) {
    this.#options = options;
    this.delayed = new DelayedOperations(options.shutdown);
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
    return [...this.#byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
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
    for (const id of delta.deletedTopics.keys()) {
      const hosted = this.#byId.get(id);
      if (!hosted) continue;
      this.#byId.delete(id);
      if (this.#byName.get(hosted.name) === hosted) this.#byName.delete(hosted.name);
      for (const partition of hosted.partitions) partition.close();
      deletions.push(this.#deleteLogs(hosted));
    }
    for (const [id, changed] of delta.changedPartitions) {
      const topic = image.topicById(id);
      if (!topic) continue;
      const hosted = this.#host(topic);
      for (const index of [...changed].sort((a, b) => a - b)) {
        const registration = topic.partitions[index];
        if (!registration || !registration.replicas.includes(nodeId)) continue;
        let partition = hosted.partitions[index];
        const fresh = !partition;
        if (!partition) {
          const key = partitionKey(id, index);
          const log = this.#prepared.get(key);
          if (!log) throw new TributaryError('ERR_INVALID_ARGUMENT', `The log of ${topic.name}-${index} was not opened before it was published`);
          this.#prepared.delete(key);
          const start = this.#preparedStart.get(key) ?? 0;
          this.#preparedStart.delete(key);
          partition = new Partition(topic.name, index, log, nodeId, [...registration.replicas], registration.leaderEpoch, start);
          hosted.partitions[index] = partition;
        }
        if (fresh || registration.leaderEpoch !== partition.leaderEpoch) {
          if (registration.leader === nodeId) partition.makeLeader(registration.leaderEpoch, [...registration.replicas], [...registration.isr]);
          else partition.makeFollower(registration.leader, registration.leaderEpoch, [...registration.replicas], [...registration.isr]);
        }
      }
    }
    for (const id of delta.changedConfigs) {
      const hosted = this.#byId.get(id);
      const topic = image.topicById(id);
      if (hosted && topic) hosted.logConfig = logConfig(topic.configs, this.#options.topicDefaults);
    }
    if (deletions.length > 0) return Promise.all(deletions).then(() => undefined);
  }

  /** Deletes logs of topics or partitions the image does not have (a deletion interrupted by a crash). */
  async removeStrayLogs(image: MetadataImage): Promise<void> {
    const { storage, logger } = this.#options;
    for (const ref of await storage.listPartitions()) {
      // The broker's own logs (committed offsets) are no topic of the image.
      if (INTERNAL_LOGS.has(ref.topic)) continue;
      const topic = image.topic(ref.topic);
      if (!topic || ref.partition >= topic.partitions.length) {
        // A topic deleted while its log deletion was interrupted: finish the job (as Kafka does).
        logger.warn('removing the log of a deleted topic', { topic: ref.topic, partition: ref.partition });
        await storage.deletePartition(ref.topic, ref.partition);
      }
    }
  }

  /** Waits until every append issued so far has finished. */
  async settle(): Promise<void> {
    for (const partition of this.partitions()) await partition.settle();
  }

  /** Marks every partition closed (wakes waiting fetches). */
  closeAll(): void {
    for (const partition of this.partitions()) partition.close();
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
    for (const partition of hosted.partitions) {
      await partition.settle();
      await this.#options.storage.deletePartition(hosted.name, partition.partition);
      await this.#options.storage.metadata.delete(LOG_START_PREFIX + partitionKey(hosted.id, partition.partition));
    }
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
    let duplicate: { baseOffset: number } | null;
    try {
      duplicate = producerState.admit(partition, batches);
    } catch (error) {
      logger.debug('produce rejected', { topic: topic.name, partition: partition.partition, error: String(error) });
      return Promise.resolve(failed(error));
    }
    if (duplicate) {
      // An idempotent producer's retry: answer with the first append's offset (once it is done), append nothing.
      const baseOffset = duplicate.baseOffset;
      return partition.settle().then(() => ({ errorCode: 0, errorMessage: null, baseOffset, logAppendTimeMs: -1, logStartOffset: partition.logStartOffset }));
    }
    const logAppendTime = config.timestampType === 'LogAppendTime' ? Date.now() : undefined;
    const { baseOffsets, done } = partition.appendAsLeader(records, batches, logAppendTime);
    batches.forEach((batch, i) => producerState.record(partition, batch.header, baseOffsets[i]!));
    const firstOffset = baseOffsets[0] ?? -1;
    const last = batches.length > 0 ? baseOffsets[batches.length - 1]! + batches[batches.length - 1]!.header.recordCount : firstOffset;
    return done.then(
      async (): Promise<AppendResult> => {
        // acks=all: the in-sync replicas must have the batches (on a cluster of one they do already).
        if (request.acks === -1) {
          const reason = await this.delayed.waitForHighWatermark(partition, last, request.timeoutMs);
          if (reason === 'timeout') return failed(kafkaError(KafkaCode.REQUEST_TIMED_OUT, `The in-sync replicas of ${topic.name}-${partition.partition} did not catch up within ${request.timeoutMs} ms`));
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
   * Reads whole stored batches from each entry's offset up to the high watermark. Long
   * poll: when fewer than minBytes are available it waits until data arrives on any of
   * its partitions, maxWaitMs passes or the broker shuts down, then answers with what
   * there is. Results come in entry order.
   */
  async fetchRecords(request: FetchRequestParams): Promise<FetchResult[]> {
    const slots = this.#resolve(request);
    const readCommitted = request.isolationLevel === 1;
    const deadline = Date.now() + Math.max(0, request.maxWaitMs);
    const watched = slots.flatMap((s) => (s.partition && s.error === 0 ? [s.partition] : []));
    let marks = watched.map((p) => p.highWatermark);
    let outcome = await this.#readAll(slots, request, readCommitted);
    const shutdown = this.#options.shutdown;
    while (!outcome.errors && outcome.bytes < request.minBytes && watched.length > 0) {
      const left = deadline - Date.now();
      if (left <= 0 || shutdown?.aborted()) break;
      // Data that landed while we were reading would not wake us: look before sleeping.
      const moved = watched.some((p, i) => p.highWatermark !== marks[i] || !p.open);
      const reason = moved ? 'data' : await this.delayed.waitForData(watched, left);
      marks = watched.map((p) => p.highWatermark);
      outcome = await this.#readAll(slots, request, readCommitted);
      if (reason !== 'data') break;
    }
    return outcome.results;
  }

  /**
   * ListOffsets for one partition (see offset-lookup.ts), after the leader-epoch check.
   * A partition this node does not host is UNKNOWN_TOPIC_OR_PARTITION.
   */
  async fetchOffset(topic: string, index: number, currentLeaderEpoch: number | undefined, timestamp: number, apiVersion: number): Promise<OffsetResult> {
    const none = { errorCode: 0, offset: -1, timestamp: -1, leaderEpoch: -1 };
    const partition = this.partition(topic, index);
    if (!partition) return { ...none, errorCode: KafkaCode.UNKNOWN_TOPIC_OR_PARTITION };
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
    if (!partition.isLeader) return { errorCode: KafkaCode.NOT_LEADER_OR_FOLLOWER, lowWatermark: -1 };
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
      else error = partition.checkLeaderEpoch(entry.currentLeaderEpoch);
      return { entry, partition, error };
    });
  }

  async #readAll(slots: readonly Slot[], request: FetchRequestParams, readCommitted: boolean): Promise<ReadOutcome> {
    let remaining = request.maxBytes;
    let bytes = 0;
    let errors = false;
    const results: FetchResult[] = [];
    for (const slot of slots) {
      const partition = slot.partition;
      let errorCode = slot.error;
      let records: Uint8Array[] = [];
      if (errorCode === 0 && partition) {
        if (!partition.open) errorCode = KafkaCode.UNKNOWN_TOPIC_OR_PARTITION;
        else {
          const limit = Math.min(slot.entry.partitionMaxBytes, remaining);
          // KIP-74: from v3 the first partition with data may exceed the limits so a fetch always progresses.
          const minOneBatch = request.apiVersion >= 3 && bytes === 0;
          try {
            const result = await partition.read(slot.entry.fetchOffset, Math.max(0, limit), minOneBatch);
            records = result.chunks;
            bytes += result.bytes;
            remaining -= result.bytes;
          } catch (error) {
            errorCode = toErrorPair(error).errorCode;
          }
        }
      }
      if (errorCode !== 0) errors = true;
      const ok = errorCode === 0 && partition !== undefined;
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
      });
    }
    return { results, bytes, errors };
  }
}
