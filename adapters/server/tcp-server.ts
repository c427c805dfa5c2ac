/**
 * The Kafka listener on node:net (which Deno and Bun provide too): accepts connections,
 * hands each to a {@link Connection}, and shuts down gracefully — stop accepting, let
 * in-flight requests answer, close the broker and with it the storage.
 */
import { type AddressInfo, type Server, type Socket, createServer } from 'node:net';
import type { Broker } from '../../core/broker/broker.ts';
import type { Logger } from '../../core/contracts/logger.ts';
import { RequestMemory, drainSessions } from '../../core/broker/session.ts';
import { TributaryError } from '../../core/errors.ts';
import { Connection } from './connection.ts';

/**
 * True for an address only this machine reaches: 127.0.0.0/8, ::1 (also IPv4-mapped) and
 * `localhost`. Anything else — a wildcard (`0.0.0.0`, `::`), a LAN or public address, a
 * host name — may be reachable from elsewhere.
 */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/**
 * Log lines for refused connections: the first of each kind at once (warn, code
 * `ERR_TOO_MANY_CONNECTIONS`), then at most one a second with how many were refused
 * meanwhile, so that a connection flood cannot flood the log too.
 */
class RefusalLog {
  readonly #logger: Logger;
  #last = new Map<string, number>();
  #suppressed = new Map<string, number>();

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  refused(limit: string, ip: string, max: number): void {
    const now = Date.now();
    const last = this.#last.get(limit);
    if (last !== undefined && now - last < 1000) {
      this.#suppressed.set(limit, (this.#suppressed.get(limit) ?? 0) + 1);
      return;
    }
    const alsoRefused = this.#suppressed.get(limit) ?? 0;
    this.#last.set(limit, now);
    this.#suppressed.set(limit, 0);
    this.#logger.warn(`refusing connection: ${limit} (${max}) reached`, { code: 'ERR_TOO_MANY_CONNECTIONS', remote: ip, limit, max, ...(alsoRefused > 0 ? { alsoRefused } : {}) });
  }
}

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

/** A running server. */
export interface TributaryServer {
  /** The broker it serves. */
  readonly broker: Broker;
  /** Bound host. */
  readonly host: string;
  /** Bound port (the real one when 0 was asked). */
  readonly port: number;
  /** `host:port`, for clients' bootstrap lists. */
  readonly address: string;
  /** Open connections now. */
  connectionCount(): number;
  /** Bytes of requests held now, every connection together (bounded by queued.max.request.bytes). */
  queuedRequestBytes(): number;
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
  const limits = broker.limits;
  const maxConnections = options.maxConnections ?? limits.maxConnections;
  const maxConnectionsPerIp = options.maxConnectionsPerIp ?? limits.maxConnectionsPerIp;
  const connectionOptions = {
    maxRequestSize: options.maxRequestSize ?? limits.socketRequestMaxBytes,
    idleTimeoutMs: options.idleTimeoutMs ?? 600_000,
    maxInFlight: options.maxInFlight ?? 1000,
    maxRequestBytes: limits.connectionMaxRequestBytes,
    maxResponseBytes: limits.connectionMaxResponseBytes,
    // One pool for every connection of this listener: queued.max.request.bytes.
    memory: new RequestMemory(limits.queuedMaxRequestBytes, logger),
    logger,
  };
  const startedHere = !broker.running;
  if (startedHere) await broker.start();
  const connections = new Set<Connection>();
  const perIp = new Map<string, number>();
  const refusals = new RefusalLog(logger);
  const server: Server = createServer({ noDelay: true }, (socket: Socket) => {
    if (!broker.running) {
      socket.destroy();
      return;
    }
    const ip = socket.remoteAddress ?? '';
    // Kafka's ConnectionQuotas: max.connections, then max.connections.per.ip; refused at once.
    if (connections.size >= maxConnections) {
      refusals.refused('max.connections', ip, maxConnections);
      socket.destroy();
      return;
    }
    const fromIp = perIp.get(ip) ?? 0;
    if (fromIp >= maxConnectionsPerIp) {
      refusals.refused('max.connections.per.ip', ip, maxConnectionsPerIp);
      socket.destroy();
      return;
    }
    perIp.set(ip, fromIp + 1);
    const connection = new Connection(socket, broker, connectionOptions);
    connections.add(connection);
    socket.once('close', () => {
      connections.delete(connection);
      const left = (perIp.get(ip) ?? 1) - 1;
      if (left > 0) perIp.set(ip, left);
      else perIp.delete(ip);
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    // A port in use must not leave behind a broker this call started, holding its storage
    // (and the data directory's lock) with nobody to close it.
    if (startedHere) await broker.close().catch(() => undefined);
    const code = (error as { code?: string }).code;
    if (code === 'EADDRINUSE') {
      throw new TributaryError('ERR_ADDRESS_IN_USE', `${host}:${options.port} is already in use (another broker running?)`, { cause: error });
    }
    throw new TributaryError('ERR_LISTEN', `cannot listen on ${host}:${options.port ?? 0}: ${(error as Error).message}`, { cause: error });
  }
  server.on('error', (error) => logger.error('server error', { error: String(error) }));
  const port = (server.address() as AddressInfo).port;
  const wildcard = host === '0.0.0.0' || host === '::';
  broker.advertiseDefault(options.advertisedHost ?? (wildcard ? 'localhost' : host), options.advertisedPort ?? port);
  logger.info('listening', { host, port, nodeId: broker.nodeId });
  if (!isLoopback(host)) {
    // No SASL, TLS or ACLs yet: anyone who reaches the port can read, write and delete.
    logger.warn('listening on a non-loopback address without authentication: anyone who can reach this port can read, write and delete every topic', { host, port });
  }

  let closing: Promise<void> | undefined;
  const close = async () => {
    broker.beginShutdown();
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    const open = [...connections];
    const deadline = Date.now() + (options.drainTimeoutMs ?? 30_000);
    // Stop reading first: requests already received answer, nothing new is taken.
    for (const c of open) c.socket.pause();
    const cut = await drainSessions(open.map((c) => c.session), options.drainTimeoutMs ?? 30_000);
    if (cut > 0) logger.warn('shutdown: cutting connections that did not drain in time', { open: cut });
    // Then end each socket once its responses went out, within what is left of the time.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), Math.max(0, deadline - Date.now()));
    });
    if ((await Promise.race([Promise.all(open.map((c) => c.end())), timeout])) === 'timeout') {
      logger.warn('shutdown: cutting connections that did not drain in time', { open: connections.size });
    }
    clearTimeout(timer);
    for (const c of connections) c.destroy();
    await stopped;
    await broker.close();
    logger.info('server closed', { port });
  };
  return {
    broker,
    host,
    port,
    address: `${host.includes(':') ? `[${host}]` : host}:${port}`,
    connectionCount: () => connections.size,
    queuedRequestBytes: () => connectionOptions.memory.used,
    close: () => (closing ??= close()),
  };
}
