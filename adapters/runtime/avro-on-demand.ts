/**
 * The `avro` serializer as the default registry holds it: avsc is loaded the first time
 * an Avro serializer is created, so that the default entry runs without avsc installed
 * (`ERR_MISSING_PACKAGE` when it is needed and absent). Serializers are created
 * synchronously, hence a synchronous require of avsc (a CommonJS package).
 */
import type { Serializer } from '../../core/contracts/serializer.ts';
import { avroSerializer, type Avsc, type AvroSerializerOptions } from '../../plugins/serializers/avro-serializer.ts';
import { requireOptional } from './optional-package.ts';

const loadAvsc = (): Avsc => requireOptional<Avsc>('avsc', 'The avro serializer');

/** Creates an Avro serializer, loading avsc on first use (see `tributary/serializers/avro`). */
export function avroOnDemand<T = unknown>(options: AvroSerializerOptions): Serializer<T> {
  return avroSerializer<T>(loadAvsc, options);
}
