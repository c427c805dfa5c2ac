/**
 * Serializers chosen by name and as plugin objects, per client and per topic, through a
 * real broker; and the Admin: topics, partitions, configs, offsets.
 */
import protobufjs from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigResourceType } from '../../core/client/admin.ts';
import type { ConsumerMessage } from '../../core/client/consumer.ts';
import { avro } from '../../plugins/serializers/avro.ts';
import { protobuf } from '../../plugins/serializers/index.ts';
import { type Harness, collector, harness, until } from './helpers.ts';

for (const mode of ['tcp', 'in-process'] as const) {
  describe(`serializers and admin (${mode})`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await harness(mode);
    });
    afterAll(async () => {
      await h?.close();
    });

    async function roundTrip(client: ReturnType<Harness['client']>, topic: string, messages: Array<{ key?: unknown; value: unknown }>): Promise<ConsumerMessage[]> {
      await client.producer().send({ topic, messages });
      const consumer = client.consumer({ fromBeginning: true, maxWaitMs: 20 });
      const got = collector<ConsumerMessage>();
      await consumer.assign([{ topic, partition: 0 }]);
      await consumer.run({ eachMessage: got.eachMessage });
      await got.until(messages.length);
      await consumer.stop();
      return got.messages;
    }

    it('uses client-wide serializers by name and per-topic ones by name or object', async () => {
      const root = protobufjs.parse('syntax = "proto3"; message Order { string id = 1; int32 qty = 2; }').root;
      const client = h.client({
        serializers: { key: 'string', value: 'json' },
        topics: {
          'ser-avro': { value: avro({ schema: { type: 'record', name: 'Order', fields: [{ name: 'id', type: 'string' }, { name: 'qty', type: 'int' }] } }) },
          'ser-proto': { value: protobuf({ root, typeName: 'Order' }) },
          'ser-int32': { key: 'int32', value: 'float64' },
          'ser-int64': { key: 'int64', value: 'string' },
        },
      });
      const json = await roundTrip(client, 'ser-json', [{ key: 'a', value: { n: 1, s: ['x'], nested: { ok: true } } }, { key: null, value: null }]);
      expect(json.map((m) => [m.key, m.value])).toEqual([['a', { n: 1, s: ['x'], nested: { ok: true } }], [null, null]]);
      const av = await roundTrip(client, 'ser-avro', [{ key: 'o1', value: { id: 'o1', qty: 3 } }]);
      expect(av[0]!.key).toBe('o1');
      expect(av[0]!.value).toEqual({ id: 'o1', qty: 3 });
      const pb = await roundTrip(client, 'ser-proto', [{ key: 'o2', value: { id: 'o2', qty: 7 } }]);
      expect(pb[0]!.value).toMatchObject({ id: 'o2', qty: 7 });
      const num = await roundTrip(client, 'ser-int32', [{ key: -5, value: 2.5 }]);
      expect([num[0]!.key, num[0]!.value]).toEqual([-5, 2.5]);
      const big = await roundTrip(client, 'ser-int64', [{ key: 2n ** 62n, value: 'v' }]);
      expect([big[0]!.key, big[0]!.value]).toEqual([2n ** 62n, 'v']);
      // A consumer-level override wins over the client's choice.
      const raw = client.consumer({ fromBeginning: true, serializers: { key: 'raw', value: 'raw' }, maxWaitMs: 20 });
      const got = collector<ConsumerMessage>();
      await raw.assign([{ topic: 'ser-json', partition: 0 }]);
      await raw.run({ eachMessage: got.eachMessage });
      await got.until(2);
      await raw.stop();
      expect(new TextDecoder().decode(got.messages[0]!.value)).toBe('{"n":1,"s":["x"],"nested":{"ok":true}}');
      await expect(h.client({ serializers: { value: 'nope' } }).producer().send({ topic: 'x', messages: [{ value: 1 }] })).rejects.toMatchObject({ code: 'ERR_UNKNOWN_PLUGIN' });
    });

    it('creates, lists, describes and deletes topics', async () => {
      const admin = h.client().admin();
      expect(await admin.createTopics({ topics: [{ topic: 'adm-a', numPartitions: 3, configs: { 'retention.ms': '60000' } }, { topic: 'adm-b' }] })).toBe(true);
      expect(await admin.createTopics({ topics: [{ topic: 'adm-a', numPartitions: 3 }] })).toBe(false);
      expect(await admin.createTopics({ topics: [{ topic: 'adm-v', numPartitions: 2 }], validateOnly: true })).toBe(true);
      expect(await admin.listTopics()).toEqual(expect.arrayContaining(['adm-a', 'adm-b']));
      expect(await admin.listTopics()).not.toContain('adm-v');
      await expect(admin.createTopics({ topics: [{ topic: 'adm-rf', replicationFactor: 3 }] })).rejects.toMatchObject({ code: 'INVALID_REPLICATION_FACTOR' });
      await expect(admin.createTopics({ topics: [{ topic: 'bad name!' }] })).rejects.toMatchObject({ code: 'INVALID_TOPIC_EXCEPTION' });
      const [desc] = await admin.describeTopics(['adm-a']);
      expect(desc!.partitions.map((p) => p.partitionId)).toEqual([0, 1, 2]);
      for (const p of desc!.partitions) {
        expect(p.leader).toBe(h.broker.nodeId);
        expect(p.replicas).toEqual([h.broker.nodeId]);
        expect(p.isr).toEqual([h.broker.nodeId]);
      }
      await admin.createPartitions({ topicPartitions: [{ topic: 'adm-a', count: 5 }] });
      expect((await admin.describeTopics(['adm-a']))[0]!.partitions).toHaveLength(5);
      await expect(admin.createPartitions({ topicPartitions: [{ topic: 'adm-a', count: 2 }] })).rejects.toMatchObject({ code: 'INVALID_PARTITIONS' });
      await admin.deleteTopics({ topics: ['adm-b'] });
      expect(await admin.listTopics()).not.toContain('adm-b');
      await expect(admin.deleteTopics({ topics: ['adm-b'] })).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
      await expect(admin.createTopics({ topics: [] })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    });

    it('describes and alters configs', async () => {
      const admin = h.client().admin();
      await admin.createTopics({ topics: [{ topic: 'adm-cfg', configs: { 'retention.ms': '123456' } }] });
      const { resources } = await admin.describeConfigs({ resources: [{ type: ConfigResourceType.TOPIC, name: 'adm-cfg', configNames: ['retention.ms', 'cleanup.policy'] }] });
      const byName = Object.fromEntries(resources[0]!.configEntries.map((c) => [c.configName, c]));
      expect(byName['retention.ms']).toMatchObject({ configValue: '123456', isDefault: false });
      expect(byName['cleanup.policy']).toMatchObject({ configValue: 'delete', isDefault: true });
      await admin.alterConfigs({ resources: [{ type: ConfigResourceType.TOPIC, name: 'adm-cfg', configEntries: [{ name: 'retention.ms', value: '999' }] }] });
      const after = await admin.describeConfigs({ resources: [{ type: ConfigResourceType.TOPIC, name: 'adm-cfg', configNames: ['retention.ms'] }] });
      expect(after.resources[0]!.configEntries[0]!.configValue).toBe('999');
      const broker = await admin.describeConfigs({ resources: [{ type: ConfigResourceType.BROKER, name: String(h.broker.nodeId) }] });
      expect(broker.resources[0]!.configEntries.length).toBeGreaterThan(0);
      await expect(admin.describeConfigs({ resources: [{ type: ConfigResourceType.TOPIC, name: 'adm-missing' }] })).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
    });

    it('fetches topic offsets, and offsets by timestamp', async () => {
      const client = h.client();
      const admin = client.admin();
      await admin.createTopics({ topics: [{ topic: 'adm-off', numPartitions: 2 }] });
      const producer = client.producer({ lingerMs: 0 });
      const t0 = 1_700_000_000_000;
      for (let i = 0; i < 4; i++) await producer.send({ topic: 'adm-off', messages: [{ value: `x${i}`, partition: 0, timestamp: t0 + i * 1000 }] });
      expect(await admin.fetchTopicOffsets('adm-off')).toEqual([
        { partition: 0, offset: 4, high: 4, low: 0 },
        { partition: 1, offset: 0, high: 0, low: 0 },
      ]);
      expect(await admin.fetchTopicOffsetsByTimestamp('adm-off', t0 + 1500)).toEqual([{ partition: 0, offset: 2 }, { partition: 1, offset: 0 }]);
      expect(await admin.fetchTopicOffsetsByTimestamp('adm-off', t0 + 10_000)).toEqual([{ partition: 0, offset: 4 }, { partition: 1, offset: 0 }]);
      await until(async () => (await admin.fetchTopicMetadata({ topics: ['adm-off'] })).topics[0]!.partitions.length === 2);
    });
  });
}
