/**
 * What security costs: our producer's throughput over SASL_SSL (and SSL, SASL_PLAINTEXT)
 * divided by PLAINTEXT, against one broker (memory storage) in the same run. The same
 * round as client.bench.ts: 10,000 keyless records of 100-byte values as 10 concurrent
 * sends of 1,000 (acks=1, no compression, no linger). SASL costs once per connection
 * (SCRAM-SHA-256 here); TLS costs on every byte. Certificates are made for the run with
 * openssl (the bench says so and stops when it is missing).
 *
 *   npm run bench -- security
 */
import { memoryStorage } from '../adapters/memory/index.ts';
import { startServer } from '../adapters/server/index.ts';
import { tcpTransport } from '../adapters/transport/index.ts';
import { Broker } from '../core/broker/broker.ts';
import { DEFAULT_HANDLERS } from '../core/broker/api/preset.ts';
import { createClient, type ClientOptions } from '../core/client/client.ts';
import { createDefaultRegistry } from '../adapters/runtime/default-registry.ts';
import { addScramUser, makeCertificates, opensslMissing } from '../test/interop/security-fixture.ts';
import { measure, report, type BenchRow } from './harness.ts';

const ROUND = 10_000;
const SENDS = 10;
const VALUE = 100;
const time = Number(process.env.BENCH_TIME_MS ?? 1000) * 2;

const missing = opensslMissing();
if (missing) {
  console.log(`security bench skipped: ${missing}`);
} else {
  const certs = makeCertificates();
  const broker = new Broker({ handlers: DEFAULT_HANDLERS, storage: memoryStorage(), retentionCheckIntervalMs: 0, autoCreateTopics: true });
  const tls = { cert: certs.cert, key: certs.key, ca: certs.ca };
  const server = await startServer(broker, {
    listeners: [
      { name: 'PLAINTEXT', port: 0 },
      { name: 'SASL_PLAINTEXT', securityProtocol: 'SASL_PLAINTEXT', port: 0 },
      { name: 'SSL', securityProtocol: 'SSL', port: 0, tls },
      { name: 'SASL_SSL', securityProtocol: 'SASL_SSL', port: 0, tls },
    ],
  });
  await addScramUser(broker, 'bench', 'bench-secret', ['SCRAM-SHA-256']);
  const address = Object.fromEntries(server.listeners.map((l) => [l.name, l.address]));
  const sasl = { mechanism: 'scram-sha-256' as const, username: 'bench', password: 'bench-secret' };
  const security: Record<string, Partial<ClientOptions>> = {
    PLAINTEXT: {},
    SASL_PLAINTEXT: { sasl },
    SSL: { ssl: { ca: certs.ca } },
    SASL_SSL: { ssl: { ca: certs.ca }, sasl },
  };
  const value = new Uint8Array(VALUE).map((_, i) => i);
  const messages = Array.from({ length: ROUND / SENDS }, () => ({ value }));
  const registry = createDefaultRegistry();

  const produce = async (listener: string): Promise<number> => {
    const client = createClient({ brokers: [address[listener]!], transport: tcpTransport(), registry, logLevel: 'silent', ...security[listener] });
    const topic = `bench-${listener.toLowerCase()}`;
    await client.admin().createTopics({ topics: [{ topic, numPartitions: 1 }] });
    const producer = client.producer({ acks: 1, idempotent: false, lingerMs: 0, batchSize: 64 * 1024 });
    await producer.connect();
    const m = await measure(() => Promise.all(Array.from({ length: SENDS }, () => producer.send({ topic, messages }))), { timeMs: time });
    await producer.close();
    await client.close();
    return m.opsPerSec * ROUND;
  };

  const rates: Record<string, number> = {};
  // PLAINTEXT first and last: the ratio uses their mean, so drift on a shared machine shows.
  const first = await produce('PLAINTEXT');
  for (const l of ['SASL_PLAINTEXT', 'SSL', 'SASL_SSL']) rates[l] = await produce(l);
  const last = await produce('PLAINTEXT');
  rates.PLAINTEXT = (first + last) / 2;
  const rows: BenchRow[] = ['PLAINTEXT', 'SASL_PLAINTEXT', 'SSL', 'SASL_SSL'].map((l) => ({
    name: `producer over ${l}${l.startsWith('SASL') ? ' (SCRAM-SHA-256)' : ''}`,
    recordsPerSec: rates[l]!,
    mbPerSec: (rates[l]! * VALUE) / 1e6,
    ...(l === 'PLAINTEXT' ? { extra: { first: first, last: last } } : { ratio: { peer: 'PLAINTEXT', value: rates[l]! / rates.PLAINTEXT! } }),
  }));
  report('security', rows);
  await server.close();
  certs.remove();
}
