/**
 * The gzip compressor (Kafka codec 1), on fflate.
 *
 * Compression writes one gzip member (mtime zeroed, so equal input gives equal bytes).
 * Decompression accepts several concatenated members, as `gzip -d` and the Java client's
 * `GZIPInputStream` do, and checks every member's CRC-32 and length trailer, so that a
 * truncated or altered stream is an error rather than silently short data.
 */
import { Gunzip, gunzipSync, gzipSync } from 'fflate';
import type { Compressor } from '../../core/contracts/compressor.ts';
import { compressionError, concatChunks, decompressionError, type DecompressionLimits, maxOutput, requireBytes } from './codec-errors.ts';
import { crc32 } from './crc32.ts';

/** Options of {@link gzip}. */
export interface GzipOptions extends DecompressionLimits {
  /** Deflate level 0..9 (default 6, the Java client's default). */
  level?: number;
}

// Input is fed to the inflater in slices so that the output-size limit is enforced
// before a small "zip bomb" can expand into a huge buffer (deflate expands ≤ 1032×).
const FEED = 16 * 1024;

/** Deflate's largest possible expansion (a long run coded as length-258 matches). */
const MAX_DEFLATE_RATIO = 1032;

type Level = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;

/**
 * The fast path for the usual case, one member: inflate in one call into a buffer sized
 * by the trailer's ISIZE (one byte more, so that longer output shows up as a mismatch).
 * Returns undefined whenever the stream may not be exactly one valid member; the
 * general path then decides.
 */
function gunzipSingleMember(data: Uint8Array, max: number): Uint8Array | undefined {
  const n = data.length;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const size = view.getUint32(n - 4, true);
  const crc = view.getUint32(n - 8, true);
  // Deflate expands at most 1032:1; a larger ISIZE is a lie, and trusting it would let a
  // few hostile bytes allocate up to `max` here.
  if (size > max || size > n * MAX_DEFLATE_RATIO) return undefined;
  // A second member would start right after a trailer; if the first member's trailer
  // equals the last one (identical members), that pattern appears inside the input.
  for (let i = 8; i + 3 <= n - 8; i++) {
    if (data[i] === 0x1f && data[i + 1] === 0x8b && data[i + 2] === 8 && view.getUint32(i - 8, true) === crc && view.getUint32(i - 4, true) === size) return undefined;
  }
  let out: Uint8Array;
  try {
    out = gunzipSync(data, { out: new Uint8Array(size + 1) });
  } catch {
    return undefined;
  }
  if (out.length !== size || crc32(out) !== crc) return undefined;
  return out;
}

/** Decompresses one or more concatenated gzip members, verifying each trailer. */
export function gunzipMembers(data: Uint8Array, max: number): Uint8Array {
  if (data.length < 18 || data[0] !== 0x1f || data[1] !== 0x8b) throw decompressionError('gzip', 'not a gzip stream (bad magic)');
  const fast = gunzipSingleMember(data, max);
  if (fast) return fast;
  const chunks: Uint8Array[] = [];
  // Output bytes and input header offsets per member, to check trailers afterwards.
  const memberStarts: number[] = [0];
  const memberOutStarts: number[] = [0];
  let total = 0;
  const inflater = new Gunzip((chunk) => {
    total += chunk.length;
    if (total > max) throw decompressionError('gzip', `output exceeds the limit of ${max} bytes`);
    chunks.push(chunk);
  });
  inflater.onmember = (offset) => {
    memberStarts.push(offset);
    memberOutStarts.push(total);
  };
  try {
    for (let at = 0; at < data.length; at += FEED) {
      const end = Math.min(at + FEED, data.length);
      inflater.push(data.subarray(at, end), end === data.length);
    }
  } catch (error) {
    throw decompressionError('gzip', `corrupt or truncated stream (${(error as Error)?.message ?? error})`, error);
  }
  const out = concatChunks(chunks, total);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let m = 0; m < memberStarts.length; m++) {
    const trailerEnd = m + 1 < memberStarts.length ? memberStarts[m + 1]! : data.length;
    const outEnd = m + 1 < memberOutStarts.length ? memberOutStarts[m + 1]! : total;
    if (trailerEnd - 8 < memberStarts[m]! + 10) throw decompressionError('gzip', 'missing member trailer');
    const expectedCrc = view.getUint32(trailerEnd - 8, true);
    const expectedSize = view.getUint32(trailerEnd - 4, true);
    const member = out.subarray(memberOutStarts[m]!, outEnd);
    if (expectedSize !== member.length % 2 ** 32) throw decompressionError('gzip', 'length trailer does not match (truncated stream?)');
    if (expectedCrc !== crc32(member)) throw decompressionError('gzip', 'CRC-32 mismatch');
  }
  return out;
}

/**
 * Validates gzip options: the deflate level (default 6) and the decompression limit.
 * Shared with the native-zlib gzip so that both refuse the same options the same way.
 */
export function gzipSettings(options: GzipOptions): { level: Level; max: number } {
  const level = options.level ?? 6;
  if (!Number.isInteger(level) || level < 0 || level > 9) throw compressionError('gzip', `level must be 0..9, got ${level}`);
  return { level: level as Level, max: maxOutput('gzip', options) };
}

/** Creates the gzip compressor. */
export function gzip(options: GzipOptions = {}): Compressor {
  const { level, max } = gzipSettings(options);
  return {
    name: 'gzip',
    codec: 1,
    async compress(data) {
      requireBytes('gzip', data, 'compress');
      const out = gzipSync(data, { level });
      out[4] = out[5] = out[6] = out[7] = 0;
      return out;
    },
    async decompress(data) {
      requireBytes('gzip', data, 'decompress');
      return gunzipMembers(data, max);
    },
  };
}
