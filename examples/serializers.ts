/**
 * Serializers — how keys and values become bytes. Kafka stores bytes only; the producer
 * serializes, the consumer deserializes with the matching serializer. This example
 * encodes one truck position (and a few plain values) with every built-in serializer,
 * prints how many bytes each takes and what they look like, then sends them through a
 * broker with per-topic serializers and reads them back.
 *
 * - string: UTF-8. json: JSON text as UTF-8 (self-describing, so the biggest).
 * - int32 / int64 / float64: fixed-width big-endian, byte for byte what Kafka's Java
 *   IntegerSerializer / LongSerializer / DoubleSerializer write (int64 values are bigints).
 * - avro and protobuf: compact binary; the field names live in the schema, not the bytes.
 *   With a `schemaId` they use the Confluent schema-registry framing: magic byte 0, the
 *   4-byte schema id (and for Protobuf the message-index path), then the payload — what
 *   Confluent's serializers write, so those consumers can read our records and we theirs.
 *
 * Run: npm run example -- serializers
 */
import protobufjs from 'protobufjs';
import { type AvroSerializerOptions, createBroker, float64, int32, int64, json, protobuf, string, type Serializer } from '../mod.ts';
import { avro } from '../plugins/serializers/avro.ts';
import { isMain } from './shared/is-main.ts';
import type { Log } from './shared/log.ts';
import { readTopic } from './shared/read-topic.ts';
import type { TruckPosition } from './shared/trucks.ts';

/** The Avro schema of a position. Field names and types are in the schema, so the payload is just the values. */
export const positionAvroSchema: AvroSerializerOptions['schema'] = {
  type: 'record',
  name: 'TruckPosition',
  namespace: 'fleet',
  fields: [
    { name: 'truckId', type: 'string' },
    { name: 'lat', type: 'double' },
    { name: 'lon', type: 'double' },
    { name: 'speedKmh', type: 'double' },
    { name: 'at', type: 'long' },
  ],
};

/** The same message in Protobuf: fields are numbered, and the numbers are what goes on the wire. */
export const positionProto = `
syntax = "proto3";
package fleet;
message TruckPosition {
  string truck_id = 1;
  double lat = 2;
  double lon = 3;
  double speed_kmh = 4;
  int64 at = 5;
}`;

/** One line of the size table. */
export interface EncodedSize {
  readonly serializer: string;
  readonly value: string;
  readonly bytes: number;
}

/** What the example found, for its test. */
export interface SerializersResult {
  readonly sizes: EncodedSize[];
  /** Every value read back from the broker equals what was sent, per topic. */
  readonly roundTrips: Record<string, boolean>;
}

const position: TruckPosition = { truckId: 'truck-07', lat: 53.54321, lon: 9.98765, speedKmh: 87.5, at: 1_767_600_000_000 };

function hex(bytes: Uint8Array, max = 24): string {
  const shown = [...bytes.subarray(0, max)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  return bytes.length > max ? `${shown} …` : shown;
}

/** Runs the example, printing through `log`. */
export async function main(log: Log = console.log): Promise<SerializersResult> {
  // Protobuf types come from a .proto (parsed here; a generated module works the same).
  const TruckPositionProto = protobufjs.parse(positionProto).root.lookupType('fleet.TruckPosition');
  // protobufjs names fields in camelCase (truck_id → truckId), so the same object fits both.
  // `longs: Number` gives `at` back as a number rather than the default string.
  const protoPlain = protobuf<TruckPosition>({ type: TruckPositionProto, objectOptions: { longs: Number } });
  const protoFramed = protobuf<TruckPosition>({ type: TruckPositionProto, schemaId: 7, objectOptions: { longs: Number } });
  const avroPlain = avro<TruckPosition>({ schema: positionAvroSchema });
  const avroFramed = avro<TruckPosition>({ schema: positionAvroSchema, schemaId: 42 });

  const samples: Array<[string, Serializer<any>, unknown]> = [
    ['string', string(), 'truck-07'],
    ['int32', int32(), 87],
    ['int64', int64(), 1_767_600_000_000n],
    ['float64', float64(), 87.5],
    ['json', json(), position],
    ['avro', avroPlain, position],
    ['avro + Confluent framing (id 42)', avroFramed, position],
    ['protobuf', protoPlain, position],
    ['protobuf + Confluent framing (id 7)', protoFramed, position],
  ];

  log(`The position: ${JSON.stringify(position)}`);
  log('');
  log('serializer                            bytes  first bytes (hex)');
  const sizes: EncodedSize[] = [];
  for (const [name, serializer, value] of samples) {
    const bytes = serializer.serialize(value)!;
    // Every serializer must give back what it was given.
    const back = serializer.deserialize(bytes);
    const same = JSON.stringify(back, bigints) === JSON.stringify(value, bigints);
    sizes.push({ serializer: name, value: typeof value === 'object' ? 'position' : String(value), bytes: bytes.length });
    log(`${name.padEnd(37)} ${String(bytes.length).padStart(5)}  ${hex(bytes)}${same ? '' : '   !! did not round-trip'}`);
  }
  const size = (name: string) => sizes.find((s) => s.serializer === name)!.bytes;
  log('');
  log(`JSON spells out every field name; Avro writes only values (${size('avro')} vs ${size('json')} bytes).`);
  log(`The Confluent framing adds ${size('avro + Confluent framing (id 42)') - size('avro')} bytes to Avro (magic 00 + schema id 00 00 00 2a)`);
  log(`and ${size('protobuf + Confluent framing (id 7)') - size('protobuf')} to Protobuf (the same 5 plus the message-index path, 00 for the file's first message).`);

  // Through a broker: serializers are chosen per topic on the client, so producers and
  // consumers of one client agree on each topic's format.
  const broker = await createBroker();
  const client = broker.client({
    serializers: { key: 'string' },
    topics: {
      'positions.json': { value: 'json' },
      'positions.avro': { value: avroFramed },
      'positions.protobuf': { value: protoFramed },
      speeds: { value: 'float64' },
      odometer: { value: 'int64' },
    },
  });
  const roundTrips: Record<string, boolean> = {};
  try {
    const producer = client.producer();
    const sent: Record<string, unknown> = {
      'positions.json': position,
      'positions.avro': position,
      'positions.protobuf': position,
      speeds: 87.5,
      odometer: 123_456_789_012n,
    };
    await producer.sendBatch({ topicMessages: Object.entries(sent).map(([topic, value]) => ({ topic, messages: [{ key: position.truckId, value }] })) });
    log('');
    log('Through the broker, each topic with its own value serializer:');
    for (const [topic, value] of Object.entries(sent)) {
      const [message] = await readTopic(client, topic);
      roundTrips[topic] = message !== undefined && JSON.stringify(message.value, bigints) === JSON.stringify(value, bigints);
      log(`  ${topic.padEnd(19)} key=${message?.key} value=${JSON.stringify(message?.value, bigints)} ${roundTrips[topic] ? '(same as sent)' : '!! differs'}`);
    }
  } finally {
    await client.close();
    await broker.close();
  }
  return { sizes, roundTrips };
}

/** JSON.stringify has no bigint support; show them as `123n`. */
function bigints(_key: string, v: unknown): unknown {
  return typeof v === 'bigint' ? `${v}n` : v;
}

if (isMain(import.meta.url)) await main();
