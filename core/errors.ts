/**
 * One coded error class for the whole project, and the Kafka error-code table.
 *
 * Tests and callers branch on `code` (a stable string), never on `message`.
 * Errors that mirror a Kafka protocol error carry its numeric `kafkaCode` and use the
 * protocol's name as `code` (for example `UNKNOWN_TOPIC_OR_PARTITION`, 3), so that one
 * class serves the wire, the broker and the clients.
 */
import { kafkaErrorByCode, type KafkaErrorInfo } from './kafka-error-codes.ts';

export { KAFKA_ERRORS, kafkaErrorByCode, kafkaErrorByName, type KafkaErrorInfo } from './kafka-error-codes.ts';

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
  readonly code: string;
  /** Whether repeating the operation may succeed. */
  readonly retriable: boolean;
  /** Kafka protocol error number, when this error has one. */
  readonly kafkaCode: number | undefined;
  /** Extra structured detail. */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, message: string, options: TributaryErrorOptions = {}) {
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
  const name = info?.name ?? `KAFKA_ERROR_${kafkaCode}`;
  return new TributaryError(name, message ?? info?.message ?? name, {
    ...options,
    kafkaCode,
    retriable: info?.retriable ?? false,
  });
}

/** True when `error` is a {@link TributaryError} with the given code. */
export function isErrorCode(error: unknown, code: string): error is TributaryError {
  return error instanceof TributaryError && error.code === code;
}
