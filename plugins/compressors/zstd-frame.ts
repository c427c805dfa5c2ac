/**
 * A reader for the outer structure of Zstandard data (frame headers and block headers,
 * not their contents). It finds frame boundaries and an upper bound of the output size
 * before any decoder allocates, so that a frame header that lies cannot make us
 * allocate more than the caller allows, and frames without a content size (what the
 * Java client's streaming compressor writes) still get a tight output buffer.
 */
import { decompressionError } from './codec-errors.ts';

const MAGIC = 0xfd2fb528;
// A compressed block regenerates at most 128 KiB (Block_Maximum_Size).
const MAX_BLOCK = 128 * 1024;

/** One zstd frame found by {@link scanZstdFrames}. */
export interface ZstdFrameInfo {
  /** Offsets of the frame in the input, `[start, end)`. */
  start: number;
  end: number;
  /** The declared content size, when the header carries one. */
  contentSize: number | undefined;
  /** An upper bound of what the frame decompresses to. */
  bound: number;
}

function u32(data: Uint8Array, at: number): number {
  return (data[at]! | (data[at + 1]! << 8) | (data[at + 2]! << 16) | (data[at + 3]! << 24)) >>> 0;
}

/**
 * Lists the frames of `data` (skippable frames are left out), checking that every
 * header and block fits in the input and that the total bound stays within `max`
 * where it is known exactly. Malformed structure is `ERR_DECOMPRESSION`.
 */
export function scanZstdFrames(data: Uint8Array, max: number): ZstdFrameInfo[] {
  const frames: ZstdFrameInfo[] = [];
  let ip = 0;
  if (data.length === 0) throw decompressionError('zstd', 'empty input');
  while (ip < data.length) {
    const start = ip;
    if (data.length - ip < 4) throw decompressionError('zstd', 'truncated frame magic');
    const magic = u32(data, ip);
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      if (data.length - ip < 8 || u32(data, ip + 4) > data.length - ip - 8) throw decompressionError('zstd', 'truncated skippable frame');
      ip += 8 + u32(data, ip + 4);
      continue;
    }
    if (magic !== MAGIC) throw decompressionError('zstd', `bad frame magic 0x${magic.toString(16)}`);
    ip += 4;
    if (ip >= data.length) throw decompressionError('zstd', 'truncated frame header');
    const fhd = data[ip++]!;
    if (fhd & 0x08) throw decompressionError('zstd', 'reserved frame header bit set');
    const singleSegment = (fhd & 0x20) !== 0;
    const fcsCode = fhd >>> 6;
    const fcsBytes = fcsCode === 0 ? (singleSegment ? 1 : 0) : 1 << fcsCode;
    const dictBytes = [0, 1, 2, 4][fhd & 3]!;
    const headerRest = (singleSegment ? 0 : 1) + dictBytes + fcsBytes;
    if (data.length - ip < headerRest) throw decompressionError('zstd', 'truncated frame header');
    let windowSize = Infinity;
    if (!singleSegment) {
      const wd = data[ip++]!;
      const windowLog = 10 + (wd >>> 3);
      windowSize = 2 ** windowLog + (2 ** windowLog / 8) * (wd & 7);
    }
    ip += dictBytes;
    let contentSize: number | undefined;
    if (fcsBytes === 1) contentSize = data[ip]!;
    else if (fcsBytes === 2) contentSize = (data[ip]! | (data[ip + 1]! << 8)) + 256;
    else if (fcsBytes === 4) contentSize = u32(data, ip);
    else if (fcsBytes === 8) contentSize = u32(data, ip) + u32(data, ip + 4) * 2 ** 32;
    ip += fcsBytes;
    if (contentSize !== undefined && contentSize > max) throw decompressionError('zstd', `content size ${contentSize} exceeds the limit of ${max} bytes`);
    if (singleSegment) windowSize = contentSize ?? 0;
    const blockMax = Math.min(windowSize, MAX_BLOCK);
    let bound = 0;
    for (;;) {
      if (data.length - ip < 3) throw decompressionError('zstd', 'truncated block header');
      const header = data[ip]! | (data[ip + 1]! << 8) | (data[ip + 2]! << 16);
      ip += 3;
      const last = header & 1;
      const type = (header >>> 1) & 3;
      const size = header >>> 3;
      if (type === 3) throw decompressionError('zstd', 'reserved block type');
      if (size > MAX_BLOCK) throw decompressionError('zstd', 'block larger than 128 KiB');
      const stored = type === 1 ? 1 : size;
      if (data.length - ip < stored) throw decompressionError('zstd', 'truncated block');
      ip += stored;
      bound += type === 2 ? blockMax : size;
      if (last) break;
    }
    if (fhd & 0x04) {
      if (data.length - ip < 4) throw decompressionError('zstd', 'truncated content checksum');
      ip += 4;
    }
    // A declared content size beyond what the blocks can produce is a lie; trusting it
    // would let a few hostile bytes size the output buffer up to `max`.
    if (contentSize !== undefined && contentSize > bound) throw decompressionError('zstd', `content size ${contentSize} exceeds what the frame's blocks can hold`);
    frames.push({ start, end: ip, contentSize, bound: contentSize ?? bound });
  }
  return frames;
}
