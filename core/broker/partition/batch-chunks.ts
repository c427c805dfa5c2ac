/**
 * Walking whole RecordBatches across the chunks a storage read returns, without copying:
 * a batch may in principle straddle two chunks, so the 12-byte prefix (base offset and
 * length) is read byte by byte across chunk borders.
 */
import type { ReadResult } from '../../contracts/storage.ts';

function byteAt(chunks: readonly Uint8Array[], index: { chunk: number; pos: number }): number {
  while (index.pos >= chunks[index.chunk]!.length) {
    index.chunk++;
    index.pos = 0;
  }
  return chunks[index.chunk]![index.pos++]!;
}

/** Reads the base offset and total size of the batch starting `at` bytes into the chunks. */
function prefixAt(chunks: readonly Uint8Array[], at: number): { baseOffset: number; size: number } {
  const index = { chunk: 0, pos: at };
  while (index.chunk < chunks.length && index.pos >= chunks[index.chunk]!.length) {
    index.pos -= chunks[index.chunk]!.length;
    index.chunk++;
  }
  let hi = 0;
  for (let i = 0; i < 4; i++) hi = hi * 256 + byteAt(chunks, index);
  let lo = 0;
  for (let i = 0; i < 4; i++) lo = lo * 256 + byteAt(chunks, index);
  let length = 0;
  for (let i = 0; i < 4; i++) length = length * 256 + byteAt(chunks, index);
  if (hi >= 0x80000000) hi -= 0x100000000;
  if (length >= 0x80000000) length -= 0x100000000;
  return { baseOffset: hi * 4294967296 + lo, size: length + 12 };
}

/** The first `bytes` bytes of the chunks, as subarrays. */
export function takeBytes(chunks: readonly Uint8Array[], bytes: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let left = bytes;
  for (const chunk of chunks) {
    if (left <= 0) break;
    if (chunk.length <= left) {
      out.push(chunk);
      left -= chunk.length;
    } else {
      out.push(chunk.subarray(0, left));
      left = 0;
    }
  }
  return out;
}

/**
 * Drops every batch whose base offset is at or beyond `limit` (the high watermark), and
 * anything after it. Returns the read unchanged when nothing needs cutting.
 */
export function cutChunksBefore(result: ReadResult, limit: number): ReadResult {
  let pos = 0;
  while (pos + 12 <= result.bytes) {
    const { baseOffset, size } = prefixAt(result.chunks, pos);
    if (baseOffset >= limit || size < 12) break;
    pos += size;
  }
  if (pos >= result.bytes) return result;
  return { chunks: takeBytes(result.chunks, pos), bytes: pos };
}
