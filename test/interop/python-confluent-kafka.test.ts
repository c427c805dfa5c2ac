/**
 * confluent-kafka-python 1.7 (Debian's python3-confluent-kafka over librdkafka, unmodified,
 * run by /usr/bin/python3) against the broker: an idempotent Producer with every codec, a
 * Consumer in a group reading every field back and committing, and the AdminClient
 * (create/delete topics, metadata, describe and alter configs, partitions). The Python
 * side lives in test/interop/python/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionForKey } from '../../plugins/partitioners/index.ts';
import { type BrokerFixture, startBroker } from './broker-fixture.ts';
import { CODEC_IDS, eventsNamed, onlyEvent, type PyEvent, type PyRecord, pythonCan, runPython, sampleRecords, storedBatches } from './python-runner.ts';

const HAS_CONFLUENT = pythonCan('import confluent_kafka');
const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

let fx: BrokerFixture;
beforeAll(async () => {
  if (!HAS_CONFLUENT) return;
  fx = await startBroker({ groups: { initialRebalanceDelayMs: 300, minSessionTimeoutMs: 500, offsetsRetentionCheckIntervalMs: 0 } });
});
afterAll(async () => {
  await fx?.close();
});

const of = eventsNamed;
const one = onlyEvent;

/** librdkafka's timestamp type for CreateTime (TIMESTAMP_CREATE_TIME). */
const CREATE_TIME = 1;

function expectedPartition(r: PyRecord, partitions: number): number {
  return r.partition ?? partitionForKey(Buffer.from(r.key!, 'base64'), partitions);
}

describe.skipIf(!HAS_CONFLUENT)(
  HAS_CONFLUENT
    ? 'confluent-kafka-python 1.7 (python3-confluent-kafka, librdkafka)'
    : 'confluent-kafka-python: SKIPPED, /usr/bin/python3 cannot import confluent_kafka (apt-get install python3-confluent-kafka)',
  () => {
    for (const codec of CODECS) {
      it(`idempotent Producer (${codec}) → group Consumer from earliest: every field, stored batches, committed offsets`, async () => {
        const topic = `ck-codec-${codec}`;
        const group = `ck-group-${codec}`;
        const partitions = 3;
        await fx.broker.topics.create({ name: topic, numPartitions: partitions, replicationFactor: 1 });
        const records = sampleRecords(`ck-${codec}`, partitions);
        const before = Date.now();
        const produced = await runPython('confluent_produce.py', { bootstrap: fx.bootstrap, topic, codec, idempotent: true, records });
        const after = Date.now();
        expect(of(produced, 'client-error')).toEqual([]);
        expect(one(produced, 'done').remaining).toBe(0);
        const sent = of(produced, 'sent');
        expect(sent).toHaveLength(records.length);

        const consumed = await runPython('confluent_consume.py', { bootstrap: fx.bootstrap, topics: [topic], group_id: group, count: records.length, session_timeout_ms: 3000 });
        expect(of(consumed, 'client-error')).toEqual([]);
        expect(of(consumed, 'consume-error')).toEqual([]);
        const got = of(consumed, 'record');
        expect(got).toHaveLength(records.length);
        // Delivery reports come back per partition; match them to the records by value and key.
        const byPosition = new Map(got.map((c) => [`${c.partition}/${c.offset}`, c]));
        const reportFor = new Map<string, PyEvent>();
        for (const rep of sent) {
          expect(rep.error).toBeNull();
          expect(rep.topic).toBe(topic);
          reportFor.set(`${rep.partition}/${rep.offset}`, rep);
        }
        expect(reportFor.size).toBe(records.length);
        const unmatched = new Set(byPosition.keys());
        for (const r of records) {
          const p = expectedPartition(r, partitions);
          const hit = got.find((c) => c.partition === p && c.key === r.key && c.value === r.value && unmatched.has(`${c.partition}/${c.offset}`));
          expect(hit, `record ${JSON.stringify(r).slice(0, 80)} on partition ${p}`).toBeDefined();
          unmatched.delete(`${hit!.partition}/${hit!.offset}`);
          expect(hit!.topic).toBe(topic);
          expect(hit!.headers).toEqual(r.headers);
          expect(hit!.timestamp_type).toBe(CREATE_TIME);
          if (r.timestamp !== null) expect(hit!.timestamp).toBe(r.timestamp);
          else {
            expect(hit!.timestamp).toBeGreaterThanOrEqual(before - 1);
            expect(hit!.timestamp).toBeLessThanOrEqual(after + 1);
          }
          const report = reportFor.get(`${hit!.partition}/${hit!.offset}`);
          expect(report, 'a delivery report for the same partition and offset').toBeDefined();
          expect(report!.timestamp).toEqual([CREATE_TIME, hit!.timestamp]);
        }
        expect(unmatched.size).toBe(0);

        // Records of one partition keep the order they were produced in.
        for (let p = 0; p < partitions; p++) {
          const inPartition = records.filter((r) => expectedPartition(r, partitions) === p);
          const read = got.filter((c) => c.partition === p).sort((a, b) => a.offset - b.offset);
          expect(read.map((c) => c.offset)).toEqual(read.map((_, i) => i));
          expect(read.map((c) => [c.key, c.value])).toEqual(inPartition.map((r) => [r.key, r.value]));
        }

        // Stored as the client sent them: v2 batches in the codec, with the idempotent producer id and gap-free sequences.
        const producerIds = new Set<number>();
        for (let p = 0; p < partitions; p++) {
          const batches = await storedBatches(fx.broker, topic, p);
          let sequence = 0;
          for (const b of batches) {
            expect(b.magic).toBe(2);
            expect(b.attributes & 0x07).toBe(CODEC_IDS[codec]);
            expect(b.producerId).toBeGreaterThanOrEqual(0);
            expect(b.producerEpoch).toBeGreaterThanOrEqual(0);
            expect(b.baseSequence).toBe(sequence);
            sequence += b.recordCount;
            producerIds.add(b.producerId);
          }
        }
        expect(producerIds.size).toBe(1);

        const ends = [0, 1, 2].map((p) => [topic, p, got.filter((c) => c.partition === p).length]);
        expect(one(consumed, 'commit-result').offsets).toEqual(ends);
        expect(one(consumed, 'committed').offsets).toEqual(ends);
        const stored = fx.broker.groups.fetchOffsets(group, [{ name: topic, partitionIndexes: [0, 1, 2] }]);
        expect(stored.topics[0]!.partitions.map((p) => [topic, p.partitionIndex, p.committedOffset])).toEqual(ends);
      }, 60_000);
    }

    it('AdminClient: create topics, metadata, describe and alter configs, add partitions, delete', async () => {
      const topic = 'ck-admin';
      const events = await runPython('confluent_admin.py', { bootstrap: fx.bootstrap, topic, other: 'ck-admin-other' });
      expect(one(events, 'create').results).toEqual({ [topic]: null, 'ck-admin-other': null });
      expect(one(events, 'create-bad').results).toEqual({ [topic]: 'TOPIC_ALREADY_EXISTS', [`${topic}-rf3`]: 'INVALID_REPLICATION_FACTOR', [`${topic}-cfg`]: 'INVALID_CONFIG' });
      expect(one(events, 'create-validate-only').results).toEqual({ [`${topic}-dry`]: null });
      expect(fx.broker.topics.get(`${topic}-dry`)).toBeUndefined();

      const md = one(events, 'metadata');
      const [host, port] = fx.bootstrap.split(':');
      expect(md).toMatchObject({ cluster_id: fx.broker.clusterId, controller_id: 1, orig_broker_id: 1, brokers: [[1, host, Number(port)]] });
      expect(md.topics).toEqual({
        [topic]: { error: null, partitions: [0, 1, 2].map((p) => [p, 1, [1], [1], null]) },
        'ck-admin-other': { error: null, partitions: [0, 1].map((p) => [p, 1, [1], [1], null]) },
      });

      // Sources: 1 = DYNAMIC_TOPIC_CONFIG (an override), 5 = DEFAULT_CONFIG.
      const entries = one(events, 'describe-configs').entries;
      expect(entries['retention.ms']).toEqual({ value: '3600000', source: 1, is_default: false, is_read_only: false, is_sensitive: false });
      expect(entries['max.message.bytes']).toMatchObject({ value: '200000', source: 1, is_default: false });
      expect(entries['cleanup.policy']).toMatchObject({ value: 'delete', source: 5, is_default: true });
      const brokerEntries = one(events, 'describe-broker-configs').entries;
      expect(brokerEntries['broker.id']).toMatchObject({ value: '1' });
      expect(Object.keys(brokerEntries)).toEqual(expect.arrayContaining(['num.partitions', 'log.retention.ms']));
      expect(one(events, 'describe-configs-missing').error).toBe('UNKNOWN_TOPIC_OR_PART');

      // AlterConfigs replaces the overrides: max.message.bytes falls back to its default.
      expect(Object.values(one(events, 'alter-configs').results)).toEqual([null]);
      const altered = one(events, 'describe-after-alter').entries;
      expect(altered['retention.ms']).toMatchObject({ value: '7200000', source: 1 });
      expect(altered['max.message.bytes']).toMatchObject({ source: 5, is_default: true });
      expect(Object.fromEntries(fx.broker.topics.get(topic)!.configs)).toEqual({ 'retention.ms': '7200000' });

      expect(one(events, 'create-partitions').results).toEqual({ [topic]: null });
      expect(fx.broker.topics.get(topic)!.partitions).toHaveLength(5);
      expect(one(events, 'delete').results).toEqual({ 'ck-admin-other': null });
      expect(one(events, 'list-after-delete').topics).toEqual([topic]);
      expect(fx.broker.topics.get('ck-admin-other')).toBeUndefined();
    }, 60_000);
  },
);
