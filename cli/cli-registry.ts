/**
 * The registry the CLI's clients use: partitioners and compressors only. Commands build
 * their serializers themselves (cli/serde-choice.ts), and leaving out the storage
 * adapters and schema libraries keeps each command's start-up short.
 */
import { Registry } from '../core/registry.ts';
import { registerBuiltInPartitioners } from '../plugins/partitioners/index.ts';
import { registerRuntimeCompressors } from '../adapters/runtime/runtime-compressors.ts';

/** A registry with every built-in partitioner and compressor (runtime-native gzip and zstd where available). */
export function cliRegistry(): Registry {
  const registry = new Registry();
  registerBuiltInPartitioners(registry);
  return registerRuntimeCompressors(registry);
}
