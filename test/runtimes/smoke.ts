/**
 * The smoke suite that runs unchanged under Node, Deno and Bun (`npm run test:runtimes`):
 * every compressor and serializer of the default registry round-trips through a real
 * RecordBatch v2, and our client produces to and consumes from an embedded broker both
 * in-process and over TCP (node:net, which each runtime provides); and the package
 * subpaths (`tributary/storage/level`, …) resolve through package.json `exports`.
 * Plain asserts, no test framework, so that each runtime runs it as it is.
 */
import { createDefaultRegistry } from '../../adapters/runtime/default-registry.ts';
import { decodeBatch, encodeBatch } from '../../core/records/index.ts';
import type { Serializer } from '../../core/contracts/serializer.ts';
import protobufjs from 'protobufjs';
import { createBroker, createClient, createCluster, type Client } from '../../mod.ts';

const runtime = 'Deno' in globalThis ? 'deno' : 'Bun' in globalThis ? 'bun' : 'node';
const registry = createDefaultRegistry();
let passed = 0;
let failed = 0;

async function check(name: string, fn: () => Promise<void> | void): Promise<void> {
  try {
    await fn();
    passed++;
  } catch (error) {
    failed++;
    console.log(`FAIL ${name}: ${(error as Error).stack ?? error}`);
  }
}

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)) === JSON.stringify(b, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));
}

const text = new TextEncoder();
const records = Array.from({ length: 200 }, (_, i) => ({
  key: i % 10 === 0 ? null : text.encode(`key-${i % 7}`),
  value: i % 13 === 0 ? null : text.encode(JSON.stringify({ i, truck: `T-${i % 17}`, lat: 52.1 + i / 1000, lon: 4.3 })),
  headers: i % 3 === 0 ? [{ key: 'source', value: text.encode('smoke') }, { key: 'empty', value: null }] : [],
  timestamp: 1_700_000_000_000 + i,
}));

for (const codec of [0, 1, 2, 3, 4]) {
  const name = codec === 0 ? 'none' : registry.compressorForCodec(codec).name;
  await check(`batch round trip with ${name}`, async () => {
    const bytes = await encodeBatch({ records, compression: codec, baseOffset: 42 }, registry);
    const batch = await decodeBatch(bytes, 0, { registry });
    assert(batch.compression === codec, `codec ${batch.compression} != ${codec}`);
    assert(batch.records.length === records.length, 'record count');
    batch.records.forEach((r, i) => {
      const want = records[i]!;
      assert(r.offset === 42 + i, `offset ${r.offset}`);
      assert(r.timestamp === want.timestamp, `timestamp ${r.timestamp}`);
      assert(sameBytes(r.key, want.key) && sameBytes(r.value, want.value), `key/value of record ${i}`);
      assert(r.headers.length === want.headers.length, `headers of record ${i}`);
      r.headers.forEach((h, j) => assert(h.key === want.headers[j]!.key && sameBytes(h.value, want.headers[j]!.value), `header ${j} of record ${i}`));
    });
  });
}

const Truck = protobufjs.Type.fromJSON('Truck', { fields: { id: { type: 'string', id: 1 }, speed: { type: 'int32', id: 2 } } });
const serializerCases: Array<[string, unknown, unknown]> = [
  ['string', undefined, 'héllo wörld ✓'],
  ['json', undefined, { id: 'T-1', at: [52.1, 4.3], ok: true }],
  ['int32', undefined, -123456],
  ['int64', undefined, 9007199254740993n],
  ['float64', undefined, 3.141592653589793],
  ['avro', { schema: { type: 'record', name: 'Truck', fields: [{ name: 'id', type: 'string' }, { name: 'speed', type: 'int' }] }, schemaId: 7 }, { id: 'T-1', speed: 88 }],
  ['protobuf', { type: Truck, schemaId: 9 }, { id: 'T-2', speed: 77 }],
];
for (const [name, options, value] of serializerCases) {
  await check(`serializer ${name}`, async () => {
    const serde = registry.create('serializer', name, options) as Serializer<unknown>;
    assert(serde.serialize(null) === null && serde.deserialize(null) === null, 'null stays null');
    const bytes = serde.serialize(value);
    const batch = await decodeBatch(await encodeBatch({ records: [{ key: null, value: bytes }], compression: 4 }, registry), 0, { registry });
    const back = serde.deserialize(batch.records[0]!.value);
    const plain = back && typeof back === 'object' && 'toJSON' in back ? (back as { toJSON(): unknown }).toJSON() : back;
    assert(same(plain, value), `${name}: ${String(plain)} != ${String(value)}`);
  });
}

/** Produces with every codec, then reads everything back from the beginning. */
async function roundTrip(client: Client, topic: string): Promise<void> {
  await client.admin().createTopics({ topics: [{ topic, numPartitions: 2 }] });
  const producer = client.producer({ acks: -1 });
  const codecs = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
  for (const compression of codecs) {
    await producer.send({ topic, compression, messages: [{ key: compression, value: { codec: compression, runtime }, headers: { runtime } }] });
  }
  await producer.close();
  const consumer = client.consumer({ fromBeginning: true });
  const seen = new Map<string, unknown>();
  let resolve!: () => void;
  const all = new Promise<void>((r) => (resolve = r));
  await consumer.assign([0, 1].map((partition) => ({ topic, partition })));
  await consumer.run({
    eachMessage: async ({ message }) => {
      seen.set(String(message.key), message.value);
      if (seen.size === codecs.length) resolve();
    },
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`only ${[...seen.keys()].join(',')} came back`)), 15_000);
  });
  await Promise.race([all, timeout]).finally(() => clearTimeout(timer));
  await consumer.close();
  for (const codec of codecs) assert(same(seen.get(codec), { codec, runtime }), `${codec} record came back as ${JSON.stringify(seen.get(codec))}`);
}

await check('client ↔ embedded broker, in-process', async () => {
  const broker = await createBroker();
  const client = broker.client({ serializers: { key: 'string', value: 'json' } });
  try {
    await roundTrip(client, 'smoke-in-process');
  } finally {
    await client.close();
    await broker.close();
  }
});

await check('client ↔ broker over TCP', async () => {
  const broker = await createBroker({ listen: true });
  const client = createClient({ brokers: [broker.address!], serializers: { key: 'string', value: 'json' } });
  try {
    await roundTrip(client, 'smoke-tcp');
  } finally {
    await client.close();
    await broker.close();
  }
});

// SCRAM-SHA-256 over TLS: the broker's TLS listener and the client's TLS transport on this
// runtime's node:tls, SCRAM on its WebCrypto. Certificates from openssl, made for the run.
async function makeCertificates(): Promise<{ ca: string; cert: string; key: string; remove: () => void } | undefined> {
  const { execFileSync } = await import('node:child_process');
  const { mkdtempSync, readFileSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'tributary-smoke-tls-'));
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  try {
    run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=smoke CA');
    writeFileSync(join(dir, 'ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
    run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
    run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'ext');
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  return { ca: read('ca.pem'), cert: read('server.pem'), key: read('server.key'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

await check('client ↔ broker over SASL_SSL (SCRAM-SHA-256 over TLS)', async () => {
  const certs = await makeCertificates();
  if (!certs) {
    console.log('skipped SASL_SSL: openssl is not installed');
    return;
  }
  const broker = await createBroker({ listen: { listeners: [{ name: 'SASL_SSL', securityProtocol: 'SASL_SSL', host: '127.0.0.1', port: 0, tls: { cert: certs.cert, key: certs.key } }] } });
  const admin = broker.client();
  await admin.admin().alterUserScramCredentials({ upsertions: [{ user: 'smoke', mechanism: 'scram-sha-256', password: `pw-${runtime}` }] });
  await admin.close();
  const client = createClient({ brokers: [broker.address!], ssl: { ca: certs.ca }, sasl: { mechanism: 'scram-sha-256', username: 'smoke', password: `pw-${runtime}` }, serializers: { key: 'string', value: 'json' } });
  try {
    await roundTrip(client, 'smoke-sasl-ssl');
    const wrong = createClient({ brokers: [broker.address!], ssl: { ca: certs.ca }, sasl: { mechanism: 'scram-sha-256', username: 'smoke', password: 'wrong' }, logLevel: 'silent', retry: { retries: 0 } });
    const refused = await wrong.admin().listTopics().then(() => undefined, (e: { code?: string }) => e.code);
    await wrong.close();
    assert(refused === 'SASL_AUTHENTICATION_FAILED', `a wrong password gave ${refused}`);
  } finally {
    await client.close();
    await broker.close();
    certs.remove();
  }
});

await check('client ↔ a 3-broker in-process cluster, replicated (RF 3, acks=all)', async () => {
  const cluster = await createCluster({ brokers: 3 });
  const client = cluster.client({ serializers: { key: 'string', value: 'json' } });
  try {
    await client.admin().createTopics({ topics: [{ topic: 'smoke-cluster', numPartitions: 2, replicationFactor: 3 }] });
    await roundTrip(client, 'smoke-cluster');
  } finally {
    await cluster.close();
  }
});

/** Each subpath of package.json `exports` with a value it must export. */
const SUBPATHS: Array<[string, string]> = [
  ['tributary', 'createBroker'],
  ['tributary/storage/memory', 'memoryStorage'],
  ['tributary/storage/filesystem', 'filesystemStorage'],
  ['tributary/storage/level', 'levelStorage'],
  ['tributary/serializers/avro', 'avro'],
  ['tributary/serializers/protobuf', 'protobuf'],
];

// The package imports itself by name, so resolution goes through package.json `exports`:
// Deno and Bun take the source (.ts) conditions, Node the build (dist/, after npm run build).
await check('package subpaths resolve for this runtime', async () => {
  const built = runtime === 'node';
  for (const [specifier, name] of SUBPATHS) {
    const url = import.meta.resolve(specifier);
    assert(built ? /\/dist\/.*\.js$/.test(url) : /\.ts$/.test(url) && !url.includes('/dist/'), `${specifier} resolved to ${url}`);
    if (built && !(await import('node:fs')).existsSync(new URL(url))) continue;
    const module = (await import(specifier)) as Record<string, unknown>;
    assert(typeof module[name] === 'function', `${specifier} has no ${name}`);
  }
  const conformance = import.meta.resolve('tributary/conformance');
  assert(built ? conformance.endsWith('/dist/conformance/index.js') : conformance.endsWith('/conformance/index.ts'), `tributary/conformance resolved to ${conformance}`);
});

console.log(`${runtime}: ${passed} passed, ${failed} failed`);
if (failed > 0) (globalThis as { process?: { exitCode?: number } }).process!.exitCode = 1;
