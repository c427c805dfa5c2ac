/**
 * kafka-python 2.0.2 (Debian's python3-kafka, unmodified, run by /usr/bin/python3) against
 * the broker: its version probe, KafkaAdminClient, KafkaProducer with each codec it has,
 * KafkaConsumer with and without a group, committed offsets, group admin, and two members
 * of one group splitting four partitions. The Python side lives in test/interop/python/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionForKey } from '../../plugins/partitioners/index.ts';
import { type BrokerFixture, startBroker } from './broker-fixture.ts';
import { CODEC_IDS, eventsNamed, onlyEvent, type PyEvent, type PyRecord, type PythonProcess, pythonCan, runPython, sampleRecords, startPython, storedBatches } from './python-runner.ts';

const HAS_KAFKA_PYTHON = pythonCan('import kafka');
/** kafka-python finds its optional codec libraries at import time; lz4 needs python3-lz4. */
const CODECS = ['none', 'gzip', 'snappy', 'lz4'].filter((c) =>
  HAS_KAFKA_PYTHON && (c === 'none' || pythonCan(`import kafka.codec as c, sys; sys.exit(0 if c.has_${c}() else 1)`)),
);
const MISSING_CODECS = ['gzip', 'snappy', 'lz4'].filter((c) => HAS_KAFKA_PYTHON && !CODECS.includes(c));
/** kafka-python's session timeouts must lie in the broker's [minSessionTimeoutMs, max]. */
const SESSION_MS = 3000;

let fx: BrokerFixture;
beforeAll(async () => {
  if (!HAS_KAFKA_PYTHON) return;
  fx = await startBroker({ groups: { initialRebalanceDelayMs: 300, minSessionTimeoutMs: 500, offsetsRetentionCheckIntervalMs: 0 } });
});
afterAll(async () => {
  await fx?.close();
});

const of = eventsNamed;
const one = onlyEvent;

/** Where each record should be: the client's murmur2 choice for keyed ones, else the fixed partition. */
function expectedPartition(r: PyRecord, partitions: number): number {
  return r.partition ?? partitionForKey(Buffer.from(r.key!, 'base64'), partitions);
}

/** Checks every consumed field against what was sent and where the producer said it went. */
function compareRecords(sent: PyRecord[], sentMeta: PyEvent[], consumed: PyEvent[], topic: string, partitions: number, clock: { before: number; after: number }) {
  expect(consumed).toHaveLength(sent.length);
  const byPosition = new Map(consumed.map((c) => [`${c.partition}/${c.offset}`, c]));
  sent.forEach((r, i) => {
    const meta = sentMeta[i]!;
    expect(meta.partition).toBe(expectedPartition(r, partitions));
    const c = byPosition.get(`${meta.partition}/${meta.offset}`);
    expect(c, `record ${i} at ${meta.partition}/${meta.offset}`).toBeDefined();
    expect(c!.topic).toBe(topic);
    expect(c!.key).toBe(r.key);
    expect(c!.value).toBe(r.value);
    expect(c!.headers).toEqual(r.headers);
    expect(c!.timestamp_type).toBe(0); // CreateTime
    expect(c!.timestamp).toBe(meta.timestamp);
    if (r.timestamp !== null) expect(c!.timestamp).toBe(r.timestamp);
    else {
      expect(c!.timestamp).toBeGreaterThanOrEqual(clock.before - 1);
      expect(c!.timestamp).toBeLessThanOrEqual(clock.after + 1);
    }
    expect(c!.serialized_key_size).toBe(r.key === null ? -1 : Buffer.from(r.key, 'base64').length);
    expect(c!.serialized_value_size).toBe(r.value === null ? -1 : Buffer.from(r.value, 'base64').length);
  });
  // Offsets in each partition are dense from 0.
  for (let p = 0; p < partitions; p++) {
    const offsets = consumed.filter((c) => c.partition === p).map((c) => c.offset).sort((a, b) => a - b);
    expect(offsets).toEqual(offsets.map((_, i) => i));
  }
}

/** Stops every member, whatever happened. */
async function stopAll(members: PythonProcess[]): Promise<void> {
  await Promise.allSettled(members.map((m) => m.stop()));
  for (const m of members) m.kill();
}

describe.skipIf(!HAS_KAFKA_PYTHON)(
  HAS_KAFKA_PYTHON ? 'kafka-python 2.0.2 (python3-kafka)' : 'kafka-python: SKIPPED, /usr/bin/python3 cannot import kafka (apt-get install python3-kafka)',
  () => {
    it('probes the broker, settles on record batch v2 and stores v2 batches', async () => {
      const topic = 'kp-probe';
      await fx.broker.topics.create({ name: topic, numPartitions: 1, replicationFactor: 1 });
      const events = await runPython('kafka_python_produce.py', { bootstrap: fx.bootstrap, topic, codec: 'none', records: [{ key: null, value: 'eA==', headers: [], partition: 0, timestamp: null }] });
      const config = one(events, 'config');
      // It guesses a release from the advertised ranges; anything from 0.11 on means Produce ≥ 3 with v2 batches.
      const [major, minor] = config.api_version as number[];
      expect(major! * 100 + minor!).toBeGreaterThanOrEqual(11);
      expect(config.magic).toBe(2);
      const batches = await storedBatches(fx.broker, topic, 0);
      expect(batches.map((b) => b.magic)).toEqual([2]);
    }, 60_000);

    it('administers topics with KafkaAdminClient', async () => {
      const events = await runPython('kafka_python_admin.py', { bootstrap: fx.bootstrap, topic: 'kp-admin', other: 'kp-admin-other' });
      expect(one(events, 'create').errors).toEqual([['kp-admin', 0], ['kp-admin-other', 0]]);
      const bad = Object.fromEntries(of(events, 'create-bad').map((e) => [e.case, e.errno]));
      expect(bad).toEqual({ exists: 36, 'replication-factor': 38, 'bad-name': 17 });
      expect(one(events, 'create-validate-only').errors).toEqual([['kp-admin-dry', 0]]);
      expect(fx.broker.topics.get('kp-admin-dry')).toBeUndefined();
      expect(one(events, 'list').topics).toEqual(expect.arrayContaining(['kp-admin', 'kp-admin-other']));
      expect(one(events, 'describe').topics).toEqual([{ topic: 'kp-admin', error_code: 0, is_internal: false, partitions: [0, 1, 2].map((p) => [p, 1, [1], [1], 0]) }]);
      const cluster = one(events, 'cluster');
      const [host, port] = fx.bootstrap.split(':');
      expect(cluster.brokers).toEqual([[1, host, Number(port)]]);
      expect(cluster.controller_id).toBe(1);
      expect(cluster.cluster_id).toBe(fx.broker.clusterId);

      expect(one(events, 'describe-configs-resource')).toMatchObject({ name: 'kp-admin', error_code: 0 });
      const entries = one(events, 'describe-configs').entries;
      expect(entries['retention.ms']).toEqual({ value: '3600000', read_only: false, source: 1, sensitive: false });
      expect(entries['cleanup.policy']).toMatchObject({ value: 'delete', source: 1 });
      expect(entries['max.message.bytes']).toMatchObject({ source: 5 }); // a default, not an override
      const brokerConfigs = one(events, 'describe-broker-configs');
      expect(brokerConfigs.error_codes).toEqual([0]);
      expect(brokerConfigs.names).toEqual(expect.arrayContaining(['broker.id', 'num.partitions']));

      // AlterConfigs (not incremental) replaces the whole set of overrides.
      expect(one(events, 'alter-configs').errors).toEqual([[0, 'kp-admin']]);
      expect(Object.fromEntries(fx.broker.topics.get('kp-admin')!.configs)).toEqual({ 'retention.ms': '7200000' });
      expect(one(events, 'create-partitions').errors).toEqual([['kp-admin', 0]]);
      expect(one(events, 'describe-after-partitions').partitions).toEqual([0, 1, 2, 3, 4]);
      expect(one(events, 'delete').errors).toEqual([['kp-admin-other', 0]]);
      expect(one(events, 'list-after-delete').topics).not.toContain('kp-admin-other');
      expect(fx.broker.topics.get('kp-admin-other')).toBeUndefined();
    }, 60_000);

    for (const codec of CODECS) {
      it(`produces keyed, keyless and tombstone records with headers (${codec}) and consumes every field back without a group`, async () => {
        const topic = `kp-codec-${codec}`;
        const partitions = 3;
        await fx.broker.topics.create({ name: topic, numPartitions: partitions, replicationFactor: 1 });
        const records = sampleRecords(`kp-${codec}`, partitions);
        const before = Date.now();
        const produced = await runPython('kafka_python_produce.py', { bootstrap: fx.bootstrap, topic, codec, acks: -1, records });
        const after = Date.now();
        const sent = of(produced, 'sent');
        expect(sent).toHaveLength(records.length);
        const consumed = await runPython('kafka_python_consume.py', { bootstrap: fx.bootstrap, topics: [topic], group_id: null, count: records.length });
        compareRecords(records, sent, of(consumed, 'record'), topic, partitions, { before, after });
        expect(one(consumed, 'assignment').partitions).toEqual([0, 1, 2].map((p) => [topic, p]));

        // The broker stored what the client compressed, as v2 batches.
        for (let p = 0; p < partitions; p++) {
          const batches = await storedBatches(fx.broker, topic, p);
          expect(batches.length).toBeGreaterThan(0);
          for (const b of batches) {
            expect(b.magic).toBe(2);
            expect(b.attributes & 0x07).toBe(CODEC_IDS[codec]);
          }
        }
      }, 60_000);
    }
    if (MISSING_CODECS.length > 0) {
      it.skip(`codecs ${MISSING_CODECS.join(', ')}: SKIPPED, kafka-python finds no library for them (python3-lz4 / python3-snappy)`, () => {});
    }

    it('commits offsets in a group; the next member resumes there; group admin sees them', async () => {
      const topic = 'kp-commit';
      const group = 'kp-commit-group';
      await fx.broker.topics.create({ name: topic, numPartitions: 2, replicationFactor: 1 });
      const first = Array.from({ length: 10 }, (_, i) => ({ key: null, value: Buffer.from(`first-${i}`).toString('base64'), headers: [], partition: i % 2, timestamp: null }));
      await runPython('kafka_python_produce.py', { bootstrap: fx.bootstrap, topic, codec: 'gzip', records: first });

      const a = await runPython('kafka_python_consume.py', { bootstrap: fx.bootstrap, topics: [topic], group_id: group, count: 10, commit: true, session_timeout_ms: SESSION_MS });
      expect(of(a, 'record')).toHaveLength(10);
      expect(one(a, 'committed').offsets).toEqual([[topic, 0, 5], [topic, 1, 5]]);
      const stored = fx.broker.groups.fetchOffsets(group, [{ name: topic, partitionIndexes: [0, 1] }]);
      expect(stored.topics[0]!.partitions.map((p) => [p.partitionIndex, p.committedOffset, p.errorCode])).toEqual([[0, 5, 0], [1, 5, 0]]);

      const second = Array.from({ length: 3 }, (_, i) => ({ key: null, value: Buffer.from(`second-${i}`).toString('base64'), headers: [], partition: 1, timestamp: null }));
      await runPython('kafka_python_produce.py', { bootstrap: fx.bootstrap, topic, codec: 'none', records: second });
      const b = await runPython('kafka_python_consume.py', { bootstrap: fx.bootstrap, topics: [topic], group_id: group, count: 3, commit: true, session_timeout_ms: SESSION_MS });
      expect(of(b, 'record').map((r) => [r.partition, r.offset, Buffer.from(r.value, 'base64').toString()])).toEqual([[1, 5, 'second-0'], [1, 6, 'second-1'], [1, 7, 'second-2']]);
      expect(one(b, 'committed').offsets).toEqual([[topic, 0, 5], [topic, 1, 8]]);

      const admin = await runPython('kafka_python_group_admin.py', { bootstrap: fx.bootstrap, group_id: group });
      expect(one(admin, 'list').groups).toContainEqual([group, 'consumer']);
      expect(one(admin, 'describe')).toMatchObject({ group, state: 'Empty', protocol_type: 'consumer', members: 0, error_code: 0 });
      expect(one(admin, 'offsets').offsets).toEqual([[topic, 0, 5, ''], [topic, 1, 8, '']]);
      expect(one(admin, 'delete').results).toEqual([[group, 'NoError']]);
      expect(one(admin, 'list-after-delete').groups).not.toContain(group);
      expect(fx.broker.groups.fetchOffsets(group, null).topics).toEqual([]);
    }, 90_000);

    it('two consumers of one group split four partitions and each reads only its own', async () => {
      const topic = 'kp-split';
      const group = 'kp-split-group';
      await fx.broker.topics.create({ name: topic, numPartitions: 4, replicationFactor: 1 });
      const args = { bootstrap: fx.bootstrap, topic, group_id: group, session_timeout_ms: SESSION_MS };
      const members = [startPython('kafka_python_member.py', args)];
      try {
        await members[0]!.waitFor('first member assigned', (e) => e.event === 'assigned' && e.partitions.length === 4);
        members.push(startPython('kafka_python_member.py', args));
        // Settled: each member's latest assignment holds two partitions and together they cover all four.
        const latest = (m: PythonProcess): number[] => of(m.events, 'assigned').at(-1)?.partitions ?? [];
        await members[1]!.waitFor('split 2 + 2', () => {
          const [x, y] = members.map(latest);
          return x!.length === 2 && y!.length === 2 && new Set([...x!, ...y!]).size === 4;
        });
        const assignment = members.map(latest);

        const records = Array.from({ length: 40 }, (_, i) => ({ key: Buffer.from(`k${i}`).toString('base64'), value: Buffer.from(`v${i}`).toString('base64'), headers: [], partition: i % 4, timestamp: null }));
        await runPython('kafka_python_produce.py', { bootstrap: fx.bootstrap, topic, codec: 'snappy', records });
        const count = (m: PythonProcess) => of(m.events, 'record').length;
        await members[1]!.waitFor('all 40 records consumed', () => count(members[0]!) + count(members[1]!) >= 40);

        const finals = await Promise.all(members.map((m) => m.stop()));
        finals.forEach((events, i) => {
          const got = of(events, 'record');
          expect(got).toHaveLength(20);
          expect(new Set(got.map((r) => r.partition))).toEqual(new Set(assignment[i]));
          expect(one(events, 'committed').offsets).toEqual(assignment[i]!.map((p) => [p, 10]));
        });
        const seen = finals.flatMap((events) => of(events, 'record').map((r) => Buffer.from(r.value, 'base64').toString()));
        expect(seen.sort()).toEqual(records.map((r) => Buffer.from(r.value, 'base64').toString()).sort());
        // Both left: the group is empty and kept the offsets.
        expect(fx.broker.groups.describe(group).groupState).toBe('Empty');
        const stored = fx.broker.groups.fetchOffsets(group, [{ name: topic, partitionIndexes: [0, 1, 2, 3] }]);
        expect(stored.topics[0]!.partitions.map((p) => p.committedOffset)).toEqual([10, 10, 10, 10]);
      } finally {
        await stopAll(members);
      }
    }, 90_000);
  },
);

