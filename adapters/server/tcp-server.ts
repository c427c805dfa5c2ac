/**
 * The broker's Kafka listener: starts the broker, listens for clients through
 * {@link openListener} (connections, limits, graceful drain), advertises the bound address,
 * and on close drains the connections and closes the broker and with it the storage.
 */
import type { Broker } from '../../core/broker/broker.ts';
import type { Logger } from '../../core/contracts/logger.ts';
import { isLoopback, type KafkaListener, type ListenerOptions, openListener } from './kafka-listener.ts';
import type { SecurityProtocol } from '../../core/broker/security/listeners.ts';
import type { SaslMechanism } from '../../core/broker/security/sasl-mechanisms.ts';
import type { TlsListenerOptions } from './tls-principal.ts';

/** One named listener of a server (Kafka's `listeners` entry with its settings). */
export interface ServerListener {
  /** Listener name (`PLAINTEXT`, `SASL_SSL`, `EXTERNAL`, …). Default: the security protocol. */
  readonly name?: string;
  /** What it speaks. Default PLAINTEXT. */
  readonly securityProtocol?: SecurityProtocol;
  /** Interface to bind. Default `127.0.0.1`; '' binds every interface. */
  readonly host?: string;
  /** Port; 0 picks a free one. */
  readonly port?: number;
  /** Host clients of this listener are told (advertised.listeners). Default: `host`, or `localhost` for a wildcard bind. */
  readonly advertisedHost?: string;
  /** Port clients of this listener are told. Default: the bound port. */
  readonly advertisedPort?: number;
  /** TLS settings (SSL, SASL_SSL). */
  readonly tls?: TlsListenerOptions;
  /** SASL mechanisms offered (SASL_PLAINTEXT, SASL_SSL). */
  readonly saslMechanisms?: readonly SaslMechanism[];
}

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
  /**
   * Named listeners (Kafka's listeners / advertised.listeners / listener.security.protocol.map).
   * When given, `host`, `port`, `advertisedHost` and `advertisedPort` are ignored. The first
   * listener's address is the one the broker registers (what other brokers and clients of
   * other listeners' peers see); Metadata answers each client with its own listener's addresses.
   */
  readonly listeners?: readonly ServerListener[];
  /** connection.failed.authentication.delay.ms for SASL listeners. Default 100. */
  readonly failedAuthenticationDelayMs?: number;
}

/** A running server: a listener for Kafka clients in front of one broker. */
export interface TributaryServer extends KafkaListener {
  /** The broker it serves. */
  readonly broker: Broker;
  /** Every listener, in the order given (the first is {@link host} / {@link port}). */
  readonly listeners: readonly KafkaListener[];
  /** Graceful shutdown: drain, end connections, close the broker and storage. */
  close(): Promise<void>;
}

/**
 * Starts the broker (unless it already runs) and listens for Kafka clients. Resolves once
 * the port accepts connections.
 */
export async function startServer(broker: Broker, options: ServerOptions = {}): Promise<TributaryServer> {
  const logger = options.logger ?? broker.logger;
  const specs: readonly ServerListener[] = options.listeners ?? [{
    host: options.host ?? '127.0.0.1',
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.advertisedHost !== undefined ? { advertisedHost: options.advertisedHost } : {}),
    ...(options.advertisedPort !== undefined ? { advertisedPort: options.advertisedPort } : {}),
  }];
  const startedHere = !broker.running;
  if (startedHere) await broker.start();
  const { listeners: _l, host: _h, port: _p, advertisedHost: _ah, advertisedPort: _ap, ...shared } = options;
  const opened: KafkaListener[] = [];
  try {
    for (const spec of specs) {
      const listenerOptions: ListenerOptions = {
        ...shared,
        host: spec.host ?? '127.0.0.1',
        ...(spec.port !== undefined ? { port: spec.port } : {}),
        ...(spec.name !== undefined ? { name: spec.name } : {}),
        ...(spec.securityProtocol !== undefined ? { securityProtocol: spec.securityProtocol } : {}),
        ...(spec.tls !== undefined ? { tls: spec.tls } : {}),
        ...(spec.saslMechanisms !== undefined ? { saslMechanisms: spec.saslMechanisms } : {}),
        logger,
      };
      opened.push(await openListener(broker, listenerOptions));
    }
  } catch (error) {
    for (const l of opened) await l.close().catch(() => undefined);
    // A port in use must not leave behind a broker this call started, holding its storage
    // (and the data directory's lock) with nobody to close it.
    if (startedHere) await broker.close().catch(() => undefined);
    throw error;
  }
  opened.forEach((listener, i) => {
    const spec = specs[i]!;
    const wildcard = listener.host === '0.0.0.0' || listener.host === '::' || listener.host === '';
    const host = spec.advertisedHost ?? (wildcard ? 'localhost' : listener.host);
    const port = spec.advertisedPort ?? listener.port;
    broker.advertiseListener(listener.name, host, port);
    // The first listener is the broker's registered address.
    if (i === 0) broker.advertiseDefault(host, port);
    logger.info('listening', { listener: listener.name, securityProtocol: listener.securityProtocol, host: listener.host, port: listener.port, nodeId: broker.nodeId });
    const unauthenticated = listener.securityProtocol === 'PLAINTEXT' || (listener.securityProtocol === 'SSL' && spec.tls?.clientAuth !== 'required');
    if (unauthenticated && !isLoopback(listener.host)) {
      logger.warn(`listener ${listener.name} is on a non-loopback address without authentication: anyone who can reach this port can read, write and delete every topic (use SASL_SSL, or SSL with client certificates)`, { host: listener.host, port: listener.port });
    }
  });
  const first = opened[0]!;

  let closing: Promise<void> | undefined;
  const close = async () => {
    // The listeners begin the broker's shutdown, drain and end the connections.
    await Promise.all(opened.map((l) => l.close()));
    await broker.close();
    logger.info('server closed', { port: first.port });
  };
  return {
    broker,
    listeners: opened,
    host: first.host,
    port: first.port,
    address: first.address,
    name: first.name,
    securityProtocol: first.securityProtocol,
    connectionCount: () => opened.reduce((n, l) => n + l.connectionCount(), 0),
    queuedRequestBytes: () => opened.reduce((n, l) => n + l.queuedRequestBytes(), 0),
    close: () => (closing ??= close()),
  };
}
