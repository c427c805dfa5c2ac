/**
 * The built-in serializers: factories and the list that a registry is filled from.
 * `avro` is not among them: it needs avsc, so it lives at `tributary/serializers/avro`
 * (plugins/serializers/avro.ts) and the default registry loads it on first use.
 * `protobuf` is: it takes the protobufjs Type from its caller and imports nothing.
 */
import type { SerializerFactory } from '../../core/contracts/serializer.ts';
import type { Registry } from '../../core/registry.ts';
import { float64 } from './float64.ts';
import { int32 } from './int32.ts';
import { int64 } from './int64.ts';
import { json } from './json.ts';
import { protobuf } from './protobuf.ts';
import { string } from './string.ts';

export type { AvroSerializerOptions } from './avro-serializer.ts';
export { float64 } from './float64.ts';
export { int32 } from './int32.ts';
export { int64 } from './int64.ts';
export { json, type JsonSerializerOptions } from './json.ts';
export { protobuf, type ProtobufSerializerOptions } from './protobuf.ts';
export { string, type StringSerializerOptions } from './string.ts';
export { CONFLUENT_HEADER_BYTES, CONFLUENT_MAGIC, decodeMessageIndexes, encodeMessageIndexes } from './confluent-framing.ts';

/** One built-in serializer: the name it registers under and its factory. */
export interface BuiltInSerializer {
  readonly name: string;
  readonly factory: SerializerFactory;
}

/**
 * Every built-in serializer that needs no optional package. `protobuf` needs options
 * (a type) when created; the others work without.
 */
export const builtInSerializers: readonly BuiltInSerializer[] = Object.freeze([
  { name: 'string', factory: string as SerializerFactory },
  { name: 'json', factory: json as SerializerFactory },
  { name: 'int32', factory: int32 as SerializerFactory },
  { name: 'int64', factory: int64 as SerializerFactory },
  { name: 'float64', factory: float64 as SerializerFactory },
  { name: 'protobuf', factory: protobuf as SerializerFactory },
]);

/** Registers every built-in serializer in `registry` (for mod.ts and custom registries). */
export function registerBuiltInSerializers(registry: Registry): Registry {
  for (const { name, factory } of builtInSerializers) registry.register('serializer', name, factory);
  return registry;
}
