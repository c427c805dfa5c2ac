/**
 * A gzip compressor on the runtime's native zlib (node:zlib, which Node, Deno and Bun
 * all provide). Same codec, name and limits as the portable `gzip()` plugin; native
 * inflate is several times faster than fflate (see bench/compressors.bench.ts).
 * node:zlib reads concatenated members and checks each CRC-32 and length trailer.
 */
import * as zlib from 'node:zlib';
import type { Compressor } from '../../core/contracts/compressor.ts';
import { compressionError, decompressionError, requireBytes } from '../../plugins/compressors/codec-errors.ts';
import { gzipSettings, type GzipOptions } from '../../plugins/compressors/gzip.ts';

function view(b: Uint8Array): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Creates a gzip compressor backed by node:zlib. */
export function nativeGzip(options: GzipOptions = {}): Compressor {
  const { level, max } = gzipSettings(options);
  return {
    name: 'gzip',
    codec: 1,
    async compress(data) {
      requireBytes('gzip', data, 'compress');
      try {
        return view(zlib.gzipSync(data, { level }));
      } catch (error) {
        throw compressionError('gzip', 'compression failed', error);
      }
    },
    async decompress(data) {
      requireBytes('gzip', data, 'decompress');
      // node:zlib accepts a bare empty input; a gzip stream is never empty.
      if (data.length < 18 || data[0] !== 0x1f || data[1] !== 0x8b) throw decompressionError('gzip', 'not a gzip stream (bad magic)');
      try {
        // maxOutputLength must be ≥ 1; the limit 0 is checked after.
        const out = view(zlib.gunzipSync(data, { maxOutputLength: Math.max(max, 1) }));
        if (out.length > max) throw decompressionError('gzip', `output exceeds the limit of ${max} bytes`);
        return out;
      } catch (error) {
        throw decompressionError('gzip', `corrupt, truncated or oversized stream (${(error as Error)?.message ?? error})`, error);
      }
    },
  };
}

/** The fastest gzip compressor available: native zlib (present in Node, Deno and Bun). */
export function bestGzip(options: GzipOptions = {}): Compressor {
  return nativeGzip(options);
}
