/** Coded errors and size limits shared by the built-in compressors. */
import { TributaryError } from '../../core/errors.ts';

/**
 * Default ceiling on what one `decompress` call may produce (256 MiB). A Kafka batch's
 * records section is far smaller in practice (max.message.bytes defaults to 1 MiB); the
 * ceiling exists so that a hostile length field cannot make us allocate gigabytes.
 */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024;

/** Options every built-in compressor accepts. */
export interface DecompressionLimits {
  /** Largest output one `decompress` call may produce; more is `ERR_DECOMPRESSION`. */
  maxDecompressedBytes?: number;
}

/** An `ERR_DECOMPRESSION` error naming the codec, so logs say which decoder refused. */
export function decompressionError(codec: string, message: string, cause?: unknown): TributaryError {
  if (cause instanceof TributaryError) return cause;
  return new TributaryError('ERR_DECOMPRESSION', `${codec}: ${message}`, { cause, details: { codec } });
}

/** An `ERR_COMPRESSION` error naming the codec. */
export function compressionError(codec: string, message: string, cause?: unknown): TributaryError {
  if (cause instanceof TributaryError) return cause;
  return new TributaryError('ERR_COMPRESSION', `${codec}: ${message}`, { cause, details: { codec } });
}

/** Reads and validates the `maxDecompressedBytes` option. */
export function maxOutput(codec: string, options: DecompressionLimits | undefined): number {
  const max = options?.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
  if (!Number.isSafeInteger(max) || max < 0) {
    throw new TributaryError('ERR_INVALID_OPTION', `${codec}: maxDecompressedBytes must be a non-negative integer`, { details: { codec, max } });
  }
  return max;
}

/** Joins chunks into one array (returns the only chunk as is). */
export function concatChunks(chunks: readonly Uint8Array[], total?: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const size = total ?? chunks.reduce((n, c) => n + c.length, 0);
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * Throws `ERR_COMPRESSION` / `ERR_DECOMPRESSION` unless `data` is a Uint8Array, so that
 * a wrong argument is a coded error rather than a TypeError deep in a codec (or, for
 * some codecs, a string quietly compressed as if it were bytes).
 */
export function requireBytes(codec: string, data: unknown, operation: 'compress' | 'decompress'): asserts data is Uint8Array {
  if (data instanceof Uint8Array) return;
  const message = `${operation} takes a Uint8Array, got ${data === null ? 'null' : typeof data}`;
  throw operation === 'compress' ? compressionError(codec, message) : decompressionError(codec, message);
}
