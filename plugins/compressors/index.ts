/**
 * The built-in compressors: one factory per Kafka codec.
 *
 * `zstd()` here is the portable WebAssembly build; adapters/runtime/zstd-native.ts
 * offers `bestZstd()` with a native backend where the runtime has one.
 */
import type { CompressorFactory } from '../../core/contracts/compressor.ts';
import type { Registry } from '../../core/registry.ts';
import { gzip } from './gzip.ts';
import { lz4 } from './lz4.ts';
import { snappy } from './snappy.ts';
import { zstd } from './zstd.ts';

export { gzip, type GzipOptions } from './gzip.ts';
export { snappy, type SnappyOptions } from './snappy.ts';
export { lz4, type Lz4Options } from './lz4.ts';
export { zstd, wasmZstdBackend, type ZstdBackend, type ZstdOptions } from './zstd.ts';
export { DEFAULT_MAX_DECOMPRESSED_BYTES, type DecompressionLimits } from './codec-errors.ts';

/** One built-in compressor: its registry name, Kafka codec id and factory. */
export interface BuiltInCompressor {
  readonly name: 'gzip' | 'snappy' | 'lz4' | 'zstd';
  readonly codec: 1 | 2 | 3 | 4;
  readonly factory: CompressorFactory;
}

/** Every built-in compressor, in codec order, for wiring a default registry. */
export const builtInCompressors: readonly BuiltInCompressor[] = Object.freeze([
  { name: 'gzip', codec: 1, factory: gzip },
  { name: 'snappy', codec: 2, factory: snappy },
  { name: 'lz4', codec: 3, factory: lz4 },
  { name: 'zstd', codec: 4, factory: zstd },
]);

/** Registers the four portable codecs under their Kafka names. */
export function registerBuiltInCompressors(registry: Registry): Registry {
  for (const { name, factory } of builtInCompressors) registry.register('compressor', name, factory);
  return registry;
}
