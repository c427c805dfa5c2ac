/**
 * One client connection on node:net: the socket side of a {@link BrokerSession}. The
 * session holds the connection rules (framing, request order, acks=0, ApiVersions
 * fallback, close on bad input); this adapter moves bytes, applies back-pressure, closes
 * idle sockets and ends the socket gracefully on shutdown.
 */
import type { Socket } from 'node:net';
import type { Logger } from '../../core/contracts/logger.ts';
import { BrokerSession, type RequestMemory, type SessionBroker } from '../../core/broker/session.ts';
import type { SaslListenerConfig } from '../../core/broker/security/sasl-authenticator.ts';

/** Settings of a connection. */
export interface ConnectionOptions {
  /** Largest accepted frame (socket.request.max.bytes). */
  readonly maxRequestSize: number;
  /** Close after this long without traffic and nothing in flight (connections.max.idle.ms). */
  readonly idleTimeoutMs: number;
  /** Stop reading while this many requests await their response. */
  readonly maxInFlight: number;
  /** Stop reading while this connection's requests not yet handled hold this many bytes. */
  readonly maxRequestBytes?: number;
  /** Start no request while this many response bytes are unsent. */
  readonly maxResponseBytes?: number;
  /** The broker-wide pool of request bytes (queued.max.request.bytes). */
  readonly memory?: RequestMemory;
  readonly logger: Logger;
  /** The listener's name, stamped on every request header. */
  readonly listener?: string;
  /** True on a TLS listener (the socket is a TLSSocket, already past its handshake). */
  readonly tls?: boolean;
  /** A SASL listener's settings. */
  readonly sasl?: SaslListenerConfig;
}

/** Per connection: the principal a client certificate proved (TLS listeners). */
export interface ConnectionIdentity {
  readonly principal?: string;
}

/** A client connection: a socket and its session. */
export class Connection {
  readonly socket: Socket;
  readonly remote: string;
  /** The connection's rules. */
  readonly session: BrokerSession;
  #options: ConnectionOptions;
  #closed = false;

  constructor(socket: Socket, broker: SessionBroker, options: ConnectionOptions, identity: ConnectionIdentity = {}) {
    this.socket = socket;
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    this.#options = options;
    this.session = new BrokerSession(broker, {
      write: (chunks) => {
        if (this.#closed) return;
        if (chunks.length === 1) socket.write(chunks[0]!);
        else {
          socket.cork();
          for (const chunk of chunks) socket.write(chunk);
          socket.uncork();
        }
      },
      close: () => socket.destroy(),
      end: () => socket.end(),
      flowChanged: () => this.#updateFlow(),
      // Counted only while a 'drain' event is due, which resumes the session.
      unsentBytes: () => (socket.writableNeedDrain ? socket.writableLength : 0),
    }, {
      maxRequestSize: options.maxRequestSize,
      maxInFlight: options.maxInFlight,
      ...(options.maxRequestBytes !== undefined ? { maxRequestBytes: options.maxRequestBytes } : {}),
      ...(options.maxResponseBytes !== undefined ? { maxResponseBytes: options.maxResponseBytes } : {}),
      ...(options.memory !== undefined ? { memory: options.memory } : {}),
      logger: options.logger,
      remote: this.remote,
      // The client's address as Kafka reports a member's host (DescribeGroups).
      clientHost: `/${socket.remoteAddress ?? ''}`,
      ...(options.listener !== undefined ? { listener: options.listener } : {}),
      ...(identity.principal !== undefined ? { principal: identity.principal } : {}),
      ...(options.sasl !== undefined ? { sasl: options.sasl } : {}),
    });
    socket.setNoDelay(true);
    if (options.idleTimeoutMs > 0) socket.setTimeout(options.idleTimeoutMs);
    let first = !options.tls;
    socket.on('data', (chunk: Uint8Array) => {
      if (first) {
        first = false;
        // A TLS ClientHello (record type 22, version 3.x) where a Kafka frame size should be.
        if (chunk.length >= 2 && chunk[0] === 0x16 && chunk[1] === 0x03) {
          options.logger.warn('closing connection: a TLS handshake on a plaintext listener (is the client configured for SSL against a PLAINTEXT/SASL_PLAINTEXT port?)', { remote: this.remote, listener: options.listener, code: 'ERR_TLS' });
          this.session.close('TLS handshake on a plaintext listener', 'debug');
          return;
        }
      }
      this.session.receive(chunk);
      this.#updateFlow();
    });
    socket.on('timeout', () => {
      if (this.session.inFlight === 0) this.session.close('idle timeout', 'debug');
    });
    socket.on('drain', () => {
      // Sent: requests held back by unsent responses may start.
      this.session.resume();
      this.#updateFlow();
    });
    socket.on('error', (error) => this.#options.logger.debug('connection error', { remote: this.remote, error: String(error) }));
    socket.on('close', () => {
      this.#closed = true;
      this.session.transportClosed();
    });
  }

  /** Requests received and not yet answered. */
  get inFlight(): number {
    return this.session.inFlight;
  }

  /** Ends the socket after what was written went out; resolves when it is done (or already was). */
  end(): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.#closed) return resolve();
      this.socket.once('close', () => resolve());
      this.socket.end(() => resolve());
    });
  }

  /** Closes at once. */
  destroy(): void {
    this.socket.destroy();
  }

  #updateFlow(): void {
    if (this.#closed || this.session.closed || this.session.draining) return;
    const busy = this.socket.writableNeedDrain || this.session.saturated;
    if (busy && !this.socket.isPaused()) this.socket.pause();
    else if (!busy && this.socket.isPaused()) this.socket.resume();
  }
}
