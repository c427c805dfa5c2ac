/** The broker-level settings DescribeConfigs reports (static: set when the broker is built). */
import type { BrokerConfigValue } from './api/context.ts';
import { kafkaError, KafkaCode } from '../errors.ts';
import { type GroupPartitioningOptions, groupPartitioning } from './groups/group-partitioning.ts';

const MiB = 1024 * 1024;
const INT_MAX = 2147483647;

/**
 * The resource limits of a broker (Kafka's names in parentheses). The listener
 * (adapters/server) enforces the connection and socket ones; the broker the rest.
 */
export interface BrokerLimits {
  /** Largest request frame accepted; a larger one closes its connection (socket.request.max.bytes). Default 100 MiB. */
  readonly socketRequestMaxBytes: number;
  /** Most bytes of records one Fetch response carries, at least one batch (fetch.max.bytes). Default 55 MiB. */
  readonly fetchMaxBytes: number;
  /**
   * Broker-wide bytes of requests received and not yet handled — partly received frames
   * counted at their announced size (queued.max.request.bytes). Reads pause at the bound.
   * Default 512 MiB (Kafka's -1, unbounded, is not offered); at least socketRequestMaxBytes.
   */
  readonly queuedMaxRequestBytes: number;
  /**
   * Per connection, bytes of requests received and not yet handled before its reads pause
   * (read-ahead). A single request may always be read whole. Default 100 MiB.
   */
  readonly connectionMaxRequestBytes: number;
  /** Per connection, bytes of responses not yet sent before it stops taking requests (back-pressure). Default 100 MiB. */
  readonly connectionMaxResponseBytes: number;
  /** Open client connections; beyond, new ones are refused with a log line (max.connections). Default unbounded. */
  readonly maxConnections: number;
  /** Open client connections from one IP address (max.connections.per.ip). Default unbounded. */
  readonly maxConnectionsPerIp: number;
}

/** Kafka's defaults, with the broker-wide request bound Kafka leaves open set. */
export const DEFAULT_BROKER_LIMITS: BrokerLimits = Object.freeze({
  socketRequestMaxBytes: 100 * MiB,
  fetchMaxBytes: 55 * MiB,
  queuedMaxRequestBytes: 512 * MiB,
  connectionMaxRequestBytes: 100 * MiB,
  connectionMaxResponseBytes: 100 * MiB,
  maxConnections: INT_MAX,
  maxConnectionsPerIp: INT_MAX,
});

/** Kafka's config name of each limit. */
export const LIMIT_CONFIG_NAMES: { readonly [K in keyof BrokerLimits]: string } = Object.freeze({
  socketRequestMaxBytes: 'socket.request.max.bytes',
  fetchMaxBytes: 'fetch.max.bytes',
  queuedMaxRequestBytes: 'queued.max.request.bytes',
  connectionMaxRequestBytes: 'connection.max.request.bytes',
  connectionMaxResponseBytes: 'connection.max.response.bytes',
  maxConnections: 'max.connections',
  maxConnectionsPerIp: 'max.connections.per.ip',
});

/**
 * The limits with defaults filled in, each checked and all checked against each other.
 * Throws INVALID_CONFIG (40) naming the setting.
 */
export function resolveBrokerLimits(given: Partial<BrokerLimits> = {}): BrokerLimits {
  const limits = { ...DEFAULT_BROKER_LIMITS } as { -readonly [K in keyof BrokerLimits]: number };
  for (const key of Object.keys(DEFAULT_BROKER_LIMITS) as Array<keyof BrokerLimits>) {
    const value = given[key];
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value < 1 || value > INT_MAX) {
      throw kafkaError(KafkaCode.INVALID_CONFIG, `${LIMIT_CONFIG_NAMES[key]} must be an integer from 1 to ${INT_MAX}, got ${value}`);
    }
    limits[key] = value;
  }
  if (given.queuedMaxRequestBytes === undefined) limits.queuedMaxRequestBytes = Math.max(limits.queuedMaxRequestBytes, limits.socketRequestMaxBytes);
  if (limits.queuedMaxRequestBytes < limits.socketRequestMaxBytes) {
    throw kafkaError(KafkaCode.INVALID_CONFIG, `queued.max.request.bytes (${limits.queuedMaxRequestBytes}) must be at least socket.request.max.bytes (${limits.socketRequestMaxBytes}), or a largest request could never be read`);
  }
  return Object.freeze(limits);
}

/**
 * INVALID_CONFIG (40) when a topic's (or the broker default) max.message.bytes is above
 * the request cap: such a batch could never arrive, the request carrying it is refused
 * first (and the producer times out instead of hearing MESSAGE_TOO_LARGE).
 */
export function checkMaxMessageBytes(value: string | undefined, socketRequestMaxBytes: number, what = 'max.message.bytes'): void {
  if (value === undefined) return;
  if (Number(value) > socketRequestMaxBytes) {
    throw kafkaError(KafkaCode.INVALID_CONFIG, `${what} ${value} is above socket.request.max.bytes ${socketRequestMaxBytes}: no request could carry such a batch`);
  }
}

/** The options that decide whether a setting is explicit (static broker config) or defaulted. */
export interface BrokerConfigOptions {
  readonly nodeId?: number;
  readonly numPartitions?: number;
  readonly defaultReplicationFactor?: number;
  readonly autoCreateTopics?: boolean;
  readonly retentionCheckIntervalMs?: number;
  readonly limits?: Partial<BrokerLimits>;
  readonly groups?: { readonly initialRebalanceDelayMs?: number };
  readonly groupPartitioning?: GroupPartitioningOptions;
  /** The data directory (log.dirs), when the storage has one. */
  readonly logDir?: string;
  /** The storage's name: log.dirs without a data directory ("memory"). */
  readonly storageName?: string;
}

/** The static broker settings DescribeConfigs shows, each marked explicit when the options set it. */
export function brokerConfigTable(
  broker: { readonly nodeId: number; readonly autoCreateTopics: boolean },
  numPartitions: number,
  replicationFactor: number,
  options: BrokerConfigOptions,
  limits: BrokerLimits = DEFAULT_BROKER_LIMITS,
): Map<string, BrokerConfigValue> {
  const table = new Map<string, BrokerConfigValue>();
  table.set('node.id', { value: String(broker.nodeId), explicit: options.nodeId !== undefined, type: 3, doc: 'This broker\'s id.' });
  table.set('broker.id', { value: String(broker.nodeId), explicit: options.nodeId !== undefined, type: 3, doc: 'This broker\'s id.' });
  table.set('num.partitions', { value: String(numPartitions), explicit: options.numPartitions !== undefined, type: 3, doc: 'Partitions of auto-created topics.' });
  table.set('default.replication.factor', { value: String(replicationFactor), explicit: options.defaultReplicationFactor !== undefined, type: 3, doc: 'Replication factor of auto-created topics.' });
  table.set('auto.create.topics.enable', { value: String(broker.autoCreateTopics), explicit: options.autoCreateTopics !== undefined, type: 1, doc: 'Create unknown topics on Metadata and Produce.' });
  table.set('log.retention.check.interval.ms', {
    value: String(options.retentionCheckIntervalMs ?? 300_000),
    explicit: options.retentionCheckIntervalMs !== undefined,
    type: 5,
    doc: 'How often retention runs.',
  });
  for (const key of Object.keys(LIMIT_CONFIG_NAMES) as Array<keyof BrokerLimits>) {
    table.set(LIMIT_CONFIG_NAMES[key], { value: String(limits[key]), explicit: options.limits?.[key] !== undefined, type: 3, doc: `Resource limit (${key}).` });
  }
  const delay = options.groups?.initialRebalanceDelayMs;
  table.set('group.initial.rebalance.delay.ms', {
    value: String(delay ?? 3000),
    explicit: delay !== undefined,
    type: 3,
    doc: 'How long the first rebalance of a new group waits for more members.',
  });
  const logDir = options.logDir ?? options.storageName;
  if (logDir !== undefined) table.set('log.dirs', { value: logDir, explicit: options.logDir !== undefined, type: 7, doc: 'The directory the partition logs are kept in (the storage\'s name when it has none).' });
  // Cluster mode only: a single node keeps its offsets in its own log, not in this topic.
  const partitioning = options.groupPartitioning;
  if (partitioning !== undefined) {
    const settings = groupPartitioning(partitioning);
    // Kafka's config types: 3 INT, 4 SHORT.
    const offsetsConfigs: Array<[string, number, boolean, string, number]> = [
      ['offsets.topic.num.partitions', settings.numPartitions, partitioning.numPartitions !== undefined, 'Partitions of __consumer_offsets when it is created.', 3],
      ['offsets.topic.replication.factor', settings.replicationFactor, partitioning.replicationFactor !== undefined, 'Replication factor of __consumer_offsets when it is created (cut to the live brokers).', 4],
      ['offsets.commit.timeout.ms', settings.commitTimeoutMs, partitioning.commitTimeoutMs !== undefined, 'How long a commit waits for the in-sync replicas of its offsets partition.', 3],
      ['offsets.topic.segment.bytes', settings.segmentBytes, partitioning.segmentBytes !== undefined, 'Segment size of __consumer_offsets.', 3],
    ];
    for (const [name, value, explicit, doc, type] of offsetsConfigs) table.set(name, { value: String(value), explicit, type, doc });
  }
  return table;
}
