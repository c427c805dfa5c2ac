/**
 * The Transport extension point of the client: one connection to one broker that sends
 * a request (API key, version, body) and resolves the decoded response body.
 *
 * Two implementations exist: TCP (adapters/transport, the Kafka wire protocol over
 * node:net) and in-process (in-process-transport.ts, the broker's handlers called
 * directly). The client above never knows which one it talks to.
 */
import type { Logger } from '../contracts/logger.ts';
import type { ApiKey } from '../protocol/api-keys.ts';
import type { ApiRequestInput, ApiResponse } from '../protocol/api-messages.ts';
import type { ApiVersionRange } from '../protocol/version-policy.ts';
import type { SaslOptions } from './sasl-authenticate.ts';

/** TLS settings of a client (kafkajs' `ssl`): PEM strings or bytes. */
export interface TlsOptions {
  /** CA certificates to trust instead of the system's. */
  readonly ca?: string | Uint8Array | ReadonlyArray<string | Uint8Array>;
  /** A client certificate (mTLS), PEM. */
  readonly cert?: string | Uint8Array;
  /** Its private key, PEM. */
  readonly key?: string | Uint8Array;
  /** Passphrase of an encrypted key. */
  readonly passphrase?: string;
  /** Check the broker's certificate. Default true. */
  readonly rejectUnauthorized?: boolean;
  /** Name checked against the broker's certificate (SNI). Default: the host connected to. */
  readonly servername?: string;
}

/** Where a transport connects: a broker's advertised address and, once known, its id. */
export interface BrokerAddress {
  readonly host: string;
  readonly port: number;
  /** Node id from Metadata; undefined for a bootstrap address. */
  readonly nodeId?: number;
}

/** Settings a transport factory receives from the client. */
export interface TransportOptions {
  /** Sent in every request header. */
  readonly clientId: string;
  /** A request that gets no answer within this long fails with `ERR_REQUEST_TIMEOUT`. */
  readonly requestTimeoutMs: number;
  /** Connecting fails with `ERR_CONNECT_FAILED` after this long. */
  readonly connectTimeoutMs: number;
  readonly logger: Logger;
  /** Connect over TLS (SSL, SASL_SSL listeners): true for the system's CAs, or settings. */
  readonly ssl?: boolean | TlsOptions;
  /** Authenticate each connection with SASL (SASL_PLAINTEXT, SASL_SSL listeners). */
  readonly sasl?: SaslOptions;
}

/** Per-request settings. */
export interface RequestOptions {
  /**
   * False for requests the broker never answers (Produce with acks=0): the promise
   * resolves with null once the request is handed to the connection.
   */
  readonly expectResponse?: boolean;
  /**
   * Extra time allowed on top of the request timeout (a long-poll Fetch waits up to its
   * maxWaitMs on the broker before it answers).
   */
  readonly extraTimeoutMs?: number;
}

/**
 * What a request of API `K` with options `O` resolves to: the decoded response, or null
 * when `O` says no response is expected (Produce with acks=0) — both when that is only
 * known at run time.
 */
export type ResponseOf<K extends ApiKey, O extends RequestOptions | undefined> =
  [ExpectResponse<O>] extends [true | undefined] ? ApiResponse<K>
    : [ExpectResponse<O>] extends [false] ? null
      : ApiResponse<K> | null;

/** The type of `expectResponse` in options `O` (undefined when absent). */
type ExpectResponse<O> = O extends { readonly expectResponse: infer E } ? E
  : O extends undefined ? undefined
    : 'expectResponse' extends keyof O ? O['expectResponse' & keyof O] : undefined;

/**
 * A connection to one broker. Requests may be pipelined: call `request` again before
 * the previous one settled; responses come back in request order. When the connection
 * dies, every pending request is rejected with a retriable `ERR_CONNECTION_CLOSED`.
 */
export interface Transport {
  /** The version ranges the broker advertised (ApiVersions), known once connected. */
  readonly apiVersions: readonly ApiVersionRange[];
  /** False once the connection is closed or broken; the client then opens a new one. */
  readonly connected: boolean;
  /**
   * Sends one request and resolves its decoded response body (Kafka's JSON field names,
   * first letter lowercased), or null when `expectResponse` is false.
   */
  request<K extends ApiKey, O extends RequestOptions | undefined = undefined>(apiKey: K, apiVersion: number, body: ApiRequestInput<K>, options?: O): Promise<ResponseOf<K, O>>;
  /** Closes the connection; pending requests are rejected with `ERR_CONNECTION_CLOSED`. */
  close(): Promise<void>;
}

/** Opens a connection to a broker (and negotiates API versions before resolving). */
export type TransportFactory = (address: BrokerAddress, options: TransportOptions) => Promise<Transport>;
