/**
 * The slice of the `level` API the adapter uses, with every key and value a Uint8Array
 * (the `view` encoding). Options are passed on each call, so a database handed in by
 * the caller works whatever its default encodings are.
 */
import type { Level } from 'level';

/** A `level` (or any abstract-level) database; its default encodings do not matter. */
export type LevelDatabase = Level<any, any>;

/** Per-operation encodings: binary keys and values, no conversion. */
export const VIEW = Object.freeze({ keyEncoding: 'view', valueEncoding: 'view' } as const);

/** Returns `bytes` as a plain Uint8Array over the same memory (level hands out Buffers). */
export function plain(bytes: Uint8Array): Uint8Array {
  return bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
