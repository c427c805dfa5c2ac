import { expect, it } from 'vitest';
import { main } from './serializers.ts';
import { collectLog } from './shared/log.ts';

it('serializers: sizes of each format, framing overhead, and round trips through the broker', async () => {
  const { log, lines } = collectLog();
  const r = await main(log);
  const size = (name: string) => r.sizes.find((s) => s.serializer === name)?.bytes;
  expect(size('string')).toBe(8); // 'truck-07'
  expect(size('int32')).toBe(4);
  expect(size('int64')).toBe(8);
  expect(size('float64')).toBe(8);
  // Schema formats carry no field names: smaller than JSON.
  expect(size('avro')!).toBeLessThan(size('json')!);
  expect(size('protobuf')!).toBeLessThan(size('json')!);
  // Confluent framing: magic byte + 4-byte schema id (+ the message-index byte for Protobuf).
  expect(size('avro + Confluent framing (id 42)')! - size('avro')!).toBe(5);
  expect(size('protobuf + Confluent framing (id 7)')! - size('protobuf')!).toBe(6);
  expect(r.roundTrips).toEqual({ 'positions.json': true, 'positions.avro': true, 'positions.protobuf': true, speeds: true, odometer: true });
  expect(lines.some((l) => l.includes('did not round-trip'))).toBe(false);
});
