/**
 * Topic configuration: the names Tributary understands, their defaults, their broker-level
 * counterparts, validation, and the typed view the produce and retention paths read.
 *
 * Values are kept as strings (as Kafka keeps them) so that what a client set is exactly
 * what DescribeConfigs shows back; the typed view is derived once per change.
 */
import { kafkaError } from '../errors.ts';

/** The values of the topic config `compression.type` (Kafka's BrokerCompressionType). */
export const TOPIC_COMPRESSION_TYPES = ['producer', 'uncompressed', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

/** A value of `compression.type`. */
export type TopicCompressionType = (typeof TOPIC_COMPRESSION_TYPES)[number];

/** Kafka's ConfigType numbers (DescribeConfigs v3+). */
export const ConfigType = Object.freeze({ unknown: 0, boolean: 1, string: 2, int: 3, short: 4, long: 5, double: 6, list: 7, class: 8, password: 9 } as const);

/** Kafka's ConfigSource numbers (DescribeConfigs v1+). */
export const ConfigSource = Object.freeze({
  unknown: 0,
  dynamicTopic: 1,
  dynamicBroker: 2,
  dynamicDefaultBroker: 3,
  staticBroker: 4,
  default: 5,
  dynamicBrokerLogger: 6,
} as const);

/** How one topic config is named, typed, defaulted and checked. */
export interface TopicConfigSpec {
  /** Topic-level name (`retention.ms`). */
  readonly name: string;
  /** The broker-level name that supplies the default (`log.retention.ms`). */
  readonly brokerName: string;
  /** Kafka ConfigType number. */
  readonly type: number;
  /** Kafka's default value, as a string. */
  readonly defaultValue: string;
  /** Why `value` is not acceptable, or null. */
  readonly check: (value: string) => string | null;
  /** One line of documentation (DescribeConfigs v3 includeDocumentation). */
  readonly doc: string;
}

const INT_MAX = 2147483647;

function integer(min: number, max: number): (value: string) => string | null {
  return (value) => {
    if (!/^-?\d+$/.test(value.trim())) return `"${value}" is not an integer`;
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min || n > max) return `${value} is outside ${min}..${max}`;
    return null;
  };
}

function oneOf(...allowed: string[]): (value: string) => string | null {
  return (value) => (allowed.includes(value.trim()) ? null : `"${value}" is not one of ${allowed.join(', ')}`);
}

/** The topic configs Tributary supports, by name. */
export const TOPIC_CONFIGS: ReadonlyMap<string, TopicConfigSpec> = new Map(
  (
    [
      {
        name: 'cleanup.policy',
        brokerName: 'log.cleanup.policy',
        type: ConfigType.list,
        defaultValue: 'delete',
        // Log compaction is not implemented yet; accepting "compact" would silently keep everything.
        check: (v) => (v.trim() === 'delete' ? null : `cleanup.policy "${v}" is not supported (only "delete"; compaction is not implemented yet)`),
        doc: 'What happens to old log segments: "delete" removes them by retention.ms and retention.bytes.',
      },
      {
        name: 'compression.type',
        brokerName: 'compression.type',
        type: ConfigType.string,
        defaultValue: 'producer',
        check: oneOf(...TOPIC_COMPRESSION_TYPES),
        doc: 'The codec batches are stored in: "producer" keeps the producer\'s (no decoding); uncompressed, gzip, snappy, lz4 or zstd makes the broker recompress batches that arrive in another codec.',
      },
      {
        name: 'max.message.bytes',
        brokerName: 'message.max.bytes',
        type: ConfigType.int,
        defaultValue: '1048588',
        check: integer(0, INT_MAX),
        doc: 'Largest record batch (after compression) the broker accepts for this topic.',
      },
      {
        name: 'message.timestamp.type',
        brokerName: 'log.message.timestamp.type',
        type: ConfigType.string,
        defaultValue: 'CreateTime',
        check: oneOf('CreateTime', 'LogAppendTime'),
        doc: 'CreateTime keeps the producer\'s timestamps; LogAppendTime stamps each batch with the broker\'s clock.',
      },
      {
        name: 'min.insync.replicas',
        brokerName: 'min.insync.replicas',
        type: ConfigType.int,
        defaultValue: '1',
        check: integer(1, INT_MAX),
        doc: 'With acks=all, the fewest in-sync replicas a write needs: fewer answers NOT_ENOUGH_REPLICAS.',
      },
      {
        name: 'retention.bytes',
        brokerName: 'log.retention.bytes',
        type: ConfigType.long,
        defaultValue: '-1',
        check: integer(-1, Number.MAX_SAFE_INTEGER),
        doc: 'Largest size a partition may grow to before old segments are deleted; -1 for no limit.',
      },
      {
        name: 'retention.ms',
        brokerName: 'log.retention.ms',
        type: ConfigType.long,
        defaultValue: '604800000',
        check: integer(-1, Number.MAX_SAFE_INTEGER),
        doc: 'How long a segment is kept after its newest record; -1 for ever.',
      },
      {
        name: 'segment.bytes',
        brokerName: 'log.segment.bytes',
        type: ConfigType.int,
        defaultValue: '1073741824',
        check: integer(14, INT_MAX),
        doc: 'Size at which a partition log rolls to a new segment (for adapters that segment).',
      },
      {
        name: 'segment.ms',
        brokerName: 'log.roll.ms',
        type: ConfigType.long,
        defaultValue: '604800000',
        check: integer(1, Number.MAX_SAFE_INTEGER),
        doc: 'Age at which a partition log rolls to a new segment (for adapters that segment).',
      },
      {
        name: 'unclean.leader.election.enable',
        brokerName: 'unclean.leader.election.enable',
        type: ConfigType.boolean,
        defaultValue: 'false',
        check: oneOf('true', 'false'),
        doc: 'Whether a replica outside the ISR may become leader when no in-sync replica is live (availability over durability: acknowledged records may be lost).',
      },
    ] satisfies TopicConfigSpec[]
  ).map((spec) => [spec.name, spec]),
);

/**
 * The typed view of one topic's effective configuration: what its partition logs obey
 * (Kafka's LogConfig).
 */
export interface LogConfig {
  readonly cleanupPolicy: 'delete';
  /** The codec batches are stored in (`producer`: as they came). */
  readonly compressionType: TopicCompressionType;
  readonly maxMessageBytes: number;
  readonly timestampType: 'CreateTime' | 'LogAppendTime';
  readonly retentionBytes: number;
  readonly retentionMs: number;
  readonly segmentBytes: number;
  readonly segmentMs: number;
  /** acks=all needs at least this many in-sync replicas (min.insync.replicas). */
  readonly minInsyncReplicas: number;
  /** unclean.leader.election.enable. */
  readonly uncleanLeaderElectionEnable: boolean;
}

/**
 * Checks topic config overrides (name → value). Throws `INVALID_CONFIG` (40) for an
 * unknown name, a null value or a value its spec rejects; returns the trimmed values.
 */
export function validateTopicConfigs(configs: Iterable<readonly [string, string | null | undefined]>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, value] of configs) {
    const spec = TOPIC_CONFIGS.get(name);
    if (!spec) throw kafkaError(40, `Unknown topic config name: ${name}`);
    if (value === null || value === undefined) throw kafkaError(40, `Null value for topic config ${name} is not supported`);
    const problem = spec.check(value);
    if (problem !== null) throw kafkaError(40, `Invalid value for ${name}: ${problem}`);
    out.set(name, value.trim());
  }
  return out;
}

/** Broker-wide defaults for topic configs, keyed by topic config name. */
export type TopicConfigDefaults = Readonly<Record<string, string>>;

/** The effective value of `name` for a topic with these overrides and broker defaults. */
export function effectiveConfig(name: string, overrides: ReadonlyMap<string, string>, defaults: TopicConfigDefaults): { value: string; source: number } {
  const own = overrides.get(name);
  if (own !== undefined) return { value: own, source: ConfigSource.dynamicTopic };
  const broker = defaults[name];
  if (broker !== undefined) return { value: broker, source: ConfigSource.staticBroker };
  return { value: TOPIC_CONFIGS.get(name)!.defaultValue, source: ConfigSource.default };
}

/** Resolves the typed log config of a topic from its overrides and the broker defaults. */
export function logConfig(overrides: ReadonlyMap<string, string>, defaults: TopicConfigDefaults): LogConfig {
  const get = (name: string) => effectiveConfig(name, overrides, defaults).value;
  return {
    cleanupPolicy: 'delete',
    compressionType: get('compression.type') as TopicCompressionType,
    maxMessageBytes: Number(get('max.message.bytes')),
    timestampType: get('message.timestamp.type') === 'LogAppendTime' ? 'LogAppendTime' : 'CreateTime',
    retentionBytes: Number(get('retention.bytes')),
    retentionMs: Number(get('retention.ms')),
    segmentBytes: Number(get('segment.bytes')),
    segmentMs: Number(get('segment.ms')),
    minInsyncReplicas: Number(get('min.insync.replicas')),
    uncleanLeaderElectionEnable: get('unclean.leader.election.enable').trim() === 'true',
  };
}
