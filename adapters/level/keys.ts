/**
 * The key layout of the LevelDB storage adapter. Every key is binary (a Uint8Array) and
 * LevelDB orders keys bytewise, so the layout is chosen for what has to be scanned:
 *
 * ```
 * data     'd' | topicLength u16 BE | topic UTF-8 | partition u32 BE | baseOffset u64 BE  → batch bytes as received
 * index    'i' | topicLength u16 BE | topic UTF-8 | partition u32 BE | baseOffset u64 BE  → BatchIndexEntry (24 bytes)
 * registry 'p' | topicLength u16 BE | topic UTF-8 | partition u32 BE                      → PartitionBounds (16 bytes)
 * metadata 'm' | key UTF-8                                                                → metadata value
 * marker   's'                                                                            → sync marker (empty)
 * ```
 *
 * Why this shape:
 * - The kind byte comes first so that a partition's data keys are contiguous and hold
 *   nothing else: a read is one forward seek plus `next` calls over batch bytes only,
 *   and opening a partition scans its small index entries without touching the data.
 * - The topic is length-prefixed rather than separator-terminated, so no topic name
 *   (whatever bytes it holds) can make one partition's range overlap another's.
 * - Offsets are fixed-width big-endian, so bytewise order is numeric order (offsets are
 *   non-negative and below 2^53).
 * - UTF-8 never contains the byte 0xFF, so `prefix + 0xFF` bounds every range from above.
 */
import { TributaryError } from '../../core/errors.ts';

/** The first byte of each key family. */
export const KeyKind = Object.freeze({
  data: 0x64, // 'd'
  index: 0x69, // 'i'
  partition: 0x70, // 'p'
  metadata: 0x6d, // 'm'
  marker: 0x73, // 's'
} as const);

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** The key of the sync marker, rewritten with `sync: true` to flush LevelDB's log. */
export const SYNC_MARKER_KEY: Uint8Array = Uint8Array.of(KeyKind.marker);

/**
 * `kind | topicLength | topic | partition`: the prefix shared by every key of one
 * partition in one family. Throws `ERR_INVALID_ARGUMENT` for a topic whose UTF-8 form
 * exceeds 65,535 bytes or a partition that is not a 32-bit non-negative integer.
 */
export function partitionPrefix(kind: number, topic: string, partition: number): Uint8Array {
  const name = encoder.encode(topic);
  if (name.length === 0 || name.length > 0xffff) {
    throw new TributaryError('ERR_INVALID_ARGUMENT', `topic name must be 1..65535 UTF-8 bytes, got ${name.length}`);
  }
  if (!Number.isInteger(partition) || partition < 0 || partition > 0x7fffffff) {
    throw new TributaryError('ERR_INVALID_ARGUMENT', `partition must be an integer in 0..2^31-1, got ${partition}`);
  }
  const key = new Uint8Array(1 + 2 + name.length + 4);
  const dv = new DataView(key.buffer);
  key[0] = kind;
  dv.setUint16(1, name.length);
  key.set(name, 3);
  dv.setUint32(3 + name.length, partition);
  return key;
}

/** `prefix | offset u64 BE`. */
export function offsetKey(prefix: Uint8Array, offset: number): Uint8Array {
  const key = new Uint8Array(prefix.length + 8);
  key.set(prefix, 0);
  const dv = new DataView(key.buffer);
  dv.setUint32(prefix.length, Math.floor(offset / 4294967296));
  dv.setUint32(prefix.length + 4, offset >>> 0);
  return key;
}

/** The offset stored in the last 8 bytes of a data or index key. */
export function offsetOfKey(key: Uint8Array): number {
  const dv = new DataView(key.buffer, key.byteOffset, key.byteLength);
  return dv.getUint32(key.length - 8) * 4294967296 + dv.getUint32(key.length - 4);
}

/** An exclusive upper bound for every key that starts with `prefix`. */
export function prefixEnd(prefix: Uint8Array): Uint8Array {
  const end = new Uint8Array(prefix.length + 1);
  end.set(prefix, 0);
  end[prefix.length] = 0xff;
  return end;
}

/** Decodes a registry key back into its topic and partition. */
export function decodePartitionKey(key: Uint8Array): { topic: string; partition: number } {
  const dv = new DataView(key.buffer, key.byteOffset, key.byteLength);
  const length = dv.getUint16(1);
  return { topic: decoder.decode(key.subarray(3, 3 + length)), partition: dv.getUint32(3 + length) };
}

/** `'m' | key UTF-8`. */
export function metadataKey(key: string): Uint8Array {
  const name = encoder.encode(key);
  const out = new Uint8Array(name.length + 1);
  out[0] = KeyKind.metadata;
  out.set(name, 1);
  return out;
}

/** The metadata key (a string) held in a stored metadata key. */
export function decodeMetadataKey(key: Uint8Array): string {
  return decoder.decode(key.subarray(1));
}

/** What the index family stores per batch (written in the same atomic write as the batch). */
export interface BatchIndexEntry {
  lastOffset: number;
  maxTimestamp: number;
  recordCount: number;
  sizeBytes: number;
}

/** Size of an encoded {@link BatchIndexEntry}. */
export const INDEX_ENTRY_SIZE = 24;

/** Encodes an index entry: lastOffset f64 | maxTimestamp f64 | recordCount u32 | size u32. */
export function encodeIndexEntry(entry: BatchIndexEntry): Uint8Array {
  const out = new Uint8Array(INDEX_ENTRY_SIZE);
  const dv = new DataView(out.buffer);
  // Float64 holds every integer up to 2^53 exactly, and -1 for an unknown timestamp.
  dv.setFloat64(0, entry.lastOffset);
  dv.setFloat64(8, entry.maxTimestamp);
  dv.setUint32(16, entry.recordCount >>> 0);
  dv.setUint32(20, entry.sizeBytes >>> 0);
  return out;
}

/** Decodes an index entry, or returns undefined when it is not 24 bytes. */
export function decodeIndexEntry(bytes: Uint8Array): BatchIndexEntry | undefined {
  if (bytes.length !== INDEX_ENTRY_SIZE) return undefined;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { lastOffset: dv.getFloat64(0), maxTimestamp: dv.getFloat64(8), recordCount: dv.getUint32(16), sizeBytes: dv.getUint32(20) };
}

/**
 * The two offsets a partition cannot derive from its batches: the log start offset
 * (moved by retention) and the end offset when truncation or retention left it beyond
 * the last batch. Rewritten in the same atomic write as the deletion that moves them.
 */
export interface PartitionBounds {
  startOffset: number;
  endFloor: number;
}

/** Encodes partition bounds: startOffset f64 | endFloor f64. */
export function encodeBounds(bounds: PartitionBounds): Uint8Array {
  const out = new Uint8Array(16);
  const dv = new DataView(out.buffer);
  dv.setFloat64(0, bounds.startOffset);
  dv.setFloat64(8, bounds.endFloor);
  return out;
}

/** Decodes partition bounds, or returns undefined when the value is not 16 bytes. */
export function decodeBounds(bytes: Uint8Array): PartitionBounds | undefined {
  if (bytes.length !== 16) return undefined;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { startOffset: dv.getFloat64(0), endFloor: dv.getFloat64(8) };
}
