/** Turning thrown errors into the (errorCode, errorMessage) pairs responses carry. */
import { KafkaCode } from '../errors.ts';
import { TributaryError } from '../errors.ts';

/** A Kafka error code and message for a response. */
export interface ErrorPair {
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

/**
 * The Kafka error number and message of `error`: its own `kafkaCode` for coded Kafka
 * errors, UNKNOWN_SERVER_ERROR (-1) for anything else.
 */
export function toErrorPair(error: unknown): ErrorPair {
  if (error instanceof TributaryError && error.kafkaCode !== undefined) return { errorCode: error.kafkaCode, errorMessage: error.message };
  return { errorCode: KafkaCode.UNKNOWN_SERVER_ERROR, errorMessage: error instanceof Error ? error.message : String(error) };
}

/** No error. */
export const NO_ERROR: ErrorPair = Object.freeze({ errorCode: KafkaCode.NONE, errorMessage: null });
