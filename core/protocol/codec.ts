/**
 * The generic codec: compiles a schema's field list, for one version, into a flat plan
 * (which fields are on the wire, in which encoding, which are tagged, which are absent
 * and take their defaults), caches the plan, and reads or writes any message with it.
 */
import { TributaryError } from '../errors.ts';
import { Reader } from './reader.ts';
import { Writer } from './writer.ts';
import { inVersions, type FieldSpec, type PrimitiveType } from './schema.ts';

// Field kinds as small integers so the hot loops switch on numbers, not strings.
const INT8 = 0, INT16 = 1, INT32 = 2, INT64 = 3, UINT16 = 4, UINT32 = 5, FLOAT64 = 6, BOOL = 7;
const STRING = 8, BYTES = 9, RECORDS = 10, UUID = 11, STRUCT = 12, ARRAY = 13;

const KINDS: Record<PrimitiveType, number> = {
  int8: INT8, int16: INT16, int32: INT32, int64: INT64, uint16: UINT16, uint32: UINT32,
  float64: FLOAT64, bool: BOOL, string: STRING, bytes: BYTES, records: RECORDS, uuid: UUID,
};

/** The all-zero uuid, Kafka's "no id". */
export const ZERO_UUID = '00000000-0000-0000-0000-000000000000';
const EMPTY = new Uint8Array(0);

/** One field as it is laid out in one version. */
interface FieldPlan {
  readonly name: string;
  readonly kind: number;
  /** How one array element is read and written (never nullable itself). */
  readonly item: FieldPlan | null;
  readonly nullable: boolean;
  /** Compact (flexible-version) encodings. */
  readonly compact: boolean;
  /** Struct layout for structs and arrays of structs. */
  readonly sub: Plan | null;
  readonly tag: number;
  /** Smallest wire size of one array element (bounds forged array counts). */
  readonly minElementSize: number;
  /** Makes the default value (fresh arrays/objects each time). */
  readonly makeDefault: () => unknown;
  /** For arrays: whether the default is null (else empty). */
  readonly nullDefault: boolean;
}

/** One struct (or message body) as it is laid out in one version. */
export interface Plan {
  readonly fields: readonly FieldPlan[];
  /** Tagged fields of this version, by ascending tag. */
  readonly tagged: readonly FieldPlan[];
  /** Fields not in the fixed layout of this version (absent or tagged): filled with defaults on decode. */
  readonly absent: readonly FieldPlan[];
  readonly flexible: boolean;
  readonly minSize: number;
}

function minSize(kind: number, compact: boolean, sub: Plan | null): number {
  switch (kind) {
    case INT8: case BOOL: return 1;
    case INT16: case UINT16: return 2;
    case INT32: case UINT32: return 4;
    case INT64: case FLOAT64: return 8;
    case UUID: return 16;
    case STRING: return compact ? 1 : 2;
    case BYTES: case RECORDS: case ARRAY: return compact ? 1 : 4;
    default: return sub!.minSize;
  }
}

function primitiveDefault(kind: number, spec: FieldSpec): unknown {
  if (spec.default !== undefined) return kind === UUID && spec.default === null ? ZERO_UUID : spec.default;
  if (spec.nullable !== undefined && kind !== UUID) return null;
  switch (kind) {
    case BOOL: return false;
    case STRING: return '';
    case UUID: return ZERO_UUID;
    case BYTES: case RECORDS: return EMPTY;
    default: return 0;
  }
}

const plans = new WeakMap<readonly FieldSpec[], Map<number, Plan>>();

/** The cached layout of `fields` in `version` (flexible = compact encodings and tags). */
export function compilePlan(fields: readonly FieldSpec[], version: number, flexible: boolean): Plan {
  let byVersion = plans.get(fields);
  if (!byVersion) plans.set(fields, (byVersion = new Map()));
  const key = flexible ? version + 0.5 : version;
  let plan = byVersion.get(key);
  if (!plan) byVersion.set(key, (plan = buildPlan(fields, version, flexible)));
  return plan;
}

function buildPlan(specs: readonly FieldSpec[], version: number, flexible: boolean): Plan {
  const fields: FieldPlan[] = [];
  const tagged: FieldPlan[] = [];
  const absent: FieldPlan[] = [];
  let size = flexible ? 1 : 0;
  for (const spec of specs) {
    const isArray = spec.type.startsWith('[]');
    const base = isArray ? spec.type.slice(2) : spec.type;
    const elem = base === 'struct' ? STRUCT : KINDS[base as PrimitiveType];
    const kind = isArray ? ARRAY : elem;
    const sub = spec.fields ? compilePlan(spec.fields, version, flexible) : null;
    const nullable = inVersions(spec.nullable, version);
    let makeDefault: () => unknown;
    const nullDefault = isArray && spec.nullable !== undefined;
    if (isArray) makeDefault = nullDefault ? () => null : () => [];
    else if (kind === STRUCT) makeDefault = () => defaultStruct(sub!);
    else {
      const value = primitiveDefault(kind, spec);
      makeDefault = () => value;
    }
    const item: FieldPlan | null = isArray
      ? { name: spec.name, kind: elem, item: null, nullable: false, compact: flexible, sub, tag: -1, minElementSize: 1, makeDefault: () => undefined, nullDefault: false }
      : null;
    const plan: FieldPlan = {
      name: spec.name, kind, item, nullable, compact: flexible, sub, tag: spec.tag ?? -1,
      minElementSize: Math.max(1, minSize(elem, flexible, sub)), makeDefault, nullDefault,
    };
    if (!inVersions(spec.versions, version)) absent.push(plan);
    else if (flexible && inVersions(spec.tagged, version)) { tagged.push(plan); absent.push(plan); }
    else { fields.push(plan); size += minSize(kind, flexible, sub); }
  }
  tagged.sort((x, y) => x.tag - y.tag);
  return { fields, tagged, absent, flexible, minSize: size };
}

function defaultStruct(plan: Plan): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const f of plan.fields) o[f.name] = f.makeDefault();
  for (const f of plan.absent) o[f.name] = f.makeDefault();
  return o;
}

// ---------------------------------------------------------------- decode

/** Reads one struct laid out by `plan`; absent and untagged fields get their defaults. */
export function readStruct(r: Reader, plan: Plan): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  const fields = plan.fields;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    o[f.name] = readValue(r, f, f.kind);
  }
  const absent = plan.absent;
  for (let i = 0; i < absent.length; i++) o[absent[i]!.name] = absent[i]!.makeDefault();
  if (plan.flexible) readTagged(r, plan, o);
  return o;
}

function readTagged(r: Reader, plan: Plan, o: Record<string, unknown>): void {
  const count = r.uvarint();
  for (let i = 0; i < count; i++) {
    const tag = r.uvarint();
    const size = r.uvarint();
    const end = r.offset + size;
    if (size > r.remaining) r.fail(`tagged field ${tag} of ${size} bytes exceeds the frame`);
    const f = plan.tagged.find((t) => t.tag === tag);
    if (f) {
      // Read the field inside its declared size, then continue after it whatever it used.
      const sub = new Reader(r.bytes, r.offset, end, r.errorCode);
      o[f.name] = readValue(sub, f, f.kind);
    }
    r.offset = end;
  }
}

function readValue(r: Reader, f: FieldPlan, kind: number): unknown {
  switch (kind) {
    case INT8: return r.int8();
    case INT16: return r.int16();
    case INT32: return r.int32();
    case INT64: return r.int64();
    case UINT16: return r.uint16();
    case UINT32: return r.uint32();
    case FLOAT64: return r.float64();
    case BOOL: return r.bool();
    case UUID: return r.uuid();
    case STRING:
      if (f.compact) return f.nullable ? r.compactNullableString() : r.compactString();
      return f.nullable ? r.nullableString() : r.string();
    case BYTES: case RECORDS:
      return f.compact ? r.compactBytes(f.nullable) : r.bytesField(f.nullable);
    case STRUCT: return readStruct(r, f.sub!);
    default: {
      const n = r.arrayLength(f.compact, f.nullable, f.minElementSize);
      if (n < 0) return null;
      const out = new Array(n);
      const item = f.item!;
      const elem = item.kind;
      for (let i = 0; i < n; i++) out[i] = readValue(r, item, elem);
      return out;
    }
  }
}

// ---------------------------------------------------------------- encode

/** Writes one struct laid out by `plan`; missing fields take their defaults. */
export function writeStruct(w: Writer, plan: Plan, o: Readonly<Record<string, unknown>> | null | undefined): void {
  const fields = plan.fields;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    let v = o == null ? undefined : o[f.name];
    if (v === undefined) v = f.makeDefault();
    writeValue(w, f, f.kind, v);
  }
  if (plan.flexible) writeTagged(w, plan, o);
}

function writeTagged(w: Writer, plan: Plan, o: Readonly<Record<string, unknown>> | null | undefined): void {
  if (plan.tagged.length === 0 || o == null) { w.uvarint(0); return; }
  const present: Array<[FieldPlan, unknown]> = [];
  {
    for (const f of plan.tagged) {
      const v = o[f.name];
      if (v !== undefined && !isDefault(f, f.kind, v)) present.push([f, v]);
    }
  }
  w.uvarint(present.length);
  for (const [f, v] of present) {
    const inner = new Writer(64);
    writeValue(inner, f, f.kind, v);
    const bytes = inner.finishOne();
    w.uvarint(f.tag);
    w.uvarint(bytes.length);
    w.raw(bytes);
  }
}

// The writers trust the schema for a value's type (the fields were built from it); a
// value of the wrong type fails in the Writer, as it always has.
type Bytes = Uint8Array | readonly Uint8Array[];
type Struct = Readonly<Record<string, unknown>>;

function isDefault(f: FieldPlan, kind: number, v: unknown): boolean {
  if (kind === ARRAY) return f.nullDefault ? v === null : v !== null && (v as readonly unknown[]).length === 0;
  if (kind === STRUCT) {
    if (v == null) return true;
    const o = v as Struct;
    const sub = f.sub!;
    for (const g of sub.fields) if (o[g.name] !== undefined && !isDefault(g, g.kind, o[g.name])) return false;
    for (const g of sub.tagged) if (o[g.name] !== undefined && !isDefault(g, g.kind, o[g.name])) return false;
    return true;
  }
  const d = f.makeDefault();
  if (kind === BYTES || kind === RECORDS) return d === null ? v === null : v !== null && byteLength(v as Bytes) === 0;
  if (kind === INT64 && typeof v === 'bigint') return d === Number(v);
  return v === d;
}

function byteLength(v: Uint8Array | readonly Uint8Array[]): number {
  if (v instanceof Uint8Array) return v.length;
  let n = 0;
  for (const c of v) n += c.length;
  return n;
}

function writeValue(w: Writer, f: FieldPlan, kind: number, v: unknown): void {
  switch (kind) {
    case INT8: w.int8(v as number); return;
    case INT16: w.int16(v as number); return;
    case INT32: w.int32(v as number); return;
    case INT64: w.int64(v as number | bigint); return;
    case UINT16: w.uint16(v as number); return;
    case UINT32: w.uint32(v as number); return;
    case FLOAT64: w.float64(v as number); return;
    case BOOL: w.bool(!!v); return;
    case UUID: w.uuid((v as string | null | undefined) ?? ZERO_UUID); return;
    case STRING:
      // Null where the version cannot carry it is written as the empty value.
      if (v === null && !f.nullable) v = '';
      if (f.compact) w.compactString(v as string | null); else w.string(v as string | null);
      return;
    case BYTES: case RECORDS: {
      if (v === null && !f.nullable) v = EMPTY;
      if (v === null) { if (f.compact) w.uvarint(0); else w.int32(-1); return; }
      const n = byteLength(v as Bytes);
      if (f.compact) w.uvarint(n + 1); else w.int32(n);
      // Record batches go out as their own chunks: stored bytes are never copied.
      if (v instanceof Uint8Array) w.chunk(v);
      else for (const c of v as readonly Uint8Array[]) w.chunk(c);
      return;
    }
    case STRUCT: writeStruct(w, f.sub!, v as Struct | null | undefined); return;
    default: {
      if (v === null && !f.nullable) v = [];
      if (v === null) { if (f.compact) w.uvarint(0); else w.int32(-1); return; }
      if (!Array.isArray(v)) throw new TributaryError('ERR_INVALID_FIELD', `field ${f.name} must be an array`);
      if (f.compact) w.uvarint(v.length + 1); else w.int32(v.length);
      const item = f.item!;
      const elem = item.kind;
      for (let i = 0; i < v.length; i++) writeValue(w, item, elem, v[i]);
    }
  }
}
