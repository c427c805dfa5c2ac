/**
 * One Kafka listener on node:net (which Deno and Bun provide too), whatever it serves: the
 * broker's client listener (tcp-server.ts) and the controller listener
 * (controller-listener.ts) are both this. It accepts connections within max.connections
 * and max.connections.per.ip, hands each to a {@link Connection} (and so to a
 * BrokerSession, with the target's limits), and on close stops accepting, lets requests
 * in flight answer and ends the connections. Starting and closing what it serves is the
 * caller's business.
 */
import { type AddressInfo, type Server, type Socket, createServer } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { SaslListenerConfig } from '../../core/broker/security/sasl-authenticator.ts';
import { SASL_MECHANISMS, type SaslMechanism } from '../../core/broker/security/sasl-mechanisms.ts';
import { type SecurityProtocol, usesSasl, usesTls } from '../../core/broker/security/listeners.ts';
import { type TlsListenerOptions, tlsPrincipal } from './tls-principal.ts';
import type { Logger } from '../../core/contracts/logger.ts';
import { RequestMemory, type RequestTarget, drainSessions } from '../../core/broker/session.ts';
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

/** Options of {@link openListener}: where to bind, and the connection settings not in the target's limits. */
export interface ListenerOptions {
  /** Interface to bind. Default `127.0.0.1`. */
  readonly host?: string;
  /** Port; 0 (the default) picks a free one. */
  readonly port?: number;
  /** Largest accepted request (socket.request.max.bytes). Default: the target's limits. */
  readonly maxRequestSize?: number;
  /** Idle connections close after this (connections.max.idle.ms). Default 10 minutes; 0 never. */
  readonly idleTimeoutMs?: number;
  /** Per connection, stop reading while this many requests await responses. Default 1000. */
  readonly maxInFlight?: number;
  /** Open connections (max.connections). Default: the target's limits. */
  readonly maxConnections?: number;
  /** Open connections from one IP address (max.connections.per.ip). Default: the target's limits. */
  readonly maxConnectionsPerIp?: number;
  /** How long close waits for in-flight requests before cutting connections. Default 30 s. */
  readonly drainTimeoutMs?: number;
  /** Logger; default: the target's. */
  readonly logger?: Logger;
  /** The listener's name (Kafka's listener name: `PLAINTEXT`, `SASL_SSL`, `EXTERNAL`, …), stamped on request headers. */
  readonly name?: string;
  /** What the listener speaks. Default PLAINTEXT. */
  readonly securityProtocol?: SecurityProtocol;
  /** TLS settings: required for SSL and SASL_SSL. */
  readonly tls?: TlsListenerOptions;
  /**
   * SASL mechanisms offered on SASL_PLAINTEXT and SASL_SSL (sasl.enabled.mechanisms).
   * Default: SCRAM-SHA-256 and SCRAM-SHA-512, plus PLAIN when the target has PLAIN users.
   */
  readonly saslMechanisms?: readonly SaslMechanism[];
  /** connection.failed.authentication.delay.ms. Default 100. */
  readonly failedAuthenticationDelayMs?: number;
  /** sasl.server.max.receive.size. Default 524288. */
  readonly saslMaxReceiveSize?: number;
}

/** A bound listener. */
export interface KafkaListener {
  /** Bound host. */
  readonly host: string;
  /** Bound port (the real one when 0 was asked). */
  readonly port: number;
  /** `host:port`. */
  readonly address: string;
  /** The listener's name. */
  readonly name: string;
  /** What it speaks. */
  readonly securityProtocol: SecurityProtocol;
  /** Open connections now. */
  connectionCount(): number;
  /** Bytes of requests held now, every connection together (bounded by queued.max.request.bytes). */
  queuedRequestBytes(): number;
  /**
   * Stops accepting, tells the target shutdown began (long polls answer), drains the
   * connections within the drain timeout and ends them. The target itself stays open.
   */
  close(): Promise<void>;
}

/**
 * Listens for Kafka connections to `target`; resolves once the port accepts them. A port
 * in use is `ERR_ADDRESS_IN_USE`, any other failure to bind `ERR_LISTEN`.
 */
export async function openListener(target: RequestTarget, options: ListenerOptions = {}): Promise<KafkaListener> {
  const logger = options.logger ?? target.logger;
  const host = options.host ?? '127.0.0.1';
  const limits = target.limits;
  const maxConnections = options.maxConnections ?? limits.maxConnections;
  const maxConnectionsPerIp = options.maxConnectionsPerIp ?? limits.maxConnectionsPerIp;
  const drainTimeoutMs = options.drainTimeoutMs ?? 30_000;
  const protocol = options.securityProtocol ?? 'PLAINTEXT';
  const name = options.name ?? protocol;
  const tls = usesTls(protocol);
  if (tls && options.tls === undefined) throw new TributaryError('ERR_INVALID_CONFIG', `listener ${name} (${protocol}) needs a certificate and a key (--ssl-cert, --ssl-key)`);
  let sasl: SaslListenerConfig | undefined;
  if (usesSasl(protocol)) {
    const credentials = target.saslCredentials;
    if (credentials === undefined) throw new TributaryError('ERR_INVALID_CONFIG', `listener ${name} (${protocol}): this server has no SASL users`);
    const mechanisms = options.saslMechanisms ?? SASL_MECHANISMS;
    for (const m of mechanisms) if (!SASL_MECHANISMS.includes(m)) throw new TributaryError('ERR_INVALID_CONFIG', `listener ${name}: unknown SASL mechanism ${m} (known: ${SASL_MECHANISMS.join(', ')})`);
    sasl = {
      mechanisms,
      credentials,
      ...(options.failedAuthenticationDelayMs !== undefined ? { failedAuthenticationDelayMs: options.failedAuthenticationDelayMs } : {}),
      ...(options.saslMaxReceiveSize !== undefined ? { maxReceiveSize: options.saslMaxReceiveSize } : {}),
    };
  }
  const connectionOptions = {
    maxRequestSize: options.maxRequestSize ?? limits.socketRequestMaxBytes,
    idleTimeoutMs: options.idleTimeoutMs ?? 600_000,
    maxInFlight: options.maxInFlight ?? 1000,
    maxRequestBytes: limits.connectionMaxRequestBytes,
    maxResponseBytes: limits.connectionMaxResponseBytes,
    // One pool for every connection of this listener: queued.max.request.bytes.
    memory: new RequestMemory(limits.queuedMaxRequestBytes, logger),
    logger,
    listener: name,
    tls,
    ...(sasl !== undefined ? { sasl } : {}),
  };
  const connections = new Set<Connection>();
  // Every socket counted against the connection quotas, from the TCP accept on: on a TLS
  // listener that is before the handshake (Kafka counts at accept too), or sockets that never
  // finish one would escape max.connections and hold the port for the TLS handshake timeout.
  const counted = new Set<Socket>();
  const perIp = new Map<string, number>();
  const refusals = new RefusalLog(logger);
  /** Applies the quotas to a new TCP socket: false when it was refused (and destroyed). */
  const admit = (socket: Socket): boolean => {
    if (!target.running) {
      socket.destroy();
      return false;
    }
    const ip = socket.remoteAddress ?? '';
    // Kafka's ConnectionQuotas: max.connections, then max.connections.per.ip; refused at once.
    if (counted.size >= maxConnections) {
      refusals.refused('max.connections', ip, maxConnections);
      socket.destroy();
      return false;
    }
    const fromIp = perIp.get(ip) ?? 0;
    if (fromIp >= maxConnectionsPerIp) {
      refusals.refused('max.connections.per.ip', ip, maxConnectionsPerIp);
      socket.destroy();
      return false;
    }
    perIp.set(ip, fromIp + 1);
    counted.add(socket);
    socket.once('close', () => {
      counted.delete(socket);
      const left = (perIp.get(ip) ?? 1) - 1;
      if (left > 0) perIp.set(ip, left);
      else perIp.delete(ip);
    });
    return true;
  };
  const accept = (socket: Socket) => {
    // A TLS socket was admitted as TCP, before its handshake.
    if (tls ? !target.running : !admit(socket)) {
      socket.destroy();
      return;
    }
    const principal = tls ? tlsPrincipal(socket as TLSSocket) : undefined;
    const connection = new Connection(socket, target, connectionOptions, principal !== undefined ? { principal } : {});
    connections.add(connection);
    socket.once('close', () => connections.delete(connection));
  };
  let server: Server;
  if (tls) {
    const t = options.tls!;
    const clientAuth = t.clientAuth ?? 'none';
    // 'requested': a certificate is asked for, and a missing or unverified one leaves the connection ANONYMOUS.
    server = createTlsServer({
      cert: t.cert as string,
      key: t.key as string,
      ...(t.passphrase !== undefined ? { passphrase: t.passphrase } : {}),
      ...(t.ca !== undefined ? { ca: t.ca as string } : {}),
      requestCert: clientAuth !== 'none',
      rejectUnauthorized: clientAuth === 'required',
    }, accept);
    // Before tls.Server wraps the socket: a refused one never starts a handshake.
    server.prependListener('connection', (socket: Socket) => {
      admit(socket);
    });
    server.on('tlsClientError', (error: Error & { code?: string }, socket: TLSSocket) => {
      // A plaintext Kafka client sends a frame size where a ClientHello belongs.
      const plaintext = /wrong version number|http request|unknown protocol|packet length too long/i.test(error.message);
      logger.warn(plaintext ? 'closing connection: not a TLS handshake on a TLS listener (is the client configured for PLAINTEXT/SASL_PLAINTEXT against an SSL port?)' : 'closing connection: TLS handshake failed', {
        remote: `${socket.remoteAddress}:${socket.remotePort}`,
        listener: name,
        code: 'ERR_TLS',
        error: error.code ?? error.message,
      });
    });
  } else {
    server = createServer({ noDelay: true }, accept);
  }
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'EADDRINUSE') {
      throw new TributaryError('ERR_ADDRESS_IN_USE', `${host}:${options.port} is already in use (another broker running?)`, { cause: error });
    }
    throw new TributaryError('ERR_LISTEN', `cannot listen on ${host}:${options.port ?? 0}: ${(error as Error).message}`, { cause: error });
  }
  server.on('error', (error) => logger.error('server error', { error: String(error) }));
  const port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  const close = async () => {
    target.beginShutdown();
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    const open = [...connections];
    const deadline = Date.now() + drainTimeoutMs;
    // Stop reading first: requests already received answer, nothing new is taken.
    for (const c of open) c.socket.pause();
    const cut = await drainSessions(open.map((c) => c.session), drainTimeoutMs);
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
    // TLS sockets still in their handshake are no connection yet, and server.close() waits for them.
    for (const socket of counted) socket.destroy();
    await stopped;
  };
  return {
    host,
    port,
    address: `${host.includes(':') ? `[${host}]` : host}:${port}`,
    name,
    securityProtocol: protocol,
    connectionCount: () => connections.size,
    queuedRequestBytes: () => connectionOptions.memory.used,
    close: () => (closing ??= close()),
  };
}
