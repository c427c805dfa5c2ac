/**
 * @platformatic/kafka 1.35 (unmodified) authenticating to the broker: PLAIN, SCRAM-SHA-256
 * and SCRAM-SHA-512 over SASL_PLAINTEXT and SASL_SSL, producing three records and reading
 * them back with Consumer.fetch; a wrong password is refused.
 */
import { Admin, Consumer, Producer, stringSerializers } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { opensslMissing, type SecureBroker, startSecureBroker, USERS } from './security-fixture.ts';

const skip = opensslMissing();
if (skip) console.warn(skip);

let fx: SecureBroker;
beforeAll(async () => {
  if (!skip) fx = await startSecureBroker();
});
afterAll(async () => {
  await fx?.close();
});

const MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;

function connection(listener: 'SASL_PLAINTEXT' | 'SASL_SSL', mechanism: (typeof MECHANISMS)[number], password?: string) {
  const user = mechanism === 'PLAIN' ? USERS.plain : USERS.scram;
  return {
    clientId: 'security-interop',
    bootstrapBrokers: [fx.address[listener]],
    retries: 0,
    sasl: { mechanism, username: user.username, password: password ?? user.password },
    ...(listener === 'SASL_SSL' ? { tls: { ca: fx.certs.ca, servername: 'localhost' } } : {}),
  };
}

describe.skipIf(skip)('@platformatic/kafka authenticates', () => {
  for (const listener of ['SASL_PLAINTEXT', 'SASL_SSL'] as const) {
    it.each(MECHANISMS)(`%s over ${listener}: produces and consumes`, async (mechanism) => {
      const topic = `platformatic-${listener}-${mechanism}`.toLowerCase();
      const admin = new Admin(connection(listener, mechanism));
      await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 });
      await admin.close();
      const producer = new Producer({ ...connection(listener, mechanism), serializers: stringSerializers });
      await producer.send({ messages: ['one', 'two', 'three'].map((value) => ({ topic, value, partition: 0 })) });
      await producer.close();
      const consumer = new Consumer({ ...connection(listener, mechanism), groupId: `${topic}-group` });
      try {
        const response = await consumer.fetch({
          node: 1,
          maxWaitTime: 100,
          topics: [{ topicId: topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, partitionMaxBytes: 1 << 20 }] }],
        });
        const batches = response.responses[0]!.partitions[0]!.records ?? [];
        expect(batches.flatMap((b) => b.records.map((r) => String(r.value)))).toEqual(['one', 'two', 'three']);
      } finally {
        await consumer.close(true);
      }
    });
  }

  it('a wrong password is refused with the broker\'s message', async () => {
    const admin = new Admin(connection('SASL_SSL', 'SCRAM-SHA-256', 'wrong'));
    const error = await admin.listTopics().then(() => undefined, (e: unknown) => e);
    expect(error).toBeDefined();
    expect(fx.lines().some((l) => l.message === 'authentication failed' && l.fields?.mechanism === 'SCRAM-SHA-256')).toBe(true);
    await admin.close();
  });
});
