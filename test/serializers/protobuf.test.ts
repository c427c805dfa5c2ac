import protobufjs from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { decodeMessageIndexes, encodeMessageIndexes } from '../../plugins/serializers/confluent-framing.ts';
import { protobuf } from '../../plugins/serializers/protobuf.ts';
import { expectCoded, serializerConformance } from '../../conformance/serializer.ts';

const proto = `
syntax = "proto3";
package tributary.test;
message Order {
  int64 id = 1;
  string customer = 2;
  double amount = 3;
  repeated string tags = 4;
  Status status = 5;
  Line line = 6;
  message Line { string sku = 1; uint32 quantity = 2; }
}
enum Status { NEW = 0; PAID = 1; SHIPPED = 2; }
message Other { bool flag = 1; }
`;
const root = protobufjs.parse(proto).root;
const Order = root.lookupType('tributary.test.Order');

// Proto3 leaves default values off the wire and toObject leaves them out, so samples
// carry no field at its default value.
const samples = [
  { id: '1', customer: 'ada', amount: 12.5, tags: ['a', 'b'], status: 'PAID' },
  { id: '-9223372036854775808', customer: 'héllo 🙂', line: { sku: 'X-1', quantity: 3 }, status: 'SHIPPED' },
  { id: '9223372036854775807', amount: -0.5, tags: ['x'.repeat(200)] },
];
const unserializable = [5, 'text', { line: 5 }];

serializerConformance('protobuf', () => protobuf({ type: Order }), samples, {
  // 0x0f: field 1 with wire type 7, which does not exist.
  invalid: [new Uint8Array([0x0f]), new Uint8Array([0x12, 0x05, 0x61]), new Uint8Array([0x08, 0xff])],
  unserializable,
});
serializerConformance('protobuf', () => protobuf({ root, typeName: 'tributary.test.Order', schemaId: 99 }), samples, {
  label: 'Confluent framing',
  invalid: [new Uint8Array([0, 0, 0, 0]), new Uint8Array([1, 0, 0, 0, 99, 0]), new Uint8Array([0, 0, 0, 0, 98, 0]), new Uint8Array([0, 0, 0, 0, 99]), new Uint8Array([0, 0, 0, 0, 99, 0x80])],
  unserializable,
});
serializerConformance('protobuf', () => protobuf({ root, typeName: 'tributary.test.Order.Line', schemaId: 5, messageIndexes: [0, 0] }), [{ sku: 'a', quantity: 1 }], {
  label: 'Confluent framing, nested message',
});

describe('protobuf serializer', () => {
  it('writes the plain Protobuf encoding', () => {
    const bytes = protobuf({ type: Order }).serialize({ id: '150', customer: 'a' })!;
    expect(Object.getPrototypeOf(bytes)).toBe(Uint8Array.prototype);
    expect(Array.from(bytes)).toEqual([0x08, 0x96, 0x01, 0x12, 0x01, 0x61]);
  });

  it('writes the Confluent framing: magic 0, schema id, message indexes ([0] as a single 0 byte), payload', () => {
    const framed = protobuf({ type: Order, schemaId: 0x0a0b0c0d }).serialize({ id: '150' })!;
    expect(Array.from(framed)).toEqual([0, 0x0a, 0x0b, 0x0c, 0x0d, 0, 0x08, 0x96, 0x01]);
    const nested = protobuf({ type: Order.lookupType('Line'), schemaId: 1, messageIndexes: [0, 0] }).serialize({ quantity: 2 })!;
    // Count 2 and two zero indexes, each a zigzag varint.
    expect(Array.from(nested)).toEqual([0, 0, 0, 0, 1, 4, 0, 0, 0x10, 0x02]);
  });

  it('encodes message indexes as zigzag varints', () => {
    expect(Array.from(encodeMessageIndexes([0]))).toEqual([0]);
    expect(Array.from(encodeMessageIndexes([1]))).toEqual([2, 2]);
    expect(Array.from(encodeMessageIndexes([2, 70]))).toEqual([4, 4, 0x8c, 0x01]);
    for (const path of [[0], [1], [3, 0, 2], [200, 100000]]) {
      const bytes = encodeMessageIndexes(path);
      expect(decodeMessageIndexes('t', bytes, 0)).toEqual({ indexes: path, pos: bytes.length });
    }
    // An explicit [0] written as count 1 reads the same as the short form.
    expect(decodeMessageIndexes('t', new Uint8Array([2, 0]), 0).indexes).toEqual([0]);
    expectCoded(() => decodeMessageIndexes('t', new Uint8Array([1]), 0), 'ERR_DESERIALIZATION'); // count -1
    expectCoded(() => decodeMessageIndexes('t', new Uint8Array([200, 1]), 0), 'ERR_DESERIALIZATION'); // count beyond the bytes
    expectCoded(() => decodeMessageIndexes('t', new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), 0), 'ERR_DESERIALIZATION');
  });

  it('refuses a payload of another message or schema id', () => {
    const framed = protobuf({ type: Order, schemaId: 3, messageIndexes: [1] }).serialize({ id: '1' })!;
    expectCoded(() => protobuf({ type: Order, schemaId: 3 }).deserialize(framed), 'ERR_DESERIALIZATION');
    expectCoded(() => protobuf({ type: Order, schemaId: 4, messageIndexes: [1] }).deserialize(framed), 'ERR_DESERIALIZATION');
    expect(protobuf({ type: Order, schemaId: 3, messageIndexes: [1] }).deserialize(framed)).toEqual({ id: '1' });
    // The path [0] in its long form (count 1, index 0), as some writers send it.
    expect(protobuf({ type: Order, schemaId: 3 }).deserialize(new Uint8Array([0, 0, 0, 0, 3, 2, 0, 0x08, 0x01]))).toEqual({ id: '1' });
  });

  it('accepts message instances and honours objectOptions', () => {
    const s = protobuf({ type: Order, objectOptions: { longs: Number, enums: Number, defaults: true } });
    const message = Order.fromObject({ id: 7, status: 'PAID' });
    expect(s.deserialize(s.serialize(message as never))).toMatchObject({ id: 7, status: 1, customer: '', tags: [] });
  });

  it('refuses bad options', () => {
    expectCoded(() => protobuf({} as never), 'ERR_INVALID_OPTION');
    expectCoded(() => protobuf({ root, typeName: 'tributary.test.Missing' }), 'ERR_INVALID_OPTION');
    expectCoded(() => protobuf({ type: Order, schemaId: 1.5 }), 'ERR_INVALID_OPTION');
    expectCoded(() => protobuf({ type: Order, schemaId: 1, messageIndexes: [] }), 'ERR_INVALID_OPTION');
    expectCoded(() => protobuf({ type: Order, schemaId: 1, messageIndexes: [-1] }), 'ERR_INVALID_OPTION');
  });
});
