/**
 * The in-process transport: the client calls an embedded broker's handlers directly —
 * no socket and no request/response envelope. Produce hands its record batch bytes to
 * the broker as they are (the broker stamps offsets into them and stores them), and a
 * Fetch answer's stored chunks reach the consumer by reference, decoded in place.
 *
 * Other APIs (metadata, admin) pass their bodies through the protocol codec once, so
 * the client sees exactly the defaults and version cuts it would see over TCP; they are
 * rare and small, while Produce and Fetch — the hot path — skip it.
 *
 * Each connection runs a {@link BrokerSession}, the rules a TCP connection runs: answers
 * in request order, no answer for acks=0, the connection closed by a failed handler.
 */
import type { Logger } from '../contracts/logger.ts';
import { BrokerSession, type SessionBroker } from '../broker/session.ts';
import { TributaryError } from '../errors.ts';
import { KafkaCode } from '../kafka-error-codes.ts';
import { ApiKey } from '../protocol/api-keys.ts';
import type { ApiRequestInput } from '../protocol/api-messages.ts';
import { compilePlan, readStruct, writeStruct } from '../protocol/codec.ts';
import { Reader } from '../protocol/reader.ts';
import { SCHEMAS } from '../protocol/generated/index.ts';
import type { ApiVersionRange } from '../protocol/version-policy.ts';
import { Writer, concat } from '../protocol/writer.ts';
import type { BrokerAddress, RequestOptions, ResponseOf, Transport, TransportFactory, TransportOptions } from './transport.ts';

/** Passes a body through the codec for one version and side (fills defaults, drops fields the version lacks). */
function roundTrip(apiKey: number, version: number, side: 'request' | 'response', body: object): Record<string, unknown> {
  const schema = SCHEMAS.get(apiKey);
  if (!schema) throw new TributaryError('ERR_UNKNOWN_API', `No schema for API key ${apiKey}`);
  const flexible = schema.flexibleFrom !== null && version >= schema.flexibleFrom;
  const plan = compilePlan(schema[side], version, flexible);
  const w = new Writer(256);
  writeStruct(w, plan, body as Record<string, unknown>);
  return readStruct(new Reader(concat(w.finish())), plan);
}

function closed(): TributaryError {
  return new TributaryError('ERR_CONNECTION_CLOSED', 'The in-process connection is closed', { retriable: true });
}

/**
 * What the in-process transport reaches: a Broker, or any other request target — the
 * controller listener's ControllerServer (in-process clusters reach their controller so).
 */
export interface InProcessTarget extends SessionBroker {
  /** False before start and once shutdown began: connections fail, as a refused socket would. */
  readonly running: boolean;
  readonly logger: Logger;
}

/** One "connection" to an embedded broker, under the same session rules as a TCP connection. */
class InProcessConnection implements Transport {
  readonly apiVersions: readonly ApiVersionRange[];
  readonly #broker: InProcessTarget;
  readonly #clientId: string;
  readonly #timeoutMs: number;
  readonly #session: BrokerSession;
  #connected = true;
  #correlationId = 0;

  constructor(broker: InProcessTarget, clientId: string, timeoutMs: number, principal?: string) {
    this.#broker = broker;
    this.#clientId = clientId;
    this.#timeoutMs = timeoutMs;
    this.apiVersions = broker.apiVersions();
    // The session closes this "connection" where the server would close a socket: a failed
    // handler (an acks=0 produce that failed included), an unsupported request, a timeout.
    this.#session = new BrokerSession(broker, {
      write: () => {},
      close: () => {
        this.#connected = false;
      },
    }, { logger: broker.logger, ...(principal !== undefined ? { principal } : {}) });
  }

  get connected(): boolean {
    return this.#connected && this.#broker.running;
  }

  async request<K extends ApiKey, O extends RequestOptions | undefined = undefined>(apiKey: K, apiVersion: number, body: ApiRequestInput<K>, options?: O): Promise<ResponseOf<K, O>> {
    if (!this.connected) throw closed();
    const hot = apiKey === ApiKey.Produce || apiKey === ApiKey.Fetch;
    const header = { apiKey, apiVersion, correlationId: ++this.#correlationId, clientId: this.#clientId };
    const request = hot ? body : roundTrip(apiKey, apiVersion, 'request', body);
    const handled = this.#session.request(header, request);
    if (options?.expectResponse === false) {
      // As over TCP, a request without a response (acks=0) has succeeded once handed over:
      // a failure closes the connection and is never the caller's to retry — retrying would
      // append what the broker already appended (the partitions that did not fail).
      await handled.catch(() => null);
      return null as ResponseOf<K, O>;
    }
    let response;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      // Same contract as over TCP: a handler that does not answer in time fails the request (retriable).
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new TributaryError('ERR_REQUEST_TIMEOUT', `API ${apiKey} got no answer in time`, { retriable: true, details: { apiKey } })), this.#timeoutMs + (options?.extraTimeoutMs ?? 0));
      });
      response = await Promise.race([handled, timeout]);
    } catch (error) {
      if (error instanceof TributaryError && error.code === 'ERR_REQUEST_TIMEOUT') {
        // Over TCP a timeout breaks the connection: what is queued behind it could only answer late.
        this.#session.close(`API ${apiKey} timed out`, 'debug');
        handled.catch(() => undefined);
        throw error;
      }
      // A handler failure closes the connection (the session did); the caller gets it, retriable as a closed connection.
      if (error instanceof TributaryError && (error.kafkaCode !== undefined || error.code === 'ERR_CONNECTION_CLOSED')) throw error;
      throw new TributaryError('ERR_CONNECTION_CLOSED', 'The broker failed the request', { retriable: true, cause: error });
    } finally {
      clearTimeout(timer);
    }
    // The broker's handlers answer the shape of ApiResponse<K> (they are typed by the same map).
    if (response === null) return null as ResponseOf<K, O>;
    // An ApiVersions version we do not speak is answered with a v0 body, as on the wire.
    if (apiKey === ApiKey.ApiVersions && (response as { errorCode?: number }).errorCode === KafkaCode.UNSUPPORTED_VERSION) return roundTrip(apiKey, 0, 'response', response) as unknown as ResponseOf<K, O>;
    return (hot ? response : roundTrip(apiKey, apiVersion, 'response', response)) as unknown as ResponseOf<K, O>;
  }

  async close(): Promise<void> {
    this.#connected = false;
    this.#session.close('closed by the client', 'debug');
  }
}

/** Options of {@link inProcessTransport}. */
export interface InProcessTransportOptions {
  /**
   * The principal every request of these connections carries (`User:alice`), as an
   * authenticated connection's would; absent: User:ANONYMOUS. An embedded program's
   * clients are trusted code, so the program names who they act as.
   */
  readonly principal?: string;
}

/**
 * A transport factory that reaches `broker` in this process, whatever address the
 * client asks for (the broker is a cluster of one). Any {@link InProcessTarget} serves:
 * a ControllerServer gives a broker's controller channel an in-process controller.
 */
export function inProcessTransport(broker: InProcessTarget, options: InProcessTransportOptions = {}): TransportFactory {
  const principal = options.principal;
  return async (_address: BrokerAddress, transportOptions: TransportOptions): Promise<Transport> => {
    if (!broker.running) throw new TributaryError('ERR_CONNECT_FAILED', 'The embedded broker is not running', { retriable: true });
    return new InProcessConnection(broker, transportOptions.clientId, transportOptions.requestTimeoutMs, principal);
  };
}
