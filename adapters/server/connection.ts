/**
 * One client connection: frames in, decoded requests to the broker, responses out in
 * request order even when handlers finish out of order (a long-poll Fetch followed by a
 * Metadata answers Fetch first, as Kafka does). Bad input closes this connection only.
 */
import type { Socket } from 'node:net';
import type { Logger } from '../../core/contracts/logger.ts';
import { TributaryError } from '../../core/errors.ts';
import type { Broker } from '../../core/broker/broker.ts';
import { decodeRequest, encodeApiVersionsFallback, encodeResponse } from '../../core/protocol/messages.ts';
import { FrameDecoder } from './frame-decoder.ts';

/** Settings of a connection. */
export interface ConnectionOptions {
  /** Largest accepted frame (socket.request.max.bytes). */
  readonly maxRequestSize: number;
  /** Close after this long without traffic and nothing in flight (connections.max.idle.ms). */
  readonly idleTimeoutMs: number;
  /** Stop reading while this many requests await their response. */
  readonly maxInFlight: number;
  readonly logger: Logger;
}

interface Slot {
  done: boolean;
  /** Encoded response, or null for none (acks=0). */
  chunks: Uint8Array[] | null;
}

/** A client connection with its ordered response queue. */
export class Connection {
  readonly socket: Socket;
  readonly remote: string;
  /** The client's address as Kafka reports a member's host (DescribeGroups). */
  readonly #clientHost: string;
  #broker: Broker;
  #options: ConnectionOptions;
  #decoder: FrameDecoder;
  #slots: Slot[] = [];
  #closing = false;
  #closed = false;
  #drained: Array<() => void> = [];

  constructor(socket: Socket, broker: Broker, options: ConnectionOptions) {
    this.socket = socket;
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    this.#clientHost = `/${socket.remoteAddress ?? ''}`;
    this.#broker = broker;
    this.#options = options;
    this.#decoder = new FrameDecoder(options.maxRequestSize);
    socket.setNoDelay(true);
    if (options.idleTimeoutMs > 0) socket.setTimeout(options.idleTimeoutMs);
    socket.on('data', (chunk: Uint8Array) => this.#onData(chunk));
    socket.on('timeout', () => {
      if (this.#slots.length === 0) this.#close('idle timeout', 'debug');
    });
    socket.on('drain', () => this.#updateFlow());
    socket.on('error', (error) => this.#options.logger.debug('connection error', { remote: this.remote, error: String(error) }));
    socket.on('close', () => {
      this.#closed = true;
      this.#slots.length = 0;
      this.#notifyDrained();
    });
  }

  /** Requests received and not yet answered. */
  get inFlight(): number {
    return this.#slots.length;
  }

  /**
   * Stops reading, lets every received request finish and its response go out, then ends
   * the connection. Resolves when the socket is done (or already was).
   */
  drainAndEnd(): Promise<void> {
    this.#closing = true;
    this.socket.pause();
    return new Promise<void>((resolve) => {
      const end = () => {
        if (!this.#closed) this.socket.end(() => resolve());
        else resolve();
        this.socket.once('close', () => resolve());
      };
      if (this.#slots.length === 0 || this.#closed) end();
      else this.#drained.push(end);
    });
  }

  /** Closes at once. */
  destroy(): void {
    this.socket.destroy();
  }

  #onData(chunk: Uint8Array): void {
    if (this.#closed || this.#closing) return;
    let frames: Uint8Array[];
    try {
      frames = this.#decoder.push(chunk);
    } catch (error) {
      this.#close(`bad frame: ${(error as Error).message}`, 'warn', error);
      return;
    }
    for (const frame of frames) {
      if (this.#closed) return;
      this.#dispatch(frame);
    }
    this.#updateFlow();
  }

  #dispatch(frame: Uint8Array): void {
    const broker = this.#broker;
    let request: { header: { apiKey: number; apiVersion: number; correlationId: number; clientId: string | null }; body: unknown };
    try {
      request = decodeRequest(frame, broker.apiVersions());
    } catch (error) {
      const header = error instanceof TributaryError ? (error.details?.header as { apiKey: number; correlationId: number } | undefined) : undefined;
      if (error instanceof TributaryError && error.code === 'UNSUPPORTED_VERSION' && header?.apiKey === 18) {
        // ApiVersions in a version we do not speak: a v0 body with our range, so the client retries lower.
        this.#slots.push({ done: true, chunks: encodeApiVersionsFallback(header.correlationId, broker.apiVersions()) });
        this.#flush();
        return;
      }
      // Kafka closes the connection for what it cannot parse or does not serve.
      this.#close(`cannot serve request: ${(error as Error).message}`, 'warn', error);
      return;
    }
    const header = { ...request.header, clientHost: this.#clientHost };
    const { body } = request;
    const slot: Slot = { done: false, chunks: null };
    this.#slots.push(slot);
    let pending: Promise<unknown>;
    try {
      pending = broker.handle(header, body);
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      (response) => {
        if (this.#closed) return;
        try {
          slot.chunks = response === null ? null : encodeResponse(header.apiKey, header.apiVersion, header.correlationId, response as object);
        } catch (error) {
          this.#close(`cannot encode the ${header.apiKey} v${header.apiVersion} response: ${(error as Error).message}`, 'error', error);
          return;
        }
        slot.done = true;
        this.#flush();
      },
      (error: unknown) => {
        if (this.#closed) return;
        const level = error instanceof TributaryError && error.code === 'ERR_ACKS0_FAILED' ? 'info' : 'error';
        this.#close(`request ${header.apiKey} v${header.apiVersion} failed: ${(error as Error)?.message ?? error}`, level, error);
      },
    );
  }

  #flush(): void {
    if (this.#closed) return;
    let corked = false;
    while (this.#slots.length > 0 && this.#slots[0]!.done) {
      const slot = this.#slots.shift()!;
      if (slot.chunks === null) continue;
      if (!corked) {
        this.socket.cork();
        corked = true;
      }
      for (const chunk of slot.chunks) this.socket.write(chunk);
    }
    if (corked) this.socket.uncork();
    if (this.#slots.length === 0) this.#notifyDrained();
    this.#updateFlow();
  }

  #updateFlow(): void {
    if (this.#closed || this.#closing) return;
    const busy = this.socket.writableNeedDrain || this.#slots.length >= this.#options.maxInFlight;
    if (busy && !this.socket.isPaused()) this.socket.pause();
    else if (!busy && this.socket.isPaused()) this.socket.resume();
  }

  #notifyDrained(): void {
    const waiters = this.#drained;
    this.#drained = [];
    for (const w of waiters) w();
  }

  #close(reason: string, level: 'debug' | 'info' | 'warn' | 'error', error?: unknown): void {
    if (this.#closed) return;
    this.#closed = true;
    const code = error instanceof TributaryError ? error.code : undefined;
    this.#options.logger[level]('closing connection', { remote: this.remote, reason, code });
    this.#slots.length = 0;
    this.socket.destroy();
    this.#notifyDrained();
  }
}
