/**
 * The broker's Kafka listener: starts the broker, listens for clients through
 * {@link openListener} (connections, limits, graceful drain), advertises the bound address,
 * and on close drains the connections and closes the broker and with it the storage.
 */
import type { Broker } from '../../core/broker/broker.ts';
import type { Logger } from '../../core/contracts/logger.ts';
import { isLoopback, type KafkaListener, openListener } from './kafka-listener.ts';

export { isLoopback } from './kafka-listener.ts';

/** Options of {@link startServer}. */
export interface ServerOptions {
  /**
   * Interface to bind. Default `127.0.0.1`. The broker has no authentication yet: any other
   * address (`0.0.0.0` above all) lets whoever reaches the port in, and is logged as a warning.
   */
  readonly host?: string;
  /** Port; 0 (the default) picks a free one. */
  readonly port?: number;
  /** Host to advertise when the broker options give none. Default: `host`, or `localhost` for a wildcard bind. */
  readonly advertisedHost?: string;
  /** Port clients and peers are told to connect to (a proxy in front); default the port listened on. */
  readonly advertisedPort?: number;
  /** Largest accepted request (socket.request.max.bytes). Default: the broker's limits (100 MiB). */
  readonly maxRequestSize?: number;
  /** Idle connections close after this (connections.max.idle.ms). Default 10 minutes; 0 never. */
  readonly idleTimeoutMs?: number;
  /** Per connection, stop reading while this many requests await responses. Default 1000. */
  readonly maxInFlight?: number;
  /** Open connections; more are refused with a log line (max.connections). Default: the broker's limits (unbounded). */
  readonly maxConnections?: number;
  /** Open connections from one IP address (max.connections.per.ip). Default: the broker's limits (unbounded). */
  readonly maxConnectionsPerIp?: number;
  /** How long shutdown waits for in-flight requests before cutting connections. Default 30 s. */
  readonly drainTimeoutMs?: number;
  /** Logger; default: the broker's. */
  readonly logger?: Logger;
}

/** A running server: a listener for Kafka clients in front of one broker. */
export interface TributaryServer extends KafkaListener {
  /** The broker it serves. */
  readonly broker: Broker;
  /** Graceful shutdown: drain, end connections, close the broker and storage. */
  close(): Promise<void>;
}

/**
 * Starts the broker (unless it already runs) and listens for Kafka clients. Resolves once
 * the port accepts connections.
 */
export async function startServer(broker: Broker, options: ServerOptions = {}): Promise<TributaryServer> {
  const logger = options.logger ?? broker.logger;
  const host = options.host ?? '127.0.0.1';
  const startedHere = !broker.running;
  if (startedHere) await broker.start();
  let listener;
  try {
    listener = await openListener(broker, { ...options, host, logger });
  } catch (error) {
    // A port in use must not leave behind a broker this call started, holding its storage
    // (and the data directory's lock) with nobody to close it.
    if (startedHere) await broker.close().catch(() => undefined);
    throw error;
  }
  const port = listener.port;
  const wildcard = host === '0.0.0.0' || host === '::';
  broker.advertiseDefault(options.advertisedHost ?? (wildcard ? 'localhost' : host), options.advertisedPort ?? port);
  logger.info('listening', { host, port, nodeId: broker.nodeId });
  if (!isLoopback(host)) {
    // No SASL, TLS or ACLs yet: anyone who reaches the port can read, write and delete.
    logger.warn('listening on a non-loopback address without authentication: anyone who can reach this port can read, write and delete every topic', { host, port });
  }

  let closing: Promise<void> | undefined;
  const close = async () => {
    // The listener begins the broker's shutdown, drains and ends the connections.
    await listener.close();
    await broker.close();
    logger.info('server closed', { port });
  };
  return {
    broker,
    host,
    port,
    address: listener.address,
    connectionCount: () => listener.connectionCount(),
    queuedRequestBytes: () => listener.queuedRequestBytes(),
    close: () => (closing ??= close()),
  };
}
