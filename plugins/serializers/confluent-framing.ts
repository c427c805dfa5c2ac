/**
 * The Confluent schema-registry wire format, shared by the avro and protobuf
 * serializers: a magic byte 0, the schema id as a 4-byte big-endian int, then (for
 * Protobuf only) the message-index path, then the encoded payload.
 *
 * The message-index path says which message of the schema's .proto file the payload
 * is: a zigzag varint count followed by one zigzag varint per level of nesting
 * (`[1, 0]` is the first message nested in the file's second message). The very
 * common path `[0]` is written as a single 0 byte (a count of zero), and a count of
 * zero reads back as `[0]`.
 */
import { TributaryError } from '../../core/errors.ts';
import { deserializationError, optionError } from './serde-errors.ts';

/** The first byte of every Confluent-framed payload. */
export const CONFLUENT_MAGIC = 0;
/** Bytes taken by the magic byte and the schema id. */
export const CONFLUENT_HEADER_BYTES = 5;

/** Checks a schema id option: a non-negative 32-bit integer, as the registry assigns. */
export function checkSchemaId(serializer: string, schemaId: unknown): number {
  if (typeof schemaId !== 'number' || !Number.isInteger(schemaId) || schemaId < 0 || schemaId > 0x7fffffff) {
    throw optionError(serializer, `schemaId must be an integer in [0, 2^31), got ${String(schemaId)}`);
  }
  return schemaId;
}

/** Writes the magic byte and the schema id at the start of `out`. */
export function writeConfluentHeader(out: Uint8Array, schemaId: number): void {
  out[0] = CONFLUENT_MAGIC;
  out[1] = schemaId >>> 24;
  out[2] = (schemaId >>> 16) & 0xff;
  out[3] = (schemaId >>> 8) & 0xff;
  out[4] = schemaId & 0xff;
}

/**
 * Checks the header of a framed payload: long enough, magic byte 0, and the schema id
 * the serializer was configured with (a payload written with another schema would
 * decode into garbage). Returns the offset just after the header.
 */
export function readConfluentHeader(serializer: string, bytes: Uint8Array, expectedSchemaId: number): number {
  if (!(bytes instanceof Uint8Array)) throw deserializationError(serializer, `expected a Uint8Array, got ${typeof bytes}`);
  if (bytes.length < CONFLUENT_HEADER_BYTES) {
    throw deserializationError(serializer, `a Confluent-framed payload needs at least ${CONFLUENT_HEADER_BYTES} bytes, got ${bytes.length}`);
  }
  if (bytes[0] !== CONFLUENT_MAGIC) {
    throw deserializationError(serializer, `unknown magic byte ${bytes[0]} (the Confluent wire format starts with 0)`);
  }
  const schemaId = ((bytes[1]! << 24) | (bytes[2]! << 16) | (bytes[3]! << 8) | bytes[4]!) >>> 0;
  if (schemaId !== expectedSchemaId) {
    // The ids are in `details` so that a caller can fetch the writer's schema and retry.
    throw new TributaryError('ERR_DESERIALIZATION', `${serializer}: the payload was written with schema id ${schemaId}, this serializer reads schema id ${expectedSchemaId}`, {
      details: { serializer, schemaId, expectedSchemaId },
    });
  }
  return CONFLUENT_HEADER_BYTES;
}

/** Checks a message-index path option: a non-empty list of non-negative int32s. */
export function checkMessageIndexes(serializer: string, indexes: unknown): readonly number[] {
  if (!Array.isArray(indexes) || indexes.length === 0 || !indexes.every((i) => Number.isInteger(i) && i >= 0 && i <= 0x7fffffff)) {
    throw optionError(serializer, 'messageIndexes must be a non-empty array of non-negative integers');
  }
  return [...indexes] as number[];
}

/** The bytes of a message-index path (a lone `[0]` becomes the single byte 0). */
export function encodeMessageIndexes(indexes: readonly number[]): Uint8Array {
  if (indexes.length === 1 && indexes[0] === 0) return new Uint8Array([0]);
  const out: number[] = [];
  writeZigzagVarint(out, indexes.length);
  for (const index of indexes) writeZigzagVarint(out, index);
  return new Uint8Array(out);
}

/** Reads a message-index path at `pos`; returns the path and the offset after it. */
export function decodeMessageIndexes(serializer: string, bytes: Uint8Array, pos: number): { indexes: number[]; pos: number } {
  const count = readZigzagVarint(serializer, bytes, pos);
  pos = count.pos;
  if (count.value === 0) return { indexes: [0], pos };
  // Each index takes at least one byte: a count beyond what is left is corruption,
  // not a reason to allocate.
  if (count.value < 0 || count.value > bytes.length - pos) {
    throw deserializationError(serializer, `invalid message-index count ${count.value}`);
  }
  const indexes: number[] = [];
  for (let i = 0; i < count.value; i++) {
    const index = readZigzagVarint(serializer, bytes, pos);
    if (index.value < 0) throw deserializationError(serializer, `invalid message index ${index.value}`);
    indexes.push(index.value);
    pos = index.pos;
  }
  return { indexes, pos };
}

function writeZigzagVarint(out: number[], value: number): void {
  let v = ((value << 1) ^ (value >> 31)) >>> 0;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
}

function readZigzagVarint(serializer: string, bytes: Uint8Array, pos: number): { value: number; pos: number } {
  let raw = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (pos >= bytes.length) throw deserializationError(serializer, 'the message-index list is truncated');
    const byte = bytes[pos++]!;
    raw |= (byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) {
      // A 5th byte may only carry the top four bits of a 32-bit value.
      if (shift === 28 && byte > 0x0f) break;
      raw >>>= 0;
      return { value: (raw >>> 1) ^ -(raw & 1), pos };
    }
  }
  throw deserializationError(serializer, 'a message-index varint is longer than 32 bits');
}
