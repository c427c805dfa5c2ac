/**
 * The batches the crash test writes, shared by the child that appends them and the
 * parent that checks them: size and record count vary with the base offset, contents
 * too, so that every acknowledged batch can be rebuilt byte for byte.
 */
import type { BatchInfo } from '../../core/contracts/storage.ts';
import { makeBatch } from './filesystem-fixtures.ts';

/** Topic and partition the crash test uses. */
export const CRASH_TOPIC = 'crash';
export const CRASH_PARTITION = 0;
/** Small segments and index interval, so that crashes hit rolls and index writes too. */
export const CRASH_STORAGE_OPTIONS = { segmentBytes: 48 * 1024, indexIntervalBytes: 1024 } as const;

/** The batch the child appends at `baseOffset`. */
export function crashBatch(baseOffset: number): { bytes: Uint8Array; info: BatchInfo } {
  const count = 1 + (baseOffset % 7);
  const valueBytes = 20 + ((baseOffset * 37) % 900);
  return makeBatch({ baseOffset, count, valueBytes, timestamp: 1_700_000_000_000 + baseOffset });
}
