import avsc from 'avsc';
import { describe, expect, it } from 'vitest';
import { avro } from '../../plugins/serializers/avro.ts';
import { expectCoded, serializerConformance } from '../../conformance/serializer.ts';

const schema: avsc.Schema = {
  type: 'record',
  name: 'Order',
  namespace: 'tributary.test',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'customer', type: 'string' },
    { name: 'amount', type: 'double' },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'note', type: ['null', 'string'], default: null },
    { name: 'status', type: { type: 'enum', name: 'Status', symbols: ['NEW', 'PAID', 'SHIPPED'] } },
  ],
};

const samples = [
  { id: 1, customer: 'ada', amount: 12.5, tags: [], note: null, status: 'NEW' },
  { id: -123456789012345, customer: 'héllo 🙂', amount: -0.25, tags: ['a', 'b'], note: 'rush', status: 'SHIPPED' },
  { id: 42, customer: '', amount: 1e300, tags: ['x'.repeat(300)], note: null, status: 'PAID' },
];

const invalidPlain = [new Uint8Array(0), new Uint8Array([0x02, 0x7f]), new Uint8Array([0x02, 0x02, 0x61])];
const unserializable = [{ id: 'one' }, { id: 1 }, 'text', 5];

serializerConformance('avro', () => avro({ schema }), samples, { invalid: invalidPlain, unserializable });
serializerConformance('avro', () => avro({ schema, schemaId: 1234 }), samples, {
  label: 'Confluent framing',
  invalid: [new Uint8Array([0, 0, 0]), new Uint8Array([1, 0, 0, 4, 0xd2, 2]), new Uint8Array([0, 0, 0, 4, 0xd3, 2]), new Uint8Array([0, 0, 0, 4, 0xd2])],
  unserializable,
});

const longSchema: avsc.Schema = { type: 'record', name: 'Ids', fields: [{ name: 'id', type: 'long' }, { name: 'ids', type: { type: 'array', items: 'long' } }] };
serializerConformance('avro', () => avro({ schema: longSchema, longs: 'bigint' }), [
  { id: 0n, ids: [] },
  { id: 2n ** 63n - 1n, ids: [-(2n ** 63n), -1n, 1n, 2n ** 53n + 1n] },
], { label: 'bigint longs', unserializable: [{ id: 1, ids: [] }, { id: 2n ** 63n, ids: [] }] });

describe('avro serializer', () => {
  it('writes bigint longs exactly as number longs are written', () => {
    const big = avro({ schema: longSchema, longs: 'bigint' }).serialize({ id: -123456789012n, ids: [4503599627370496n] })!;
    const small = avro({ schema: longSchema }).serialize({ id: -123456789012, ids: [4503599627370496] })!;
    expect(big).toEqual(small);
    expectCoded(() => avro({ schema: avsc.Type.forSchema('long'), longs: 'bigint' }), 'ERR_INVALID_OPTION');
    expectCoded(() => avro({ schema: 'long', longs: 'text' as never }), 'ERR_INVALID_OPTION');
  });

  it('writes plain Avro binary, as avsc does', () => {
    const bytes = avro({ schema }).serialize(samples[0])!;
    expect(Object.getPrototypeOf(bytes)).toBe(Uint8Array.prototype);
    expect(Array.from(bytes)).toEqual(Array.from(avsc.Type.forSchema(schema as never).toBuffer(samples[0])));
  });

  it('frames the payload as the Confluent wire format: magic 0, schema id big-endian, Avro binary', () => {
    const plain = avro({ schema }).serialize(samples[1])!;
    const framed = avro({ schema, schemaId: 0x01020304 }).serialize(samples[1])!;
    expect(Array.from(framed.subarray(0, 5))).toEqual([0, 1, 2, 3, 4]);
    expect(framed.subarray(5)).toEqual(plain);
  });

  it('encodes values larger than its first buffer, framed or not', () => {
    for (const s of [avro({ schema }), avro({ schema, schemaId: 77 })]) {
      const small = s.serialize(samples[0])!.slice();
      const big = { ...samples[1], customer: 'y'.repeat(5000), tags: Array.from({ length: 500 }, (_, i) => `tag-${i}`) };
      expect(s.deserialize(s.serialize(big))).toEqual(big);
      expect(s.serialize(samples[0])).toEqual(small);
    }
  });

  it('refuses a wrong magic byte and another schema id', () => {
    const framed = avro({ schema, schemaId: 7 }).serialize(samples[0])!;
    const wrongMagic = framed.slice();
    wrongMagic[0] = 1;
    expectCoded(() => avro({ schema, schemaId: 7 }).deserialize(wrongMagic), 'ERR_DESERIALIZATION');
    const error = expectCoded(() => avro({ schema, schemaId: 8 }).deserialize(framed), 'ERR_DESERIALIZATION');
    expect(error.details).toMatchObject({ schemaId: 7, expectedSchemaId: 8 });
  });

  it('keeps the cause of a failure', () => {
    expect(expectCoded(() => avro({ schema }).serialize({ id: 'x' }), 'ERR_SERIALIZATION').cause).toBeInstanceOf(Error);
    expect(expectCoded(() => avro({ schema }).deserialize(new Uint8Array([2])), 'ERR_DESERIALIZATION').cause).toBeInstanceOf(Error);
  });

  it('accepts a prebuilt avsc Type, and refuses bad options', () => {
    const type = avsc.Type.forSchema({ type: 'array', items: 'int' });
    const s = avro<number[]>({ schema: type });
    expect(s.deserialize(s.serialize([1, 2, 3]))).toEqual([1, 2, 3]);
    expectCoded(() => avro({ schema: { type: 'nope' } as never }), 'ERR_INVALID_OPTION');
    expectCoded(() => avro(undefined as never), 'ERR_INVALID_OPTION');
    expectCoded(() => avro({ schema, schemaId: -1 }), 'ERR_INVALID_OPTION');
    expectCoded(() => avro({ schema, schemaId: 2 ** 31 }), 'ERR_INVALID_OPTION');
  });
});
