/**
 * A broker session: the rules of one client connection, whatever carries its bytes (a TCP
 * socket in adapters/server, a direct call in the in-process transport).
 *
 * - Frames are cut by {@link FrameDecoder}; a negative or oversized size prefix, or a
 *   request that does not parse, closes this session only (never the broker), with a
 *   `closing connection` log line that carries the error's code.
 * - Responses leave in request order even when handlers finish out of order (a long-poll
 *   Fetch followed by a Metadata answers the Fetch first, as Kafka does).
 * - A handler that answers null (acks=0 produce) sends nothing; one that throws closes the
 *   session — for acks=0 the only signal Kafka gives such a producer.
 * - ApiVersions in a version we do not speak gets a v0 body with error 35 and our range,
 *   so the client retries lower (KIP-511); any other unsupported version closes.
 * - Bounds (issue 13), each logged with a code where it bites: a request frame is reserved at
 *   its announced size against the connection's `maxRequestBytes` and the broker-wide
 *   {@link RequestMemory} (queued.max.request.bytes) before it is assembled — otherwise the
 *   session holds the bytes and reports itself {@link BrokerSession.saturated} so the adapter
 *   stops reading; no request starts while unsent responses exceed `maxResponseBytes`, and
 *   with that bound a Fetch starts only once every earlier request answered.
 * - On shutdown a session stops taking requests and lets the received ones answer
 *   ({@link BrokerSession.drain}, {@link drainSessions}).
 *
 * The session reaches the broker only through {@link SessionBroker} and the peer only
 * through {@link SessionTransport}, so it runs the same in every runtime and in tests.
 */
import type { Logger } from '../contracts/logger.ts';
import { silentLogger } from '../contracts/logger.ts';
import { TributaryError } from '../errors.ts';
import { ApiKey } from '../protocol/api-keys.ts';
import { DEFAULT_MAX_REQUEST_SIZE, FrameDecoder } from '../protocol/framing.ts';
import { decodeRequest, encodeApiVersionsFallback, encodeResponse } from '../protocol/messages.ts';
import { type ApiVersionRange, findVersionRange } from '../protocol/version-policy.ts';
import type { BrokerLimits } from './broker-configs.ts';
import { SaslAuthenticator, type SaslListenerConfig } from './security/sasl-authenticator.ts';
import { SaslAuthenticationError, type SaslCredentials } from './security/sasl-mechanisms.ts';
import { KafkaCode } from '../kafka-error-codes.ts';

/** #stamp's answer for a connection with nothing to add. */
const NO_FIELDS: Partial<SessionRequestHeader> = Object.freeze({});

/** The request header a session hands to the broker. */
export interface SessionRequestHeader {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  /** The peer as Kafka reports a member's host (`/127.0.0.1`); absent in process. */
  readonly clientHost?: string;  /**
   * Who sent the request, as Kafka's KafkaPrincipal prints (`User:alice`): set once SASL or a
   * client certificate authenticated the connection (issue 14). Absent means `User:ANONYMOUS`
   * (a PLAINTEXT listener, or an in-process caller).
   */
  readonly principal?: string;
  /**
   * The listener the connection came in on (`PLAINTEXT`, `SASL_SSL`, …): Metadata,
   * DescribeCluster and FindCoordinator advertise that listener's addresses. Absent: the
   * broker's default listener.
   */
  readonly listener?: string;
}

/** What a session needs of the broker (the Broker class fits). */
export interface SessionBroker {
  /** The advertised version ranges: what the session decodes and accepts. */
  apiVersions(): readonly ApiVersionRange[];
  /** Answers one decoded request: a response body, or null for none (acks=0). */
  handle(header: SessionRequestHeader, body: unknown): Promise<object | null>;
}

/**
 * What a Kafka listener serves (adapters/server): a {@link SessionBroker} for each
 * connection's session, plus what the listener itself checks — whether to take a
 * connection, the connection and socket limits, and the signal that shutdown began. The
 * Broker fits; so does the controller listener's ControllerServer.
 */
export interface RequestTarget extends SessionBroker {
  /** False before start and once shutdown began: new connections are refused. */
  readonly running: boolean;
  readonly logger: Logger;
  /** socket.request.max.bytes, queued.max.request.bytes, the per-connection bounds, max.connections. */
  readonly limits: BrokerLimits;
  /** Shutdown begins: long polls answer now with what they have. */
  beginShutdown(): void;
  /** Where a SASL listener finds users; a target without it cannot serve SASL listeners. */
  readonly saslCredentials?: SaslCredentials;
}

/** How a session reaches its peer. */
export interface SessionTransport {
  /** Sends bytes: every response ready in order, in one call (an adapter may cork around it). */
  write(chunks: readonly Uint8Array[]): void;
  /** Closes the connection now (bad input, a failed handler, a drain that timed out). */
  close(): void;
  /**
   * Optional: called when requests left the queue, so an adapter that stopped reading
   * because the session was {@link BrokerSession.saturated} can read again.
   */
  flowChanged?(): void;
  /**
   * Optional: bytes written and not yet sent to the peer (a socket's buffer) that will be
   * reported by a later {@link BrokerSession.resume}. Counted against `maxResponseBytes`.
   */
  unsentBytes?(): number;
  /**
   * Optional: closes once what was written went out (a failed authentication's answer must
   * reach the client before the close). Without it {@link close} is used.
   */
  end?(): void;
}

/**
 * Bytes of requests held by every session of a broker: frames being received (counted at
 * their announced size from their first byte), queued, or being handled (Kafka's
 * queued.max.request.bytes memory pool). A session whose next frame does not fit stops
 * reading until another releases; the first refusal after room was plentiful is logged.
 */
export class RequestMemory {
  /** The bound, in bytes. */
  readonly limit: number;
  readonly #logger: Logger;
  #used = 0;
  #full = false;
  #waiters = new Set<() => void>();

  constructor(limit: number, logger: Logger = silentLogger) {
    this.limit = limit;
    this.#logger = logger;
  }

  /** Bytes reserved now. */
  get used(): number {
    return this.#used;
  }

  /** Reserves `size` bytes when they fit (a frame always fits an empty pool); false otherwise. */
  tryReserve(size: number): boolean {
    if (this.#used > 0 && this.#used + size > this.limit) {
      if (!this.#full) {
        this.#full = true;
        this.#logger.warn('pausing reads: queued.max.request.bytes reached', { code: 'ERR_REQUEST_MEMORY_FULL', used: this.#used, requested: size, limit: this.limit });
      }
      return false;
    }
    this.#used += size;
    return true;
  }

  /** Gives back reserved bytes and wakes the sessions waiting for room. */
  release(size: number): void {
    if (size <= 0) return;
    this.#used = Math.max(0, this.#used - size);
    if (this.#full && this.#used <= this.limit / 2) this.#full = false;
    if (this.#waiters.size === 0) return;
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }

  /** Calls `wake` once at the next release. */
  onRelease(wake: () => void): void {
    this.#waiters.add(wake);
  }

  /** Forgets a waiter (its session closed). */
  forget(wake: () => void): void {
    this.#waiters.delete(wake);
  }
}

/** Settings of a session. */
export interface SessionOptions {
  /** Largest accepted request frame (socket.request.max.bytes). Default {@link DEFAULT_MAX_REQUEST_SIZE}. */
  readonly maxRequestSize?: number;
  /** The session reports itself saturated at this many requests awaiting responses. Default 1000. */
  readonly maxInFlight?: number;
  /**
   * Bytes of this connection's requests received and not yet handled before it stops
   * reading (read-ahead; one request is always taken whole). Default: unbounded.
   */
  readonly maxRequestBytes?: number;
  /**
   * Bytes of responses not yet sent (queued behind a slower one, or in the transport's
   * buffer) above which no further request is started (back-pressure). Default: unbounded.
   */
  readonly maxResponseBytes?: number;
  /** The broker-wide pool of request bytes (queued.max.request.bytes). Default: none. */
  readonly memory?: RequestMemory;
  /** Where `closing connection` lines go. Default silent. */
  readonly logger?: Logger;
  /** The peer's address, for log lines. */
  readonly remote?: string;
  /** The peer as Kafka reports a member's host (DescribeGroups), passed in every header. */
  readonly clientHost?: string;
  /** The listener's name, passed in every header. */
  readonly listener?: string;
  /**
   * The principal the transport authenticated (a TLS client certificate's subject,
   * `User:CN=…`); SASL, when configured, replaces it. Absent: `User:ANONYMOUS`.
   */
  readonly principal?: string;
  /** A SASL listener: requests are served only once the connection authenticated. */
  readonly sasl?: SaslListenerConfig;
}

/** Log level of a close. */
export type SessionCloseLevel = 'debug' | 'info' | 'warn' | 'error';

interface Slot {
  done: boolean;
  /** Request bytes reserved for this request, released once it is handled. */
  requestBytes?: number;
  /** Bytes of `chunks`. */
  responseBytes?: number;
  /** Encoded response (wire requests), or null for none. */
  chunks: Uint8Array[] | null;
  /** Decoded requests: hands the result to the caller once the slot reaches the head. */
  deliver?: () => void;
  /** Decoded requests: fails the caller when the session closes first. */
  abort?: (error: TributaryError) => void;
}

function byteLength(chunks: readonly Uint8Array[]): number {
  let n = 0;
  for (const c of chunks) n += c.length;
  return n;
}

function closedError(reason: string): TributaryError {
  return new TributaryError('ERR_CONNECTION_CLOSED', `The connection is closed (${reason})`, { retriable: true });
}

/** One client connection's request/response rules. */
export class BrokerSession {
  readonly #broker: SessionBroker;
  readonly #transport: SessionTransport;
  readonly #logger: Logger;
  readonly #remote: string | undefined;
  readonly #clientHost: string | undefined;
  readonly #listener: string | undefined;
  #principal: string | undefined;
  // What #stamp adds to every header (undefined: to be gathered again).
  #stampFields: Partial<SessionRequestHeader> | undefined;
  readonly #sasl: SaslAuthenticator | undefined;
  /** A SASL step is under way: no other frame starts until it answers. */
  #authBusy = false;
  /** Set once a refused authentication's answer is queued: the connection ends after it. */
  #endAfterFlush: string | undefined;
  readonly #maxInFlight: number;
  readonly #maxRequestBytes: number;
  readonly #maxResponseBytes: number;
  readonly #memory: RequestMemory | undefined;
  readonly #decoder: FrameDecoder;
  #slots: Slot[] = [];
  /** Frames received and not yet started (held back by the in-flight or response bounds). */
  #pending: Uint8Array[] = [];
  /** Request bytes reserved: frames being received, pending, or being handled. */
  #held = 0;
  /** Encoded responses waiting behind an unfinished earlier one. */
  #queuedResponseBytes = 0;
  /** Why reads are paused, once logged (cleared when they resume). */
  #pauseLogged: string | undefined;
  readonly #wake = () => this.resume();
  #draining = false;
  #closed = false;
  #drained: Array<() => void> = [];

  constructor(broker: SessionBroker, transport: SessionTransport, options: SessionOptions = {}) {
    this.#broker = broker;
    this.#transport = transport;
    this.#logger = options.logger ?? silentLogger;
    this.#remote = options.remote;
    this.#clientHost = options.clientHost;
    this.#listener = options.listener;
    this.#principal = options.principal;
    this.#sasl = options.sasl === undefined ? undefined : new SaslAuthenticator(options.sasl);
    this.#maxInFlight = options.maxInFlight ?? 1000;
    this.#maxRequestBytes = options.maxRequestBytes ?? Number.POSITIVE_INFINITY;
    this.#maxResponseBytes = options.maxResponseBytes ?? Number.POSITIVE_INFINITY;
    this.#memory = options.memory;
    const bounded = options.maxRequestBytes !== undefined || options.memory !== undefined;
    const sasl = this.#sasl;
    const reserve = bounded ? (size: number) => this.#reserve(size) : undefined;
    // Before authentication a SASL listener takes small frames only (sasl.server.max.receive.size).
    const guarded = sasl === undefined
      ? reserve
      : (size: number) => {
          if (size > sasl.maxReceiveSize) {
            throw new TributaryError('ERR_SASL_FRAME_TOO_LARGE', `a ${size}-byte frame before authentication (sasl.server.max.receive.size is ${sasl.maxReceiveSize}): not a SASL client, or an oversized SASL token`);
          }
          return reserve === undefined ? true : reserve(size);
        };
    this.#decoder = new FrameDecoder(options.maxRequestSize ?? DEFAULT_MAX_REQUEST_SIZE, guarded);
  }

  /** The connection's principal (`User:alice`), or undefined for `User:ANONYMOUS`. */
  get principal(): string | undefined {
    return this.#principal;
  }

  /** True on a SASL listener until the client authenticated. */
  get authenticating(): boolean {
    return this.#sasl !== undefined && this.#sasl.state !== 'complete';
  }

  /** Request bytes this session holds (received or announced, not yet handled). */
  get heldRequestBytes(): number {
    return this.#held;
  }

  /** Responses this session holds: encoded and queued, plus what the transport has not sent. */
  get unsentResponseBytes(): number {
    return this.#queuedResponseBytes + (this.#transport.unsentBytes?.() ?? 0);
  }

  /** Frames received and not yet started. */
  get pendingRequests(): number {
    return this.#pending.length;
  }

  /** Requests received and not yet answered. */
  get inFlight(): number {
    return this.#slots.length;
  }

  /**
   * True when the session takes no more bytes for now — as many requests await responses
   * as allowed, received requests wait for unsent responses to go out, its request bytes
   * reached their bound, or the next frame waits for room in the broker-wide pool: stop
   * reading until {@link SessionTransport.flowChanged}.
   */
  get saturated(): boolean {
    return this.#slots.length >= this.#maxInFlight || this.#pending.length > 0 || this.#decoder.stalled || this.#held >= this.#maxRequestBytes;
  }

  /**
   * Tries again what a bound held back: the next frame's reservation, then the received
   * requests (the adapter calls it when its send buffer drained; releases call it too).
   */
  resume(): void {
    if (this.#closed || this.#draining) return;
    if (this.#decoder.stalled) {
      let frames: Uint8Array[];
      try {
        frames = this.#decoder.resume();
      } catch (error) {
        this.close(`bad frame: ${(error as Error).message}`, 'warn', error);
        return;
      }
      for (const frame of frames) this.#pending.push(frame);
    }
    this.#pump();
    if (!this.saturated) this.#pauseLogged = undefined;
    this.#transport.flowChanged?.();
  }

  /** Reserves a frame's bytes in this session's bound and the broker-wide pool. */
  #reserve(size: number): boolean {
    if (this.#held > 0 && this.#held + size > this.#maxRequestBytes) {
      this.#logPause('connection request bytes bound reached', 'ERR_CONNECTION_REQUEST_BYTES', { held: this.#held, requested: size, limit: this.#maxRequestBytes });
      return false;
    }
    if (this.#memory !== undefined && !this.#memory.tryReserve(size)) {
      this.#memory.onRelease(this.#wake);
      return false;
    }
    this.#held += size;
    return true;
  }

  #release(size: number | undefined): void {
    if (!size) return;
    this.#held -= size;
    this.#memory?.release(size);
  }

  #logPause(reason: string, code: string, fields: Record<string, unknown>): void {
    if (this.#pauseLogged === code) return;
    this.#pauseLogged = code;
    this.#logger.info(`pausing reads: ${reason}`, { remote: this.#remote, code, ...fields });
  }

  /** Starts received requests while the in-flight and unsent-response bounds allow. */
  #pump(): void {
    while (this.#pending.length > 0 && !this.#closed) {
      // SASL steps run one at a time: what follows depends on their outcome.
      if (this.#authBusy || this.#endAfterFlush !== undefined) return;
      if (this.#slots.length >= this.#maxInFlight) return;
      if (this.#maxResponseBytes !== Number.POSITIVE_INFINITY && this.unsentResponseBytes > this.#maxResponseBytes) {
        this.#logPause('unsent responses above their bound', 'ERR_CONNECTION_RESPONSE_BYTES', { unsent: this.unsentResponseBytes, limit: this.#maxResponseBytes });
        return;
      }
      const next = this.#pending[0]!;
      // With a response bound, a Fetch (the one answer that can be large) starts alone, once
      // every earlier request answered — as Kafka serves one request per connection at a
      // time — so that pipelined fetches cannot each build a response before any is sent.
      if (this.#slots.length > 0 && this.#maxResponseBytes !== Number.POSITIVE_INFINITY && next.length >= 2 && next[0] === 0 && next[1] === ApiKey.Fetch) return;
      this.#pending.shift();
      this.#dispatchFrame(next);
    }
  }

  /** True once closed (by the session, the adapter or the peer). */
  get closed(): boolean {
    return this.#closed;
  }

  /** True once {@link drain} was called: new requests are ignored. */
  get draining(): boolean {
    return this.#draining;
  }

  /** Feeds bytes received from the peer; the requests they complete are dispatched in order. */
  receive(chunk: Uint8Array): void {
    if (this.#closed || this.#draining) return;
    let frames: Uint8Array[];
    try {
      frames = this.#decoder.push(chunk);
    } catch (error) {
      this.close(`bad frame: ${(error as Error).message}`, 'warn', error);
      return;
    }
    for (const frame of frames) this.#pending.push(frame);
    this.#pump();
  }

  /**
   * Runs one already-decoded request under the same rules as a framed one (ordering,
   * versions, close on failure): resolves with the response body — in request order — or
   * null when there is none (acks=0). Rejects with the handler's error when it fails (the
   * session closes), with `ERR_CONNECTION_CLOSED` when the session closed first, and with
   * `UNSUPPORTED_VERSION` / `ERR_UNKNOWN_API` for what the broker does not serve (the
   * session closes, as it does for such a frame).
   */
  request(header: SessionRequestHeader, body: unknown): Promise<object | null> {
    if (this.#closed) return Promise.reject(closedError('closed'));
    if (this.#draining) return Promise.reject(closedError('the broker is shutting down'));
    const supported = this.#broker.apiVersions();
    const range = findVersionRange(supported, header.apiKey);
    if (!range || header.apiVersion < range.minVersion || header.apiVersion > range.maxVersion) {
      if (range && header.apiKey === ApiKey.ApiVersions) {
        // The decoded form of the v0 fallback: the caller reads it as ApiVersions v0.
        return this.#enqueue(header, Promise.resolve({ errorCode: 35, apiKeys: [{ apiKey: ApiKey.ApiVersions, minVersion: range.minVersion, maxVersion: range.maxVersion }] }));
      }
      const error = range
        ? new TributaryError('UNSUPPORTED_VERSION', `API ${header.apiKey} v${header.apiVersion} is not supported`, { kafkaCode: 35 })
        : new TributaryError('ERR_UNKNOWN_API', `API key ${header.apiKey} is not served`, { kafkaCode: 35 });
      this.close(`cannot serve request: ${error.message}`, 'warn', error);
      return Promise.reject(error);
    }
    const stamped = this.#principal !== undefined && header.principal === undefined ? { ...header, principal: this.#principal } : header;
    return this.#enqueue(stamped, this.#call(stamped, body));
  }

  /**
   * Stops taking requests and resolves once every received one has answered (or the
   * session closed). It does not close the transport: the adapter ends it gracefully.
   */
  drain(): Promise<void> {
    // Requests already received are answered even past the bounds: shutdown is finite.
    while (this.#pending.length > 0 && !this.#closed && !this.#draining) this.#dispatchFrame(this.#pending.shift()!);
    this.#draining = true;
    if (this.#slots.length === 0 || this.#closed) return Promise.resolve();
    return new Promise<void>((resolve) => this.#drained.push(resolve));
  }

  /** Closes the session and its transport, logging why at `level` with the error's code. */
  close(reason: string, level: SessionCloseLevel = 'debug', error?: unknown): void {
    if (this.#closed) return;
    const code = error instanceof TributaryError ? error.code : undefined;
    this.#logger[level]('closing connection', { remote: this.#remote, reason, code });
    this.#shut(reason);
    this.#transport.close();
  }

  /** The adapter saw the connection close (peer hang-up, socket error): forget what was in flight. */
  transportClosed(): void {
    if (!this.#closed) this.#shut('closed by the peer');
  }

  #shut(reason: string): void {
    this.#closed = true;
    this.#memory?.forget(this.#wake);
    this.#memory?.release(this.#held);
    this.#held = 0;
    this.#pending = [];
    this.#queuedResponseBytes = 0;
    const slots = this.#slots;
    this.#slots = [];
    const error = closedError(reason);
    for (const slot of slots) slot.abort?.(error);
    this.#notifyDrained();
  }

  #dispatchFrame(frame: Uint8Array): void {
    if (this.#sasl?.expectsRawToken) {
      this.#rawSaslToken(frame);
      return;
    }
    const supported = this.#broker.apiVersions();
    let request: { header: SessionRequestHeader; body: unknown };
    try {
      request = decodeRequest(frame, supported);
    } catch (error) {
      const header = error instanceof TributaryError ? (error.details?.header as SessionRequestHeader | undefined) : undefined;
      if (error instanceof TributaryError && error.code === 'UNSUPPORTED_VERSION' && header?.apiKey === ApiKey.ApiVersions) {
        this.#release(this.#bounded ? frame.length : 0);
        const chunks = encodeApiVersionsFallback(header.correlationId, supported);
        this.#slots.push({ done: true, chunks, responseBytes: byteLength(chunks) });
        this.#queuedResponseBytes += byteLength(chunks);
        this.#flush();
        return;
      }
      // Kafka closes the connection for what it cannot parse or does not serve.
      this.close(`cannot serve request: ${(error as Error).message}`, 'warn', error);
      return;
    }
    const header = this.#stamp(request.header);
    if (this.#sasl !== undefined && this.#sasl.state !== 'complete' && !this.#saslGate(header, request.body, frame.length)) return;
    const slot: Slot = { done: false, chunks: null, requestBytes: this.#bounded ? frame.length : 0 };
    this.#slots.push(slot);
    this.#call(header, request.body).then(
      (response) => {
        if (this.#closed) return;
        this.#release(slot.requestBytes);
        slot.requestBytes = 0;
        try {
          slot.chunks = response === null ? null : encodeResponse(header.apiKey, header.apiVersion, header.correlationId, response);
        } catch (error) {
          this.close(`cannot encode the ${header.apiKey} v${header.apiVersion} response: ${(error as Error).message}`, 'error', error);
          return;
        }
        if (slot.chunks !== null) {
          slot.responseBytes = byteLength(slot.chunks);
          this.#queuedResponseBytes += slot.responseBytes;
        }
        slot.done = true;
        this.#flush();
      },
      (error: unknown) => this.#failed(header, error),
    );
  }

  /** The header the broker sees: the decoded one with the peer, listener and principal. */
  #stamp(header: SessionRequestHeader): SessionRequestHeader {
    // One spread per request: the connection's fields are gathered once, again only when the principal changes.
    this.#stampFields ??= this.#connectionFields();
    return this.#stampFields === NO_FIELDS ? header : { ...header, ...this.#stampFields };
  }

  #connectionFields(): Partial<SessionRequestHeader> {
    if (this.#clientHost === undefined && this.#listener === undefined && this.#principal === undefined) return NO_FIELDS;
    return {
      ...(this.#clientHost !== undefined ? { clientHost: this.#clientHost } : {}),
      ...(this.#listener !== undefined ? { listener: this.#listener } : {}),
      ...(this.#principal !== undefined ? { principal: this.#principal } : {}),
    };
  }

  /**
   * Before authentication on a SASL listener: true lets the request through (ApiVersions
   * before the handshake); SaslHandshake and SaslAuthenticate are answered here; anything
   * else closes the connection, as Kafka's authenticator does.
   */
  #saslGate(header: SessionRequestHeader, body: unknown, frameBytes: number): boolean {
    const sasl = this.#sasl!;
    if (header.apiKey === ApiKey.ApiVersions && sasl.takeApiVersions()) return true;
    const requestBytes = this.#bounded ? frameBytes : 0;
    if (sasl.state === 'handshake' && header.apiKey === ApiKey.SaslHandshake) {
      const asked = (body as { mechanism: string }).mechanism;
      const chosen = sasl.handshake(header.apiVersion, asked);
      if (chosen !== undefined) {
        this.#answerNow(header, { errorCode: 0, mechanisms: [...sasl.config.mechanisms] }, requestBytes);
        return false;
      }
      this.#logger.warn('authentication failed: unsupported SASL mechanism', { remote: this.#remote, code: 'UNSUPPORTED_SASL_MECHANISM', mechanism: asked, enabled: sasl.config.mechanisms.join(',') });
      this.#failLater(header, { errorCode: KafkaCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: [...sasl.config.mechanisms] }, requestBytes, `unsupported SASL mechanism ${asked}`);
      return false;
    }
    if (sasl.state === 'authenticate' && header.apiKey === ApiKey.SaslAuthenticate) {
      const slot: Slot = { done: false, chunks: null, requestBytes };
      this.#slots.push(slot);
      this.#authBusy = true;
      sasl.authenticate((body as { authBytes: Uint8Array }).authBytes).then(
        (step) => {
          if (this.#closed) return;
          this.#authBusy = false;
          if (step.username !== undefined) this.#authenticated(sasl);
          this.#fill(slot, header, { errorCode: 0, errorMessage: null, authBytes: step.response, sessionLifetimeMs: 0 });
          this.resume();
        },
        (error: unknown) => {
          if (this.#closed) return;
          const message = this.#authFailed(sasl, error);
          this.#slots.splice(this.#slots.indexOf(slot), 1);
          this.#release(slot.requestBytes);
          this.#failLater(header, { errorCode: KafkaCode.SASL_AUTHENTICATION_FAILED, errorMessage: message, authBytes: new Uint8Array(0), sessionLifetimeMs: 0 }, 0, 'authentication failed');
        },
      );
      return false;
    }
    const what = sasl.state === 'handshake' ? 'SASL handshake' : 'SASL authentication';
    const error = new TributaryError('ILLEGAL_SASL_STATE', `Unexpected Kafka request of type ${header.apiKey} v${header.apiVersion} during ${what}`, { kafkaCode: KafkaCode.ILLEGAL_SASL_STATE });
    this.#release(requestBytes);
    this.close(error.message, 'warn', error);
    return false;
  }

  /** A bare token after a v0 handshake: answered with a bare size-prefixed token, or the connection closes. */
  #rawSaslToken(frame: Uint8Array): void {
    const sasl = this.#sasl!;
    const requestBytes = this.#bounded ? frame.length : 0;
    const slot: Slot = { done: false, chunks: null, requestBytes };
    this.#slots.push(slot);
    this.#authBusy = true;
    sasl.authenticate(frame.slice()).then(
      (step) => {
        if (this.#closed) return;
        this.#authBusy = false;
        if (step.username !== undefined) this.#authenticated(sasl);
        this.#release(slot.requestBytes);
        slot.requestBytes = 0;
        const size = new Uint8Array(4);
        new DataView(size.buffer).setInt32(0, step.response.length);
        slot.chunks = [size, step.response];
        slot.responseBytes = 4 + step.response.length;
        this.#queuedResponseBytes += slot.responseBytes;
        slot.done = true;
        this.#flush();
        this.resume();
      },
      (error: unknown) => {
        if (this.#closed) return;
        this.#authFailed(sasl, error);
        // A v0 exchange has no error frame: the close is the answer, after the same delay.
        this.#endAfterFlush = 'authentication failed';
        this.#later(sasl.failureDelayMs, () => this.close('authentication failed', 'debug'));
      },
    );
  }

  #authenticated(sasl: SaslAuthenticator): void {
    this.#principal = sasl.principal;
    this.#stampFields = undefined;
    this.#logger.debug('authenticated', { remote: this.#remote, mechanism: sasl.mechanism, principal: this.#principal });
  }

  /** Logs a refused authentication (never the secret) and returns the message for the client. */
  #authFailed(sasl: SaslAuthenticator, error: unknown): string {
    const message = error instanceof SaslAuthenticationError ? error.message : `Authentication failed: ${(error as Error)?.message ?? error}`;
    const user = error instanceof SaslAuthenticationError ? error.username : undefined;
    // The log has the reason the client is not told (SCRAM keeps whether a user exists from it).
    const reason = (error instanceof SaslAuthenticationError ? error.detail : undefined) ?? message;
    this.#logger.warn('authentication failed', { remote: this.#remote, code: 'SASL_AUTHENTICATION_FAILED', mechanism: sasl.mechanism, ...(user !== undefined ? { user } : {}), reason });
    return message;
  }

  /** Answers a request at once, in order (a handshake). */
  #answerNow(header: SessionRequestHeader, response: object, requestBytes: number): void {
    const slot: Slot = { done: false, chunks: null, requestBytes };
    this.#slots.push(slot);
    this.#fill(slot, header, response);
  }

  /** Encodes a response into its slot and flushes what is ready. */
  #fill(slot: Slot, header: SessionRequestHeader, response: object): void {
    this.#release(slot.requestBytes);
    slot.requestBytes = 0;
    try {
      slot.chunks = encodeResponse(header.apiKey, header.apiVersion, header.correlationId, response);
    } catch (error) {
      this.close(`cannot encode the ${header.apiKey} v${header.apiVersion} response: ${(error as Error).message}`, 'error', error);
      return;
    }
    slot.responseBytes = byteLength(slot.chunks);
    this.#queuedResponseBytes += slot.responseBytes;
    slot.done = true;
    this.#flush();
  }

  /**
   * A refusal: nothing more is read; after connection.failed.authentication.delay.ms the
   * answer goes out and the connection ends (Kafka delays the close the same way, so a
   * guesser gets one try per delay per connection).
   */
  #failLater(header: SessionRequestHeader, response: object, requestBytes: number, reason: string): void {
    this.#endAfterFlush = reason;
    this.#pending = [];
    this.#release(requestBytes);
    const slot: Slot = { done: false, chunks: null };
    this.#slots.push(slot);
    this.#later(this.#sasl!.failureDelayMs, () => {
      if (this.#closed) return;
      this.#fill(slot, header, response);
    });
  }

  #later(ms: number, run: () => void): void {
    if (ms <= 0) queueMicrotask(run);
    else setTimeout(run, ms);
  }

  /** The broker's answer, with a synchronous throw turned into a rejection. */
  #call(header: SessionRequestHeader, body: unknown): Promise<object | null> {
    try {
      return this.#broker.handle(header, body);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Queues a decoded request's answer behind those received before it. */
  #enqueue(header: SessionRequestHeader, pending: Promise<object | null>): Promise<object | null> {
    return new Promise<object | null>((resolve, reject) => {
      let result: object | null = null;
      const slot: Slot = { done: false, chunks: null, deliver: () => resolve(result), abort: reject };
      this.#slots.push(slot);
      pending.then(
        (response) => {
          if (this.#closed) return;
          result = response;
          slot.done = true;
          this.#flush();
        },
        (error: unknown) => {
          if (this.#closed) return;
          // The caller gets the handler's own error; those queued behind it a closed connection.
          slot.abort = undefined;
          this.#failed(header, error);
          reject(error);
        },
      );
    });
  }

  #failed(header: SessionRequestHeader, error: unknown): void {
    if (this.#closed) return;
    const level = error instanceof TributaryError && error.code === 'ERR_ACKS0_FAILED' ? 'info' : 'error';
    this.close(`request ${header.apiKey} v${header.apiVersion} failed: ${(error as Error)?.message ?? error}`, level, error);
  }

  #flush(): void {
    if (this.#closed) return;
    let out: Uint8Array[] | undefined;
    let released = false;
    while (this.#slots.length > 0 && this.#slots[0]!.done) {
      const slot = this.#slots.shift()!;
      released = true;
      if (slot.responseBytes) this.#queuedResponseBytes -= slot.responseBytes;
      slot.deliver?.();
      if (slot.chunks === null) continue;
      if (out === undefined) out = slot.chunks;
      else out.push(...slot.chunks);
    }
    if (out !== undefined) this.#transport.write(out);
    if (this.#endAfterFlush !== undefined && this.#slots.length === 0) {
      const reason = this.#endAfterFlush;
      this.#logger.debug('closing connection', { remote: this.#remote, reason });
      this.#shut(reason);
      if (this.#transport.end) this.#transport.end();
      else this.#transport.close();
      return;
    }
    if (this.#slots.length === 0) this.#notifyDrained();
    // A handled request released its bytes (even behind an unfinished one): retry what waits.
    if (this.#decoder.stalled || this.#pending.length > 0) this.resume();
    else if (released) this.#transport.flowChanged?.();
  }

  /** True when request bytes are counted (a per-connection bound or a broker-wide pool). */
  get #bounded(): boolean {
    return this.#maxRequestBytes !== Number.POSITIVE_INFINITY || this.#memory !== undefined;
  }

  #notifyDrained(): void {
    const waiters = this.#drained;
    this.#drained = [];
    for (const w of waiters) w();
  }
}

/**
 * Drains sessions on shutdown: each stops taking requests and answers what it received;
 * those still busy after `timeoutMs` are closed. Resolves with how many were cut.
 */
export async function drainSessions(sessions: Iterable<BrokerSession>, timeoutMs: number): Promise<number> {
  const list = [...sessions];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const outcome = await Promise.race([Promise.all(list.map((s) => s.drain())), timeout]);
  clearTimeout(timer);
  if (outcome !== 'timeout') return 0;
  let cut = 0;
  for (const session of list) {
    if (session.closed || session.inFlight === 0) continue;
    cut++;
    session.close('shutdown: did not drain in time', 'debug');
  }
  return cut;
}
