/**
 * @platformatic/kafka 1.35 (unmodified) against the broker: admin, producer with every
 * codec (zstd under Bun when this Node lacks it), group-free consumption through
 * Consumer.fetch from the beginning and from an offset, and ListOffsets.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Admin, Consumer, Producer, stringSerializers } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrokerFixture, startBroker, storedCodecs } from './broker-fixture.ts';
import { type RoundTrip, platformaticRoundTrip } from './platformatic-round-trip.ts';

let fx: BrokerFixture;
beforeAll(async () => {
  fx = await startBroker();
});
afterAll(async () => {
  await fx?.close();
});

const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
const CODEC_IDS = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
// platformatic takes zstd from node:zlib, which Node 20 lacks (added in 22.15): then the
// zstd round trip runs under Bun (which has it) in a child process, against the same broker.
const nodeHasZstd = typeof (await import('node:zlib') as Record<string, unknown>).zstdCompress === 'function';
const BUN = fileURLToPath(new URL('../../node_modules/.bin/bun', import.meta.url));
const ROUND_TRIP = fileURLToPath(new URL('./platformatic-round-trip.ts', import.meta.url));

function roundTripUnderBun(topic: string, codec: 'zstd'): Promise<RoundTrip> {
  return new Promise((resolve, reject) => {
    execFile(BUN, [ROUND_TRIP, fx.bootstrap, topic, codec], { timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`bun round trip failed: ${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').pop()!) as RoundTrip);
    });
  });
}

describe('@platformatic/kafka 1.35', () => {
  it('creates, describes and deletes topics through Admin', async () => {
    const admin = new Admin({ clientId: 'interop', bootstrapBrokers: [fx.bootstrap] });
    try {
      const created = await admin.createTopics({ topics: ['pk-admin'], partitions: 3, replicas: 1, configs: [{ name: 'retention.ms', value: '60000' }] });
      expect(created[0]).toMatchObject({ name: 'pk-admin', partitions: 3, replicas: 1 });
      expect(await admin.listTopics()).toContain('pk-admin');
      await expect(admin.createTopics({ topics: ['pk-rf'], partitions: 1, replicas: 2 })).rejects.toMatchObject({
        errors: [expect.objectContaining({ apiCode: 38, apiId: 'INVALID_REPLICATION_FACTOR' })],
      });
      await admin.deleteTopics({ topics: ['pk-admin'] });
      expect(await admin.listTopics()).not.toContain('pk-admin');
    } finally {
      await admin.close();
    }
  });

  for (const codec of CODECS) {
    const where = codec === 'zstd' && !nodeHasZstd ? ' under Bun' : '';
    it(`produces keyed and keyless records with headers and fetches them back (${codec}${where})`, async () => {
      const topic = `pk-${codec}`;
      const trip = where ? await roundTripUnderBun(topic, 'zstd') : await platformaticRoundTrip(fx.bootstrap, topic, codec);
      expect(trip.firstOffset).toBe(0);
      expect(await storedCodecs(fx.broker, topic, 0)).toEqual([CODEC_IDS[codec], CODEC_IDS[codec]]);
      // Every field: offset, key (null for keyless), value, timestamp, headers.
      expect(trip.fromStart).toEqual(trip.sent);
      expect(trip.fromOffset).toEqual(trip.sent.slice(20));
    });
  }

  it('lists offsets through Consumer.listOffsets: latest, earliest and by timestamp inside a gzip batch', async () => {
    const producer = new Producer({ clientId: 'interop', bootstrapBrokers: [fx.bootstrap], serializers: stringSerializers, autocreateTopics: true, compression: 'gzip' });
    const messages = [1000, 2000, 3000].map((t) => ({ topic: 'pk-offsets', partition: 0, value: `at-${t}`, timestamp: BigInt(t) }));
    await producer.send({ messages });
    await producer.close();
    expect(await storedCodecs(fx.broker, 'pk-offsets', 0)).toEqual([1]);
    const consumer = new Consumer({ clientId: 'interop', groupId: 'unused', bootstrapBrokers: [fx.bootstrap] });
    try {
      expect((await consumer.listOffsets({ topics: ['pk-offsets'] })).get('pk-offsets')).toEqual([3n]);
      expect((await consumer.listOffsets({ topics: ['pk-offsets'], timestamp: -2n })).get('pk-offsets')).toEqual([0n]);
      // Kafka answers the first record at or after the time, not the batch holding it.
      expect((await consumer.listOffsets({ topics: ['pk-offsets'], timestamp: 1500n })).get('pk-offsets')).toEqual([1n]);
      expect((await consumer.listOffsets({ topics: ['pk-offsets'], timestamp: 9000n })).get('pk-offsets')).toEqual([-1n]);
    } finally {
      await consumer.close(true);
    }
  });

  it('calls IncrementalAlterConfigs, DeleteRecords, OffsetDelete and the max-timestamp ListOffsets through its Admin and Consumer', async () => {
    const topic = 'pk-peer-admin';
    const admin = new Admin({ clientId: 'interop', bootstrapBrokers: [fx.bootstrap] });
    const producer = new Producer({ clientId: 'interop', bootstrapBrokers: [fx.bootstrap], serializers: stringSerializers, compression: 'lz4' });
    const consumer = new Consumer({ clientId: 'interop', groupId: 'unused', bootstrapBrokers: [fx.bootstrap] });
    try {
      await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1, configs: [{ name: 'retention.ms', value: '60000' }] });
      // Set one config, keep the other (AlterConfigs would have dropped retention.ms).
      await admin.incrementalAlterConfigs({ resources: [{ resourceType: 2, resourceName: topic, configs: [{ name: 'compression.type', configOperation: 0, value: 'gzip' }] }] });
      expect(Object.fromEntries(fx.broker.topics.get(topic)!.configs)).toEqual({ 'retention.ms': '60000', 'compression.type': 'gzip' });
      const times = [1000, 9000, 4000, 2000, 3000, 5000];
      await producer.send({ messages: times.map((t, i) => ({ topic, partition: 0, value: `m${i}`, timestamp: BigInt(t) })) });
      // Produced in lz4, stored in the topic's gzip.
      expect(await storedCodecs(fx.broker, topic, 0)).toEqual([1]);
      expect((await consumer.listOffsets({ topics: [topic], timestamp: -3n })).get(topic)).toEqual([1n]);
      const deleted = await admin.deleteRecords({ topics: [{ name: topic, partitions: [{ partition: 0, offset: 4n }] }] });
      expect(deleted).toEqual([{ name: topic, partitions: [{ partition: 0, lowWatermark: 4n }] }]);
      expect((await consumer.listOffsets({ topics: [topic], timestamp: -2n })).get(topic)).toEqual([4n]);
      await admin.alterConsumerGroupOffsets({ groupId: 'pk-offsets-group', topics: [{ name: topic, partitionOffsets: [{ partition: 0, offset: 5n }] }] });
      expect(fx.broker.groups.offsetCount('pk-offsets-group')).toBe(1);
      await admin.deleteConsumerGroupOffsets({ groupId: 'pk-offsets-group', topics: [{ name: topic, partitionIndexes: [0] }] });
      expect(fx.broker.groups.offsetCount('pk-offsets-group')).toBe(0);
    } finally {
      await consumer.close(true);
      await producer.close();
      await admin.close();
    }
  });
});
