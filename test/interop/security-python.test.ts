/**
 * confluent-kafka-python (librdkafka) and kafka-python authenticating to the broker: PLAIN,
 * SCRAM-SHA-256 and SCRAM-SHA-512 over SASL_PLAINTEXT and SASL_SSL (the CA made for the
 * test), each producing three records and consuming them back in a group; a wrong password
 * is refused with an authentication error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pythonCan, runPython } from './python-runner.ts';
import { opensslMissing, type SecureBroker, startSecureBroker, USERS } from './security-fixture.ts';

const skip = opensslMissing();
if (skip) console.warn(skip);
const LIBRARIES = [
  { library: 'confluent', available: pythonCan('import confluent_kafka') },
  { library: 'kafka-python', available: pythonCan('import kafka') },
] as const;

let fx: SecureBroker;
beforeAll(async () => {
  if (!skip) fx = await startSecureBroker();
});
afterAll(async () => {
  await fx?.close();
});

const MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;

function args(library: string, listener: 'SASL_PLAINTEXT' | 'SASL_SSL', mechanism: string, password?: string) {
  const user = mechanism === 'PLAIN' ? USERS.plain : USERS.scram;
  return {
    library,
    bootstrap: fx.address[listener],
    topic: `py-${library}-${listener}-${mechanism}`.toLowerCase(),
    protocol: listener,
    mechanism,
    username: user.username,
    password: password ?? user.password,
    ...(listener === 'SASL_SSL' ? { ca: fx.certs.caFile } : {}),
  };
}

for (const { library, available } of LIBRARIES) {
  describe.skipIf(skip || !available)(`${library} authenticates`, () => {
    for (const listener of ['SASL_PLAINTEXT', 'SASL_SSL'] as const) {
      it.each(MECHANISMS)(`%s over ${listener}: produces and consumes`, async (mechanism) => {
        const events = await runPython('security_round_trip.py', args(library, listener, mechanism));
        expect(events.find((e) => e.event === 'failed')).toBeUndefined();
        expect(events.filter((e) => e.event === 'record').map((e) => e.value)).toEqual(['one', 'two', 'three']);
      });
    }

    it('a wrong SCRAM password is refused', async () => {
      const before = fx.lines().filter((l) => l.message === 'authentication failed').length;
      const events = await runPython('security_round_trip.py', args(library, 'SASL_PLAINTEXT', 'SCRAM-SHA-256', 'wrong'));
      const failed = events.find((e) => e.event === 'failed');
      expect(failed).toBeDefined();
      // librdkafka reports the broker's message; kafka-python logs it and reports NoBrokersAvailable.
      if (library === 'confluent') expect(failed!.error).toMatch(/Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256/);
      expect(fx.lines().filter((l) => l.message === 'authentication failed' && l.fields?.user === USERS.scram.username).length).toBeGreaterThan(before);
    });
  });
}
