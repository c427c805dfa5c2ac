import { describe, expect, it } from 'vitest';
import { json } from '../../plugins/serializers/json.ts';
import { expectCoded, serializerConformance } from '../../conformance/serializer.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const samples = [{ a: 1, b: 'two', c: [true, false, null], d: { e: 1.5 } }, [1, 2, 3], 'text', { nested: { unicode: 'héllo 🙂' } }, []];

const cyclic: Record<string, unknown> = {};
cyclic.self = cyclic;

serializerConformance('json', () => json(), samples, {
  invalid: [new Uint8Array(0), enc('{'), enc('{"a":}'), enc('nope'), new Uint8Array([0x22, 0xff, 0x22])],
  unserializable: [10n, cyclic, undefined, () => 1, Symbol('s')],
});

describe('json serializer', () => {
  it('writes JSON.stringify as UTF-8', () => {
    expect(new TextDecoder().decode(json().serialize({ a: [1, 'é'] })!)).toBe('{"a":[1,"é"]}');
  });

  it('keeps the cause of a failure', () => {
    const error = expectCoded(() => json().serialize(10n), 'ERR_SERIALIZATION');
    expect(error.cause).toBeInstanceOf(TypeError);
    expect(expectCoded(() => json().deserialize(enc('{')), 'ERR_DESERIALIZATION').cause).toBeInstanceOf(SyntaxError);
  });

  it('applies replacer and reviver', () => {
    const s = json<{ big: bigint }>({
      replacer: (_k, v) => (typeof v === 'bigint' ? { $bigint: v.toString() } : v),
      reviver: (_k, v) => (v && typeof v === 'object' && '$bigint' in v ? BigInt((v as { $bigint: string }).$bigint) : v),
    });
    expect(s.deserialize(s.serialize({ big: 2n ** 70n }))).toEqual({ big: 2n ** 70n });
  });
});
