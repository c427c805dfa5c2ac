/**
 * The default registry: every built-in serializer, compressor, partitioner and storage
 * adapter. Lives with the runtime glue because it picks the fastest codec the running
 * runtime offers (node:zlib gzip and zstd exist under Node, Deno and Bun; on Node 20
 * zstd comes from @mongodb-js/zstd), falling back to the portable plugins. The plugins
 * that need an optional package (avro: avsc, level storage: level) load it on first use.
 */
import type { StorageFactory } from '../../core/contracts/storage.ts';
import { Registry } from '../../core/registry.ts';
import { registerBuiltInPartitioners } from '../../plugins/partitioners/index.ts';
import { registerBuiltInSerializers } from '../../plugins/serializers/index.ts';
import type { SerializerFactory } from '../../core/contracts/serializer.ts';
import { filesystemStorage } from '../filesystem/index.ts';
import { levelStorage } from '../level/index.ts';
import { memoryStorage } from '../memory/index.ts';
import { avroOnDemand } from './avro-on-demand.ts';
import { registerRuntimeCompressors } from './runtime-compressors.ts';

/** Creates a new registry holding every built-in plugin and adapter. */
export function createDefaultRegistry(): Registry {
  const registry = new Registry();
  registerBuiltInSerializers(registry);
  registry.register('serializer', 'avro', avroOnDemand as SerializerFactory);
  registerBuiltInPartitioners(registry);
  registerRuntimeCompressors(registry, { keepPortable: true });
  registry.register('storage', 'memory', memoryStorage as StorageFactory);
  registry.register('storage', 'filesystem', filesystemStorage as StorageFactory);
  registry.register('storage', 'level', levelStorage as StorageFactory);
  return registry;
}
