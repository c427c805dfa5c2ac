/**
 * Client throughput: our producer and consumer against kafkajs 2.2.4 and
 * @platformatic/kafka 1.35, all talking to the same broker (memory storage, TCP on
 * 127.0.0.1) in the same run, plus our in-process transport against our TCP one.
 *
 * Producer rounds: 10,000 keyless records of 100-byte values, sent as 10 concurrent
 * sends of 1,000 (acks=1, no compression). Consumer rounds: read 200,000 such records from
 * offset 0. Neither kafkajs nor platformatic has a group-free consumer, so their side
 * uses their bare fetch paths (kafkajs's Broker.fetch, platformatic's Consumer.fetch) in
 * a loop — less work than our full consumer does (handler calls, positions, prefetch).
 * Full group consumers side by side are in client-group.bench.ts.
 */
import { createRequire } from 'node:module';
import { memoryStorage } from '../adapters/memory/index.ts';
import { startServer } from '../adapters/server/index.ts';
import { tcpTransport } from '../adapters/transport/index.ts';
import { Broker } from '../core/broker/broker.ts';
import { DEFAULT_HANDLERS } from '../core/broker/api/preset.ts';
import { createClient, type Client } from '../core/client/client.ts';
import { inProcessTransport } from '../core/client/in-process-transport.ts';
import { Registry } from '../core/registry.ts';
import { registerBuiltInCompressors } from '../plugins/compressors/index.ts';
import { registerBuiltInPartitioners } from '../plugins/partitioners/index.ts';
import { registerBuiltInSerializers } from '../plugins/serializers/index.ts';
import { measure, report, type BenchRow } from './harness.ts';

const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs');

const ROUND = 10_000;
const SENDS = 10;
const VALUE = 100;
const CONSUME = 200_000;
const time = Number(process.env.BENCH_TIME_MS ?? 1000) * 2;

function registry(): Registry {
  const r = new Registry();
  registerBuiltInSerializers(r);
  registerBuiltInPartitioners(r);
  registerBuiltInCompressors(r);
  return r;
}

const value = new Uint8Array(VALUE).map((_, i) => i);
const valueBuf = Buffer.from(value);
const ourMessages = Array.from({ length: ROUND / SENDS }, () => ({ value }));
const kjsMessages = Array.from({ length: ROUND / SENDS }, () => ({ value: valueBuf }));

const broker = new Broker({ handlers: DEFAULT_HANDLERS, storage: memoryStorage(), retentionCheckIntervalMs: 0, autoCreateTopics: true });
const server = await startServer(broker, { port: 0 });
const bootstrap = server.address;
const ourTcp = createClient({ brokers: [bootstrap], transport: tcpTransport(), registry: registry() });
const ourLocal = createClient({ brokers: ['local:0'], transport: inProcessTransport(broker), registry: registry() });
const kafka = new Kafka({ clientId: 'bench', brokers: [bootstrap], logLevel: logLevel.NOTHING });
const admin = ourTcp.admin();

let topicNo = 0;
async function freshTopic(): Promise<string> {
  const topic = `bench-${topicNo++}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
  return topic;
}

function rate(m: { opsPerSec: number }, perOp: number): { recordsPerSec: number; mbPerSec: number } {
  const recordsPerSec = m.opsPerSec * perOp;
  return { recordsPerSec, mbPerSec: (recordsPerSec * VALUE) / 1e6 };
}

// ------------------------------------------------------------------ producers

async function ourProducer(client: Client): Promise<number> {
  const topic = await freshTopic();
  // No linger, as kafkajs and platformatic (they send each send() at once): with 5 ms the
  // closed loop below would spend a third of its time waiting for the last batch of a round.
  const producer = client.producer({ acks: 1, idempotent: false, lingerMs: 0, batchSize: 64 * 1024 });
  await producer.connect();
  const m = await measure(() => Promise.all(Array.from({ length: SENDS }, () => producer.send({ topic, messages: ourMessages }))), { timeMs: time });
  await producer.close();
  await admin.deleteTopics({ topics: [topic] });
  return m.opsPerSec;
}

async function kafkajsProducer(): Promise<number> {
  const topic = await freshTopic();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const m = await measure(() => Promise.all(Array.from({ length: SENDS }, () => producer.send({ topic, acks: 1, messages: kjsMessages }))), { timeMs: time });
  await producer.disconnect();
  await admin.deleteTopics({ topics: [topic] });
  return m.opsPerSec;
}

let platformatic: any;
try {
  platformatic = await import('@platformatic/kafka');
} catch (error) {
  console.log(`@platformatic/kafka does not load here: ${String(error)}`);
}

async function platformaticProducer(): Promise<number> {
  const topic = await freshTopic();
  const producer = new platformatic.Producer({ clientId: 'bench', bootstrapBrokers: [bootstrap], acks: 1, autocreateTopics: false });
  const messages = kjsMessages.map((m) => ({ topic, value: m.value }));
  const m = await measure(() => Promise.all(Array.from({ length: SENDS }, () => producer.send({ messages }))), { timeMs: time });
  await producer.close();
  await admin.deleteTopics({ topics: [topic] });
  return m.opsPerSec;
}

// ------------------------------------------------------------------ consumers

async function filledTopic(): Promise<string> {
  const topic = await freshTopic();
  const producer = ourTcp.producer({ acks: 1, idempotent: false, batchSize: 64 * 1024 });
  for (let i = 0; i < CONSUME; i += ROUND) await Promise.all(Array.from({ length: SENDS }, () => producer.send({ topic, messages: ourMessages })));
  await producer.close();
  return topic;
}

async function ourConsumer(client: Client, topic: string): Promise<number> {
  const m = await measure(async () => {
    const consumer = client.consumer({ maxWaitMs: 100 });
    let n = 0;
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    await consumer.assign([{ topic, partition: 0, offset: 0 }]);
    await consumer.run({
      eachBatch: async ({ batch }) => {
        n += batch.messages.length;
        if (n >= CONSUME) done();
      },
    });
    await finished;
    await consumer.stop();
  }, { timeMs: time, warmupMs: 0 });
  return m.opsPerSec;
}

async function kafkajsConsumer(topic: string): Promise<number> {
  const createCluster = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster')!;
  const cluster = kafka[createCluster]({ metadataMaxAge: 60_000, isolationLevel: 0 });
  await cluster.connect();
  await cluster.addTargetTopic(topic);
  const b = await cluster.findBroker({ nodeId: Number(Object.keys(cluster.findLeaderForPartitions(topic, [0]))[0]) });
  const m = await measure(async () => {
    let next = 0;
    let n = 0;
    while (n < CONSUME) {
      const response = await b.fetch({
        replicaId: -1, isolationLevel: 0, maxWaitTime: 100, minBytes: 1, maxBytes: 50 << 20,
        topics: [{ topic, partitions: [{ partition: 0, fetchOffset: String(next), maxBytes: 1 << 20 }] }],
      });
      const messages = response.responses[0].partitions[0].messages;
      for (const msg of messages) {
        if (Number(msg.offset) < next) continue;
        n++;
        next = Number(msg.offset) + 1;
      }
    }
  }, { timeMs: time, warmupMs: 0 });
  await cluster.disconnect();
  return m.opsPerSec;
}

async function platformaticConsumer(topic: string): Promise<number> {
  const consumer = new platformatic.Consumer({ clientId: 'bench', groupId: 'unused', bootstrapBrokers: [bootstrap] });
  const m = await measure(async () => {
    let next = 0n;
    let n = 0;
    while (n < CONSUME) {
      const response = await consumer.fetch({
        node: broker.nodeId,
        maxWaitTime: 100,
        topics: [{ topicId: topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: next, lastFetchedEpoch: -1, partitionMaxBytes: 1 << 20 }] }],
      });
      for (const batch of response.responses[0].partitions[0].records ?? []) {
        for (const r of batch.records) {
          const o = batch.firstOffset + BigInt(r.offsetDelta);
          if (o < next) continue;
          n++;
          next = o + 1n;
        }
      }
    }
  }, { timeMs: time, warmupMs: 0 });
  await consumer.close(true);
  return m.opsPerSec;
}

// ------------------------------------------------------------------ run

const rows: BenchRow[] = [];
const produced: Record<string, number> = {};
produced.tcp = await ourProducer(ourTcp);
produced.inProcess = await ourProducer(ourLocal);
produced.kafkajs = await kafkajsProducer();
if (platformatic) produced.platformatic = await platformaticProducer();

rows.push({ name: 'producer: ours, TCP', ...rate({ opsPerSec: produced.tcp }, ROUND), ratio: { peer: 'kafkajs', value: produced.tcp / produced.kafkajs } });
if (produced.platformatic) rows.push({ name: 'producer: ours, TCP vs platformatic', ...rate({ opsPerSec: produced.tcp }, ROUND), ratio: { peer: '@platformatic/kafka', value: produced.tcp / produced.platformatic } });
rows.push({ name: 'producer: ours, in-process', ...rate({ opsPerSec: produced.inProcess }, ROUND), ratio: { peer: 'ours TCP', value: produced.inProcess / produced.tcp } });
rows.push({ name: 'producer: kafkajs 2.2.4', ...rate({ opsPerSec: produced.kafkajs }, ROUND) });
if (produced.platformatic) rows.push({ name: 'producer: @platformatic/kafka 1.35', ...rate({ opsPerSec: produced.platformatic }, ROUND) });

const topic = await filledTopic();
const consumed: Record<string, number> = {};
consumed.tcp = await ourConsumer(ourTcp, topic);
consumed.inProcess = await ourConsumer(ourLocal, topic);
consumed.kafkajs = await kafkajsConsumer(topic);
if (platformatic) consumed.platformatic = await platformaticConsumer(topic);

rows.push({ name: 'consumer: ours, TCP', ...rate({ opsPerSec: consumed.tcp }, CONSUME), ratio: { peer: 'kafkajs fetch', value: consumed.tcp / consumed.kafkajs } });
if (consumed.platformatic) rows.push({ name: 'consumer: ours, TCP vs platformatic', ...rate({ opsPerSec: consumed.tcp }, CONSUME), ratio: { peer: '@platformatic/kafka fetch', value: consumed.tcp / consumed.platformatic } });
rows.push({ name: 'consumer: ours, in-process', ...rate({ opsPerSec: consumed.inProcess }, CONSUME), ratio: { peer: 'ours TCP', value: consumed.inProcess / consumed.tcp } });
rows.push({ name: 'consumer: kafkajs 2.2.4 (Broker.fetch loop)', ...rate({ opsPerSec: consumed.kafkajs }, CONSUME) });
if (consumed.platformatic) rows.push({ name: 'consumer: @platformatic/kafka 1.35 (Consumer.fetch loop)', ...rate({ opsPerSec: consumed.platformatic }, CONSUME) });

report('client', rows);
await ourTcp.close();
await ourLocal.close();
await server.close();
