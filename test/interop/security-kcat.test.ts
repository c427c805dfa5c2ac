/**
 * kcat (librdkafka) authenticating to the broker: PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512
 * over SASL_PLAINTEXT and SASL_SSL, and a client certificate on the SSL listener — each
 * producing three records and reading them back; a wrong password ends kcat with the
 * broker's message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kcat } from './kcat-runner.ts';
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

function security(listener: 'SASL_PLAINTEXT' | 'SASL_SSL' | 'SSL', mechanism?: string, password?: string): string[] {
  const user = mechanism === 'PLAIN' ? USERS.plain : USERS.scram;
  const x = (kv: string) => ['-X', kv];
  return [
    '-b', fx.address[listener],
    ...x(`security.protocol=${listener}`),
    ...(mechanism ? [...x(`sasl.mechanism=${mechanism}`), ...x(`sasl.username=${user.username}`), ...x(`sasl.password=${password ?? user.password}`)] : []),
    ...(listener !== 'SASL_PLAINTEXT' ? x(`ssl.ca.location=${fx.certs.caFile}`) : []),
    ...(listener === 'SSL' ? [...x(`ssl.certificate.location=${fx.certs.clientCertFile}`), ...x(`ssl.key.location=${fx.certs.clientKeyFile}`)] : []),
  ];
}

async function roundTrip(args: string[], topic: string): Promise<string[]> {
  await kcat([...args, '-P', '-t', topic], 'one\ntwo\nthree\n', { timeoutMs: 20_000 });
  const out = await kcat([...args, '-C', '-t', topic, '-o', 'beginning', '-e', '-q'], '', { timeoutMs: 20_000 });
  return out.split('\n').filter((l) => l !== '');
}

describe.skipIf(skip)('kcat authenticates', () => {
  for (const listener of ['SASL_PLAINTEXT', 'SASL_SSL'] as const) {
    it.each(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'])(`%s over ${listener}: produces and consumes`, async (mechanism) => {
      expect(await roundTrip(security(listener, mechanism), `kcat-${listener}-${mechanism}`.toLowerCase())).toEqual(['one', 'two', 'three']);
    });
  }

  it('a client certificate over SSL: produces and consumes', async () => {
    expect(await roundTrip(security('SSL'), 'kcat-ssl-mtls')).toEqual(['one', 'two', 'three']);
  });

  it('a wrong password: kcat fails with the broker\'s message', async () => {
    await expect(kcat([...security('SASL_SSL', 'SCRAM-SHA-512', 'wrong'), '-L'], '', { timeoutMs: 4000 })).rejects.toThrow(/Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512/);
  });
});
