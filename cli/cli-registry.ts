/**
 * The registry the CLI's clients use: partitioners and compressors only. Commands build
 * their serializers themselves (cli/serde-choice.ts), and leaving out the storage
 * adapters and schema libraries keeps each command's start-up short.
 */
import type { CompressorFactory } from '../core/contracts/compressor.ts';
import { Registry } from '../core/registry.ts';
import { builtinCompressors } from '../plugins/compressors/index.ts';
import { registerBuiltInPartitioners } from '../plugins/partitioners/index.ts';
import { bestGzip } from '../adapters/runtime/gzip-native.ts';
import { bestZstd } from '../adapters/runtime/zstd-native.ts';

/** A registry with every built-in partitioner and compressor (runtime-native gzip and zstd where available). */
export function cliRegistry(): Registry {
  const registry = new Registry();
  registerBuiltInPartitioners(registry);
  const native = new Map<string, CompressorFactory>([
    ['gzip', bestGzip],
    ['zstd', bestZstd],
  ]);
  for (const { name, factory } of builtinCompressors) registry.register('compressor', name, native.get(name) ?? factory);
  return registry;
}
