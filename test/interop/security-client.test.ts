/**
 * Our client (createClient from mod.ts, TCP transport) with `ssl` and `sasl`: PLAIN,
 * SCRAM-SHA-256 and SCRAM-SHA-512 over SASL_PLAINTEXT and SASL_SSL, and a client
 * certificate over SSL — each producing three records and consuming them in a group.
 * Also: SCRAM users managed through the admin (AlterUserScramCredentials, then logging
 * in as the new user, then removed), and the errors a user sees: a wrong password, a
 * mechanism the listener does not enable, an untrusted certificate, SASL against a
 * PLAINTEXT listener.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../mod.ts';
import type { ClientOptions } from '../../core/client/client.ts';
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

type Mechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';
const MECHANISMS: Mechanism[] = ['plain', 'scram-sha-256', 'scram-sha-512'];

function options(listener: 'SASL_PLAINTEXT' | 'SASL_SSL' | 'SSL' | 'PLAINTEXT', sasl?: { mechanism: Mechanism; username: string; password: string }): Partial<ClientOptions> & { brokers: string[] } {
  return {
    brokers: [fx.address[listener]],
    logLevel: 'silent',
    retry: { retries: 0 },
    ...(listener === 'SASL_SSL' ? { ssl: { ca: fx.certs.ca } } : {}),
    ...(listener === 'SSL' ? { ssl: { ca: fx.certs.ca, cert: fx.certs.clientCert, key: fx.certs.clientKey } } : {}),
    ...(sasl ? { sasl } : {}),
  };
}

async function roundTrip(opts: ReturnType<typeof options>, topic: string): Promise<string[]> {
  const client = createClient(opts);
  try {
    const producer = client.producer();
    await producer.send({ topic, messages: [{ value: 'one' }, { value: 'two' }, { value: 'three' }] });
    const consumer = client.consumer({ groupId: `${topic}-group`, fromBeginning: true } as never);
    const seen: string[] = [];
    await (consumer as any).subscribe({ topics: [topic] });
    await new Promise<void>((resolve, reject) => {
      (consumer as any).run({
        eachMessage: async ({ message }: { message: { value: Uint8Array } }) => {
          seen.push(new TextDecoder().decode(message.value));
          if (seen.length === 3) resolve();
        },
      }).catch(reject);
    });
    await consumer.close();
    return seen;
  } finally {
    await client.close();
  }
}

describe.skipIf(skip)('our client authenticates', () => {
  for (const listener of ['SASL_PLAINTEXT', 'SASL_SSL'] as const) {
    it.each(MECHANISMS)(`%s over ${listener}: produces and consumes`, async (mechanism) => {
      const user = mechanism === 'plain' ? USERS.plain : USERS.scram;
      const topic = `client-${listener}-${mechanism}`.toLowerCase();
      expect(await roundTrip(options(listener, { mechanism, ...user }), topic)).toEqual(['one', 'two', 'three']);
    });
  }

  it('a client certificate over SSL: produces and consumes', async () => {
    expect(await roundTrip(options('SSL'), 'client-ssl-mtls')).toEqual(['one', 'two', 'three']);
  });
});

describe.skipIf(skip)('SCRAM users through the admin', () => {
  it('adds a user, who logs in with each mechanism; describes it; removes it, who is then refused', async () => {
    const admin = createClient(options('SASL_SSL', { mechanism: 'scram-sha-512', ...USERS.scram })).admin();
    await admin.alterUserScramCredentials({
      upsertions: [
        { user: 'carol', mechanism: 'scram-sha-256', password: 'carol-pw', iterations: 8192 },
        { user: 'carol', mechanism: 'scram-sha-512', password: 'carol-pw' },
      ],
    });
    expect(await admin.describeUserScramCredentials(['carol'])).toEqual([
      { user: 'carol', credentials: [{ mechanism: 'SCRAM-SHA-256', iterations: 8192 }, { mechanism: 'SCRAM-SHA-512', iterations: 4096 }] },
    ]);
    expect((await admin.describeUserScramCredentials()).map((u) => u.user)).toEqual(['carol', USERS.scram.username]);
    for (const mechanism of ['scram-sha-256', 'scram-sha-512'] as const) {
      const carol = createClient(options('SASL_SSL', { mechanism, username: 'carol', password: 'carol-pw' }));
      expect(await carol.admin().listTopics()).toBeInstanceOf(Array);
      await carol.close();
    }
    // The broker keeps the salted form only: neither the image nor the store holds the password.
    expect(JSON.stringify([...fx.broker.image.scramCredentials])).not.toContain('carol-pw');
    const stored = await fx.broker.storage.metadata.list('scram/');
    expect(stored.map((e) => e.key).sort()).toEqual(['scram/SCRAM-SHA-256/carol', 'scram/SCRAM-SHA-256/scramuser', 'scram/SCRAM-SHA-512/carol', 'scram/SCRAM-SHA-512/scramuser']);
    expect(new TextDecoder().decode(stored[0]!.value)).not.toContain('carol-pw');

    await expect(admin.alterUserScramCredentials({ upsertions: [{ user: 'dave', mechanism: 'scram-sha-256', password: 'x', iterations: 100 }] })).rejects.toMatchObject({ code: 'UNACCEPTABLE_CREDENTIAL' });
    await expect(admin.alterUserScramCredentials({ deletions: [{ user: 'dave', mechanism: 'scram-sha-256' }] })).rejects.toMatchObject({ code: 'RESOURCE_NOT_FOUND' });
    await expect(admin.describeUserScramCredentials(['dave'])).rejects.toMatchObject({ code: 'RESOURCE_NOT_FOUND' });

    await admin.alterUserScramCredentials({ deletions: [{ user: 'carol', mechanism: 'scram-sha-256' }, { user: 'carol', mechanism: 'scram-sha-512' }] });
    const gone = createClient(options('SASL_SSL', { mechanism: 'scram-sha-256', username: 'carol', password: 'carol-pw' }));
    await expect(gone.admin().listTopics()).rejects.toMatchObject({ code: 'SASL_AUTHENTICATION_FAILED' });
    await gone.close();
    await admin.close();
  });
});

describe.skipIf(skip)('what a user of our client sees', () => {
  it('a wrong password: SASL_AUTHENTICATION_FAILED with the broker\'s message', async () => {
    const client = createClient(options('SASL_PLAINTEXT', { mechanism: 'scram-sha-256', username: USERS.scram.username, password: 'nope' }));
    await expect(client.admin().listTopics()).rejects.toMatchObject({ code: 'SASL_AUTHENTICATION_FAILED', message: expect.stringMatching(/invalid credentials with SASL mechanism SCRAM-SHA-256/) });
    await client.close();
  });

  it('SASL against a PLAINTEXT listener: ILLEGAL_SASL_STATE saying SASL is not enabled there', async () => {
    const client = createClient(options('PLAINTEXT', { mechanism: 'plain', ...USERS.plain }));
    await expect(client.admin().listTopics()).rejects.toMatchObject({ code: 'ILLEGAL_SASL_STATE', message: expect.stringMatching(/not enabled on this listener/) });
    await client.close();
  });

  it('an untrusted broker certificate: ERR_TLS', async () => {
    const client = createClient({ ...options('SASL_SSL', { mechanism: 'plain', ...USERS.plain }), ssl: true });
    await expect(client.admin().listTopics()).rejects.toMatchObject({ code: 'ERR_TLS' });
    await client.close();
  });
});
