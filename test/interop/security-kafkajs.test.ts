/**
 * kafkajs 2.2.4 (unmodified) authenticating to the broker: PLAIN, SCRAM-SHA-256 and
 * SCRAM-SHA-512 over SASL_PLAINTEXT and SASL_SSL, each producing and consuming a few
 * records; then a refused password, an unknown user and a wrong mechanism — each an
 * error naming the cause while the broker serves another client.
 */
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { opensslMissing, type SecureBroker, startSecureBroker, USERS } from './security-fixture.ts';

const { Kafka, logLevel } = kafkajs;
const skip = opensslMissing();
if (skip) console.warn(skip);

type Mechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';
const MECHANISMS: Mechanism[] = ['plain', 'scram-sha-256', 'scram-sha-512'];

let fx: SecureBroker;
beforeAll(async () => {
  if (!skip) fx = await startSecureBroker();
});
afterAll(async () => {
  await fx?.close();
});

function client(listener: 'SASL_PLAINTEXT' | 'SASL_SSL', mechanism: Mechanism, password?: string, username?: string) {
  const user = mechanism === 'plain' ? USERS.plain : USERS.scram;
  return new Kafka({
    clientId: 'security-interop',
    brokers: [fx.address[listener]],
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    ...(listener === 'SASL_SSL' ? { ssl: { ca: [fx.certs.ca] } } : {}),
    sasl: { mechanism, username: username ?? user.username, password: password ?? user.password } as any,
  });
}

async function roundTrip(kafka: InstanceType<typeof Kafka>, topic: string): Promise<string[]> {
  const producer = kafka.producer({ allowAutoTopicCreation: true });
  await producer.connect();
  await producer.send({ topic, messages: [{ value: 'one' }, { value: 'two' }, { value: 'three' }] });
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: `${topic}-group`, sessionTimeout: 10_000, heartbeatInterval: 500 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen: string[] = [];
  await new Promise<void>((resolve, reject) => {
    consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(message.value!.toString());
        if (seen.length === 3) resolve();
      },
    }).catch(reject);
  });
  await consumer.disconnect();
  return seen;
}

describe.skipIf(skip)('kafkajs authenticates', () => {
  for (const listener of ['SASL_PLAINTEXT', 'SASL_SSL'] as const) {
    for (const mechanism of MECHANISMS) {
      it(`${mechanism} over ${listener}: produces and consumes`, async () => {
        const topic = `kafkajs-${listener}-${mechanism}`.toLowerCase();
        expect(await roundTrip(client(listener, mechanism), topic)).toEqual(['one', 'two', 'three']);
        // Metadata sent the addresses of the listener the client came in on.
        const admin = client(listener, mechanism).admin();
        await admin.connect();
        const cluster = await admin.describeCluster();
        await admin.disconnect();
        expect(`${cluster.brokers[0]!.host}:${cluster.brokers[0]!.port}`).toBe(fx.address[listener]);
      });
    }
  }
});

describe.skipIf(skip)('kafkajs is refused', () => {
  it.each(MECHANISMS)('%s with a wrong password: authentication failed, the broker serves others', async (mechanism) => {
    const bad = client('SASL_SSL', mechanism, 'wrong-password');
    const admin = bad.admin();
    await expect(admin.connect()).rejects.toThrow(/SASL .*authentication failed|Authentication failed/i);
    const good = client('SASL_SSL', mechanism).admin();
    await good.connect();
    expect(await good.listTopics()).toBeInstanceOf(Array);
    await good.disconnect();
    const line = fx.lines().find((l) => l.message === 'authentication failed' && l.fields?.mechanism === mechanism.toUpperCase());
    expect(line).toBeDefined();
    expect(JSON.stringify(line)).not.toContain('wrong-password');
  });

  it('an unknown SCRAM user is refused', async () => {
    const admin = client('SASL_PLAINTEXT', 'scram-sha-256', 'whatever', 'nobody').admin();
    await expect(admin.connect()).rejects.toThrow(/Authentication failed/i);
  });
});
