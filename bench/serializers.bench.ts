/**
 * Serializer throughput on a small object: string, json, avro and protobuf (plain and
 * in the Confluent framing), serialize and deserialize. The peer of each is the same
 * work written directly, as a kafkajs user would: Buffer.from / toString for string and
 * json, avsc's toBuffer / fromBuffer and protobufjs' encode / decode (plus
 * Buffer.concat of a 5-byte header for the Confluent framing), measured in the same run
 * — the ratio is what the plugin's checks and framing cost. Each format's speed
 * relative to JSON is shown as a note.
 */
import avsc, { type Schema } from 'avsc';
import protobufjs from 'protobufjs';
import type { Serializer } from '../core/contracts/serializer.ts';
import { avro } from '../plugins/serializers/avro.ts';
import { json } from '../plugins/serializers/json.ts';
import { protobuf } from '../plugins/serializers/protobuf.ts';
import { string } from '../plugins/serializers/string.ts';
import { measure, report, type BenchRow } from './harness.ts';

const BATCH = 1000;

const record = { id: 123456, customer: 'customer-42', amount: 99.95, currency: 'EUR', paid: true, tags: ['priority', 'gift'] };

const avroSchema: Schema = {
  type: 'record',
  name: 'Order',
  fields: [
    { name: 'id', type: 'int' },
    { name: 'customer', type: 'string' },
    { name: 'amount', type: 'double' },
    { name: 'currency', type: 'string' },
    { name: 'paid', type: 'boolean' },
    { name: 'tags', type: { type: 'array', items: 'string' } },
  ],
};
const Order = protobufjs
  .parse('syntax = "proto3"; message Order { int32 id = 1; string customer = 2; double amount = 3; string currency = 4; bool paid = 5; repeated string tags = 6; }')
  .root.lookupType('Order');

/** The same conversion written directly on the library, without the plugin. */
interface Direct {
  name: string;
  serialize(value: unknown): Uint8Array;
  deserialize(bytes: Buffer): unknown;
}
interface Case {
  name: string;
  serializer: Serializer<unknown>;
  value: unknown;
  peer: Direct;
}
const avroType = avsc.Type.forSchema(avroSchema);
// Magic byte 0 + schema id 42; protobuf adds the message-index path [0] as one byte 0.
const confluentHeader = Buffer.from([0, 0, 0, 0, 42]);
const protobufHeader = Buffer.from([0, 0, 0, 0, 42, 0]);
const stringPeer: Direct = { name: 'Buffer', serialize: (v) => Buffer.from(v as string), deserialize: (b) => b.toString() };
const jsonPeer: Direct = { name: 'JSON + Buffer', serialize: (v) => Buffer.from(JSON.stringify(v)), deserialize: (b) => JSON.parse(b.toString()) };
const avroPeer: Direct = { name: 'avsc', serialize: (v) => avroType.toBuffer(v), deserialize: (b) => avroType.fromBuffer(b) };
const avroFramedPeer: Direct = {
  name: 'avsc + header',
  serialize: (v) => Buffer.concat([confluentHeader, avroType.toBuffer(v)]),
  deserialize: (b) => avroType.fromBuffer(b.subarray(5)),
};
const protobufPeer: Direct = {
  name: 'protobufjs',
  serialize: (v) => Order.encode(Order.fromObject(v as Record<string, unknown>)).finish(),
  deserialize: (b) => Order.toObject(Order.decode(b)),
};
const protobufFramedPeer: Direct = {
  name: 'protobufjs + header',
  serialize: (v) => Buffer.concat([protobufHeader, Order.encode(Order.fromObject(v as Record<string, unknown>)).finish()]),
  deserialize: (b) => Order.toObject(Order.decode(b.subarray(6))),
};
const cases: Case[] = [
  { name: 'string', serializer: string() as Serializer<unknown>, value: JSON.stringify(record), peer: stringPeer },
  { name: 'json', serializer: json(), value: record, peer: jsonPeer },
  { name: 'avro', serializer: avro({ schema: avroSchema }), value: record, peer: avroPeer },
  { name: 'avro (Confluent framing)', serializer: avro({ schema: avroSchema, schemaId: 42 }), value: record, peer: avroFramedPeer },
  { name: 'protobuf', serializer: protobuf({ type: Order }) as Serializer<unknown>, value: record, peer: protobufPeer },
  { name: 'protobuf (Confluent framing)', serializer: protobuf({ type: Order, schemaId: 42 }) as Serializer<unknown>, value: record, peer: protobufFramedPeer },
];

/** The better of two measurements: the machine is shared, and a slow outlier says nothing about the code. */
async function bestOf2(fn: () => void): Promise<number> {
  const a = await measure(fn);
  const b = await measure(fn);
  return Math.max(a.opsPerSec, b.opsPerSec);
}

let sink = 0;
const results = new Map<string, { ser: number; de: number; peerSer: number; peerDe: number; peer: string; size: number }>();
for (const c of cases) {
  const bytes = c.serializer.serialize(c.value)!;
  const peerBytes = Buffer.from(c.peer.serialize(c.value));
  // The peer must do the same work: the same bytes, and it must read ours.
  if (!peerBytes.equals(bytes)) throw new Error(`${c.name}: the peer writes other bytes`);
  const ser = await bestOf2(() => {
    for (let i = 0; i < BATCH; i++) sink += c.serializer.serialize(c.value)!.length;
  });
  const peerSer = await bestOf2(() => {
    for (let i = 0; i < BATCH; i++) sink += c.peer.serialize(c.value).length;
  });
  const de = await bestOf2(() => {
    for (let i = 0; i < BATCH; i++) sink += c.serializer.deserialize(bytes) === null ? 1 : 0;
  });
  const peerDe = await bestOf2(() => {
    for (let i = 0; i < BATCH; i++) sink += c.peer.deserialize(peerBytes) === null ? 1 : 0;
  });
  results.set(c.name, { ser: ser * BATCH, de: de * BATCH, peerSer: peerSer * BATCH, peerDe: peerDe * BATCH, peer: c.peer.name, size: bytes.length });
}

const json_ = results.get('json')!;
const rows: BenchRow[] = [];
for (const [name, r] of results) {
  const vsJson = (ours: number, jsonOps: number): Record<string, string> => (name === 'json' || name === 'string' ? {} : { vsJson: `${(ours / jsonOps).toFixed(2)}×` });
  rows.push({ name: `${name} serialize`, recordsPerSec: r.ser, ratio: { peer: r.peer, value: r.ser / r.peerSer }, extra: { bytes: r.size, ...vsJson(r.ser, json_.ser) } });
  rows.push({ name: `  peer: ${r.peer} serialize`, recordsPerSec: r.peerSer });
  rows.push({ name: `${name} deserialize`, recordsPerSec: r.de, ratio: { peer: r.peer, value: r.de / r.peerDe }, extra: { bytes: r.size, ...vsJson(r.de, json_.de) } });
  rows.push({ name: `  peer: ${r.peer} deserialize`, recordsPerSec: r.peerDe });
}
if (sink === 0.5) console.log(sink);
report('serializers', rows);
