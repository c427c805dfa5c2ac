/**
 * Bad input from one connection never disturbs real clients: while raw sockets send
 * random bytes, a 2 GiB length prefix, a truncated frame and an unknown API key, a
 * kafkajs producer keeps producing on its own connection and kcat reads everything back.
 */
import { connect, type Socket } from 'node:net';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrokerFixture, startBroker } from './broker-fixture.ts';
import { kcat } from './kcat-runner.ts';

let fx: BrokerFixture;
beforeAll(async () => {
  fx = await startBroker();
});
afterAll(async () => {
  await fx?.close();
});

function rawSend(port: number, ...chunks: Uint8Array[]): Promise<{ socket: Socket; localPort: number; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      for (const c of chunks) socket.write(c);
      resolve({ socket, localPort: socket.localPort!, closed: new Promise<void>((r) => socket.once('close', () => r())) });
    });
    socket.on('error', () => undefined);
    socket.once('error', reject);
  });
}

const be32 = (n: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, n);
  return b;
};

describe('bad input beside real clients', () => {
  it('closes only the offending connections while kafkajs and kcat are served', async () => {
    const kafka = new kafkajs.Kafka({ clientId: 'bystander', brokers: [fx.bootstrap], logLevel: kafkajs.logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'bystander', messages: [{ value: 'before' }] });

    const random = crypto.getRandomValues(new Uint8Array(4096));
    random.set(be32(1000), 0);
    const attacks = await Promise.all([
      rawSend(fx.server.port, random),
      rawSend(fx.server.port, new Uint8Array([0x7f, 0xff, 0xff, 0xff]), new Uint8Array(64)), // ~2 GiB frame
      rawSend(fx.server.port, new Uint8Array([0x80, 0, 0, 0])), // negative size
      rawSend(fx.server.port, be32(10), new Uint8Array([0x13, 0x37, 0, 0, 0, 0, 0, 1, 0xff, 0xff])), // unknown API key 4919
    ]);
    const truncated = await rawSend(fx.server.port, be32(500), new Uint8Array(20));

    await producer.send({ topic: 'bystander', messages: [{ value: 'during' }] });
    await Promise.all(attacks.map((a) => a.closed));
    truncated.socket.end();
    await truncated.closed;
    await producer.send({ topic: 'bystander', messages: [{ value: 'after' }] });
    await producer.disconnect();

    const out = await kcat(['-b', fx.bootstrap, '-C', '-t', 'bystander', '-o', 'beginning', '-e', '-q', '-f', '%s\n']);
    expect(out.trim().split('\n')).toEqual(['before', 'during', 'after']);
    // kafkajs reconnects silently, so check the log: the broker closed exactly the four
    // attacking connections (the truncated one was ended by us), and none of the clients'.
    const closes = fx.logger.lines.filter((l) => l.message === 'closing connection' && l.level !== 'debug');
    const attackers = attacks.map((a) => `127.0.0.1:${a.localPort}`).sort();
    expect(closes.map((l) => l.fields?.remote).sort()).toEqual(attackers);
  });
});
