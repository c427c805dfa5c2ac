/**
 * Turns operating-system errors from node:fs into coded TributaryErrors, so that a full
 * disk or a read-only directory reaches the broker as a clear code instead of a crash.
 */
import { TributaryError } from '../../core/errors.ts';

/** Kafka's KAFKA_STORAGE_ERROR: what the broker answers for any of these on the wire. */
const KAFKA_STORAGE_ERROR = 56;

/** The errno code of a node:fs error (`ENOENT`, `ENOSPC`, …), or undefined. */
export function errnoOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Wraps an fs error in a TributaryError: `ERR_STORAGE_FULL` for ENOSPC/EDQUOT,
 * `ERR_STORAGE_READ_ONLY` for EROFS/EACCES/EPERM, `KAFKA_STORAGE_ERROR` otherwise; all
 * carry Kafka code 56 and the original error as `cause`. TributaryErrors pass through.
 */
export function storageError(error: unknown, operation: string, path: string): TributaryError {
  if (error instanceof TributaryError) return error;
  const errno = errnoOf(error);
  const details = { operation, path, errno };
  if (errno === 'ENOSPC' || errno === 'EDQUOT') {
    return new TributaryError('ERR_STORAGE_FULL', `No space left on the device while trying to ${operation} ${path}`, { cause: error, kafkaCode: KAFKA_STORAGE_ERROR, retriable: true, details });
  }
  if (errno === 'EROFS' || errno === 'EACCES' || errno === 'EPERM') {
    return new TributaryError('ERR_STORAGE_READ_ONLY', `Storage is read-only or not permitted (${errno}) while trying to ${operation} ${path}`, { cause: error, kafkaCode: KAFKA_STORAGE_ERROR, retriable: false, details });
  }
  return new TributaryError('KAFKA_STORAGE_ERROR', `Storage error (${errno ?? 'unknown'}) while trying to ${operation} ${path}`, { cause: error, kafkaCode: KAFKA_STORAGE_ERROR, retriable: true, details });
}
