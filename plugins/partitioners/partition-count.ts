/** Input checks shared by the built-in partitioners. */
import { TributaryError } from '../../core/errors.ts';

/**
 * Throws `ERR_INVALID_ARGUMENT` unless `partitionCount` is an integer ≥ 1. A count of
 * 0 or NaN would otherwise turn into a NaN partition far from its cause.
 */
export function checkPartitionCount(partitioner: string, partitionCount: number): void {
  if (!Number.isInteger(partitionCount) || partitionCount < 1) {
    throw new TributaryError('ERR_INVALID_ARGUMENT', `${partitioner}: partitionCount must be an integer ≥ 1, got ${partitionCount}`, {
      details: { partitioner, partitionCount },
    });
  }
}

/** Throws `ERR_INVALID_OPTION` unless `random` is absent or a function. */
export function checkRandomOption(partitioner: string, random: unknown): void {
  if (random !== undefined && typeof random !== 'function') {
    throw new TributaryError('ERR_INVALID_OPTION', `${partitioner}: the random option must be a function returning [0, 1)`, { details: { partitioner } });
  }
}

/**
 * Throws `ERR_INVALID_ARGUMENT` unless `key` is bytes, null or undefined. A string key
 * would otherwise be hashed by its character codes read as bytes (undefined beyond the
 * first), landing on a partition no Kafka client would choose.
 */
export function checkKey(partitioner: string, key: unknown): void {
  if (key === null || key === undefined || key instanceof Uint8Array) return;
  throw new TributaryError('ERR_INVALID_ARGUMENT', `${partitioner}: a key must be a Uint8Array or null, got ${typeof key}`, { details: { partitioner } });
}
