/**
 * Argument checks shared by every storage adapter, so that the same bad call gets the
 * same coded error (`ERR_INVALID_ARGUMENT`) from memory, filesystem and LevelDB alike
 * instead of a TypeError from deep inside one of them, or a silent no-op in another.
 * The conformance suite holds every adapter to them.
 */
import type { BatchInfo, MetadataOp, PartitionLogOptions } from '../contracts/storage.ts';
import { TributaryError } from '../errors.ts';

function invalid(message: string, details?: Record<string, unknown>): TributaryError {
  return new TributaryError('ERR_INVALID_ARGUMENT', message, details ? { details } : {});
}

function isOffset(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/** `batch` must be non-empty bytes and `info` integer offsets with lastOffset ≥ baseOffset. */
export function checkAppendArguments(batch: unknown, info: unknown): asserts info is BatchInfo {
  if (!(batch instanceof Uint8Array) || batch.byteLength === 0) throw invalid('append needs the batch bytes as a non-empty Uint8Array');
  const i = info as Partial<BatchInfo> | null;
  if (
    typeof i !== 'object' ||
    i === null ||
    !isOffset(i.baseOffset) ||
    !isOffset(i.lastOffset) ||
    i.lastOffset < i.baseOffset ||
    !Number.isSafeInteger(i.maxTimestamp) ||
    !isOffset(i.recordCount)
  ) {
    throw invalid('append needs a BatchInfo: integer offsets with lastOffset ≥ baseOffset, an integer maxTimestamp and recordCount', { info });
  }
}

/** An offset argument of `op` (truncateTo, trimBefore): a non-negative safe integer. */
export function checkOffsetArgument(op: string, offset: unknown): asserts offset is number {
  if (!isOffset(offset)) throw invalid(`${op} needs a non-negative integer offset, got ${String(offset)}`, { offset });
}

/** A read budget: a number ≥ 0 (Infinity allowed); NaN would make every comparison false. */
export function checkMaxBytes(maxBytes: unknown): asserts maxBytes is number {
  if (typeof maxBytes !== 'number' || !(maxBytes >= 0)) throw invalid(`read needs maxBytes ≥ 0, got ${String(maxBytes)}`, { maxBytes });
}

/** A timestamp to search for: a number that is not NaN. */
export function checkTimestampArgument(timestamp: unknown): asserts timestamp is number {
  if (typeof timestamp !== 'number' || Number.isNaN(timestamp)) throw invalid(`offsetForTimestamp needs a number, got ${String(timestamp)}`, { timestamp });
}

/** Per-partition options: segment size and age, when given, are positive numbers. */
export function checkPartitionLogOptions(options: PartitionLogOptions | undefined): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null) throw invalid('partition options must be an object');
  for (const name of ['segmentBytes', 'segmentMs'] as const) {
    const value = options[name];
    if (value !== undefined && (typeof value !== 'number' || !(value > 0))) throw invalid(`${name} must be a positive number, got ${String(value)}`, { [name]: value });
  }
}

/** A metadata key (or list prefix): a string. */
export function checkMetadataKey(key: unknown): asserts key is string {
  if (typeof key !== 'string') throw invalid(`A metadata key must be a string, got ${typeof key}`);
}

/** A metadata value: bytes. */
export function checkMetadataValue(value: unknown, key: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw invalid(`The metadata value of "${key}" must be a Uint8Array`);
}

/** Every operation of an atomic metadata write, checked before any is applied. */
export function checkMetadataOps(ops: unknown): asserts ops is readonly MetadataOp[] {
  if (!Array.isArray(ops)) throw invalid('A metadata write takes an array of operations');
  for (const op of ops as Array<Partial<MetadataOp> | null>) {
    if (!op || (op.type !== 'put' && op.type !== 'delete')) throw invalid(`Unknown metadata operation ${JSON.stringify(op?.type)}`);
    checkMetadataKey(op.key);
    if (op.type === 'put') checkMetadataValue((op as { value?: unknown }).value, op.key);
  }
}
