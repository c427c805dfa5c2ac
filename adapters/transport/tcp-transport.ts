/**
 * The TCP transport: the Kafka wire protocol over node:net (Deno and Bun provide it too).
 *
 * One socket per broker; requests are pipelined with increasing correlation ids and
 * matched to responses in order. On connect it negotiates versions with ApiVersions
 * (v3, falling back to v0 when the broker answers UNSUPPORTED_VERSION). Every request
 * has a deadline; a timeout breaks the connection (later responses on it could only be
 * mismatched), and a broken connection rejects everything pending with a retriable
 * `ERR_CONNECTION_CLOSED`. Memory stays bounded: writes wait for 'drain' once the socket
 * buffer is full, and a response larger than `maxResponseSize` closes the connection.
 */
import { type Socket, connect, isIP } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { saslAuthenticate } from '../../core/client/sasl-authenticate.ts';
import type { BrokerAddress, RequestOptions, ResponseOf, Transport, TransportFactory, TransportOptions } from '../../core/client/transport.ts';
import { TributaryError, kafkaError } from '../../core/errors.ts';
import { KafkaCode } from '../../core/kafka-error-codes.ts';
import { ApiKey, apiName } from '../../core/protocol/api-keys.ts';
import type { ApiRequestInput } from '../../core/protocol/api-messages.ts';
import { decodeResponse, encodeRequest } from '../../core/protocol/messages.ts';
import type { ApiVersionRange } from '../../core/protocol/version-policy.ts';
import { FrameDecoder } from '../../core/protocol/framing.ts';

/** Options of {@link tcpTransport}. */
export interface TcpTransportOptions {
  /** Largest response frame accepted (a Fetch answer is bounded by its maxBytes). Default 256 MiB. */
  readonly maxResponseSize?: number;
  /** TCP keep-alive initial delay in ms; 0 disables. Default 60 s. */
  readonly keepAliveMs?: number;
}

interface Pending {
  readonly apiKey: ApiKey;
  readonly version: number;
  readonly correlationId: number;
  readonly deadline: number;
  /** Settles the request's promise with the decoded body (typed by its API key at `request`). */
  readonly resolve: (body: unknown) => void;
  readonly reject: (error: unknown) => void;
}

const CLIENT_SOFTWARE_VERSION = '0.1.0';

function closedError(address: BrokerAddress, reason: string, cause?: unknown): TributaryError {
  return new TributaryError('ERR_CONNECTION_CLOSED', `Connection to ${address.host}:${address.port} closed: ${reason}`, {
    retriable: true,
    cause,
    details: { host: address.host, port: address.port, nodeId: address.nodeId },
  });
}

/** One TCP connection to a broker. */
export class TcpConnection implements Transport {
  apiVersions: readonly ApiVersionRange[] = [];
  readonly #socket: Socket;
  readonly #address: BrokerAddress;
  readonly #options: TransportOptions;
  readonly #decoder: FrameDecoder;
  // Responses come in request order, so a FIFO matches them; an array with a head index avoids shift().
  #pending: Pending[] = [];
  #head = 0;
  #nextCorrelationId = 1;
  #connected = true;
  #sweeper: ReturnType<typeof setInterval> | undefined;
  /**
   * Requests written while the socket buffer is full wait here, in call order, until
   * 'drain': the bytes must leave in the order the requests entered #pending.
   */
  #backlog: Array<{ readonly chunks: Uint8Array[]; readonly done: (error?: unknown) => void }> = [];
  #blocked = false;

  constructor(socket: Socket, address: BrokerAddress, options: TransportOptions, maxResponseSize: number) {
    this.#socket = socket;
    this.#address = address;
    this.#options = options;
    this.#decoder = new FrameDecoder(maxResponseSize);
    socket.on('data', (chunk: Uint8Array) => this.#onData(chunk));
    socket.on('error', (error) => this.#fail(closedError(address, String(error), error)));
    socket.on('close', () => this.#fail(closedError(address, 'socket closed')));
    // A coarse sweep finds overdue requests without a timer per request.
    const every = Math.max(10, Math.min(1000, Math.floor(options.requestTimeoutMs / 10)));
    this.#sweeper = setInterval(() => this.#sweep(), every);
    (this.#sweeper as { unref?: () => void }).unref?.();
  }

  /** False once the connection broke or was closed. */
  get connected(): boolean {
    return this.#connected;
  }

  /** Requests sent and not yet answered. */
  get inFlight(): number {
    return this.#pending.length - this.#head;
  }

  request<K extends ApiKey, O extends RequestOptions | undefined = undefined>(apiKey: K, apiVersion: number, body: ApiRequestInput<K>, options?: O): Promise<ResponseOf<K, O>> {
    if (!this.#connected) return Promise.reject(closedError(this.#address, 'not connected'));
    const correlationId = this.#nextCorrelationId;
    this.#nextCorrelationId = correlationId === 0x7fffffff ? 1 : correlationId + 1;
    let chunks: Uint8Array[];
    try {
      chunks = encodeRequest({ apiKey, apiVersion, correlationId, clientId: this.#options.clientId }, body);
    } catch (error) {
      return Promise.reject(error);
    }
    if (options?.expectResponse === false) {
      return this.#write(chunks).then(() => null as ResponseOf<K, O>);
    }
    return new Promise<ResponseOf<K, O>>((resolve, reject) => {
      const deadline = Date.now() + this.#options.requestTimeoutMs + (options?.extraTimeoutMs ?? 0);
      // decodeResponse(apiKey) gives ApiResponse<K> for this entry's key.
      this.#pending.push({ apiKey, version: apiVersion, correlationId, deadline, resolve: resolve as (body: unknown) => void, reject });
      this.#write(chunks).catch((error) => this.#fail(closedError(this.#address, 'write failed', error)));
    });
  }

  #write(chunks: Uint8Array[]): Promise<void> {
    if (!this.#connected) return Promise.reject(closedError(this.#address, 'not connected'));
    // Waiting with an await here (as this once did) let a request made between the 'drain'
    // and the waiters' wake-up write first: bytes out of order, answers mismatched.
    if (this.#blocked) return new Promise((resolve, reject) => this.#backlog.push({ chunks, done: (error) => (error ? reject(error) : resolve()) }));
    this.#send(chunks);
    return Promise.resolve();
  }

  #send(chunks: Uint8Array[]): void {
    const socket = this.#socket;
    let ok = true;
    if (chunks.length === 1) ok = socket.write(chunks[0]!);
    else {
      // cork/uncork sends the header chunk and the batch chunks in one syscall.
      socket.cork();
      for (const c of chunks) ok = socket.write(c);
      socket.uncork();
    }
    if (!ok) {
      this.#blocked = true;
      socket.once('drain', () => this.#flushBacklog());
    }
  }

  #flushBacklog(): void {
    this.#blocked = false;
    while (this.#backlog.length > 0 && !this.#blocked) {
      const next = this.#backlog.shift()!;
      if (!this.#connected) {
        next.done(closedError(this.#address, 'not connected'));
        continue;
      }
      this.#send(next.chunks);
      next.done();
    }
  }

  #onData(chunk: Uint8Array): void {
    let frames: Uint8Array[];
    try {
      frames = this.#decoder.push(chunk);
    } catch (error) {
      this.#options.logger.warn('bad response frame; closing the connection', { host: this.#address.host, port: this.#address.port, error: String(error) });
      this.#fail(closedError(this.#address, 'bad response frame', error));
      return;
    }
    for (const frame of frames) {
      const pending = this.#pending[this.#head];
      if (!pending) {
        this.#fail(closedError(this.#address, 'a response arrived with no request pending'));
        return;
      }
      this.#pending[this.#head++] = undefined as never;
      if (this.#head > 1024 && this.#head * 2 > this.#pending.length) {
        this.#pending = this.#pending.slice(this.#head);
        this.#head = 0;
      }
      let body: unknown;
      try {
        // A broker that does not speak the ApiVersions version asked answers UNSUPPORTED_VERSION in a v0 body.
        const version = pending.apiKey === ApiKey.ApiVersions && frame.length >= 6 && ((frame[4]! << 8) | frame[5]!) === KafkaCode.UNSUPPORTED_VERSION ? 0 : pending.version;
        const decoded = decodeResponse(pending.apiKey, version, frame);
        if (decoded.correlationId !== pending.correlationId) {
          throw new TributaryError('ERR_CORRELATION_MISMATCH', `Expected correlation id ${pending.correlationId}, got ${decoded.correlationId}`);
        }
        body = decoded.body;
      } catch (error) {
        pending.reject(error);
        this.#fail(closedError(this.#address, `undecodable ${apiName(pending.apiKey)} response`, error));
        return;
      }
      pending.resolve(body);
    }
  }

  #sweep(): void {
    const first = this.#pending[this.#head];
    if (!first) return;
    const now = Date.now();
    for (let i = this.#head; i < this.#pending.length; i++) {
      const p = this.#pending[i]!;
      if (p.deadline <= now) {
        const error = new TributaryError('ERR_REQUEST_TIMEOUT', `${apiName(p.apiKey)} to ${this.#address.host}:${this.#address.port} got no answer in time`, {
          retriable: true,
          details: { apiKey: p.apiKey, nodeId: this.#address.nodeId },
        });
        // Responses are ordered: once one is given up, the rest of the stream is unusable.
        this.#fail(error);
        return;
      }
    }
  }

  #fail(error: TributaryError): void {
    if (!this.#connected && this.#head >= this.#pending.length) return;
    this.#connected = false;
    clearInterval(this.#sweeper);
    const pending = this.#pending;
    const head = this.#head;
    this.#pending = [];
    this.#head = 0;
    const backlog = this.#backlog;
    this.#backlog = [];
    for (const b of backlog) b.done(error);
    for (let i = head; i < pending.length; i++) {
      const p = pending[i]!;
      // The timed-out request gets the timeout; those behind it the closed-connection error.
      p.reject(error.code === 'ERR_REQUEST_TIMEOUT' && i !== head && p.deadline > Date.now() ? closedError(this.#address, 'an earlier request timed out') : error);
    }
    this.#socket.destroy();
  }

  close(): Promise<void> {
    if (!this.#connected) return Promise.resolve();
    return new Promise((resolve) => {
      this.#socket.once('close', () => resolve());
      this.#fail(closedError(this.#address, 'closed by the client'));
    });
  }

  /** Sends ApiVersions (v3, then v0 if the broker refuses) and keeps the ranges. */
  async negotiate(): Promise<void> {
    let body = await this.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 'tributary', clientSoftwareVersion: CLIENT_SOFTWARE_VERSION });
    if (body.errorCode === KafkaCode.UNSUPPORTED_VERSION) body = await this.request(ApiKey.ApiVersions, 0, {});
    if (body.errorCode !== KafkaCode.NONE) throw kafkaError(body.errorCode, 'ApiVersions failed');
    this.apiVersions = Object.freeze(body.apiKeys.map((r) => Object.freeze({ apiKey: r.apiKey, minVersion: r.minVersion, maxVersion: r.maxVersion })));
  }
}

/**
 * The TCP transport factory: opens a socket, negotiates API versions, and resolves the
 * connection. Connect failures are retriable `ERR_CONNECT_FAILED`.
 */
export function tcpTransport(transportOptions: TcpTransportOptions = {}): TransportFactory {
  const maxResponseSize = transportOptions.maxResponseSize ?? 256 * 1024 * 1024;
  const keepAliveMs = transportOptions.keepAliveMs ?? 60_000;
  return async (address: BrokerAddress, options: TransportOptions): Promise<Transport> => {
    const ssl = options.ssl === true ? {} : options.ssl === false ? undefined : options.ssl;
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s: Socket = ssl === undefined
        ? connect({ host: address.host, port: address.port, noDelay: true })
        : tlsConnect({
            host: address.host,
            port: address.port,
            // SNI takes host names only; an IP address is checked against the certificate's IP entries.
            ...(ssl.servername !== undefined ? { servername: ssl.servername } : isIP(address.host) === 0 ? { servername: address.host } : {}),
            ...(ssl.ca !== undefined ? { ca: ssl.ca as string | string[] } : {}),
            ...(ssl.cert !== undefined ? { cert: ssl.cert as string } : {}),
            ...(ssl.key !== undefined ? { key: ssl.key as string } : {}),
            ...(ssl.passphrase !== undefined ? { passphrase: ssl.passphrase } : {}),
            rejectUnauthorized: ssl.rejectUnauthorized ?? true,
          });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new TributaryError('ERR_CONNECT_FAILED', `Connecting to ${address.host}:${address.port} timed out`, { retriable: true }));
      }, options.connectTimeoutMs);
      s.once(ssl === undefined ? 'connect' : 'secureConnect', () => {
        clearTimeout(timer);
        s.off('error', onError);
        resolve(s);
      });
      const onError = (error: Error) => {
        clearTimeout(timer);
        // A certificate the client does not trust will not change by retrying: not retriable.
        const tlsProblem = ssl !== undefined && /certificate|self.signed|altname|SSL|TLS|handshake/i.test(`${(error as { code?: string }).code ?? ''} ${error.message}`);
        reject(new TributaryError(tlsProblem ? 'ERR_TLS' : 'ERR_CONNECT_FAILED', `Cannot connect to ${address.host}:${address.port}${tlsProblem ? ' over TLS' : ''}: ${error.message}`, { retriable: !tlsProblem, cause: error }));
      };
      s.once('error', onError);
    });
    socket.setNoDelay(true);
    if (keepAliveMs > 0) socket.setKeepAlive(true, keepAliveMs);
    const connection = new TcpConnection(socket, address, options, maxResponseSize);
    try {
      await connection.negotiate();
      if (options.sasl !== undefined) await saslAuthenticate(connection, options.sasl);
    } catch (error) {
      await connection.close();
      throw error;
    }
    options.logger.debug('connected', { host: address.host, port: address.port, nodeId: address.nodeId });
    return connection;
  };
}
