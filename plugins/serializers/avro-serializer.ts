/**
 * The `avro` serializer's implementation: Avro binary encoding of one schema, optionally
 * in the Confluent schema-registry wire format (magic byte 0, 4-byte schema id, Avro
 * binary). It takes avsc from its caller — a static import in avro.ts (the
 * `tributary/serializers/avro` entry), a load on first use in the default registry — so
 * that nothing imports avsc before a user asks for Avro.
 */
import type avsc from 'avsc';
import type { Serializer } from '../../core/contracts/serializer.ts';
import { checkSchemaId, CONFLUENT_HEADER_BYTES, readConfluentHeader, writeConfluentHeader } from './confluent-framing.ts';
import { describe, deserializationError, optionError, serializationError } from './serde-errors.ts';

/** Options of {@link avro}. */
export interface AvroSerializerOptions {
  /**
   * The Avro schema (a JSON object or JSON text), or an avsc `Type` already built —
   * pass a Type to use other avsc options (logical types, a custom registry).
   */
  schema: avsc.Schema | avsc.Type;
  /**
   * The schema-registry id of `schema`. When set, payloads use the Confluent wire
   * format, and reading a payload framed with another id is `ERR_DESERIALIZATION`.
   */
  schemaId?: number;
  /**
   * How Avro `long` values appear: `'number'` (avsc's default; values beyond ±2^52 are
   * refused) or `'bigint'` (every long, exactly). Only with a schema, not a Type.
   */
  longs?: 'number' | 'bigint';
}

/** The avsc module (its default export). */
export type Avsc = typeof avsc;

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
function toAvsc(lib: Avsc, bytes: Uint8Array, start: number): Uint8Array {
  avscBytes ??= lib.Type.forSchema('null').toBuffer(null).constructor as unknown as AvscBytesClass;
  return avscBytes.from(bytes.buffer, bytes.byteOffset + start, bytes.length - start);
}

/** First size of an avro serializer's encoding buffer; it doubles when a value needs more. */
const INITIAL_SCRATCH_BYTES = 1024;

const MIN_LONG = -(2n ** 63n);
const MAX_LONG = 2n ** 63n - 1n;

let longBytes: { bytes: Uint8Array; view: DataView } | undefined;

/**
 * An avsc `long` type whose values are bigints. avsc hands the custom type each long as
 * 8 little-endian two's-complement bytes and takes the same back.
 */
function bigintLongType(lib: Avsc): avsc.Type {
  return lib.types.LongType.__with({
    // Read byte by byte: a DataView would need `.buffer`, which is slow on avsc's small buffers.
    fromBuffer: (b: Uint8Array) => {
      const lo = (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
      const hi = b[4]! | (b[5]! << 8) | (b[6]! << 16) | (b[7]! << 24);
      return (BigInt(hi) << 32n) | BigInt(lo);
    },
    toBuffer: (value: bigint) => {
      // avsc packs these bytes before it asks for the next long, so one buffer serves all.
      if (longBytes === undefined) {
        const bytes = toAvsc(lib, new Uint8Array(8), 0);
        longBytes = { bytes, view: new DataView(bytes.buffer, bytes.byteOffset, 8) };
      }
      longBytes.view.setBigInt64(0, value, true);
      return longBytes.bytes;
    },
    fromJSON: (value: unknown) => BigInt(value as string),
    toJSON: (value: bigint) => Number(value),
    isValid: (value: unknown) => typeof value === 'bigint' && value >= MIN_LONG && value <= MAX_LONG,
    compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
  });
}

function buildType(lib: Avsc, options: AvroSerializerOptions): avsc.Type {
  const longs = options.longs ?? 'number';
  if (longs !== 'number' && longs !== 'bigint') throw optionError('avro', `longs must be 'number' or 'bigint', got ${String(longs)}`);
  if (options.schema instanceof lib.Type) {
    if (options.longs !== undefined) throw optionError('avro', 'the longs option needs a schema; a prebuilt Type already decides how longs look');
    return options.schema;
  }
  try {
    return lib.Type.forSchema(options.schema, longs === 'bigint' ? { registry: { long: bigintLongType(lib) } } : undefined);
  } catch (error) {
    throw optionError('avro', `invalid schema: ${describe(error)}`);
  }
}

/** A value for an error message: JSON where it can be, short. */
function shown(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'bigint' ? `${value}n` : JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

/**
 * Which field of `value` does not fit `type`, as a person would say it (`field "lat":
 * expected double, got "north"`), from avsc's validation path; undefined when avsc
 * finds nothing to point at. Only called once encoding has failed, so the valid path
 * pays nothing.
 */
function invalidField(type: avsc.Type, value: unknown): string | undefined {
  let found: string | undefined;
  try {
    type.isValid(value, {
      errorHook: (path, val, t) => {
        if (found !== undefined) return;
        const where = path.length > 0 ? `field "${path.join('.')}"` : 'the value';
        const expected = t.name ?? t.branchName ?? t.typeName;
        found = val === undefined ? `${where} is missing (expected ${expected})` : `${where}: expected ${expected}, got ${shown(val)}`;
      },
    });
  } catch {
    return undefined;
  }
  return found;
}

/**
 * Creates an Avro serializer for one schema, with the avsc that `loadAvsc` returns (called
 * once the options are known to be complete, so a bad call fails on its options first).
 * Values are what avsc accepts and returns (records as objects, `long` as a number unless
 * `longs: 'bigint'`; `bytes` and `fixed` fields are avsc's byte containers).
 */
export function avroSerializer<T = unknown>(loadAvsc: () => Avsc, options: AvroSerializerOptions): Serializer<T> {
  if (!options || options.schema === undefined) throw optionError('avro', 'a schema is required');
  const lib = loadAvsc();
  const type = buildType(lib, options);
  const framed = options.schemaId !== undefined;
  const schemaId = framed ? checkSchemaId('avro', options.schemaId) : 0;

  const offset = framed ? CONFLUENT_HEADER_BYTES : 0;
  // Values are encoded into a scratch buffer of avsc's kind (the header written once at
  // its start), then copied out with one slice. Viewing avsc's own output instead
  // would be slower: for small outputs, reading `.buffer` makes V8 move the bytes.
  let scratch: Uint8Array | undefined;
  let scratchView = new Uint8Array(0);
  const allocate = (size: number): void => {
    scratchView = new Uint8Array(size);
    if (framed) writeConfluentHeader(scratchView, schemaId);
    scratch = toAvsc(lib, scratchView, 0);
  };

  return {
    name: 'avro',
    serialize(value) {
      if (value === null) return null;
      if (scratch === undefined) allocate(INITIAL_SCRATCH_BYTES);
      let end: number;
      try {
        end = type.encode(value, scratch as never, offset);
        // A negative result is how many bytes were missing; the retry always fits.
        if (end < 0) {
          allocate(Math.max(scratchView.length * 2, scratchView.length - end));
          end = type.encode(value, scratch as never, offset);
        }
      } catch (error) {
        throw serializationError('avro', `the value does not match the schema: ${invalidField(type, value) ?? describe(error)}`, error);
      }
      return scratchView.slice(0, end);
    },
    deserialize(bytes) {
      if (bytes === null) return null;
      const start = framed ? readConfluentHeader('avro', bytes, schemaId) : 0;
      try {
        // fromBuffer also refuses trailing bytes, which catches most corruption.
        return type.fromBuffer(toAvsc(lib, bytes, start) as never) as T;
      } catch (error) {
        throw deserializationError('avro', `the bytes are not a valid Avro payload: ${describe(error)}`, error);
      }
    },
  };
}
