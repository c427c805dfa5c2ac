/**
 * The `avro` serializer (avsc): Avro binary encoding of one schema, optionally in the
 * Confluent schema-registry wire format (magic byte 0, 4-byte schema id, Avro binary).
 */
import avsc from 'avsc';
import type { Serializer } from '../../core/contracts/serializer.ts';
import { checkSchemaId, CONFLUENT_HEADER_BYTES, readConfluentHeader, writeConfluentHeader } from './confluent-framing.ts';
import { describe, deserializationError, optionError, serializationError } from './serde-errors.ts';

/** Options of {@link avro}. */
export interface AvroSerializerOptions {
  /**
   * The Avro schema (a JSON object or JSON text), or an avsc `Type` already built —
   * pass a Type to choose avsc options such as a bigint type for `long`.
   */
  schema: avsc.Schema | avsc.Type;
  /**
   * The schema-registry id of `schema`. When set, payloads use the Confluent wire
   * format, and reading a payload framed with another id is `ERR_DESERIALIZATION`.
   */
  schemaId?: number;
}

/** The one thing this plugin needs of avsc's byte container: a zero-copy view. */
interface AvscBytesClass {
  from(buffer: ArrayBufferLike, byteOffset: number, length: number): Uint8Array;
}

let avscBytes: AvscBytesClass | undefined;

/**
 * avsc reads from its own byte container (it calls methods a plain Uint8Array lacks),
 * so input is wrapped — without copying — in the class avsc itself produces. Taking
 * the class from avsc's output keeps this plugin free of runtime-specific globals; it
 * works wherever avsc works (Node, Deno and Bun alike).
 */
function toAvsc(bytes: Uint8Array, start: number): Uint8Array {
  avscBytes ??= avsc.Type.forSchema('null').toBuffer(null).constructor as unknown as AvscBytesClass;
  return avscBytes.from(bytes.buffer, bytes.byteOffset + start, bytes.length - start);
}

/**
 * Creates an Avro serializer for one schema. Values are what avsc accepts and returns
 * (records as objects, `long` as a number unless the Type says otherwise; `bytes` and
 * `fixed` fields are avsc's byte containers).
 */
export function avro<T = unknown>(options: AvroSerializerOptions): Serializer<T> {
  if (!options || options.schema === undefined) throw optionError('avro', 'a schema is required');
  let type: avsc.Type;
  try {
    type = options.schema instanceof avsc.Type ? options.schema : avsc.Type.forSchema(options.schema);
  } catch (error) {
    throw optionError('avro', `invalid schema: ${describe(error)}`);
  }
  const framed = options.schemaId !== undefined;
  const schemaId = framed ? checkSchemaId('avro', options.schemaId) : 0;

  return {
    name: 'avro',
    serialize(value) {
      if (value === null) return null;
      let encoded: Uint8Array;
      try {
        encoded = type.toBuffer(value);
      } catch (error) {
        throw serializationError('avro', `the value does not match the schema: ${describe(error)}`, error);
      }
      if (!framed) return new Uint8Array(encoded.buffer, encoded.byteOffset, encoded.length);
      const out = new Uint8Array(CONFLUENT_HEADER_BYTES + encoded.length);
      writeConfluentHeader(out, schemaId);
      out.set(encoded, CONFLUENT_HEADER_BYTES);
      return out;
    },
    deserialize(bytes) {
      if (bytes === null) return null;
      const start = framed ? readConfluentHeader('avro', bytes, schemaId) : 0;
      try {
        // fromBuffer also refuses trailing bytes, which catches most corruption.
        return type.fromBuffer(toAvsc(bytes, start) as never) as T;
      } catch (error) {
        throw deserializationError('avro', `the bytes are not a valid Avro payload: ${describe(error)}`, error);
      }
    },
  };
}
