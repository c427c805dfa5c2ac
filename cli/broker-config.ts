/**
 * Broker settings for the command line, from (lowest to highest precedence) built-in
 * defaults, a JSON config file (`--config`), TRIBUTARY_* environment variables and flags.
 */
import { readFileSync } from 'node:fs';
import { TributaryError } from '../core/errors.ts';
import type { LogLevel } from '../core/contracts/logger.ts';
import { TOPIC_COMPRESSION_TYPES, type TopicCompressionType } from '../core/broker/topic-config.ts';

/** Storage adapters the broker command can start with. */
export type StorageKind = 'memory' | 'filesystem' | 'level';

/** Everything `tributary broker` can be told. */
export interface BrokerSettings {
  host: string;
  port: number;
  advertisedHost: string | undefined;
  nodeId: number;
  storage: StorageKind;
  dataDir: string;
  numPartitions: number;
  maxPartitions: number;
  maxOpenFiles: number | undefined;
  autoCreateTopics: boolean;
  retentionMs: number;
  retentionCheckIntervalMs: number;
  compressionType: TopicCompressionType;
  flushMs: number;
  groupInitialRebalanceDelayMs: number;
  socketRequestMaxBytes: number;
  fetchMaxBytes: number;
  queuedMaxRequestBytes: number | undefined;
  maxConnections: number | undefined;
  maxConnectionsPerIp: number | undefined;
  logLevel: LogLevel;
  controllerQuorum: string | undefined;
  controllerListenPort: number | undefined;
  advertisedPort: number | undefined;
  defaultReplicationFactor: number;
  minInsyncReplicas: number;
  brokerHeartbeatIntervalMs: number;
  brokerSessionTimeoutMs: number;
  replicaLagTimeMaxMs: number;
  authorizer: 'none' | 'standard';
  superUsers: string[];
  allowEveryoneIfNoAclFound: boolean;
  listeners: string | undefined;
  advertisedListeners: string | undefined;
  listenerSecurityProtocolMap: string | undefined;
  sslCert: string | undefined;
  sslKey: string | undefined;
  sslKeyPassword: string | undefined;
  sslCa: string | undefined;
  sslClientAuth: 'none' | 'requested' | 'required';
  saslPlainUsers: string | undefined;
  saslEnabledMechanisms: string | undefined;
  failedAuthenticationDelayMs: number;
  autoLeaderRebalanceEnable: boolean;
  leaderImbalanceCheckIntervalSeconds: number;
  leaderImbalancePerBrokerPercentage: number;
}

/** One setting: its flag, environment variable, parser and default. */
interface SettingSpec<K extends keyof BrokerSettings> {
  key: K;
  flag: string;
  /** The value placeholder `--help` shows after the flag. */
  arg: string;
  help: string;
  parse: (raw: string, source: string) => BrokerSettings[K];
  default: BrokerSettings[K];
  /** A flag that may stand alone (`--allow-everyone-if-no-acl-found` means true). */
  bare?: true;
}

const int = (min: number, max: number) => (raw: string, source: string): number => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new TributaryError('ERR_INVALID_ARGUMENT', `${source}: expected an integer from ${min} to ${max}, got "${raw}"`);
  }
  return n;
};

const oneOf = <T extends string>(values: readonly T[]) => (raw: string, source: string): T => {
  if (!values.includes(raw as T)) {
    throw new TributaryError('ERR_INVALID_ARGUMENT', `${source}: expected one of ${values.join(', ')}, got "${raw}"`);
  }
  return raw as T;
};

const bool = (raw: string, source: string): boolean => {
  if (['true', '1', 'yes', 'on'].includes(raw.toLowerCase())) return true;
  if (['false', '0', 'no', 'off'].includes(raw.toLowerCase())) return false;
  throw new TributaryError('ERR_INVALID_ARGUMENT', `${source}: expected true or false, got "${raw}"`);
};

/** Kafka's super.users: principals separated by `;` (each `Type:name`). */
const principals = (raw: string, source: string): string[] => {
  const list = raw.split(';').map((s) => s.trim()).filter((s) => s.length > 0);
  for (const p of list) if (!/^[^:]+:.+$/.test(p)) throw new TributaryError('ERR_INVALID_ARGUMENT', `${source}: expected Type:name principals separated by ';' (User:admin;User:ops), got "${p}"`);
  return list;
};

const text = (raw: string, source: string): string => {
  if (raw.length === 0) throw new TributaryError('ERR_INVALID_ARGUMENT', `${source}: must not be empty`);
  return raw;
};

/** The settings, in the order `--help` lists them. */
export const BROKER_SETTINGS: ReadonlyArray<SettingSpec<keyof BrokerSettings>> = [
  { key: 'host', flag: 'host', arg: '<addr>', help: 'address to listen on (no authentication: see Security below)', parse: text, default: '127.0.0.1' },
  { key: 'port', flag: 'port', arg: '<n>', help: 'port to listen on', parse: int(0, 65535), default: 9092 },
  { key: 'advertisedHost', flag: 'advertised-host', arg: '<host>', help: 'host name clients are told to connect to (default: --host)', parse: text, default: undefined },
  { key: 'nodeId', flag: 'node-id', arg: '<n>', help: 'this broker\'s id', parse: int(0, 2147483647), default: 0 },
  { key: 'storage', flag: 'storage', arg: '<kind>', help: 'memory | filesystem | level', parse: oneOf(['memory', 'filesystem', 'level'] as const), default: 'filesystem' },
  { key: 'dataDir', flag: 'data-dir', arg: '<dir>', help: 'where filesystem or level storage keeps its data', parse: text, default: './data' },
  { key: 'numPartitions', flag: 'num-partitions', arg: '<n>', help: 'partitions of an auto-created topic', parse: int(1, 100000), default: 1 },
  { key: 'maxPartitions', flag: 'max-partitions', arg: '<n>', help: 'most partitions this broker hosts; creations past it are refused (POLICY_VIOLATION)', parse: int(1, 10_000_000), default: 10_000 },
  { key: 'maxOpenFiles', flag: 'max-open-files', arg: '<n>', help: 'filesystem storage: file handles partition logs keep open; idle logs beyond it close their files (default 1024, or half the open-file limit when lower)', parse: int(3, 10_000_000), default: undefined },
  { key: 'autoCreateTopics', flag: 'auto-create-topics', arg: '<true|false>', help: 'create unknown topics on Metadata/Produce', parse: bool, default: true },
  { key: 'retentionMs', flag: 'retention-ms', arg: '<ms>', help: 'default retention of a topic in ms (-1: forever)', parse: int(-1, Number.MAX_SAFE_INTEGER), default: 604_800_000 },
  { key: 'retentionCheckIntervalMs', flag: 'retention-check-interval-ms', arg: '<ms>', help: 'how often retention deletes what is past retention.ms / retention.bytes (Kafka\'s log.retention.check.interval.ms)', parse: int(1, 86_400_000), default: 300_000 },
  { key: 'compressionType', flag: 'compression-type', arg: '<codec>', help: 'default compression.type of topics: producer (store as sent) | uncompressed | gzip | snappy | lz4 | zstd (the broker recompresses batches in another codec)', parse: oneOf(TOPIC_COMPRESSION_TYPES), default: 'producer' },
  { key: 'flushMs', flag: 'flush-ms', arg: '<ms>', help: 'fsync appended data: -1 never (the OS decides, as Kafka), 0 before every acknowledgement, N every N ms', parse: int(-1, 86_400_000), default: -1 },
  { key: 'groupInitialRebalanceDelayMs', flag: 'group-initial-rebalance-delay-ms', arg: '<ms>', help: 'how long a new consumer group waits for more members before its first assignment; npm start (--dev) uses 0', parse: int(0, 300_000), default: 3000 },
  { key: 'socketRequestMaxBytes', flag: 'socket-request-max-bytes', arg: '<bytes>', help: 'largest request accepted; a larger one closes its connection (Kafka\'s socket.request.max.bytes); topic max.message.bytes may not exceed it', parse: int(1, 2147483647), default: 104_857_600 },
  { key: 'fetchMaxBytes', flag: 'fetch-max-bytes', arg: '<bytes>', help: 'most record bytes in one fetch response, at least one batch (fetch.max.bytes)', parse: int(1, 2147483647), default: 57_671_680 },
  { key: 'queuedMaxRequestBytes', flag: 'queued-max-request-bytes', arg: '<bytes>', help: 'broker-wide bytes of requests read and not yet handled; reads pause beyond (queued.max.request.bytes; default 512 MiB, at least --socket-request-max-bytes)', parse: int(1, 2147483647), default: undefined },
  { key: 'maxConnections', flag: 'max-connections', arg: '<n>', help: 'open client connections; more are refused with a log line (max.connections; default unlimited)', parse: int(1, 2147483647), default: undefined },
  { key: 'maxConnectionsPerIp', flag: 'max-connections-per-ip', arg: '<n>', help: 'open client connections from one IP address (max.connections.per.ip; default unlimited)', parse: int(1, 2147483647), default: undefined },
  { key: 'controllerQuorum', flag: 'controller-quorum', arg: '<id@host:port,…>', help: 'the controller voters (controller.quorum.voters): makes this broker a cluster member; a node whose id is listed also serves the controller on that port. One voter is a single controller; three (or five) elect one by Raft and survive the loss of any minority of them (start them together: a majority must be up)', parse: text, default: undefined },
  { key: 'controllerListenPort', flag: 'controller-listen-port', arg: '<n>', help: 'port the controller listener binds (default: this node\'s port in --controller-quorum; differs when a proxy sits in front)', parse: int(0, 65535), default: undefined },
  { key: 'advertisedPort', flag: 'advertised-port', arg: '<n>', help: 'port clients and peers are told to connect to (default: --port)', parse: int(1, 65535), default: undefined },
  { key: 'defaultReplicationFactor', flag: 'default-replication-factor', arg: '<n>', help: 'replication factor of auto-created topics (default.replication.factor)', parse: int(1, 1000), default: 1 },
  { key: 'minInsyncReplicas', flag: 'min-insync-replicas', arg: '<n>', help: 'default min.insync.replicas of topics: acks=all needs this many in-sync replicas', parse: int(1, 1000), default: 1 },
  { key: 'brokerHeartbeatIntervalMs', flag: 'broker-heartbeat-interval-ms', arg: '<ms>', help: 'how often a cluster member heartbeats to the controller (broker.heartbeat.interval.ms)', parse: int(10, 3_600_000), default: 2000 },
  { key: 'brokerSessionTimeoutMs', flag: 'broker-session-timeout-ms', arg: '<ms>', help: 'a member without heartbeats this long is fenced and loses its leaderships (broker.session.timeout.ms; applied by the controller)', parse: int(50, 3_600_000), default: 9000 },
  { key: 'replicaLagTimeMaxMs', flag: 'replica-lag-time-max-ms', arg: '<ms>', help: 'a follower not caught up for this long leaves the in-sync replicas (replica.lag.time.max.ms)', parse: int(10, 3_600_000), default: 30_000 },
  { key: 'authorizer', flag: 'authorizer', arg: '<none|standard>', help: 'standard: every request is checked against the ACLs (tributary acls …); none (default): everything is allowed', parse: oneOf(['none', 'standard'] as const), default: 'none' },
  { key: 'superUsers', flag: 'super-users', arg: '<User:a;User:b>', help: 'principals allowed everything, whatever the ACLs say (super.users; `;`-separated)', parse: principals, default: [] },
  { key: 'allowEveryoneIfNoAclFound', flag: 'allow-everyone-if-no-acl-found', arg: '[true|false]', help: 'allow everyone what no ACL speaks of (allow.everyone.if.no.acl.found; default false: only super users)', parse: bool, default: false, bare: true },
  { key: 'listeners', flag: 'listeners', arg: '<NAME://host:port,…>', help: 'named listeners, as Kafka\'s listeners: PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL or names mapped by --listener-security-protocol-map (replaces --host/--port; default PLAINTEXT://127.0.0.1:9092)', parse: text, default: undefined },
  { key: 'advertisedListeners', flag: 'advertised-listeners', arg: '<NAME://host:port,…>', help: 'addresses clients of each listener are told (advertised.listeners; default: each listener\'s own, localhost for a wildcard)', parse: text, default: undefined },
  { key: 'listenerSecurityProtocolMap', flag: 'listener-security-protocol-map', arg: '<NAME:PROTOCOL,…>', help: 'security protocol of each listener name (listener.security.protocol.map; default: each protocol name maps to itself)', parse: text, default: undefined },
  { key: 'sslCert', flag: 'ssl-cert', arg: '<file>', help: 'the broker\'s certificate chain, PEM, for SSL and SASL_SSL listeners (Kafka\'s ssl.keystore.type=PEM certificate chain)', parse: text, default: undefined },
  { key: 'sslKey', flag: 'ssl-key', arg: '<file>', help: 'the broker\'s private key, PEM (Kafka\'s ssl.keystore.key)', parse: text, default: undefined },
  { key: 'sslKeyPassword', flag: 'ssl-key-password', arg: '<password>', help: 'passphrase of an encrypted --ssl-key (ssl.key.password)', parse: text, default: undefined },
  { key: 'sslCa', flag: 'ssl-ca', arg: '<file>', help: 'CA certificates, PEM, that sign client certificates (the truststore; default: the system\'s)', parse: text, default: undefined },
  { key: 'sslClientAuth', flag: 'ssl-client-auth', arg: '<mode>', help: 'client certificates on TLS listeners: none | requested | required (ssl.client.auth); the principal is User:<subject DN>', parse: oneOf(['none', 'requested', 'required'] as const), default: 'none' },
  { key: 'saslPlainUsers', flag: 'sasl-plain-users', arg: '<file>', help: 'users of SASL/PLAIN: one name:password a line, or Kafka JAAS user_<name>="<password>" entries (SCRAM users are added with tributary users add)', parse: text, default: undefined },
  { key: 'saslEnabledMechanisms', flag: 'sasl-enabled-mechanisms', arg: '<list>', help: 'SASL mechanisms offered: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 (sasl.enabled.mechanisms; default: both SCRAMs, plus PLAIN with --sasl-plain-users)', parse: text, default: undefined },
  { key: 'failedAuthenticationDelayMs', flag: 'connection-failed-authentication-delay-ms', arg: '<ms>', help: 'a failed login is answered and closed after this delay (connection.failed.authentication.delay.ms)', parse: int(0, 60_000), default: 100 },
  { key: 'autoLeaderRebalanceEnable', flag: 'auto-leader-rebalance-enable', arg: '<true|false>', help: 'the controller this node hosts moves leadership back to preferred replicas (auto.leader.rebalance.enable)', parse: bool, default: true },
  { key: 'leaderImbalanceCheckIntervalSeconds', flag: 'leader-imbalance-check-interval-seconds', arg: '<s>', help: 'how often that rebalance looks (leader.imbalance.check.interval.seconds)', parse: int(1, 86_400), default: 300 },
  { key: 'leaderImbalancePerBrokerPercentage', flag: 'leader-imbalance-per-broker-percentage', arg: '<pct>', help: 'share of a broker\'s preferred partitions led elsewhere it tolerates before rebalancing (leader.imbalance.per.broker.percentage)', parse: int(0, 100), default: 10 },
  { key: 'logLevel', flag: 'log-level', arg: '<level>', help: 'debug | info | warn | error | silent', parse: oneOf(['debug', 'info', 'warn', 'error', 'silent'] as const), default: 'info' },
] as ReadonlyArray<SettingSpec<keyof BrokerSettings>>;

/** The environment variable for a flag: `--data-dir` → `TRIBUTARY_DATA_DIR`. */
export function envName(flag: string): string {
  return `TRIBUTARY_${flag.toUpperCase().replaceAll('-', '_')}`;
}

/**
 * Resolves the broker settings. `flags` are the parsed command-line values (strings or
 * booleans, keyed by flag name, plus an optional `config` path).
 */
export function resolveBrokerSettings(flags: Record<string, string | boolean | undefined>, env: Record<string, string | undefined>): BrokerSettings {
  return resolveBrokerSettingsWithSources(flags, env).settings;
}

/**
 * {@link resolveBrokerSettings}, and which settings someone set (in the config file, the
 * environment or a flag) rather than left at their default: the broker reports those as
 * static broker configs and the others as Kafka's defaults (DescribeConfigs' source).
 */
export function resolveBrokerSettingsWithSources(
  flags: Record<string, string | boolean | undefined>,
  env: Record<string, string | undefined>,
  defaults: Partial<BrokerSettings> = {},
): { settings: BrokerSettings; explicit: ReadonlySet<keyof BrokerSettings> } {
  const explicit = new Set<keyof BrokerSettings>();
  let file: Record<string, unknown> = {};
  const configPath = (flags.config as string | undefined) ?? env.TRIBUTARY_CONFIG;
  if (configPath) {
    try {
      file = JSON.parse(readFileSync(configPath, 'utf8'));
    } catch (cause) {
      throw new TributaryError('ERR_INVALID_CONFIG_FILE', `cannot read config file ${configPath}: ${(cause as Error).message}`, { cause });
    }
    if (typeof file !== 'object' || file === null || Array.isArray(file)) {
      throw new TributaryError('ERR_INVALID_CONFIG_FILE', `config file ${configPath} must hold a JSON object`);
    }
    const known = new Set(BROKER_SETTINGS.flatMap((s) => [s.flag, s.key]));
    for (const key of Object.keys(file)) {
      if (!known.has(key)) throw new TributaryError('ERR_INVALID_CONFIG_FILE', `config file ${configPath}: unknown setting "${key}"`);
    }
  }
  const settings = {} as Record<string, unknown>;
  for (const spec of BROKER_SETTINGS) {
    let value: unknown = Object.hasOwn(defaults, spec.key) ? defaults[spec.key] : spec.default;
    const fromFile = file[spec.flag] ?? file[spec.key];
    if (fromFile !== undefined) value = spec.parse(String(fromFile), `config file "${spec.flag}"`);
    const fromEnv = env[envName(spec.flag)];
    if (fromEnv !== undefined && fromEnv !== '') value = spec.parse(fromEnv, envName(spec.flag));
    const fromFlag = flags[spec.flag];
    if (fromFlag !== undefined) value = spec.parse(String(fromFlag), `--${spec.flag}`);
    if (fromFile !== undefined || (fromEnv !== undefined && fromEnv !== '') || fromFlag !== undefined) explicit.add(spec.key);
    settings[spec.key] = value;
  }
  return { settings: settings as unknown as BrokerSettings, explicit };
}
