/**
 * Native zstd backends for the zstd plugin, and `bestZstd()`, which picks the fastest
 * one the running process offers:
 *
 * 1. node:zlib's zstd (Node ≥ 22.15, and any runtime whose node:zlib provides it);
 * 2. Bun's built-in `Bun.zstdCompressSync` / `Bun.zstdDecompressSync`;
 * 3. @mongodb-js/zstd (Node-API addon, an optional dependency) — the choice on Node 20;
 * 4. the portable WebAssembly build the plugin uses by default.
 *
 * Every backend sits behind the same plugin, which validates frame structure and the
 * output limit before calling it, so they differ only in speed.
 */
import { createRequire } from 'node:module';
import * as zlib from 'node:zlib';
import type { Compressor } from '../../core/contracts/compressor.ts';
import { wasmZstdBackend, zstd, type ZstdBackend, type ZstdOptions } from '../../plugins/compressors/zstd.ts';

type ZstdZlib = {
  zstdCompressSync(data: Uint8Array, options?: { params?: Record<number, number> }): Uint8Array;
  zstdDecompressSync(data: Uint8Array, options?: { maxOutputLength?: number }): Uint8Array;
  constants: Record<string, number>;
};

type BunZstd = {
  zstdCompressSync(data: Uint8Array, options?: { level?: number }): Uint8Array;
  zstdDecompressSync(data: Uint8Array): Uint8Array;
};

function asUint8Array(b: Uint8Array): Uint8Array {
  // Buffers are Uint8Arrays; re-wrap so callers never see Buffer-specific behaviour.
  return b.constructor === Uint8Array ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** The node:zlib zstd backend, or undefined when this runtime's node:zlib lacks zstd. */
export function nodeZlibZstdBackend(): ZstdBackend | undefined {
  const z = zlib as unknown as Partial<ZstdZlib>;
  if (typeof z.zstdCompressSync !== 'function' || typeof z.zstdDecompressSync !== 'function' || !z.constants) return undefined;
  const levelParam = z.constants.ZSTD_c_compressionLevel!;
  const { zstdCompressSync, zstdDecompressSync } = z as ZstdZlib;
  return {
    name: 'node:zlib',
    compress: (data, level) => asUint8Array(zstdCompressSync(data, { params: { [levelParam]: level } })),
    decompressFrame: (frame, capacity) => asUint8Array(zstdDecompressSync(frame, { maxOutputLength: Math.max(capacity, 1) })),
  };
}

/** Bun's built-in zstd backend, or undefined outside Bun (or on a Bun without it). */
export function bunZstdBackend(): ZstdBackend | undefined {
  const bun = (globalThis as { Bun?: Partial<BunZstd> }).Bun;
  if (!bun || typeof bun.zstdCompressSync !== 'function' || typeof bun.zstdDecompressSync !== 'function') return undefined;
  const b = bun as BunZstd;
  return {
    name: 'bun',
    compress: (data, level) => asUint8Array(b.zstdCompressSync(data, { level })),
    // The plugin has already bounded the output by the frame headers.
    decompressFrame: (frame) => asUint8Array(b.zstdDecompressSync(frame)),
  };
}

/** The @mongodb-js/zstd backend (asynchronous, on libuv's thread pool), or undefined when it is not installed. */
export function mongodbZstdBackend(): ZstdBackend | undefined {
  let lib: { compress(data: Uint8Array, level?: number): Promise<Uint8Array>; decompress(data: Uint8Array): Promise<Uint8Array> };
  try {
    lib = createRequire(import.meta.url)('@mongodb-js/zstd');
  } catch {
    return undefined;
  }
  // The addon's signatures say Buffer; a Buffer view of the same memory avoids a copy.
  const buf = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
  return {
    name: '@mongodb-js/zstd',
    compress: async (data, level) => asUint8Array(await lib.compress(buf(data), level)),
    decompressFrame: async (frame) => asUint8Array(await lib.decompress(buf(frame))),
  };
}

/** The fastest zstd backend available here (see the module comment for the order). */
export async function bestZstdBackend(): Promise<ZstdBackend> {
  return nodeZlibZstdBackend() ?? bunZstdBackend() ?? mongodbZstdBackend() ?? (await wasmZstdBackend());
}

/**
 * A zstd compressor on the fastest backend this runtime offers; same options as the
 * portable `zstd()` plugin, same output format, same limits.
 */
export function bestZstd(options: Omit<ZstdOptions, 'backend'> = {}): Compressor {
  return zstd({ ...options, backend: bestZstdBackend });
}
