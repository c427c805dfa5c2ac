/**
 * kafkajs 2.2.4 (unmodified) against the broker: admin, producer with every codec, and
 * consumption through kafkajs' own fetch path (its Cluster/Broker objects decode the
 * batches) — its Consumer needs consumer groups, which arrive with issue 5.
 */
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrokerFixture, startBroker, storedCodecs } from './broker-fixture.ts';
import { registerKafkajsCodecs } from './kafkajs-codecs.ts';

const { Kafka, CompressionTypes, logLevel } = kafkajs;

let fx: BrokerFixture;
let kafka: InstanceType<typeof Kafka>;
beforeAll(async () => {
  registerKafkajsCodecs();
  fx = await startBroker();
  kafka = new Kafka({ clientId: 'interop', brokers: [fx.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2 } });
});
afterAll(async () => {
  await fx?.close();
});

interface FetchedMessage {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  timestamp: string;
  headers: Record<string, Buffer>;
}

/** Reads a partition from `offset` to the high watermark with kafkajs' fetch machinery. */
async function fetchAll(topic: string, partition: number, offset: number): Promise<FetchedMessage[]> {
  const createCluster = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster')!;
  const cluster = (kafka as any)[createCluster]({ metadataMaxAge: 60_000, isolationLevel: 1 });
  await cluster.connect();
  try {
    await cluster.addTargetTopic(topic);
    const leader = cluster.findLeaderForPartitions(topic, [partition]);
    const nodeId = Number(Object.keys(leader)[0]);
    const broker = await cluster.findBroker({ nodeId });
    const out: FetchedMessage[] = [];
    let next = offset;
    for (;;) {
      const response = await broker.fetch({
        replicaId: -1,
        isolationLevel: 1,
        maxWaitTime: 100,
        minBytes: 1,
        maxBytes: 1 << 20,
        topics: [{ topic, partitions: [{ partition, fetchOffset: String(next), maxBytes: 1 << 20 }] }],
      });
      const p = response.responses[0].partitions[0];
      expect(p.errorCode).toBe(0);
      const fresh = (p.messages as FetchedMessage[]).filter((m) => Number(m.offset) >= next);
      out.push(...fresh);
      if (fresh.length > 0) next = Number(fresh[fresh.length - 1]!.offset) + 1;
      if (next >= Number(p.highWatermark) || fresh.length === 0) return out;
    }
  } finally {
    await cluster.disconnect();
  }
}

const CODECS: Array<[string, number]> = [
  ['none', CompressionTypes.None],
  ['gzip', CompressionTypes.GZIP],
  ['snappy', CompressionTypes.Snappy],
  ['lz4', CompressionTypes.LZ4],
  ['zstd', CompressionTypes.ZSTD],
];

describe('kafkajs 2.2.4', () => {
  it('creates topics with configs and reads them back through admin', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      expect(await admin.createTopics({ topics: [{ topic: 'kjs-admin', numPartitions: 3, configEntries: [{ name: 'retention.ms', value: '3600000' }] }] })).toBe(true);
      await expect(admin.createTopics({ topics: [{ topic: 'kjs-bad', replicationFactor: 3 }] })).rejects.toMatchObject({ errors: [expect.objectContaining({ type: 'INVALID_REPLICATION_FACTOR' })] });
      const meta = await admin.fetchTopicMetadata({ topics: ['kjs-admin'] });
      expect(meta.topics[0]!.partitions.map((p) => [p.partitionId, p.leader, p.replicas, p.isr])).toEqual([[0, 1, [1], [1]], [1, 1, [1], [1]], [2, 1, [1], [1]]]);
      const configs = await admin.describeConfigs({ resources: [{ type: 2, name: 'kjs-admin', configNames: ['retention.ms', 'cleanup.policy'] }], includeSynonyms: false });
      const entries = Object.fromEntries(configs.resources[0]!.configEntries.map((e) => [e.configName, e]));
      expect(entries['retention.ms']).toMatchObject({ configValue: '3600000', isDefault: false });
      expect(entries['cleanup.policy']).toMatchObject({ configValue: 'delete', isDefault: true });
      // Without configNames (kafkajs writes its default [] as a null array): every config.
      const every = await admin.describeConfigs({ resources: [{ type: 2, name: 'kjs-admin' }], includeSynonyms: false });
      expect(every.resources[0]!.configEntries.map((e) => e.configName)).toEqual(expect.arrayContaining(['retention.ms', 'cleanup.policy', 'max.message.bytes', 'segment.bytes']));
      await admin.createPartitions({ topicPartitions: [{ topic: 'kjs-admin', count: 4 }] });
      expect((await admin.fetchTopicOffsets('kjs-admin')).length).toBe(4);
      await admin.deleteTopics({ topics: ['kjs-admin'] });
      expect(await admin.listTopics()).not.toContain('kjs-admin');
      const cluster = await admin.describeCluster();
      expect(cluster.brokers).toEqual([{ nodeId: 1, host: '127.0.0.1', port: fx.server.port }]);
    } finally {
      await admin.disconnect();
    }
  });

  for (const [name, codec] of CODECS) {
    it(`produces keyed and keyless records with headers and fetches them back (${name})`, async () => {
      const topic = `kjs-${name}`;
      const producer = kafka.producer({ allowAutoTopicCreation: true });
      await producer.connect();
      const base = 1_700_000_000_000;
      const messages = Array.from({ length: 30 }, (_, i) => ({
        key: i % 3 === 0 ? null : `key-${i}`,
        value: `value-${i}-${'y'.repeat(i * 7)}`,
        headers: { trace: `t-${i}`, second: Buffer.from([i, 0, 255]) },
        partition: 0,
        timestamp: String(base + i),
      }));
      try {
        const first = await producer.send({ topic, compression: codec, acks: -1, messages: messages.slice(0, 10) });
        expect(first[0]).toMatchObject({ errorCode: 0, baseOffset: '0', partition: 0 });
        await producer.send({ topic, compression: codec, acks: 1, messages: messages.slice(10) });
      } finally {
        await producer.disconnect();
      }
      expect(await storedCodecs(fx.broker, topic, 0)).toEqual([codec, codec]);
      const fetched = await fetchAll(topic, 0, 0);
      expect(fetched).toHaveLength(30);
      fetched.forEach((m, i) => {
        expect(m.offset).toBe(String(i));
        expect(m.key === null ? null : m.key.toString()).toBe(messages[i]!.key);
        expect(m.value!.toString()).toBe(messages[i]!.value);
        expect(m.timestamp).toBe(String(base + i));
        expect(m.headers.trace!.toString()).toBe(`t-${i}`);
        expect([...m.headers.second!]).toEqual([i, 0, 255]);
      });
      // From an offset inside a batch: every field as read from the beginning.
      const fromOffset = await fetchAll(topic, 0, 22);
      expect(fromOffset.map((m) => Number(m.offset))).toEqual([22, 23, 24, 25, 26, 27, 28, 29]);
      expect(fromOffset).toEqual(fetched.slice(22));
    });
  }

  it('lists offsets: earliest, latest and by timestamp', async () => {
    const topic = 'kjs-offsets';
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'a', timestamp: '1000' }] });
    await producer.send({ topic, messages: [{ value: 'b', timestamp: '5000' }] });
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    try {
      expect(await admin.fetchTopicOffsets(topic)).toEqual([{ partition: 0, offset: '2', high: '2', low: '0' }]);
      expect(await admin.fetchTopicOffsetsByTimestamp(topic, 3000)).toEqual([{ partition: 0, offset: '1' }]);
    } finally {
      await admin.disconnect();
    }
  });

  it('uses murmur2 like our partitioner for keyed records', async () => {
    const { partitionForKey } = await import('../../plugins/partitioners/index.ts');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'kjs-keys', numPartitions: 4 }] });
    await admin.disconnect();
    const producer = kafka.producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
    await producer.connect();
    const keys = Array.from({ length: 20 }, (_, i) => `k${i * 31}`);
    const results = await producer.send({ topic: 'kjs-keys', messages: keys.map((key) => ({ key, value: 'v' })) });
    await producer.disconnect();
    const counts = new Map(results.map((r) => [r.partition, 0]));
    for (const key of keys) {
      const p = partitionForKey(new TextEncoder().encode(key), 4);
      counts.set(p, (counts.get(p) ?? 0) + 1);
    }
    for (let p = 0; p < 4; p++) {
      const fetched = await fetchAll('kjs-keys', p, 0);
      expect(fetched.length).toBe(counts.get(p) ?? 0);
      for (const m of fetched) expect(partitionForKey(new Uint8Array(m.key!), 4)).toBe(p);
    }
  });

  it('deletes records with admin.deleteTopicRecords (DeleteRecords): earliest moves, fetches start there', async () => {
    const topic = 'kjs-delete-records';
    const admin = kafka.admin();
    await admin.connect();
    const producer = kafka.producer();
    await producer.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
      await producer.send({ topic, messages: Array.from({ length: 6 }, (_, i) => ({ value: `r${i}` })) });
      // kafkajs looks the leader up in its metadata cache without refreshing it.
      await admin.fetchTopicMetadata({ topics: [topic] });
      await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '4' }] });
      expect(await admin.fetchTopicOffsets(topic)).toEqual([{ partition: 0, offset: '6', high: '6', low: '4' }]);
      expect((await fetchAll(topic, 0, 4)).map((m) => m.value!.toString())).toEqual(['r4', 'r5']);
      // kafkajs's own check: an offset past the high watermark is refused.
      await expect(admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '9' }] })).rejects.toThrow();
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  });

  it('produces into a topic whose compression.type names another codec: the broker recompresses, kafkajs reads it back', async () => {
    const topic = 'kjs-recompressed';
    const admin = kafka.admin();
    await admin.connect();
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'compression.type', value: 'zstd' }] }] });
      const messages = Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `v${i}-${'z'.repeat(i * 5)}`, partition: 0 }));
      const first = await producer.send({ topic, compression: CompressionTypes.GZIP, acks: -1, messages: messages.slice(0, 12) });
      expect(first[0]).toMatchObject({ errorCode: 0, baseOffset: '0' });
      const second = await producer.send({ topic, compression: CompressionTypes.None, acks: -1, messages: messages.slice(12) });
      expect(second[0]).toMatchObject({ errorCode: 0, baseOffset: '12' });
      expect(await storedCodecs(fx.broker, topic, 0)).toEqual([CompressionTypes.ZSTD, CompressionTypes.ZSTD]);
      const fetched = await fetchAll(topic, 0, 0);
      expect(fetched.map((m) => [m.offset, m.key!.toString(), m.value!.toString()])).toEqual(messages.map((m, i) => [String(i), m.key, m.value]));
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  });
});
