/**
 * A TLS listener counts a connection from its TCP accept, as Kafka's ConnectionQuotas do:
 * sockets that never finish (or never start) their TLS handshake take their place under
 * max.connections, so they cannot pile up beyond it, and shutdown does not wait for them.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryStorage } from '../../adapters/memory/index.ts';
import { createDefaultRegistry } from '../../adapters/runtime/default-registry.ts';
import { startServer, type TributaryServer } from '../../adapters/server/index.ts';
import { DEFAULT_HANDLERS } from '../../core/broker/api/preset.ts';
import { Broker } from '../../core/broker/broker.ts';
import { makeCertificates, opensslMissing, type TestCertificates } from './security-fixture.ts';

const skip = opensslMissing();

let certs: TestCertificates | undefined;
let server: TributaryServer | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await server?.close();
  certs?.remove();
});

async function start(maxConnections: number): Promise<TributaryServer> {
  certs = makeCertificates();
  const broker = new Broker({ handlers: DEFAULT_HANDLERS, storage: memoryStorage(), retentionCheckIntervalMs: 0, codecs: createDefaultRegistry() });
  server = await startServer(broker, { maxConnections, listeners: [{ name: 'SSL', securityProtocol: 'SSL', host: '127.0.0.1', port: 0, tls: { cert: certs.cert, key: certs.key } }] });
  return server;
}

/** A TCP connection that never says a word (no ClientHello). */
async function silent(port: number): Promise<{ socket: Socket; closed: Promise<void> }> {
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = netConnect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  socket.on('error', () => undefined);
  sockets.push(socket);
  return { socket, closed: new Promise((resolve) => socket.once('close', () => resolve())) };
}

describe.skipIf(skip)('a TLS listener\'s connection quota', () => {
  it('counts sockets still before their handshake: one above max.connections is closed at once', async () => {
    const { port } = await start(2);
    const held = [await silent(port), await silent(port)];
    const third = await silent(port);
    await third.closed;
    for (const h of held) expect(h.socket.destroyed).toBe(false);
    // Once they go, a real TLS client gets in.
    for (const h of held) h.socket.destroy();
    await Promise.all(held.map((h) => h.closed));
    await expect.poll(async () => {
      const s = tlsConnect({ host: '127.0.0.1', port, ca: certs!.ca, servername: 'localhost' });
      s.on('error', () => undefined);
      sockets.push(s);
      return new Promise<boolean>((resolve) => {
        s.once('secureConnect', () => resolve(true));
        s.once('close', () => resolve(false));
      });
    }).toBe(true);
  });

  it('shutdown ends sockets that never finished a handshake instead of waiting for them', async () => {
    const { port } = await start(10);
    const idle = await silent(port);
    await server!.close();
    server = undefined;
    await idle.closed;
  });
});
