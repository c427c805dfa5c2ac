/**
 * One coded error class for the whole project, and the Kafka error-code table.
 *
 * Tests and callers branch on `code` (a stable string), never on `message`.
 * Errors that mirror a Kafka protocol error carry its numeric `kafkaCode` and use the
 * protocol's name as `code` (for example `UNKNOWN_TOPIC_OR_PARTITION`, 3), so that one
 * class serves the wire, the broker and the clients.
 */
import { kafkaErrorByCode, type KafkaErrorInfo, type KafkaErrorName } from './kafka-error-codes.ts';

export { KAFKA_ERRORS, KafkaCode, kafkaErrorByCode, kafkaErrorByName, type KafkaErrorInfo, type KafkaErrorName } from './kafka-error-codes.ts';

/**
 * Codes of errors that have no Kafka protocol number: usage, configuration, plugins,
 * storage, connections and the client's own states. Add a code here before throwing it.
 */
export type TributaryErrorCode =
  // arguments, options and configuration
  | 'ERR_INVALID_ARGUMENT' | 'ERR_INVALID_OPTION' | 'ERR_INVALID_CONFIG' | 'ERR_INVALID_CONFIG_FILE' | 'ERR_USAGE'
  | 'ERR_BAD_INPUT' | 'ERR_NOT_FOUND'
  // plugins and the registry
  | 'ERR_DUPLICATE_PLUGIN' | 'ERR_INVALID_PLUGIN' | 'ERR_UNKNOWN_PLUGIN' | 'ERR_UNKNOWN_PLUGIN_KIND' | 'ERR_UNKNOWN_CODEC' | 'ERR_MISSING_PACKAGE'
  | 'ERR_COMPRESSION' | 'ERR_DECOMPRESSION' | 'ERR_SERIALIZATION' | 'ERR_DESERIALIZATION'
  // records and batches
  | 'ERR_INVALID_RECORD' | 'ERR_INVALID_BATCH' | 'ERR_COMPRESSED_BATCH'
  // storage
  | 'ERR_STORAGE_CLOSED' | 'ERR_STORAGE_OPEN' | 'ERR_STORAGE_LOCKED' | 'ERR_STORAGE_READ_ONLY' | 'ERR_STORAGE_FULL'
  | 'ERR_OFFSET_ORDER' | 'ERR_METADATA_CORRUPT'
  // the wire protocol and framing
  | 'ERR_UNKNOWN_API' | 'ERR_UNSUPPORTED_API' | 'ERR_INVALID_SCHEMA' | 'ERR_INVALID_FIELD' | 'ERR_MALFORMED_REQUEST'
  | 'ERR_MALFORMED_RESPONSE' | 'ERR_MALFORMED_CONSUMER_PROTOCOL' | 'ERR_FRAME_TOO_LARGE' | 'ERR_NEGATIVE_FRAME_SIZE'
  | 'ERR_CORRELATION_MISMATCH' | 'ERR_MISSING_RESPONSE'
  // connections and servers
  | 'ERR_CONNECT_FAILED' | 'ERR_CONNECTION_CLOSED' | 'ERR_REQUEST_TIMEOUT' | 'ERR_NO_BROKERS' | 'ERR_LISTEN' | 'ERR_ADDRESS_IN_USE' | 'ERR_TOO_MANY_CONNECTIONS'
  // security: a malformed SASL exchange, an oversized frame before authentication, a TLS setup or handshake failure
  | 'ERR_SASL' | 'ERR_SASL_FRAME_TOO_LARGE' | 'ERR_TLS'
  // clusters: an address in --controller-quorum that is no controller listener
  | 'ERR_NOT_A_CONTROLLER'
  // lifecycles
  | 'ERR_ALREADY_STARTED' | 'ERR_NOT_STARTED' | 'ERR_CLIENT_CLOSED' | 'ERR_PRODUCER_CLOSED' | 'ERR_CONSUMER_RUNNING'
  // producer and consumer
  | 'ERR_BUFFER_FULL' | 'ERR_DELIVERY_TIMEOUT' | 'ERR_BUFFER_TOO_LARGE' | 'ERR_ACKS0_FAILED' | 'ERR_NO_SUBSCRIPTION' | 'ERR_NOT_ASSIGNED'
  | 'ERR_GROUP_CONSUMER' | 'ERR_INVALID_ASSIGNMENT';

/**
 * Every code a {@link TributaryError} may carry: our own codes, the Kafka protocol's error
 * names (`NOT_LEADER_OR_FOLLOWER`), and `KAFKA_ERROR_<n>` for a Kafka number not in the table.
 */
export type ErrorCode = TributaryErrorCode | KafkaErrorName | `KAFKA_ERROR_${number}`;

/** Options accepted by {@link TributaryError}. */
export interface TributaryErrorOptions {
  /** Whether repeating the operation may succeed (Kafka's "retriable"). */
  retriable?: boolean;
  /** The underlying error, if any. */
  cause?: unknown;
  /** The Kafka protocol error number this error corresponds to, if any. */
  kafkaCode?: number;
  /** Extra structured detail (offsets, names, sizes) for logs and callers. */
  details?: Record<string, unknown>;
}

/** The project's single error type: a stable `code`, `retriable`, an optional `cause`. */
export class TributaryError extends Error {
  /** Stable, machine-readable code such as `ERR_DUPLICATE_PLUGIN` or `CORRUPT_MESSAGE`. */
  readonly code: ErrorCode;
  /** Whether repeating the operation may succeed. */
  readonly retriable: boolean;
  /** Kafka protocol error number, when this error has one. */
  readonly kafkaCode: number | undefined;
  /** Extra structured detail. */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: TributaryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TributaryError';
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.kafkaCode = options.kafkaCode;
    this.details = options.details;
  }
}

/**
 * Builds the error for a Kafka protocol error number: `code` is the protocol's name,
 * `retriable` is what the protocol says.
 */
export function kafkaError(kafkaCode: number, message?: string, options: Omit<TributaryErrorOptions, 'kafkaCode' | 'retriable'> = {}): TributaryError {
  const info: KafkaErrorInfo | undefined = kafkaErrorByCode(kafkaCode);
  const name: ErrorCode = info?.name ?? `KAFKA_ERROR_${kafkaCode}`;
  return new TributaryError(name, message ?? info?.message ?? name, {
    ...options,
    kafkaCode,
    retriable: info?.retriable ?? false,
  });
}

/** True when `error` is a {@link TributaryError} with the given code. */
export function isErrorCode(error: unknown, code: ErrorCode): error is TributaryError {
  return error instanceof TributaryError && error.code === code;
}
