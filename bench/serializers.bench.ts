/**
 * Serializer throughput on a small object: string, json, avro and protobuf (plain and
 * in the Confluent framing), serialize and deserialize. JSON is the peer: the ratio
 * says how much faster (or slower) a schema format is than JSON on the same record.
 */
import type { Schema } from 'avsc';
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

interface Case {
  name: string;
  serializer: Serializer<unknown>;
  value: unknown;
}
const cases: Case[] = [
  { name: 'string', serializer: string() as Serializer<unknown>, value: JSON.stringify(record) },
  { name: 'json', serializer: json(), value: record },
  { name: 'avro', serializer: avro({ schema: avroSchema }), value: record },
  { name: 'avro (Confluent framing)', serializer: avro({ schema: avroSchema, schemaId: 42 }), value: record },
  { name: 'protobuf', serializer: protobuf({ type: Order }) as Serializer<unknown>, value: record },
  { name: 'protobuf (Confluent framing)', serializer: protobuf({ type: Order, schemaId: 42 }) as Serializer<unknown>, value: record },
];

/** The better of two measurements: the machine is shared, and a slow outlier says nothing about the code. */
async function bestOf2(fn: () => void): Promise<number> {
  const a = await measure(fn);
  const b = await measure(fn);
  return Math.max(a.opsPerSec, b.opsPerSec);
}

let sink = 0;
const results = new Map<string, { ser: number; de: number; size: number }>();
for (const c of cases) {
  const bytes = c.serializer.serialize(c.value)!;
  const ser = await bestOf2(() => {
    for (let i = 0; i < BATCH; i++) sink += c.serializer.serialize(c.value)!.length;
  });
  const de = await bestOf2(() => {
    for (let i = 0; i < BATCH; i++) sink += c.serializer.deserialize(bytes) === null ? 1 : 0;
  });
  results.set(c.name, { ser: ser * BATCH, de: de * BATCH, size: bytes.length });
}

const peer = results.get('json')!;
const rows: BenchRow[] = [];
for (const [name, r] of results) {
  const compare = name !== 'json' && name !== 'string';
  rows.push({ name: `${name} serialize`, recordsPerSec: r.ser, extra: { bytes: r.size }, ratio: compare ? { peer: 'json', value: r.ser / peer.ser } : undefined });
  rows.push({ name: `${name} deserialize`, recordsPerSec: r.de, extra: { bytes: r.size }, ratio: compare ? { peer: 'json', value: r.de / peer.de } : undefined });
}
if (sink === 0.5) console.log(sink);
report('serializers', rows);
