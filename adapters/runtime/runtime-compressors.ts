/**
 * Registers the four Kafka codecs, choosing the fastest implementation this runtime has:
 * node:zlib gzip and zstd (Node, Deno and Bun provide node:zlib; on Node 20 zstd comes
 * from @mongodb-js/zstd) are byte-compatible with the portable plugins and several times
 * faster. Kept apart from the default registry so that the CLI can load just the codecs.
 */
import type { CompressorFactory } from '../../core/contracts/compressor.ts';
import type { Registry } from '../../core/registry.ts';
import { builtInCompressors } from '../../plugins/compressors/index.ts';
import { bestGzip } from './gzip-native.ts';
import { bestZstd } from './zstd-native.ts';

const NATIVE = new Map<string, CompressorFactory>([
  ['gzip', bestGzip],
  ['zstd', bestZstd],
]);

/**
 * Registers gzip, snappy, lz4 and zstd under their Kafka names, runtime-native where
 * that is faster; with `keepPortable`, the portable plugins stay reachable as
 * `<name>-portable`.
 */
export function registerRuntimeCompressors(registry: Registry, options: { keepPortable?: boolean } = {}): Registry {
  for (const { name, factory } of builtInCompressors) {
    const best = NATIVE.get(name);
    registry.register('compressor', name, best ?? factory);
    if (best !== undefined && options.keepPortable) registry.register('compressor', `${name}-portable`, factory);
  }
  return registry;
}
