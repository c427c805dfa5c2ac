/**
 * The Snappy compressor (Kafka codec 2).
 *
 * Kafka's Java client writes Snappy through xerial's `SnappyOutputStream`: a 16-byte
 * header (0x82 "SNAPPY" 0x00, int32 version 1, int32 compatible version 1) followed by
 * chunks of [int32 big-endian length][raw Snappy block], each block covering at most
 * 32 KiB of input. librdkafka writes the same framing but reads either that or one bare
 * raw block, so `decompress` accepts both and tells them apart by the magic header.
 */
import type { Compressor } from '../../core/contracts/compressor.ts';
import { compressionError, decompressionError, type DecompressionLimits, maxOutput, requireBytes } from './codec-errors.ts';
import { snappyCompressInto, snappyDecompressBlock, snappyDecompressInto, snappyMaxCompressedLength, snappyUncompressedLength } from './snappy-block.ts';

/** Options of {@link snappy}. */
export interface SnappyOptions extends DecompressionLimits {
  /**
   * `'xerial'` (default) writes the framing the Java client writes; `'raw'` writes one
   * bare block (readable by librdkafka and by our decoder, but not by the Java client).
   */
  framing?: 'xerial' | 'raw';
  /** Input bytes per xerial chunk (default 32 KiB, xerial's default block size). */
  chunkSize?: number;
}

/** The xerial stream header: magic (8 bytes), version 1, compatible version 1. */
const XERIAL_HEADER = Uint8Array.of(0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1);
const XERIAL_MAGIC_LENGTH = 8;
const XERIAL_HEADER_LENGTH = 16;
const DEFAULT_CHUNK = 32 * 1024;

/** True when `data` at `at` starts with xerial's 8-byte magic. */
export function hasXerialMagic(data: Uint8Array, at = 0): boolean {
  if (data.length - at < XERIAL_MAGIC_LENGTH) return false;
  for (let i = 0; i < XERIAL_MAGIC_LENGTH; i++) if (data[at + i] !== XERIAL_HEADER[i]) return false;
  return true;
}

/** Wraps raw Snappy compression of `data` in xerial framing, `chunkSize` input bytes per chunk. */
export function snappyXerialCompress(data: Uint8Array, chunkSize = DEFAULT_CHUNK): Uint8Array {
  const chunks = Math.ceil(data.length / chunkSize);
  const out = new Uint8Array(XERIAL_HEADER_LENGTH + chunks * 4 + snappyMaxCompressedLength(chunkSize) * chunks);
  out.set(XERIAL_HEADER, 0);
  const view = new DataView(out.buffer);
  const table = new Uint16Array(1 << 14);
  let op = XERIAL_HEADER_LENGTH;
  for (let at = 0; at < data.length; at += chunkSize) {
    const end = snappyCompressInto(data.subarray(at, Math.min(at + chunkSize, data.length)), out, op + 4, table);
    view.setInt32(op, end - op - 4);
    op = end;
  }
  return out.slice(0, op);
}

/** Reads a xerial-framed stream (several concatenated streams are allowed, as xerial allows). */
export function snappyXerialDecompress(data: Uint8Array, max: number): Uint8Array {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  // First pass: validate the framing and add up the declared lengths, so that the output
  // is allocated once and only after every length has been checked against `max`.
  const blocks: { start: number; end: number; dataStart: number; length: number }[] = [];
  let total = 0;
  let ip = 0;
  while (ip < data.length) {
    if (hasXerialMagic(data, ip)) {
      if (data.length - ip < XERIAL_HEADER_LENGTH) throw decompressionError('snappy', 'truncated xerial header');
      ip += XERIAL_HEADER_LENGTH;
      continue;
    }
    if (data.length - ip < 4) throw decompressionError('snappy', 'truncated xerial chunk length');
    const size = view.getInt32(ip);
    ip += 4;
    if (size < 0 || size > data.length - ip) throw decompressionError('snappy', `xerial chunk length ${size} out of range`);
    if (size === 0) continue;
    const { length, dataStart } = snappyUncompressedLength(data, ip, ip + size, max - total);
    blocks.push({ start: ip, end: ip + size, dataStart, length });
    total += length;
    ip += size;
  }
  const out = new Uint8Array(total);
  let op = 0;
  for (const b of blocks) {
    snappyDecompressInto(data, b.dataStart, b.end, out, op, b.length);
    op += b.length;
  }
  return out;
}

/** Creates the Snappy compressor: xerial framing out, xerial or raw in. */
export function snappy(options: SnappyOptions = {}): Compressor {
  const max = maxOutput('snappy', options);
  const framing = options.framing ?? 'xerial';
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK;
  if (framing !== 'xerial' && framing !== 'raw') throw compressionError('snappy', `unknown framing ${String(framing)}`);
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1 || chunkSize > 0x7fffffff / 2) {
    throw compressionError('snappy', `chunkSize must be a positive integer, got ${chunkSize}`);
  }
  return {
    name: 'snappy',
    codec: 2,
    async compress(data) {
      requireBytes('snappy', data, 'compress');
      if (framing === 'raw') {
        const out = new Uint8Array(snappyMaxCompressedLength(data.length));
        return out.slice(0, snappyCompressInto(data, out, 0));
      }
      return snappyXerialCompress(data, chunkSize);
    },
    async decompress(data) {
      requireBytes('snappy', data, 'decompress');
      if (hasXerialMagic(data)) return snappyXerialDecompress(data, max);
      return snappyDecompressBlock(data, max);
    },
  };
}
