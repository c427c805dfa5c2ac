/**
 * The Zstandard compressor (Kafka codec 4): zstd frames.
 *
 * The codec work is done by a {@link ZstdBackend}. The default backend is the zstd
 * reference library compiled to WebAssembly (@bokuweb/zstd-wasm), loaded on first use,
 * which runs unchanged under Node, Deno and Bun. Runtimes with a native zstd get a
 * faster backend from adapters/runtime/zstd-native.ts (`bestZstd()`).
 *
 * Whatever the backend, this plugin reads the frame and block headers itself first
 * (zstd-frame.ts): it rejects malformed structure, enforces the output limit before
 * anything is allocated, and hands the backend one frame at a time with an output
 * capacity that fits, including frames without a content size (what the Java client's
 * streaming ZstdOutputStream writes).
 */
import type { Compressor } from '../../core/contracts/compressor.ts';
import { compressionError, concatChunks, decompressionError, type DecompressionLimits, maxOutput, requireBytes } from './codec-errors.ts';
import { scanZstdFrames } from './zstd-frame.ts';

/** The primitive operations a zstd implementation provides to {@link zstd}. */
export interface ZstdBackend {
  /** Names the implementation (`wasm`, `node:zlib`, `bun`, …) for logs and benchmarks. */
  readonly name: string;
  /** Compresses `data` into one zstd frame at `level`. */
  compress(data: Uint8Array, level: number): Uint8Array | Promise<Uint8Array>;
  /**
   * Decompresses exactly one frame, whose output is known to be at most `capacity`
   * bytes. May throw anything; the plugin turns failures into coded errors.
   */
  decompressFrame(frame: Uint8Array, capacity: number): Uint8Array | Promise<Uint8Array>;
}

/** Options of {@link zstd}. */
export interface ZstdOptions extends DecompressionLimits {
  /** Compression level 1..22 (default 3, the Java client's default). */
  level?: number;
  /** The implementation, or a function that loads it on first use (default: the WebAssembly build). */
  backend?: ZstdBackend | (() => Promise<ZstdBackend>);
}

interface WasmZstd {
  init(): Promise<void>;
  compress(data: Uint8Array, level?: number): Uint8Array;
  decompress(data: Uint8Array, opts?: { defaultHeapSize: number }): Uint8Array;
}

let wasmBackend: Promise<ZstdBackend> | undefined;

/** The portable backend: zstd compiled to WebAssembly, initialised once per process. */
export function wasmZstdBackend(): Promise<ZstdBackend> {
  wasmBackend ??= (async () => {
    const loaded = (await import('@bokuweb/zstd-wasm')) as unknown as WasmZstd & { default?: WasmZstd };
    const lib = typeof loaded.init === 'function' ? loaded : loaded.default!;
    await lib.init();
    return {
      name: 'wasm',
      compress: (data, level) => lib.compress(data, level),
      decompressFrame: (frame, capacity) => lib.decompress(frame, { defaultHeapSize: Math.max(capacity, 1) }),
    };
  })();
  wasmBackend.catch(() => {
    wasmBackend = undefined;
  });
  return wasmBackend;
}

/** Creates the zstd compressor. */
export function zstd(options: ZstdOptions = {}): Compressor {
  const level = options.level ?? 3;
  if (!Number.isInteger(level) || level < -7 || level > 22) throw compressionError('zstd', `level must be an integer up to 22, got ${level}`);
  const max = maxOutput('zstd', options);
  const chosen = options.backend ?? wasmZstdBackend;
  let backend: ZstdBackend | Promise<ZstdBackend> | undefined = typeof chosen === 'function' ? undefined : chosen;
  const load = async (): Promise<ZstdBackend> => {
    if (backend === undefined) {
      backend = (chosen as () => Promise<ZstdBackend>)();
      backend.catch(() => {
        backend = undefined;
      });
    }
    return backend;
  };
  return {
    name: 'zstd',
    codec: 4,
    async compress(data) {
      requireBytes('zstd', data, 'compress');
      let impl: ZstdBackend;
      try {
        impl = await load();
      } catch (error) {
        throw compressionError('zstd', 'the zstd backend failed to load', error);
      }
      try {
        return await impl.compress(data, level);
      } catch (error) {
        throw compressionError('zstd', `compression failed (${impl.name})`, error);
      }
    },
    async decompress(data) {
      requireBytes('zstd', data, 'decompress');
      const frames = scanZstdFrames(data, max);
      let impl: ZstdBackend;
      try {
        impl = await load();
      } catch (error) {
        throw decompressionError('zstd', 'the zstd backend failed to load', error);
      }
      const parts: Uint8Array[] = [];
      let total = 0;
      for (const f of frames) {
        const capacity = Math.min(f.bound, max - total);
        let out: Uint8Array;
        try {
          out = await impl.decompressFrame(data.subarray(f.start, f.end), capacity);
        } catch (error) {
          throw decompressionError('zstd', `corrupt frame (${impl.name}: ${(error as Error)?.message ?? error})`, error);
        }
        if (out.length > capacity) throw decompressionError('zstd', `output exceeds the limit of ${max} bytes`);
        if (f.contentSize !== undefined && out.length !== f.contentSize) throw decompressionError('zstd', 'frame content size does not match');
        parts.push(out);
        total += out.length;
      }
      return parts.length === 0 ? new Uint8Array(0) : concatChunks(parts, total);
    },
  };
}
