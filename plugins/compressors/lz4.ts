/**
 * The LZ4 compressor (Kafka codec 3): the LZ4 frame format.
 *
 * Compression writes what Kafka's Java client writes (KafkaLZ4BlockOutputStream):
 * frame version 1, independent blocks of at most 64 KiB, no block or content checksum
 * (both optional), and the header checksum computed correctly (RecordBatch v2 never
 * uses the old broken one). Decompression reads any LZ4 frame the `lz4` tool or
 * librdkafka writes: 64 KiB..4 MiB blocks, linked or independent, with or without
 * content size and block/content checksums (all verified), concatenated frames and
 * skippable frames.
 *
 * Why not lz4js: it does not bound-check (corrupt input reads and writes out of range
 * silently and returns garbage), skips every checksum, trusts the declared content size
 * for its allocation, and reads only the first frame; a decoder here must refuse
 * corrupt data with a coded error. The benchmark compares the two.
 */
import type { Compressor } from '../../core/contracts/compressor.ts';
import { compressionError, decompressionError, type DecompressionLimits, maxOutput, requireBytes } from './codec-errors.ts';
import { lz4BlockBound, lz4CompressBlock, lz4DecompressBlock, lz4HashTable } from './lz4-block.ts';
import { xxhash32 } from './xxhash32.ts';

/** Options of {@link lz4}. */
export interface Lz4Options extends DecompressionLimits {
  /** Write a content checksum (xxHash32 of the input) at the end of the frame (default false, as Java). */
  contentChecksum?: boolean;
  /** Write an xxHash32 after every block (default false, as Java). */
  blockChecksum?: boolean;
  /** Write the uncompressed size into the frame header (default false, as Java). */
  contentSize?: boolean;
}

const MAGIC = 0x184d2204;
const BLOCK_SIZES: Record<number, number> = { 4: 64 * 1024, 5: 256 * 1024, 6: 1024 * 1024, 7: 4 * 1024 * 1024 };
const FLG_VERSION = 0x40;
const FLG_INDEPENDENT = 0x20;
const FLG_BLOCK_CHECKSUM = 0x10;
const FLG_CONTENT_SIZE = 0x08;
const FLG_CONTENT_CHECKSUM = 0x04;
const FLG_DICT_ID = 0x01;
const UNCOMPRESSED = 0x80000000;
const WRITE_BLOCK = 64 * 1024;

/** Compresses `data` into one LZ4 frame with the given optional features. */
export function lz4CompressFrame(data: Uint8Array, options: Lz4Options = {}): Uint8Array {
  const blocks = Math.ceil(data.length / WRITE_BLOCK);
  const out = new Uint8Array(19 + blocks * (8 + lz4BlockBound(WRITE_BLOCK)) + 8);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  let flg = FLG_VERSION | FLG_INDEPENDENT;
  if (options.blockChecksum) flg |= FLG_BLOCK_CHECKSUM;
  if (options.contentSize) flg |= FLG_CONTENT_SIZE;
  if (options.contentChecksum) flg |= FLG_CONTENT_CHECKSUM;
  out[4] = flg;
  out[5] = 4 << 4;
  let op = 6;
  if (options.contentSize) {
    view.setUint32(6, data.length % 2 ** 32, true);
    view.setUint32(10, Math.floor(data.length / 2 ** 32), true);
    op = 14;
  }
  out[op] = (xxhash32(out, 4, op) >>> 8) & 0xff;
  op++;
  const table = lz4HashTable();
  for (let at = 0; at < data.length; at += WRITE_BLOCK) {
    const end = Math.min(at + WRITE_BLOCK, data.length);
    const blockStart = op + 4;
    let blockEnd = lz4CompressBlock(data, at, end, out, blockStart, table);
    if (blockEnd - blockStart >= end - at) {
      // Stored blocks are flagged by the high bit and are never larger than the input.
      out.set(data.subarray(at, end), blockStart);
      blockEnd = blockStart + (end - at);
      view.setUint32(op, (UNCOMPRESSED | (end - at)) >>> 0, true);
    } else {
      view.setUint32(op, blockEnd - blockStart, true);
    }
    op = blockEnd;
    if (options.blockChecksum) {
      view.setUint32(op, xxhash32(out, blockStart, blockEnd), true);
      op += 4;
    }
  }
  view.setUint32(op, 0, true);
  op += 4;
  if (options.contentChecksum) {
    view.setUint32(op, xxhash32(data), true);
    op += 4;
  }
  return out.slice(0, op);
}

interface FrameBlock {
  start: number;
  end: number;
  compressed: boolean;
}

interface Frame {
  flg: number;
  blockMax: number;
  contentSize: number | undefined;
  blocks: FrameBlock[];
  contentChecksumAt: number;
}

function u32(data: Uint8Array, at: number): number {
  return (data[at]! | (data[at + 1]! << 8) | (data[at + 2]! << 16) | (data[at + 3]! << 24)) >>> 0;
}

/** Parses one frame's header and block table starting at `ip`; returns it and where it ends. */
function parseFrame(data: Uint8Array, ip: number, max: number): { frame: Frame; next: number } {
  const need = (n: number, what: string) => {
    if (data.length - ip < n) throw decompressionError('lz4', `truncated ${what}`);
  };
  need(7, 'frame header');
  const descriptorStart = ip + 4;
  const flg = data[ip + 4]!;
  const bd = data[ip + 5]!;
  ip += 6;
  if ((flg & 0xc0) !== FLG_VERSION) throw decompressionError('lz4', `unsupported frame version ${flg >>> 6}`);
  if (flg & 0x02 || bd & 0x8f) throw decompressionError('lz4', 'reserved header bits set');
  if (flg & FLG_DICT_ID) throw decompressionError('lz4', 'frames with a dictionary id are not supported');
  const blockMax = BLOCK_SIZES[(bd >>> 4) & 7];
  if (blockMax === undefined) throw decompressionError('lz4', `invalid block maximum size code ${(bd >>> 4) & 7}`);
  let contentSize: number | undefined;
  if (flg & FLG_CONTENT_SIZE) {
    need(9, 'content size');
    const high = u32(data, ip + 4);
    contentSize = u32(data, ip) + high * 2 ** 32;
    if (high > 0x1fffff || contentSize > max) throw decompressionError('lz4', `content size ${contentSize} exceeds the limit of ${max} bytes`);
    ip += 8;
  }
  if (((xxhash32(data, descriptorStart, ip) >>> 8) & 0xff) !== data[ip]) throw decompressionError('lz4', 'frame header checksum mismatch');
  ip++;
  const blocks: FrameBlock[] = [];
  const checksumBytes = flg & FLG_BLOCK_CHECKSUM ? 4 : 0;
  for (;;) {
    need(4, 'block size');
    const word = u32(data, ip);
    ip += 4;
    if (word === 0) break;
    const size = word & ~UNCOMPRESSED;
    if (size > blockMax) throw decompressionError('lz4', `block of ${size} bytes exceeds the frame's maximum ${blockMax}`);
    need(size + checksumBytes, 'block');
    if (checksumBytes && xxhash32(data, ip, ip + size) !== u32(data, ip + size)) throw decompressionError('lz4', 'block checksum mismatch');
    blocks.push({ start: ip, end: ip + size, compressed: (word & UNCOMPRESSED) === 0 });
    ip += size + checksumBytes;
  }
  const contentChecksumAt = ip;
  if (flg & FLG_CONTENT_CHECKSUM) {
    need(4, 'content checksum');
    ip += 4;
  }
  return { frame: { flg, blockMax, contentSize, blocks, contentChecksumAt }, next: ip };
}

/** Decompresses one or more LZ4 frames (skippable frames are skipped), checking everything. */
export function lz4DecompressFrames(data: Uint8Array, max: number): Uint8Array {
  // First pass: parse every header and block boundary (verifying header and block
  // checksums) and bound the output size before allocating anything.
  const frames: Frame[] = [];
  let bound = 0;
  let ip = 0;
  if (data.length === 0) throw decompressionError('lz4', 'empty input');
  while (ip < data.length) {
    if (data.length - ip < 4) throw decompressionError('lz4', 'truncated frame magic');
    const magic = u32(data, ip);
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      if (data.length - ip < 8) throw decompressionError('lz4', 'truncated skippable frame');
      const size = u32(data, ip + 4);
      if (size > data.length - ip - 8) throw decompressionError('lz4', 'truncated skippable frame');
      ip += 8 + size;
      continue;
    }
    if (magic !== MAGIC) throw decompressionError('lz4', `bad frame magic 0x${magic.toString(16)}`);
    const { frame, next } = parseFrame(data, ip, max);
    frames.push(frame);
    // What the blocks can produce at most (LZ4 expands at most 255:1); a declared content
    // size above it is a lie, and trusting it would let a tiny frame allocate `max`.
    let blocksBound = 0;
    for (const b of frame.blocks) blocksBound += b.compressed ? Math.min(frame.blockMax, (b.end - b.start) * 255) : b.end - b.start;
    if (frame.contentSize !== undefined && frame.contentSize > blocksBound) throw decompressionError('lz4', 'content size does not match the data');
    bound += frame.contentSize ?? blocksBound;
    ip = next;
  }
  const capacity = Math.min(bound, max);
  const out = new Uint8Array(capacity);
  let op = 0;
  for (const frame of frames) {
    const frameStart = op;
    const independent = (frame.flg & FLG_INDEPENDENT) !== 0;
    for (const b of frame.blocks) {
      const blockOutEnd = Math.min(capacity, op + frame.blockMax);
      if (b.compressed) {
        op = lz4DecompressBlock(data, b.start, b.end, out, op, blockOutEnd, independent ? op : frameStart);
      } else {
        if (b.end - b.start > blockOutEnd - op) throw decompressionError('lz4', `output exceeds the limit of ${max} bytes`);
        out.set(data.subarray(b.start, b.end), op);
        op += b.end - b.start;
      }
    }
    if (frame.contentSize !== undefined && op - frameStart !== frame.contentSize) throw decompressionError('lz4', 'content size does not match the data');
    if (frame.flg & FLG_CONTENT_CHECKSUM && xxhash32(out, frameStart, op) !== u32(data, frame.contentChecksumAt)) {
      throw decompressionError('lz4', 'content checksum mismatch');
    }
  }
  return op === capacity ? out : out.slice(0, op);
}

/** Creates the LZ4 compressor. */
export function lz4(options: Lz4Options = {}): Compressor {
  const max = maxOutput('lz4', options);
  const writeOptions = { contentChecksum: !!options.contentChecksum, blockChecksum: !!options.blockChecksum, contentSize: !!options.contentSize };
  return {
    name: 'lz4',
    codec: 3,
    async compress(data) {
      requireBytes('lz4', data, 'compress');
      try {
        return lz4CompressFrame(data, writeOptions);
      } catch (error) {
        throw compressionError('lz4', 'compression failed', error);
      }
    },
    async decompress(data) {
      requireBytes('lz4', data, 'decompress');
      return lz4DecompressFrames(data, max);
    },
  };
}
