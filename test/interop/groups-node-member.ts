/**
 * A kafkajs or @platformatic/kafka group member in its own process, so that an interop
 * test can kill it without a LeaveGroup (SIGKILL) — the only honest way to test that the
 * coordinator moves a dead member's partitions after its session timeout.
 *
 * Usage: node --import tsx groups-node-member.ts kafkajs|platformatic BOOTSTRAP GROUP TOPIC SESSION_TIMEOUT_MS
 * Prints JSON lines like group-consumer.py: {"assigned": [partitions]} on every
 * assignment, {"p", "o", "v"} per record. SIGTERM leaves the group cleanly.
 */
import { Consumer, stringDeserializers } from '@platformatic/kafka';
import kafkajs from 'kafkajs';

const [family, bootstrap, group, topic, session] = process.argv.slice(2) as [string, string, string, string, string];
const sessionTimeout = Number(session);

function emit(obj: unknown): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

async function runKafkajs(): Promise<() => Promise<void>> {
  const kafka = new kafkajs.Kafka({ clientId: 'kjs-child', brokers: [bootstrap], logLevel: kafkajs.logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 50, maxRetryTime: 500 } });
  const consumer = kafka.consumer({ groupId: group, sessionTimeout, rebalanceTimeout: 10_000, heartbeatInterval: 200, maxWaitTimeInMs: 100 });
  consumer.on(consumer.events.GROUP_JOIN, (e) => emit({ assigned: [...(e.payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b) }));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommitThreshold: 1,
    eachMessage: async ({ partition, message }) => emit({ p: partition, o: Number(message.offset), v: message.value!.toString() }),
  });
  return () => consumer.disconnect();
}

async function runPlatformatic(): Promise<() => Promise<void>> {
  const consumer = new Consumer({
    clientId: 'pk-child',
    groupId: group,
    bootstrapBrokers: [bootstrap],
    sessionTimeout,
    rebalanceTimeout: 10_000,
    heartbeatInterval: 200,
    maxWaitTime: 100,
    deserializers: stringDeserializers,
    retries: 10,
    retryDelay: 100,
  });
  consumer.on('consumer:group:join', (payload) => {
    emit({ assigned: (payload.assignments ?? []).filter((a) => a.topic === topic).flatMap((a) => a.partitions).sort((a, b) => a - b) });
  });
  const stream = await consumer.consume({ topics: [topic], mode: 'committed', fallbackMode: 'earliest', autocommit: 50 });
  stream.on('data', (m) => emit({ p: m.partition, o: Number(m.offset), v: String(m.value) }));
  stream.on('error', () => undefined);
  return async () => {
    await stream.close();
    await consumer.close();
  };
}

const stop = family === 'kafkajs' ? await runKafkajs() : await runPlatformatic();
process.once('SIGTERM', () => {
  stop().finally(() => process.exit(0));
});
