/**
 * Every client we claim against a three-broker process cluster (issue 11, "Done when"):
 * kcat, confluent-kafka-python, kafka-python, kafkajs, @platformatic/kafka and ours. Each
 * gets a topic of 3 partitions with 3 replicas and min.insync.replicas 2, produces keyed
 * values with acks=all bootstrapping from ONE broker that leads only some of the partitions
 * (so it must follow the leaders the metadata names), and reads them back bootstrapping from
 * another broker — in a group where the client has one. Every value must arrive exactly once
 * and in order within its partition. Last, committed offsets of our client's and kafkajs's
 * groups must be served after their coordinator's process is killed -9.
 *
 * The kcat and Python parts are skipped, with the reason, when the tool is missing (CI
 * installs kcat, python3-confluent-kafka and python3-kafka).
 */
import { spawnSync } from 'node:child_process';
import { Admin, Consumer as PkConsumer, Producer as PkProducer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFailed } from 'vitest';
import type { Client } from '../../core/client/client.ts';
import { findCoordinator } from '../../core/client/group/coordinator-channel.ts';
import { type InteropCluster, startInteropCluster } from './cluster-fixture.ts';
import { kcat, type KcatMessage } from './kcat-runner.ts';
import { b64, eventsNamed, PYTHON, pythonCan, runPython } from './python-runner.ts';

const hasKcat = spawnSync('kcat', ['-V'], { stdio: 'ignore' }).status === 0;
const hasConfluent = pythonCan('import confluent_kafka');
const hasKafkaPython = pythonCan('import kafka');

/** Keyed values per client: enough distinct keys that all three partitions get some. */
const COUNT = 30;
const PARTITIONS = 3;
const dec = new TextDecoder();
/** Kafka's ConfigResource type of a topic. */
const TOPIC_RESOURCE = 2;

let cluster: InteropCluster;
let adminClient: Client;
let admin: ReturnType<Client['admin']>;

beforeAll(async () => {
  cluster = await startInteropCluster(3);
  adminClient = cluster.client(1, 'cluster-interop-admin');
  admin = adminClient.admin();
  await until('three brokers in the cluster', async () => (await admin.describeCluster()).brokers.length === 3);
}, 90_000);

// A failure shows the end of each broker's log (the data directory is removed afterwards).
beforeEach(() => {
  onTestFailed(() => {
    for (const node of cluster?.nodes.values() ?? []) console.error(`----- node ${node.id} (last 150 lines) -----\n${node.log().split('\n').slice(-150).join('\n')}`);
  });
});

afterAll(async () => {
  await cluster?.close();
});

/** Polls `check` until it holds (errors count as not yet); fails with the broker logs after `timeoutMs`. */
async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Leader and ISR of each partition, from our admin. */
async function describeTopic(topic: string): Promise<Array<{ partition: number; leader: number; replicas: number[]; isr: number[] }>> {
  const [d] = await admin.describeTopics([topic]);
  return (d?.partitions ?? []).map((p) => ({ partition: p.partitionId, leader: p.leader, replicas: [...p.replicas], isr: [...p.isr] })).sort((a, b) => a.partition - b.partition);
}

/** Log end offsets (= high watermarks once replicated) of each partition of `topic`, in partition order. */
async function partitionEnds(topic: string): Promise<number[]> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.sort((a, b) => a.partition - b.partition).map((o) => Number(o.high));
}

/** The committed offsets of `group` on `topic`, in partition order (-1 where none). */
async function committedOffsets(group: string, topic: string): Promise<number[]> {
  const [t] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  return (t?.partitions ?? []).sort((a, b) => a.partition - b.partition).map((p) => p.offset);
}

function sameOffsets(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Where a client produces and consumes: the leader of partition 0 (which leads only some partitions), and another broker. */
interface Route {
  produceNode: number;
  consumeNode: number;
  produceFrom: string;
  consumeFrom: string;
  leaders: number[];
}

/**
 * Waits until `topic` has 3 partitions, each with 3 replicas all in sync, and picks the
 * brokers to bootstrap from. The placement spreads leaders; the test insists on it.
 */
async function routeFor(topic: string): Promise<Route> {
  let partitions: Awaited<ReturnType<typeof describeTopic>> = [];
  await until(`${topic}: ${PARTITIONS} partitions with 3 in-sync replicas`, async () => {
    partitions = await describeTopic(topic);
    return partitions.length === PARTITIONS && partitions.every((p) => p.leader >= 0 && p.replicas.length === 3 && p.isr.length === 3);
  });
  const leaders = partitions.map((p) => p.leader);
  const producer = leaders[0]!;
  expect(new Set(leaders).size, `leaders ${leaders}: the bootstrap broker must not lead every partition`).toBeGreaterThan(1);
  const consumer = [1, 2, 3].find((n) => n !== producer)!;
  const [config] = (await admin.describeConfigs({ resources: [{ type: TOPIC_RESOURCE, name: topic, configNames: ['min.insync.replicas'] }] })).resources;
  expect(config?.configEntries.find((e) => e.configName === 'min.insync.replicas')?.configValue).toBe('2');
  return { produceNode: producer, consumeNode: consumer, produceFrom: cluster.address(producer), consumeFrom: cluster.address(consumer), leaders };
}

/** Creates a replicated topic with our admin, with explicit placement spreading the leaders over the brokers. */
async function createReplicated(topic: string): Promise<Route> {
  await admin.createTopics({
    topics: [{ topic, replicaAssignment: [0, 1, 2].map((p) => ({ partition: p, replicas: [1, 2, 3].map((_, i) => ((p + i) % 3) + 1) })), configs: { 'min.insync.replicas': '2' } }],
  });
  return routeFor(topic);
}

/** The keyed values a client sends: `key-i` → `<tag>-i`. */
function values(tag: string, count = COUNT): Array<{ key: string; value: string }> {
  return Array.from({ length: count }, (_, i) => ({ key: `key-${i}`, value: `${tag}-${i}` }));
}

/** One record as read back. */
interface Got {
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
}

/**
 * Every sent value exactly once; within each partition offsets strictly increase and the
 * values come in the order they were sent; a key always in the same partition; all three
 * partitions used (the producer really spoke to more than its bootstrap broker).
 */
function expectOnceInOrder(tag: string, got: readonly Got[]): void {
  const sent = values(tag);
  expect([...got.map((g) => g.value)].sort()).toEqual(sent.map((s) => s.value).sort());
  for (const g of got) expect(g.key, `key of ${g.value}`).toBe(`key-${g.value!.slice(tag.length + 1)}`);
  const byPartition = new Map<number, Got[]>();
  for (const g of got) byPartition.set(g.partition, [...(byPartition.get(g.partition) ?? []), g]);
  expect([...byPartition.keys()].sort()).toEqual([0, 1, 2]);
  for (const [partition, records] of byPartition) {
    const inOffsetOrder = [...records].sort((a, b) => a.offset - b.offset);
    expect(new Set(records.map((r) => r.offset)).size, `distinct offsets in partition ${partition}`).toBe(records.length);
    const seq = inOffsetOrder.map((r) => Number(r.value!.slice(tag.length + 1)));
    expect(seq, `send order in partition ${partition}`).toEqual([...seq].sort((a, b) => a - b));
  }
}

describe('clients against a three-broker process cluster (RF 3, min.insync.replicas 2, acks=all)', () => {
  it('our client: produces from one broker, a group consumer on another reads every value once, in partition order', async () => {
    const topic = 'cc-ours';
    const route = await createReplicated(topic);
    const producerClient = cluster.client(route.produceNode, 'cc-ours-producer');
    const producer = producerClient.producer({ acks: -1 });
    const meta = await producer.send({ topic, messages: values(topic) });
    expect(new Set(meta.map((m) => m.partition)).size).toBe(PARTITIONS);
    await producer.close();

    const consumerClient = cluster.client(route.consumeNode, 'cc-ours-consumer');
    const consumer = consumerClient.consumer({ groupId: 'cc-ours-group', heartbeatIntervalMs: 200, sessionTimeoutMs: 6000, maxWaitMs: 100 });
    const got: Got[] = [];
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        got.push({ partition, offset: Number(message.offset), key: message.key ? dec.decode(message.key as Uint8Array) : null, value: dec.decode(message.value as Uint8Array) });
      },
    });
    try {
      await until(`${COUNT} records consumed`, () => got.length >= COUNT);
    } finally {
      await consumer.stop();
    }
    expectOnceInOrder(topic, got);
  }, 60_000);

  it('kafkajs 2.2.4: creates the topic, produces acks=-1 from one broker, a group consumer on another reads every value once, in order', async () => {
    const topic = 'cc-kafkajs';
    const kjsAdmin = new kafkajs.Kafka({ clientId: 'cc-kafkajs', brokers: [cluster.address(1)], logLevel: kafkajs.logLevel.NOTHING }).admin();
    await kjsAdmin.connect();
    try {
      expect(await kjsAdmin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }], waitForLeaders: true })).toBe(true);
    } finally {
      await kjsAdmin.disconnect();
    }
    const route = await routeFor(topic);
    const retry = { retries: 10, initialRetryTime: 100, maxRetryTime: 1000 };
    const producer = new kafkajs.Kafka({ clientId: 'cc-kafkajs-p', brokers: [route.produceFrom], logLevel: kafkajs.logLevel.NOTHING, retry }).producer({ maxInFlightRequests: 1 });
    await producer.connect();
    try {
      const meta = await producer.send({ topic, acks: -1, messages: values(topic) });
      expect(meta.every((m) => m.errorCode === 0)).toBe(true);
    } finally {
      await producer.disconnect();
    }
    const consumer = new kafkajs.Kafka({ clientId: 'cc-kafkajs-c', brokers: [route.consumeFrom], logLevel: kafkajs.logLevel.NOTHING, retry }).consumer({ groupId: 'cc-kafkajs-group', heartbeatInterval: 200, maxWaitTimeInMs: 100 });
    const got: Got[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ partition, message }) => void got.push({ partition, offset: Number(message.offset), key: message.key?.toString() ?? null, value: message.value?.toString() ?? null }) });
      await until(`${COUNT} records consumed`, () => got.length >= COUNT);
    } finally {
      await consumer.disconnect();
    }
    expectOnceInOrder(topic, got);
  }, 60_000);

  it('@platformatic/kafka 1.35: creates the topic, produces acks=-1 from one broker, a group consumer on another reads every value once, in order', async () => {
    const topic = 'cc-platformatic';
    const pkAdmin = new Admin({ clientId: 'cc-platformatic', bootstrapBrokers: [cluster.address(1)] });
    try {
      await pkAdmin.createTopics({ topics: [topic], partitions: PARTITIONS, replicas: 3, configs: [{ name: 'min.insync.replicas', value: '2' }] });
    } finally {
      await pkAdmin.close();
    }
    const route = await routeFor(topic);
    const producer = new PkProducer({ clientId: 'cc-platformatic-p', bootstrapBrokers: [route.produceFrom], serializers: stringSerializers, retries: 10, retryDelay: 100 });
    try {
      await producer.send({ messages: values(topic).map((v) => ({ topic, key: v.key, value: v.value })), acks: -1 });
    } finally {
      await producer.close();
    }
    const consumer = new PkConsumer({ clientId: 'cc-platformatic-c', groupId: 'cc-platformatic-group', bootstrapBrokers: [route.consumeFrom], heartbeatInterval: 200, maxWaitTime: 100, deserializers: stringDeserializers, retries: 10, retryDelay: 100 });
    const got: Got[] = [];
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: 100 });
    stream.on('data', (m) => got.push({ partition: m.partition, offset: Number(m.offset), key: m.key ?? null, value: m.value ?? null }));
    try {
      await until(`${COUNT} records consumed`, () => got.length >= COUNT);
    } finally {
      await stream.close();
      await consumer.close();
    }
    expectOnceInOrder(topic, got);
  }, 60_000);

  it.skipIf(!hasKcat)('kcat (librdkafka): -P with acks=all from one broker, -C from another reads every value once, in order' + (hasKcat ? '' : ' [skipped: kcat not installed]'), async () => {
    const topic = 'cc-kcat';
    const route = await createReplicated(topic);
    const input = values(topic).map((v) => `${v.key}|${v.value}`).join('\n') + '\n';
    await kcat(['-b', route.produceFrom, '-P', '-t', topic, '-K', '|', '-X', 'acks=all', '-X', 'partitioner=murmur2_random'], input, { timeoutMs: 30_000 });
    const out = await kcat(['-b', route.consumeFrom, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-J'], '', { timeoutMs: 30_000 });
    const messages = out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as KcatMessage);
    expectOnceInOrder(topic, messages.map((m) => ({ partition: m.partition, offset: m.offset, key: m.key, value: m.payload })));
  }, 60_000);

  it.skipIf(!hasConfluent)('confluent-kafka-python (librdkafka): produces acks=all from one broker, a group Consumer on another reads every value once, in order' + (hasConfluent ? '' : ` [skipped: ${PYTHON} cannot import confluent_kafka]`), async () => {
    const topic = 'cc-confluent';
    const route = await createReplicated(topic);
    const records = values(topic).map((v) => ({ key: b64(v.key), value: b64(v.value), headers: [], partition: null, timestamp: null }));
    const produced = await runPython('confluent_produce.py', { bootstrap: route.produceFrom, topic, codec: 'none', idempotent: true, acks: 'all', records });
    expect(eventsNamed(produced, 'client-error')).toEqual([]);
    expect(eventsNamed(produced, 'sent').map((e) => e.error)).toEqual(records.map(() => null));
    const consumed = await runPython('confluent_consume.py', { bootstrap: route.consumeFrom, topics: [topic], group_id: 'cc-confluent-group', count: COUNT });
    expect(eventsNamed(consumed, 'consume-error')).toEqual([]);
    const got = eventsNamed(consumed, 'record').map((e) => ({ partition: e.partition as number, offset: e.offset as number, key: Buffer.from(e.key, 'base64').toString(), value: Buffer.from(e.value, 'base64').toString() }));
    expectOnceInOrder(topic, got);
    // The commit went to the group's coordinator, wherever it is.
    const committed = eventsNamed(consumed, 'committed')[0]!.offsets as Array<[string, number, number]>;
    const ends = [0, 1, 2].map((p) => got.filter((g) => g.partition === p).length);
    expect(committed).toEqual([0, 1, 2].map((p) => [topic, p, ends[p]]));
  }, 60_000);

  it.skipIf(!hasKafkaPython)('kafka-python: produces acks=all from one broker, a group KafkaConsumer on another reads every value once, in order' + (hasKafkaPython ? '' : ` [skipped: ${PYTHON} cannot import kafka]`), async () => {
    const topic = 'cc-kafka-python';
    const route = await createReplicated(topic);
    const records = values(topic).map((v) => ({ key: b64(v.key), value: b64(v.value), headers: [], partition: null, timestamp: null }));
    const produced = await runPython('kafka_python_produce.py', { bootstrap: route.produceFrom, topic, codec: 'none', acks: 'all', records });
    expect(eventsNamed(produced, 'sent')).toHaveLength(COUNT);
    const consumed = await runPython('kafka_python_consume.py', { bootstrap: route.consumeFrom, topics: [topic], group_id: 'cc-kafka-python-group', count: COUNT, commit: true });
    const got = eventsNamed(consumed, 'record').map((e) => ({ partition: e.partition as number, offset: e.offset as number, key: Buffer.from(e.key, 'base64').toString(), value: Buffer.from(e.value, 'base64').toString() }));
    expectOnceInOrder(topic, got);
    const ends = [0, 1, 2].map((p) => got.filter((g) => g.partition === p).length);
    expect(eventsNamed(consumed, 'committed')[0]!.offsets).toEqual([0, 1, 2].map((p) => [topic, p, ends[p]]));
  }, 60_000);

  it("committed offsets of our client's and kafkajs's groups are served after their coordinator's process is killed -9; new members resume from them", async () => {
    const topic = 'cc-failover';
    await createReplicated(topic);
    // Groups whose coordinator (the leader of their __consumer_offsets partition) is one
    // broker other than node 1, which also serves the controller this test keeps alive.
    let coordinator = -1;
    const pick = async (prefix: string, want?: number): Promise<string> => {
      for (let n = 0; n < 200; n++) {
        const group = `${prefix}-${n}`;
        const node = await findCoordinator(adminClient.cluster, group);
        if (node !== 1 && (want === undefined || node === want)) {
          coordinator = node;
          return group;
        }
      }
      throw new Error(`no group ${prefix}-n with a coordinator other than node 1${want ? ` and equal to ${want}` : ''}`);
    };
    const ourGroup = await pick('cc-failover-ours');
    const kjsGroup = await pick('cc-failover-kafkajs', coordinator);
    const survivor = [2, 3].find((n) => n !== coordinator)!;

    const producer = cluster.client(survivor, 'cc-failover-producer').producer({ acks: -1 });
    await producer.send({ topic, messages: values(`${topic}-old`) });

    const kjs = (group: string) => new kafkajs.Kafka({ clientId: `cc-${group}`, brokers: [cluster.address(survivor)], logLevel: kafkajs.logLevel.NOTHING, retry: { retries: 15, initialRetryTime: 100, maxRetryTime: 1000 } }).consumer({ groupId: group, heartbeatInterval: 200, maxWaitTimeInMs: 100, sessionTimeout: 6000 });
    /** One member of each group reads from the committed offsets (or the beginning) until it has `count` records. */
    const consumeBoth = async (tag: string): Promise<void> => {
      const ours = cluster.client(survivor, `cc-failover-ours-${tag}`).consumer({ groupId: ourGroup, heartbeatIntervalMs: 200, sessionTimeoutMs: 6000, maxWaitMs: 100, autoCommitIntervalMs: 100 });
      const theirs = kjs(kjsGroup);
      const ourGot: Got[] = [];
      const theirGot: Got[] = [];
      await ours.subscribe({ topics: [topic], fromBeginning: true });
      await ours.run({ eachMessage: async ({ partition, message }) => void ourGot.push({ partition, offset: Number(message.offset), key: message.key ? dec.decode(message.key as Uint8Array) : null, value: dec.decode(message.value as Uint8Array) }) });
      await theirs.connect();
      await theirs.subscribe({ topic, fromBeginning: true });
      await theirs.run({ autoCommitThreshold: 1, eachMessage: async ({ partition, message }) => void theirGot.push({ partition, offset: Number(message.offset), key: message.key?.toString() ?? null, value: message.value?.toString() ?? null }) });
      try {
        await until(`${tag}: ${COUNT} records consumed by each group`, () => ourGot.length >= COUNT && theirGot.length >= COUNT, 60_000);
        // Both committed everything they read before they leave.
        const end = await partitionEnds(topic);
        for (const group of [ourGroup, kjsGroup]) await until(`${group} committed to the end`, async () => sameOffsets(await committedOffsets(group, topic), end));
      } finally {
        await ours.stop();
        await theirs.disconnect();
      }
      expectOnceInOrder(`${topic}-${tag}`, ourGot);
      expectOnceInOrder(`${topic}-${tag}`, theirGot);
    };
    await consumeBoth('old');
    const committedBefore = await partitionEnds(topic);

    await cluster.nodes.get(coordinator)!.kill();
    // Another broker takes over the groups' __consumer_offsets partition and serves what was committed.
    await until('a new coordinator for both groups', async () => (await findCoordinator(adminClient.cluster, ourGroup)) !== coordinator && (await findCoordinator(adminClient.cluster, kjsGroup)) !== coordinator);
    for (const group of [ourGroup, kjsGroup]) await until(`${group}: committed offsets from the new coordinator`, async () => sameOffsets(await committedOffsets(group, topic), committedBefore));

    // New values (acks=all still reaches min.insync.replicas 2 with two brokers); new
    // members must read only these, never the old ones again.
    await producer.send({ topic, messages: values(`${topic}-new`) });
    await producer.close();
    await consumeBoth('new');
  }, 120_000);
});
