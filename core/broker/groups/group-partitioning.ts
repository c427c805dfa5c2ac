/**
 * Groups across brokers (cluster mode): which partition of the internal
 * `__consumer_offsets` topic holds a group, how that topic is created, and how errors of
 * the writes to it reach the client — Kafka's rules (GroupCoordinatorService.partitionFor,
 * AutoTopicCreationManager for the offsets topic, CoordinatorOperationExceptionHelper).
 *
 * The coordinator of a group is the leader of its partition; see
 * {@link PartitionedGroupCoordinator} for loading and unloading.
 */
import { KafkaCode, kafkaErrorByCode } from '../../kafka-error-codes.ts';
import { TributaryError } from '../../errors.ts';
import type { CreateTopicSpec } from '../controller/controller.ts';
import { GROUP_OFFSETS_LOG, GROUP_OFFSETS_TOPIC } from './log-group-store.ts';

/** Settings of the partitioned group placement (Kafka's offsets.topic.* broker configs). */
export interface GroupPartitioningOptions {
  /** offsets.topic.num.partitions: partitions of `__consumer_offsets` when this broker creates it. Default 50. */
  readonly numPartitions?: number;
  /**
   * offsets.topic.replication.factor: its replication factor, cut to the number of live
   * brokers when it is created. Default 3.
   */
  readonly replicationFactor?: number;
  /** offsets.commit.timeout.ms: how long a write waits for the in-sync replicas. Default 5000. */
  readonly commitTimeoutMs?: number;
  /** offsets.topic.segment.bytes. Default 8 MiB (as the single-node offsets log: trimming after a snapshot frees whole segments). */
  readonly segmentBytes?: number;
  /** Fewest records appended between two snapshots of a partition's groups (see LogGroupStore). Default 1000. */
  readonly compactAfter?: number;
  /**
   * Refuse to create the topic with fewer replicas than {@link replicationFactor} (today's
   * Kafka: "internal topic creation will fail until the cluster size meets this replication
   * factor"; FindCoordinator answers COORDINATOR_NOT_AVAILABLE meanwhile) instead of cutting
   * the factor to the live brokers (Kafka's older rule, the default here). Cutting lets a
   * group start on a cluster still coming up, at the price of a topic that stays less
   * replicated than asked.
   */
  readonly strictReplicationFactor?: boolean;
}

/** {@link GroupPartitioningOptions} with defaults applied. */
export interface GroupPartitioning {
  readonly numPartitions: number;
  readonly replicationFactor: number;
  readonly commitTimeoutMs: number;
  readonly segmentBytes: number;
  readonly compactAfter: number;
  readonly strictReplicationFactor: boolean;
}

function positiveInt(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 1) throw new TributaryError('ERR_INVALID_ARGUMENT', `${name} must be a positive integer, got ${v}`);
  return v;
}

/** Validates the options and fills in Kafka's defaults. */
export function groupPartitioning(options: GroupPartitioningOptions = {}): GroupPartitioning {
  return Object.freeze({
    numPartitions: positiveInt('offsets.topic.num.partitions', options.numPartitions, 50),
    replicationFactor: positiveInt('offsets.topic.replication.factor', options.replicationFactor, 3),
    commitTimeoutMs: positiveInt('offsets.commit.timeout.ms', options.commitTimeoutMs, 5000),
    segmentBytes: positiveInt('offsets.topic.segment.bytes', options.segmentBytes, GROUP_OFFSETS_LOG.segmentBytes),
    compactAfter: positiveInt('compactAfter', options.compactAfter, 1000),
    strictReplicationFactor: options.strictReplicationFactor === true,
  });
}

/**
 * Java's `String.hashCode()`: `s[0]*31^(n-1) + … + s[n-1]` over the UTF-16 code units,
 * in 32-bit two's-complement arithmetic. JavaScript strings are UTF-16 too, so
 * `charCodeAt` gives the same units Java sees (a character outside the BMP is two).
 */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** Kafka's `Utils.abs`: the absolute value, except that Integer.MIN_VALUE gives 0 (not itself). */
export function kafkaAbs(n: number): number {
  return n === -2147483648 ? 0 : Math.abs(n);
}

/** The partition of `__consumer_offsets` that holds group `groupId`: `Utils.abs(groupId.hashCode) % numPartitions`. */
export function partitionForGroup(groupId: string, numPartitions: number): number {
  return kafkaAbs(javaStringHashCode(groupId)) % numPartitions;
}

/**
 * A topic creation the group coordinator asks for. `internal` marks the creation of the
 * broker's own `__consumer_offsets` topic, a name `validateNewTopicName` refuses to users:
 * a controller must let it through for such a creation (see the report of issue 11).
 */
export interface OffsetsTopicSpec extends CreateTopicSpec {
  readonly internal: true;
}

/**
 * How `__consumer_offsets` is created: the configured partitions, the replication factor
 * cut to the live brokers (at least 1; unless `strictReplicationFactor`), and configs that keep every record until the
 * coordinator itself trims the log after a snapshot. Kafka's offsets topic is
 * `cleanup.policy=compact`; our storage has no log cleaner (topic-config.ts refuses
 * "compact"), so the topic keeps `delete` with unlimited retention — time or size
 * retention would delete committed offsets — and the leader compacts by appending a
 * snapshot of the live entries and moving the log start offset past what it replaces
 * (offsets never change, so followers stay identical: see LogGroupStore).
 */
export function offsetsTopicSpec(settings: GroupPartitioning, liveBrokers: number): OffsetsTopicSpec {
  return {
    name: GROUP_OFFSETS_TOPIC,
    numPartitions: settings.numPartitions,
    replicationFactor: settings.strictReplicationFactor ? settings.replicationFactor : Math.max(1, Math.min(settings.replicationFactor, liveBrokers)),
    configs: [
      ['cleanup.policy', 'delete'],
      ['retention.ms', '-1'],
      ['retention.bytes', '-1'],
      ['segment.bytes', String(settings.segmentBytes)],
      ['compression.type', 'producer'],
    ],
    internal: true,
  };
}

/**
 * A failed write to a group's partition, carrying the error code the group request
 * answers (see {@link coordinatorErrorOf}).
 */
export class CoordinatorWriteError extends TributaryError {
  /** What the group request answers. */
  readonly coordinatorCode: number;

  constructor(coordinatorCode: number, message: string) {
    super(kafkaErrorByCode(coordinatorCode)?.name ?? `KAFKA_ERROR_${coordinatorCode}`, message, { kafkaCode: coordinatorCode, retriable: kafkaErrorByCode(coordinatorCode)?.retriable ?? false });
    this.coordinatorCode = coordinatorCode;
  }
}

/**
 * The error a group request answers when appending its records failed with `code`, as
 * Kafka's CoordinatorOperationExceptionHelper maps them: a partition gone, too few in-sync
 * replicas or a timeout → COORDINATOR_NOT_AVAILABLE (find the coordinator, retry);
 * leadership lost or the disk failed → NOT_COORDINATOR; records too large →
 * UNKNOWN_SERVER_ERROR; anything else as it is.
 */
export function coordinatorErrorOf(code: number): number {
  switch (code) {
    case KafkaCode.UNKNOWN_TOPIC_OR_PARTITION:
    case KafkaCode.NOT_ENOUGH_REPLICAS:
    case KafkaCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case KafkaCode.REQUEST_TIMED_OUT:
      return KafkaCode.COORDINATOR_NOT_AVAILABLE;
    case KafkaCode.NOT_LEADER_OR_FOLLOWER:
    case KafkaCode.KAFKA_STORAGE_ERROR:
      return KafkaCode.NOT_COORDINATOR;
    case KafkaCode.MESSAGE_TOO_LARGE:
    case KafkaCode.RECORD_LIST_TOO_LARGE:
    case KafkaCode.INVALID_FETCH_SIZE:
      return KafkaCode.UNKNOWN_SERVER_ERROR;
    default:
      return code;
  }
}

/**
 * The error code a group request answers for a failed store write: the mapped code of a
 * {@link CoordinatorWriteError}, COORDINATOR_NOT_AVAILABLE for anything else (what the
 * single-node coordinator has always answered).
 */
export function storeFailureCode(error: unknown): number {
  return error instanceof CoordinatorWriteError ? error.coordinatorCode : KafkaCode.COORDINATOR_NOT_AVAILABLE;
}
