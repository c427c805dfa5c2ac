/**
 * The declarative schema format: each API is described once as data — its fields, the
 * versions each field exists in, where it may be null, where it is a tagged field — and
 * one generic codec (codec.ts) reads and writes every version from that description.
 *
 * Version ranges are strings as Kafka writes them: `'3+'` (3 and later), `'0-4'`, `'7'`.
 *
 * The descriptions themselves are generated from Kafka's message definitions into
 * generated/ (`npm run generate:protocol`), with the TypeScript types of each message.
 */
import { TributaryError } from '../errors.ts';

/** Primitive field types. `records` is a byte field carrying record batches. */
export type PrimitiveType =
  | 'int8' | 'int16' | 'int32' | 'int64' | 'uint16' | 'uint32' | 'float64' | 'bool'
  | 'string' | 'bytes' | 'records' | 'uuid';

/** A field's type: a primitive, an array of primitives, a struct or an array of structs. */
export type FieldType = PrimitiveType | `[]${PrimitiveType}` | 'struct' | '[]struct';

/** A default value as a schema may state it. */
export type DefaultValue = number | boolean | string | null;

/** One field of a message or struct. */
export interface FieldSpec {
  /** Kafka's field name with the first letter lowercased (`topicData`). */
  readonly name: string;
  readonly type: FieldType;
  /** Versions the field exists in. */
  readonly versions: string;
  /** Versions in which it may be null (strings, bytes, records, arrays). */
  readonly nullable?: string;
  /** Tag number, for tagged fields. */
  readonly tag?: number;
  /** Versions in which the field is tagged (it is absent from the fixed layout then). */
  readonly tagged?: string;
  /** Default when the field is missing on encode or absent from the decoded version. */
  readonly default?: DefaultValue;
  /** Member fields of a struct or of an array's struct elements. */
  readonly fields?: readonly FieldSpec[];
}

/** One API: key, name, versions, where flexible versions begin, request and response fields. */
export interface ApiSchema {
  readonly apiKey: number;
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
  /** First flexible version (compact encodings, tagged fields), or null when none is. */
  readonly flexibleFrom: number | null;
  readonly request: readonly FieldSpec[];
  readonly response: readonly FieldSpec[];
}

/** A free-standing versioned data format (the consumer protocol's embedded payloads). */
export interface DataSchema {
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
  readonly flexibleFrom: number | null;
  readonly fields: readonly FieldSpec[];
}

/** Extra attributes of a field. */
export interface FieldOptions {
  nullable?: string;
  tag?: number;
  tagged?: string;
  default?: DefaultValue;
}

/** A primitive field (or array of primitives: `'[]int32'`). */
export function f(name: string, type: PrimitiveType | `[]${PrimitiveType}`, versions: string, options: FieldOptions = {}): FieldSpec {
  return { name, type, versions, ...options };
}

/** A single nested struct. */
export function s(name: string, versions: string, fields: readonly FieldSpec[], options: FieldOptions = {}): FieldSpec {
  return { name, type: 'struct', versions, fields, ...options };
}

/** An array of structs. */
export function a(name: string, versions: string, fields: readonly FieldSpec[], options: FieldOptions = {}): FieldSpec {
  return { name, type: '[]struct', versions, fields, ...options };
}

/** Describes one API: `api(0, 'Produce', '0-11', 9, { request, response })`. */
export function api(
  apiKey: number,
  name: string,
  versions: string,
  flexibleFrom: number | null,
  messages: { request: readonly FieldSpec[]; response: readonly FieldSpec[] },
): ApiSchema {
  const [minVersion, maxVersion] = parseVersions(versions);
  return Object.freeze({ apiKey, name, minVersion, maxVersion, flexibleFrom, request: messages.request, response: messages.response });
}

/** A parsed version range: inclusive bounds. */
export type VersionRange = readonly [min: number, max: number];

const cache = new Map<string, VersionRange>();

/** Parses `'3+'`, `'0-4'`, `'7'` or `'none'` into inclusive bounds (none = empty). */
export function parseVersions(range: string): VersionRange {
  let parsed = cache.get(range);
  if (parsed) return parsed;
  let m: RegExpMatchArray | null;
  if (range === 'none') parsed = [1, 0];
  else if ((m = /^(\d+)\+$/.exec(range))) parsed = [Number(m[1]), Infinity];
  else if ((m = /^(\d+)-(\d+)$/.exec(range))) parsed = [Number(m[1]), Number(m[2])];
  else if ((m = /^(\d+)$/.exec(range))) parsed = [Number(m[1]), Number(m[1])];
  else throw new TributaryError('ERR_INVALID_SCHEMA', `bad version range ${range}`);
  cache.set(range, parsed);
  return parsed;
}

/** True when `version` lies in the range string (undefined = never). */
export function inVersions(range: string | undefined, version: number): boolean {
  if (range === undefined) return false;
  const [min, max] = parseVersions(range);
  return version >= min && version <= max;
}
