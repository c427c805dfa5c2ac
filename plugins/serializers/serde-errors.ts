/** Coded errors shared by the built-in serializers. */
import { TributaryError } from '../../core/errors.ts';

/**
 * An `ERR_SERIALIZATION` error naming the serializer. A `TributaryError` passed as the
 * cause is returned unchanged, so an inner coded error is not wrapped twice.
 */
export function serializationError(serializer: string, message: string, cause?: unknown): TributaryError {
  if (cause instanceof TributaryError && cause.code === 'ERR_SERIALIZATION') return cause;
  return new TributaryError('ERR_SERIALIZATION', `${serializer}: ${message}`, { cause, details: { serializer } });
}

/** An `ERR_DESERIALIZATION` error naming the serializer (a coded cause is kept as is). */
export function deserializationError(serializer: string, message: string, cause?: unknown): TributaryError {
  if (cause instanceof TributaryError && cause.code === 'ERR_DESERIALIZATION') return cause;
  return new TributaryError('ERR_DESERIALIZATION', `${serializer}: ${message}`, { cause, details: { serializer } });
}

/** An `ERR_INVALID_OPTION` error for a factory given options it cannot use. */
export function optionError(serializer: string, message: string): TributaryError {
  return new TributaryError('ERR_INVALID_OPTION', `${serializer}: ${message}`, { details: { serializer } });
}

/** The message of an unknown thrown value, for error texts. */
export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
