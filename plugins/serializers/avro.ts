/**
 * The `avro` serializer (avsc), the `tributary/serializers/avro` entry: Avro binary
 * encoding of one schema, optionally in the Confluent schema-registry wire format
 * (magic byte 0, 4-byte schema id, Avro binary). Importing this file imports avsc, an
 * optional peer dependency of the package; the default entry does not.
 */
import avsc from 'avsc';
import type { Serializer } from '../../core/contracts/serializer.ts';
import { avroSerializer, type AvroSerializerOptions } from './avro-serializer.ts';

export type { AvroSerializerOptions } from './avro-serializer.ts';

const staticAvsc = () => avsc;

/**
 * Creates an Avro serializer for one schema. Values are what avsc accepts and returns
 * (records as objects, `long` as a number unless `longs: 'bigint'`; `bytes` and `fixed`
 * fields are avsc's byte containers).
 */
export function avro<T = unknown>(options: AvroSerializerOptions): Serializer<T> {
  return avroSerializer<T>(staticAvsc, options);
}
