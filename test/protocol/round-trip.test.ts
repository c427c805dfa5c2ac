/**
 * Round trip of every version of every described API, request and response: a value
 * with a non-default entry in every field the version carries (tagged fields included),
 * and a second value with null in every field that version allows to be null.
 * Decoding must give back the value, with defaults for the fields the version lacks.
 */
import { describe, expect, it } from 'vitest';
import {
  ALL_SCHEMAS, ZERO_UUID, concat, decodeRequest, decodeResponse, encodeRequest, encodeResponse, inVersions,
  type ApiSchema, type FieldSpec,
} from '../../core/protocol/index.ts';

type Mode = 'values' | 'nulls';

/** The value a field takes when it is missing (mirrors the rules documented in the codec). */
function defaultOf(spec: FieldSpec): unknown {
  if (spec.type.startsWith('[]')) return spec.nullable !== undefined ? null : [];
  if (spec.type === 'struct') return Object.fromEntries(spec.fields!.map((f) => [f.name, defaultOf(f)]));
  if (spec.default !== undefined) return spec.default;
  if (spec.type === 'uuid') return ZERO_UUID;
  if (spec.nullable !== undefined) return null;
  switch (spec.type) {
    case 'bool': return false;
    case 'string': return '';
    case 'bytes': case 'records': return new Uint8Array(0);
    default: return 0;
  }
}

let counter = 0;
/** A non-default value of a primitive type (varied so that fields cannot be confused). */
function sample(type: string, spec: FieldSpec): unknown {
  counter++;
  switch (type) {
    case 'int8': return (counter % 100) + 1;
    case 'int16': return 1000 + (counter % 1000);
    case 'int32': return 100_000 + counter;
    case 'int64': return 2 ** 40 + counter;
    case 'uint16': return 65_000 + (counter % 500);
    case 'uint32': return 4_000_000_000 + counter;
    case 'float64': return 1.5 + counter;
    case 'bool': return spec.default !== true;
    case 'string': return `${spec.name}-é-${counter}`;
    case 'uuid': return `0123abcd-4567-89ef-0123-${(counter + 0x100000000000).toString(16).slice(-12)}`;
    case 'bytes': return new Uint8Array([counter & 0xff, 1, 2, 3]);
    // Records above the writer's chunking threshold exercise the pass-through path.
    case 'records': return new Uint8Array(300).fill(counter & 0xff);
    default: throw new Error(type);
  }
}

/** Builds [input, expected] for one struct in one version. */
function build(fields: readonly FieldSpec[], version: number, flexible: boolean, mode: Mode): [Record<string, unknown>, Record<string, unknown>] {
  const input: Record<string, unknown> = {};
  const expected: Record<string, unknown> = {};
  for (const spec of fields) {
    if (!inVersions(spec.versions, version)) {
      expected[spec.name] = defaultOf(spec);
      continue;
    }
    const tagged = flexible && inVersions(spec.tagged, version);
    if (!flexible && spec.tagged !== undefined && inVersions(spec.tagged, version)) throw new Error('tagged in non-flexible version');
    const nullable = inVersions(spec.nullable, version);
    if (mode === 'nulls' && nullable) {
      input[spec.name] = null;
      // A tagged field equal to its default is not written; it decodes as the default.
      expected[spec.name] = tagged ? defaultOf(spec) : null;
      continue;
    }
    let pair: [unknown, unknown];
    if (spec.type === '[]struct') {
      const items = [build(spec.fields!, version, flexible, mode), build(spec.fields!, version, flexible, mode)];
      pair = [items.map((p) => p[0]), items.map((p) => p[1])];
    } else if (spec.type === 'struct') {
      pair = build(spec.fields!, version, flexible, mode);
    } else if (spec.type.startsWith('[]')) {
      const values = [sample(spec.type.slice(2), spec), sample(spec.type.slice(2), spec)];
      pair = [values, values];
    } else {
      const v = sample(spec.type, spec);
      pair = [v, v];
    }
    input[spec.name] = pair[0];
    expected[spec.name] = pair[1];
  }
  return [input, expected];
}

function versions(schema: ApiSchema): number[] {
  const out: number[] = [];
  for (let v = schema.minVersion; v <= schema.maxVersion; v++) out.push(v);
  return out;
}

const everything = ALL_SCHEMAS.map((s) => ({ apiKey: s.apiKey, minVersion: s.minVersion, maxVersion: s.maxVersion }));

describe.each(ALL_SCHEMAS.map((s) => [s.name, s] as const))('%s', (_name, schema) => {
  it.each(versions(schema))('v%i request and response round-trip', (version) => {
    const flexible = schema.flexibleFrom !== null && version >= schema.flexibleFrom;
    for (const mode of ['values', 'nulls'] as const) {
      const [request, expectedRequest] = build(schema.request, version, flexible, mode);
      const header = { apiKey: schema.apiKey, apiVersion: version, correlationId: 0x7abc0123, clientId: mode === 'nulls' ? null : 'client-ü' };
      const requestFrame = concat(encodeRequest(header, request));
      expect(new DataView(requestFrame.buffer).getInt32(0)).toBe(requestFrame.length - 4);
      const decoded = decodeRequest(requestFrame.subarray(4), everything);
      expect(decoded.header).toEqual(header);
      expect(decoded.body).toEqual(expectedRequest);

      const [response, expectedResponse] = build(schema.response, version, flexible, mode);
      const responseFrame = concat(encodeResponse(schema.apiKey, version, 77, response));
      expect(new DataView(responseFrame.buffer).getInt32(0)).toBe(responseFrame.length - 4);
      const back = decodeResponse(schema.apiKey, version, responseFrame.subarray(4));
      expect(back.correlationId).toBe(77);
      expect(back.body).toEqual(expectedResponse);
    }
  });

  it('encodes an empty body (every field missing) as the defaults', () => {
    for (const version of versions(schema)) {
      const frame = concat(encodeRequest({ apiKey: schema.apiKey, apiVersion: version, correlationId: 1, clientId: '' }, {}));
      const flexible = schema.flexibleFrom !== null && version >= schema.flexibleFrom;
      const expected = Object.fromEntries(schema.request.map((f) => [f.name, defaultOf(f)]));
      // A nullable-in-later-versions array that is null by default goes out as [] where null is not allowed.
      for (const f of schema.request) {
        if (inVersions(f.versions, version) && expected[f.name] === null && !inVersions(f.nullable, version) && !(flexible && inVersions(f.tagged, version))) {
          expected[f.name] = f.type.startsWith('[]') ? [] : f.type === 'string' ? '' : new Uint8Array(0);
        }
      }
      expect(decodeRequest(frame.subarray(4), everything).body).toEqual(expected);
    }
  });
});
