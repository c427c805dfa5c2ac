/**
 * `tributary broker`: a standalone broker on the Kafka wire protocol. Prints where it
 * listens and what it stores; SIGINT/SIGTERM shut it down cleanly (in-flight requests
 * answered, storage synced and closed).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Broker } from '../../core/broker/broker.ts';
import { DEFAULT_HANDLERS } from '../../core/broker/api/preset.ts';
import { TributaryError } from '../../core/errors.ts';
import type { Storage } from '../../core/contracts/storage.ts';
import type { Logger } from '../../core/contracts/logger.ts';
import { startServer } from '../../adapters/server/index.ts';
import { type ControllerListener, serveController } from '../../adapters/server/controller-listener.ts';
import { tcpTransport } from '../../adapters/transport/index.ts';
import { type ClusterOptions, parseVoters } from '../../core/broker/cluster/cluster-options.ts';
import { createDefaultRegistry } from '../../adapters/runtime/default-registry.ts';
import { attachNegativeValues } from '../args.ts';
import { BROKER_SETTINGS, envName, resolveBrokerSettingsWithSources, type BrokerSettings } from '../broker-config.ts';
import { consoleLogger } from '../console-logger.ts';
import { listenerSetup } from '../listener-config.ts';

/** The help text of `tributary broker`. */
export function brokerHelp(): string {
  const entries: Array<[string, string, string | undefined]> = [
    ...BROKER_SETTINGS.map((s): [string, string, string | undefined] => [
      `--${s.flag} ${s.arg}`,
      `${s.help}${s.default === undefined ? '' : ` (default: ${s.default})`}`,
      envName(s.flag),
    ]),
    ['--config <file>', 'JSON file with any of the settings above (keys as flag names)', 'TRIBUTARY_CONFIG'],
    ['--dev', `development defaults, what \`npm start\` runs with: ${describeDefaults(DEV_DEFAULTS)} (as Kafka's shipped config/server.properties); flags, environment and --config still win`, undefined],
    ['-h, --help', 'show this help', undefined],
  ];
  // One column wide enough for the longest flag, so that the descriptions line up.
  const width = Math.max(...entries.map(([flag]) => flag.length)) + 2;
  const rows = entries.map(([flag, help, env]) => `  ${flag.padEnd(width)}${help}${env ? `\n  ${''.padEnd(width)}env ${env}` : ''}`);
  return [
    'Usage: tributary broker [options]',
    '       npm start -- [options]',
    '',
    'Starts a Kafka-compatible broker. Settings come from flags, TRIBUTARY_* environment',
    'variables and a JSON config file (--config), flags winning.',
    '',
    'Options:',
    ...rows,
    '',
    'Security: by default the broker listens on 127.0.0.1 with PLAINTEXT (no authentication,',
    'no encryption); a PLAINTEXT listener on a non-loopback address logs a warning, since',
    'anyone who can reach it can read, write and delete every topic. For a broker that leaves',
    'the machine use --listeners SASL_SSL://0.0.0.0:9093 with --ssl-cert/--ssl-key and SCRAM',
    'users (tributary users add), or SSL with --ssl-client-auth required. See the README,',
    '"Securing a broker".',
    '',
    'Stop it with Ctrl-C (SIGINT) or SIGTERM: in-flight requests are answered and storage',
    'is synced and closed before it exits (exit 0; a second signal exits at once, 130).',
  ].join('\n');
}

/**
 * The defaults `--dev` (and so `npm start`) changes. Kafka's own shipped
 * config/server.properties sets group.initial.rebalance.delay.ms to 0 "for a better
 * out-of-the-box experience for development and testing", keeping 3 s as the default for
 * production; the development broker does the same, so a first consumer group forms at once.
 */
export const DEV_DEFAULTS: Partial<BrokerSettings> = Object.freeze({ groupInitialRebalanceDelayMs: 0 });

function describeDefaults(defaults: Partial<BrokerSettings>): string {
  return BROKER_SETTINGS.filter((s) => Object.hasOwn(defaults, s.key)).map((s) => `--${s.flag} ${String(defaults[s.key])}`).join(', ');
}

/** Builds the storage adapter the settings ask for. */
export function storageFor(settings: BrokerSettings, logger: Logger, registry = createDefaultRegistry()): Storage {
  const dir = resolve(settings.dataDir);
  switch (settings.storage) {
    case 'memory':
      return registry.create('storage', 'memory');
    case 'filesystem':
      return registry.create('storage', 'filesystem', { dir, logger, ...(settings.maxOpenFiles !== undefined ? { maxOpenFiles: settings.maxOpenFiles } : {}) });
    case 'level':
      return registry.create('storage', 'level', { location: dir, logger });
  }
}

/** The cluster membership `--controller-quorum` asks for (peers reached over TCP). */
function clusterOptions(settings: BrokerSettings): ClusterOptions {
  let voters;
  try {
    voters = parseVoters(settings.controllerQuorum!);
  } catch (error) {
    throw new TributaryError('ERR_INVALID_ARGUMENT', `--controller-quorum: ${(error as Error).message}`);
  }
  return {
    voters,
    transport: tcpTransport(),
    heartbeatIntervalMs: settings.brokerHeartbeatIntervalMs,
    sessionTimeoutMs: settings.brokerSessionTimeoutMs,
    replicaLagTimeMaxMs: settings.replicaLagTimeMaxMs,
    leaderRebalance: {
      enable: settings.autoLeaderRebalanceEnable,
      intervalMs: settings.leaderImbalanceCheckIntervalSeconds * 1000,
      perBrokerPercentage: settings.leaderImbalancePerBrokerPercentage,
    },
  };
}

/** Runs the broker until a signal stops it. Resolves with the exit code. */
export async function runBroker(argv: string[]): Promise<number> {
  const options = {
    ...Object.fromEntries(BROKER_SETTINGS.map((s) => [s.flag, { type: s.bare ? ('boolean' as const) : ('string' as const) }])),
    config: { type: 'string' as const },
    dev: { type: 'boolean' as const },
    help: { type: 'boolean' as const, short: 'h' },
  };
  // `--retention-ms -1` and `--flush-ms -1` are documented values.
  const { values } = parseArgs({ args: attachNegativeValues(argv, options), strict: true, options });
  if (values.help) {
    console.log(brokerHelp());
    return 0;
  }
  const { settings, explicit } = resolveBrokerSettingsWithSources(values as Record<string, string | boolean | undefined>, process.env, values.dev ? DEV_DEFAULTS : {});
  const logger = consoleLogger(settings.logLevel);
  const setup = listenerSetup(settings, explicit);
  const started = performance.now();
  const registry = createDefaultRegistry();
  const broker = new Broker({
    handlers: DEFAULT_HANDLERS,
    storage: storageFor(settings, logger, registry),
    ...(settings.storage === 'memory' ? {} : { logDir: resolve(settings.dataDir) }),
    // Codecs let ListOffsets by timestamp look inside compressed batches, and recompress
    // batches for topics whose compression.type names a codec.
    codecs: registry,
    nodeId: settings.nodeId,
    autoCreateTopics: settings.autoCreateTopics,
    numPartitions: settings.numPartitions,
    maxPartitions: settings.maxPartitions,
    // Only what someone set: the rest are Kafka's defaults, and DescribeConfigs says so
    // (DEFAULT_CONFIG, not STATIC_BROKER_CONFIG).
    topicDefaults: {
      ...(explicit.has('retentionMs') ? { 'retention.ms': String(settings.retentionMs) } : {}),
      ...(explicit.has('compressionType') ? { 'compression.type': settings.compressionType } : {}),
      ...(explicit.has('minInsyncReplicas') ? { 'min.insync.replicas': String(settings.minInsyncReplicas) } : {}),
    },
    ...(explicit.has('retentionCheckIntervalMs') ? { retentionCheckIntervalMs: settings.retentionCheckIntervalMs } : {}),
    flushPolicy: settings.flushMs < 0 ? { mode: 'never' } : settings.flushMs === 0 ? { mode: 'always' } : { mode: 'interval', ms: settings.flushMs },
    ...(explicit.has('groupInitialRebalanceDelayMs') || values.dev ? { groups: { initialRebalanceDelayMs: settings.groupInitialRebalanceDelayMs } } : {}),
    // Only the limits someone gave, so that DescribeConfigs reports the rest as DEFAULT_CONFIG.
    limits: {
      ...(explicit.has('socketRequestMaxBytes') ? { socketRequestMaxBytes: settings.socketRequestMaxBytes } : {}),
      ...(explicit.has('fetchMaxBytes') ? { fetchMaxBytes: settings.fetchMaxBytes } : {}),
      ...(settings.queuedMaxRequestBytes !== undefined ? { queuedMaxRequestBytes: settings.queuedMaxRequestBytes } : {}),
      ...(settings.maxConnections !== undefined ? { maxConnections: settings.maxConnections } : {}),
      ...(settings.maxConnectionsPerIp !== undefined ? { maxConnectionsPerIp: settings.maxConnectionsPerIp } : {}),
    },
    logger,
    ...(settings.advertisedHost ? { host: settings.advertisedHost } : {}),
    ...(settings.advertisedPort !== undefined ? { port: settings.advertisedPort } : {}),
    defaultReplicationFactor: settings.defaultReplicationFactor,
    ...(settings.controllerQuorum !== undefined ? { cluster: clusterOptions(settings) } : {}),
    ...(settings.authorizer === 'standard' ? { authorizer: { name: 'standard' as const, superUsers: settings.superUsers, allowEveryoneIfNoAclFound: settings.allowEveryoneIfNoAclFound } } : {}),
    ...(setup.plainUsers !== undefined ? { plainUsers: setup.plainUsers } : {}),
  });
  async function listenAsController(hosted: NonNullable<Broker['hostedController']>): Promise<ControllerListener> {
    const voter = parseVoters(settings.controllerQuorum!).find((v) => v.nodeId === settings.nodeId)!;
    const port = settings.controllerListenPort ?? voter.port;
    let listener: ControllerListener;
    try {
      listener = await serveController({ nodeId: settings.nodeId, controller: hosted.controller, quorum: hosted.quorum, ...(hosted.raft ? { raft: hosted.raft } : {}), host: settings.host, port, logger });
    } catch (error) {
      throw new TributaryError('ERR_ADDRESS_IN_USE', `cannot serve the controller on ${settings.host}:${port}: ${(error as Error).message}`, { cause: error });
    }
    console.log(`Tributary controller (node ${settings.nodeId}) listening on ${listener.address}${hosted.raft ? ' (Raft voter)' : ''}`);
    return listener;
  }
  // A voter of a Raft quorum serves its controller listener first: the other voters' votes
  // and fetches elect the leader this broker's own start waits for.
  let controllerListener: ControllerListener | undefined;
  const early = broker.hostedController;
  if (early?.raft) controllerListener = await listenAsController(early);
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(broker, { listeners: setup.listeners, failedAuthenticationDelayMs: settings.failedAuthenticationDelayMs });
  } catch (error) {
    // startServer closes a broker it started when listening fails; this is for one it did not.
    await broker.close().catch(() => {});
    await controllerListener?.close().catch(() => {});
    const code = (error as { code?: unknown }).code;
    if (code === 'ERR_ADDRESS_IN_USE') {
      throw new TributaryError('ERR_ADDRESS_IN_USE', `${settings.host}:${settings.port} is in use — is a broker already running there? Stop it, or choose another --port`, { cause: error });
    }
    throw error;
  }
  // A single voter serves the controller listener for the other brokers once it has started.
  const hosted = broker.hostedController;
  if (hosted && !controllerListener) {
    try {
      controllerListener = await listenAsController(hosted);
    } catch (error) {
      await server.close().catch(() => {});
      throw error;
    }
  }
  const where = settings.storage === 'memory' ? 'memory (nothing is kept after exit)' : `${settings.storage} storage in ${resolve(settings.dataDir)}`;
  const addresses = server.listeners.length === 1 && server.listeners[0]!.securityProtocol === 'PLAINTEXT' ? server.address : server.listeners.map((l) => `${l.name}://${l.address}`).join(', ');
  console.log(`Tributary broker ${settings.nodeId} listening on ${addresses} — ${where} — started in ${(performance.now() - started).toFixed(0)} ms`);
  if (values.dev) console.log(`Development defaults (--dev): ${describeDefaults(DEV_DEFAULTS)}; Kafka's production default is 3000 (tributary broker without --dev)`);

  return await new Promise<number>((done) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        logger.warn('second signal: exiting without waiting', { signal });
        done(130);
        return;
      }
      stopping = true;
      logger.info('shutting down', { signal });
      // A Raft voter's listener stays up while its broker shuts down in a controlled way (the
      // active controller may be this node) and its quorum resigns; a single voter's goes first.
      const closing = hosted?.raft
        ? server.close().finally(() => controllerListener?.close().catch(() => undefined))
        : (controllerListener ? controllerListener.close().catch(() => undefined) : Promise.resolve()).then(() => server.close());
      closing.then(
        () => {
          console.log('Tributary broker stopped cleanly');
          done(0);
        },
        (error) => {
          logger.error('shutdown failed', { error: String(error) });
          done(1);
        },
      );
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
    // Under `npm start` the broker runs below `sh -c`, which dies of a SIGTERM sent to npm
    // without passing it on; npm then exits and the broker would live on, orphaned,
    // holding the port and the data directory. npm is the supervisor here, so its going
    // away is a stop signal. (Run directly, e.g. under nohup, a parent's exit means nothing.)
    if (process.env.npm_lifecycle_event !== undefined) {
      const parent = process.ppid;
      const watch = setInterval(() => {
        if (process.ppid !== parent) {
          clearInterval(watch);
          stop('parent exited');
        }
      }, 500);
      watch.unref();
    }
  });
}
