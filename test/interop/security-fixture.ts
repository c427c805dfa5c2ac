/**
 * A broker with every kind of listener for the security tests — PLAINTEXT, SASL_PLAINTEXT,
 * SASL_SSL, SSL (client certificate required) — on ephemeral ports, PLAIN users from
 * configuration and SCRAM users in the metadata store, and certificates made for the test
 * with Debian's openssl (a CA, the broker's certificate for localhost / 127.0.0.1, a
 * client certificate). {@link opensslMissing} says why the tests skip when openssl is absent.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryStorage } from '../../adapters/memory/index.ts';
import { createDefaultRegistry } from '../../adapters/runtime/default-registry.ts';
import { startServer, type TributaryServer } from '../../adapters/server/index.ts';
import { DEFAULT_HANDLERS } from '../../core/broker/api/preset.ts';
import { Broker } from '../../core/broker/broker.ts';
import { newScramCredential, type ScramMechanism, toBase64 } from '../../core/security/scram.ts';
import { type LogLine, recordingLogger } from './broker-fixture.ts';

/** Why certificates cannot be made here, or undefined when openssl works. */
export function opensslMissing(): string | undefined {
  try {
    return spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0 ? undefined : 'openssl is not installed (apt-get install openssl): TLS tests skipped';
  } catch {
    return 'openssl is not installed (apt-get install openssl): TLS tests skipped';
  }
}

/** PEM files made for one test run. */
export interface TestCertificates {
  readonly dir: string;
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** The client certificate's principal as the broker must derive it. */
  readonly clientPrincipal: string;
  remove(): void;
}

/** Makes a CA, a broker certificate (localhost, 127.0.0.1) and a client certificate. */
export function makeCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-tls-'));
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Tributary Test CA');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'server.ext');
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/C=US/O=Acme, Inc./OU=eng/CN=alice');
  run('x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.pem', '-days', '2', '-extfile', 'client.ext');
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    certFile: join(dir, 'server.pem'),
    keyFile: join(dir, 'server.key'),
    clientCertFile: join(dir, 'client.pem'),
    clientKeyFile: join(dir, 'client.key'),
    ca: read('ca.pem'),
    cert: read('server.pem'),
    key: read('server.key'),
    clientCert: read('client.pem'),
    clientKey: read('client.key'),
    clientPrincipal: 'User:CN=alice,OU=eng,O=Acme\\, Inc.,C=US',
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The users every security test knows. */
export const USERS = {
  plain: { username: 'plainuser', password: 'plain-secret' },
  scram: { username: 'scramuser', password: 'scram-secret' },
} as const;

/** A running broker with every listener. */
export interface SecureBroker {
  broker: Broker;
  server: TributaryServer;
  logger: ReturnType<typeof recordingLogger>;
  certs: TestCertificates;
  /** `127.0.0.1:port` of each listener, by name. */
  address: Record<'PLAINTEXT' | 'SASL_PLAINTEXT' | 'SASL_SSL' | 'SSL', string>;
  /** Log lines so far. */
  lines(): LogLine[];
  close(): Promise<void>;
}

/** Stores `password` for `username` under each SCRAM mechanism, as AlterUserScramCredentials would. */
export async function addScramUser(broker: Broker, username: string, password: string, mechanisms: readonly ScramMechanism[] = ['SCRAM-SHA-256', 'SCRAM-SHA-512']): Promise<void> {
  const changes = await Promise.all(mechanisms.map(async (mechanism) => {
    const c = await newScramCredential(mechanism, password);
    return { type: 'user-scram-credential' as const, name: username, mechanism, salt: toBase64(c.salt), storedKey: toBase64(c.storedKey), serverKey: toBase64(c.serverKey), iterations: c.iterations };
  }));
  await broker.controller.alterUserScramCredentials!(changes);
}

/** Starts the broker with its four listeners (127.0.0.1, ephemeral ports). */
export async function startSecureBroker(options: { failedAuthenticationDelayMs?: number } = {}): Promise<SecureBroker> {
  const certs = makeCertificates();
  const logger = recordingLogger();
  const broker = new Broker({
    handlers: DEFAULT_HANDLERS,
    storage: memoryStorage(),
    logger,
    retentionCheckIntervalMs: 0,
    codecs: createDefaultRegistry(),
    groups: { initialRebalanceDelayMs: 0 },
    plainUsers: new Map([[USERS.plain.username, USERS.plain.password]]),
  });
  const tls = { cert: certs.cert, key: certs.key, ca: certs.ca };
  const server = await startServer(broker, {
    listeners: [
      { name: 'PLAINTEXT', host: '127.0.0.1', port: 0 },
      { name: 'SASL_PLAINTEXT', securityProtocol: 'SASL_PLAINTEXT', host: '127.0.0.1', port: 0 },
      { name: 'SASL_SSL', securityProtocol: 'SASL_SSL', host: '127.0.0.1', port: 0, tls },
      { name: 'SSL', securityProtocol: 'SSL', host: '127.0.0.1', port: 0, tls: { ...tls, clientAuth: 'required' } },
    ],
    ...(options.failedAuthenticationDelayMs !== undefined ? { failedAuthenticationDelayMs: options.failedAuthenticationDelayMs } : {}),
  });
  await addScramUser(broker, USERS.scram.username, USERS.scram.password);
  const address = Object.fromEntries(server.listeners.map((l) => [l.name, l.address])) as SecureBroker['address'];
  return {
    broker,
    server,
    logger,
    certs,
    address,
    lines: () => logger.lines,
    close: async () => {
      await server.close();
      certs.remove();
    },
  };
}
