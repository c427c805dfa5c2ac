/**
 * The replica manager: the partitions this node hosts, and the only way requests reach
 * them (Kafka's ReplicaManager). Produce appends through {@link ReplicaManager.appendRecords},
 * Fetch reads through {@link ReplicaManager.fetchRecords}, ListOffsets looks up through
 * {@link ReplicaManager.fetchOffset}; waits (long polls, acks=all) go through one queue of
 * delayed operations.
 */
import type { Logger } from '../contracts/logger.ts';
import { TributaryError, kafkaError } from '../errors.ts';
import type { CodecSource } from '../records/record-batch.ts';
import { toErrorPair } from './error-pair.ts';
import { DelayedOperations, type ShutdownWatch } from './partition/delayed-operations.ts';
import { lookupOffset } from './partition/offset-lookup.ts';
import type { Partition } from './partition/partition.ts';
import { type IncomingBatch, checkBatches } from './partition/produce-validation.ts';
import type { ProducerStateManager } from './producer-state/producer-state-manager.ts';
import type { LogConfig } from './topic-config.ts';

/** A topic as far as this node hosts it: its log config and its partitions, by index. */
export interface HostedTopic {
  readonly name: string;
  readonly id: string;
  readonly logConfig: LogConfig;
  readonly partitions: readonly Partition[];
}

/** Where the replica manager finds the topics it hosts. */
export interface HostedTopics {
  get(name: string): HostedTopic | undefined;
  byId(id: string): HostedTopic | undefined;
  all(): HostedTopic[];
}

/** Options of {@link ReplicaManager}. */
export interface ReplicaManagerOptions {
  readonly nodeId: number;
  readonly logger: Logger;
  readonly topics: HostedTopics;
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

/** The partitions this node hosts and the operations over them. */
export class ReplicaManager {
  readonly #options: ReplicaManagerOptions;
  /** Waits on partitions: fetch long polls and acks=all. */
  readonly delayed: DelayedOperations;

  constructor(options: ReplicaManagerOptions) {
    this.#options = options;
    this.delayed = new DelayedOperations(options.shutdown);
  }

  /** The hosted partition `topic`-`index`, if this node has it open. */
  partition(topic: string, index: number): Partition | undefined {
    const p = this.#options.topics.get(topic)?.partitions[index];
    return p && p.open ? p : undefined;
  }

  /** Every hosted topic. */
  hostedTopics(): HostedTopic[] {
    return this.#options.topics.all();
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
    const { logger, producerState } = this.#options;
    const topic = this.#options.topics.get(entry.topic);
    const partition = topic?.partitions[entry.partition];
    if (!topic || !partition || !partition.open) {
      return Promise.resolve(failed(kafkaError(3, `Unknown topic or partition ${entry.topic}-${entry.partition}`)));
    }
    const config = topic.logConfig;
    let batches: IncomingBatch[];
    let duplicate: { baseOffset: number } | null;
    try {
      batches = checkBatches(entry.records, { maxMessageBytes: config.maxMessageBytes, segmentBytes: config.segmentBytes, apiVersion: request.apiVersion });
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
    const { baseOffsets, done } = partition.appendAsLeader(entry.records!, batches, logAppendTime);
    batches.forEach((batch, i) => producerState.record(partition, batch.header, baseOffsets[i]!));
    const firstOffset = baseOffsets[0] ?? -1;
    const last = batches.length > 0 ? baseOffsets[batches.length - 1]! + batches[batches.length - 1]!.header.recordCount : firstOffset;
    return done.then(
      async (): Promise<AppendResult> => {
        // acks=all: the in-sync replicas must have the batches (on a cluster of one they do already).
        if (request.acks === -1) {
          const reason = await this.delayed.waitForHighWatermark(partition, last, request.timeoutMs);
          if (reason === 'timeout') return failed(kafkaError(7, `The in-sync replicas of ${topic.name}-${partition.partition} did not catch up within ${request.timeoutMs} ms`));
        }
        return { errorCode: 0, errorMessage: null, baseOffset: firstOffset, logAppendTimeMs: logAppendTime ?? -1, logStartOffset: partition.logStartOffset };
      },
      (error: unknown) => {
        logger.error('append failed', { topic: topic.name, partition: partition.partition, error: String(error) });
        producerState.forget(partition, batches, firstOffset);
        return failed(error instanceof TributaryError && error.kafkaCode !== undefined ? error : kafkaError(56, String(error)));
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
    if (!partition) return { ...none, errorCode: 3 };
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

  #resolve(request: FetchRequestParams): Slot[] {
    const topics = this.#options.topics;
    return request.entries.map((entry) => {
      const topic = request.byId ? topics.byId(entry.topic) : topics.get(entry.topic);
      const partition = topic?.partitions[entry.partition];
      let error = 0;
      if (!topic) error = request.byId ? 100 : 3;
      else if (!partition || !partition.open) error = 3;
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
        if (!partition.open) errorCode = 3;
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
