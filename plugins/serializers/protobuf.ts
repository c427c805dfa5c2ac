/**
 * The `protobuf` serializer (protobufjs): one message type, optionally in the Confluent
 * schema-registry wire format (magic byte 0, 4-byte schema id, message-index path,
 * then the Protobuf payload).
 *
 * protobufjs is only used through the Type handed in, so this file needs no runtime
 * import of it.
 */
import type { IConversionOptions, Message, Root, Type } from 'protobufjs';
import type { Serializer } from '../../core/contracts/serializer.ts';
import {
  checkMessageIndexes,
  checkSchemaId,
  CONFLUENT_HEADER_BYTES,
  decodeMessageIndexes,
  encodeMessageIndexes,
  readConfluentHeader,
  writeConfluentHeader,
} from './confluent-framing.ts';
import { describe, deserializationError, optionError, serializationError } from './serde-errors.ts';

/** Options of {@link protobuf}: a `type`, or a `root` and the `typeName` to look up in it. */
export interface ProtobufSerializerOptions {
  /** The message type (a protobufjs `Type`). */
  type?: Type;
  /** A protobufjs `Root` holding the message type… */
  root?: Root;
  /** …and the type's (fully qualified) name in it. */
  typeName?: string;
  /**
   * The schema-registry id of the schema. When set, payloads use the Confluent wire
   * format, and reading a payload framed with another id is `ERR_DESERIALIZATION`.
   */
  schemaId?: number;
  /**
   * The message's position in its .proto file, as the Confluent format records it:
   * `[0]` (the default) is the file's first message, `[1, 0]` the first message nested
   * in the second. Reading a payload with another path is `ERR_DESERIALIZATION`.
   */
  messageIndexes?: readonly number[];
  /**
   * How decoded messages become plain objects (protobufjs `toObject` options). The
   * default writes 64-bit integers and enums as strings, which `serialize` accepts back.
   */
  objectOptions?: IConversionOptions;
}

const DEFAULT_OBJECT_OPTIONS: IConversionOptions = { longs: String, enums: String };

/**
 * Creates a Protobuf serializer. `serialize` takes a plain object (converted with the
 * type's `fromObject`, which accepts strings for 64-bit integers and names for enums)
 * or a message instance; `deserialize` returns a plain object.
 */
export function protobuf<T extends object = Record<string, unknown>>(options: ProtobufSerializerOptions): Serializer<T> {
  const type = resolveType(options);
  const framed = options.schemaId !== undefined;
  const schemaId = framed ? checkSchemaId('protobuf', options.schemaId) : 0;
  const indexes = checkMessageIndexes('protobuf', options.messageIndexes ?? [0]);
  const indexBytes = encodeMessageIndexes(indexes);
  const prefix = CONFLUENT_HEADER_BYTES + indexBytes.length;
  const objectOptions = options.objectOptions ?? DEFAULT_OBJECT_OPTIONS;

  /** The payload after a message-index path written in another (longer) form, if it is ours. */
  const readIndexes = (bytes: Uint8Array, start: number): Uint8Array => {
    const read = decodeMessageIndexes('protobuf', bytes, start);
    if (read.indexes.length !== indexes.length || read.indexes.some((v, i) => v !== indexes[i])) {
      throw deserializationError('protobuf', `the payload is message [${read.indexes}] of its schema, this serializer reads [${indexes}]`);
    }
    return bytes.subarray(read.pos);
  };

  return {
    name: 'protobuf',
    serialize(value) {
      if (value === null) return null;
      if (typeof value !== 'object') throw serializationError('protobuf', `expected an object, got ${typeof value}`);
      let encoded: Uint8Array;
      try {
        const message = value instanceof type.ctor ? (value as Message) : type.fromObject(value as Record<string, unknown>);
        encoded = type.encode(message).finish();
      } catch (error) {
        throw serializationError('protobuf', `the value does not fit ${type.fullName}: ${describe(error)}`, error);
      }
      if (!framed) return new Uint8Array(encoded.buffer, encoded.byteOffset, encoded.length);
      const out = new Uint8Array(prefix + encoded.length);
      writeConfluentHeader(out, schemaId);
      out.set(indexBytes, CONFLUENT_HEADER_BYTES);
      out.set(encoded, prefix);
      return out;
    },
    deserialize(bytes) {
      if (bytes === null) return null;
      let payload = bytes;
      if (framed) {
        const start = readConfluentHeader('protobuf', bytes, schemaId);
        // Fast path: the index bytes are exactly the ones this serializer writes.
        if (startsWith(bytes, start, indexBytes)) payload = bytes.subarray(prefix);
        else payload = readIndexes(bytes, start);
      }
      try {
        return type.toObject(type.decode(payload), objectOptions) as T;
      } catch (error) {
        throw deserializationError('protobuf', `the bytes are not a valid ${type.fullName}: ${describe(error)}`, error);
      }
    },
  };
}

function startsWith(bytes: Uint8Array, at: number, prefix: Uint8Array): boolean {
  if (bytes.length < at + prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[at + i] !== prefix[i]) return false;
  return true;
}

function resolveType(options: ProtobufSerializerOptions): Type {
  if (!options) throw optionError('protobuf', 'a type, or a root and a typeName, is required');
  if (options.type) return options.type;
  if (options.root && typeof options.typeName === 'string') {
    try {
      return options.root.lookupType(options.typeName);
    } catch (error) {
      throw optionError('protobuf', `no message type "${options.typeName}" in the root: ${describe(error)}`);
    }
  }
  throw optionError('protobuf', 'a type, or a root and a typeName, is required');
}
