/**
 * What a broker with SASL and TLS listeners refuses, on raw sockets and with real clients:
 * a request other than ApiVersions / SaslHandshake before authentication, a SaslAuthenticate
 * before the handshake, an oversized token, an unknown mechanism, a wrong password, a
 * plaintext client on a TLS port and a TLS client on a plaintext port — each closes that
 * connection with a log line that says why (and never the secret), while a kafkajs
 * client keeps being served. Also: the principal a handler sees (SASL user, client
 * certificate subject, ANONYMOUS) and the v0 handshake's bare-token framing.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metadataHandler } from '../../core/broker/api/handlers/metadata.ts';
import { ApiKey, decodeResponse, encodeRequest } from '../../core/protocol/index.ts';
import { opensslMissing, type SecureBroker, startSecureBroker, USERS } from './security-fixture.ts';

const skip = opensslMissing();
if (skip) console.warn(skip);

let fx: SecureBroker;
const principals: Array<string | undefined> = [];
beforeAll(async () => {
  if (skip) return;
  fx = await startSecureBroker();
  // Records the principal of every Metadata request the broker handles.
  fx.broker.registerHandler({ ...metadataHandler, handle: (ctx, header, body) => (principals.push(header.principal), metadataHandler.handle(ctx, header, body)) });
});
afterAll(async () => {
  await fx?.close();
});

const encoder = new TextEncoder();

/** A raw connection that sends frames and reads size-prefixed answers. */
class Raw {
  readonly socket: Socket;
  readonly closed: Promise<void>;
  #buffer = Buffer.alloc(0);
  #waiters: Array<() => void> = [];
  #correlation = 0;

  constructor(socket: Socket) {
    this.socket = socket;
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    socket.on('data', (d: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, d]);
      for (const w of this.#waiters.splice(0)) w();
    });
    socket.on('close', () => {
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  static async open(address: string, tls = false, ca?: string): Promise<Raw> {
    const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s: Socket = tls ? tlsConnect({ host, port, ca, servername: 'localhost' }, () => resolve(s)) : netConnect(port, host, () => resolve(s));
      s.once('error', reject);
    });
    return new Raw(socket);
  }

  send<K extends ApiKey>(apiKey: K, apiVersion: number, body: object): number {
    const correlationId = ++this.#correlation;
    for (const chunk of encodeRequest({ apiKey, apiVersion, correlationId, clientId: 'raw' }, body as never)) this.socket.write(chunk);
    return correlationId;
  }

  sendFrame(payload: Uint8Array): void {
    const size = Buffer.alloc(4);
    size.writeInt32BE(payload.length);
    this.socket.write(Buffer.concat([size, payload]));
  }

  /** The next frame's payload, or undefined when the connection closed first. */
  async frame(): Promise<Uint8Array | undefined> {
    for (;;) {
      if (this.#buffer.length >= 4) {
        const size = this.#buffer.readInt32BE(0);
        if (this.#buffer.length >= 4 + size) {
          const out = this.#buffer.subarray(4, 4 + size);
          this.#buffer = this.#buffer.subarray(4 + size);
          return new Uint8Array(out);
        }
      }
      if (this.socket.destroyed || this.socket.readableEnded) return undefined;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  async answer<K extends ApiKey>(apiKey: K, apiVersion: number): Promise<any> {
    const frame = await this.frame();
    if (frame === undefined) return undefined;
    return decodeResponse(apiKey, apiVersion, frame).body;
  }
}

/** A kafkajs client on the PLAINTEXT listener lists topics: the broker still serves others. */
async function othersServed(): Promise<void> {
  const admin = new kafkajs.Kafka({ clientId: 'bystander', brokers: [fx.address.PLAINTEXT], logLevel: kafkajs.logLevel.NOTHING, retry: { retries: 0 } }).admin();
  await admin.connect();
  expect(await admin.listTopics()).toBeInstanceOf(Array);
  await admin.disconnect();
}

const logged = (text: string | RegExp) => fx.lines().filter((l) => (typeof text === 'string' ? JSON.stringify(l).includes(text) : text.test(JSON.stringify(l))));

describe.skipIf(skip)('refused before authentication', () => {
  it('a SaslAuthenticate before the handshake closes the connection without an answer', async () => {
    const raw = await Raw.open(fx.address.SASL_PLAINTEXT);
    raw.send(ApiKey.SaslAuthenticate, 1, { authBytes: encoder.encode('\u0000plainuser\u0000plain-secret') });
    expect(await raw.frame()).toBeUndefined();
    await raw.closed;
    expect(logged('Unexpected Kafka request of type 36').length).toBeGreaterThan(0);
    await othersServed();
  });

  it('a Metadata request before authentication closes the connection; ApiVersions is answered', async () => {
    const raw = await Raw.open(fx.address.SASL_PLAINTEXT);
    raw.send(ApiKey.ApiVersions, 0, {});
    expect((await raw.answer(ApiKey.ApiVersions, 0)).errorCode).toBe(0);
    raw.send(ApiKey.Metadata, 1, { topics: null });
    expect(await raw.frame()).toBeUndefined();
    expect(logged('Unexpected Kafka request of type 3 v1 during SASL handshake').length).toBeGreaterThan(0);
    await othersServed();
  });

  it('an oversized SASL token closes the connection', async () => {
    const raw = await Raw.open(fx.address.SASL_PLAINTEXT);
    raw.send(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' });
    expect((await raw.answer(ApiKey.SaslHandshake, 1)).errorCode).toBe(0);
    raw.send(ApiKey.SaslAuthenticate, 1, { authBytes: new Uint8Array(600_000) });
    expect(await raw.frame()).toBeUndefined();
    expect(logged('ERR_SASL_FRAME_TOO_LARGE').length).toBeGreaterThan(0);
    await othersServed();
  });

  it('an unknown mechanism is answered UNSUPPORTED_SASL_MECHANISM with the enabled ones, then closed', async () => {
    const raw = await Raw.open(fx.address.SASL_PLAINTEXT);
    raw.send(ApiKey.SaslHandshake, 1, { mechanism: 'GSSAPI' });
    const answer = await raw.answer(ApiKey.SaslHandshake, 1);
    expect(answer).toEqual({ errorCode: 33, mechanisms: ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] });
    await raw.closed;
    await othersServed();
  });

  it('a wrong PLAIN password: AUTHENTICATION_FAILED with a message, then closed; the log names the user, never the password', async () => {
    const raw = await Raw.open(fx.address.SASL_PLAINTEXT);
    raw.send(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' });
    await raw.answer(ApiKey.SaslHandshake, 1);
    raw.send(ApiKey.SaslAuthenticate, 2, { authBytes: encoder.encode('\u0000plainuser\u0000not-the-password') });
    const answer = await raw.answer(ApiKey.SaslAuthenticate, 2);
    expect(answer.errorCode).toBe(58);
    expect(answer.errorMessage).toBe('Authentication failed: Invalid username or password');
    await raw.closed;
    const lines = logged('authentication failed');
    expect(lines.some((l) => l.fields?.user === 'plainuser')).toBe(true);
    expect(JSON.stringify(fx.lines())).not.toContain('not-the-password');
    await othersServed();
  });

  it('SASL requests on a PLAINTEXT listener are answered ILLEGAL_SASL_STATE', async () => {
    const raw = await Raw.open(fx.address.PLAINTEXT);
    raw.send(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' });
    expect((await raw.answer(ApiKey.SaslHandshake, 1)).errorCode).toBe(34);
    raw.send(ApiKey.SaslAuthenticate, 1, { authBytes: new Uint8Array(0) });
    expect((await raw.answer(ApiKey.SaslAuthenticate, 1)).errorCode).toBe(34);
    raw.socket.destroy();
  });
});

describe.skipIf(skip)('authentication paths', () => {
  it('a v0 handshake takes bare tokens (old clients): PLAIN, then requests carry the principal', async () => {
    const raw = await Raw.open(fx.address.SASL_PLAINTEXT);
    raw.send(ApiKey.SaslHandshake, 0, { mechanism: 'PLAIN' });
    expect((await raw.answer(ApiKey.SaslHandshake, 0)).errorCode).toBe(0);
    raw.sendFrame(encoder.encode(`\u0000${USERS.plain.username}\u0000${USERS.plain.password}`));
    expect(await raw.frame()).toEqual(new Uint8Array(0));
    principals.length = 0;
    raw.send(ApiKey.Metadata, 1, { topics: null });
    expect((await raw.answer(ApiKey.Metadata, 1)).brokers[0].port).toBe(Number(fx.address.SASL_PLAINTEXT.split(':')[1]));
    expect(principals).toEqual([`User:${USERS.plain.username}`]);
    // After authentication the SASL APIs reach the broker's handler: ILLEGAL_SASL_STATE, as Kafka.
    raw.send(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' });
    expect((await raw.answer(ApiKey.SaslHandshake, 1)).errorCode).toBe(34);
    raw.socket.destroy();
  });

  it('a v0 handshake with a wrong password closes without an answer', async () => {
    const raw = await Raw.open(fx.address.SASL_PLAINTEXT);
    raw.send(ApiKey.SaslHandshake, 0, { mechanism: 'PLAIN' });
    await raw.answer(ApiKey.SaslHandshake, 0);
    raw.sendFrame(encoder.encode('\u0000plainuser\u0000wrong'));
    expect(await raw.frame()).toBeUndefined();
    await othersServed();
  });

  it('a client certificate on the SSL listener is the principal (Kafka\'s RFC 2253 subject); PLAINTEXT is ANONYMOUS', async () => {
    const kafka = (brokers: string, ssl?: object) => new kafkajs.Kafka({ clientId: 'mtls', brokers: [brokers], logLevel: kafkajs.logLevel.NOTHING, retry: { retries: 0 }, ...(ssl ? { ssl } : {}) });
    principals.length = 0;
    const admin = kafka(fx.address.SSL, { ca: [fx.certs.ca], cert: fx.certs.clientCert, key: fx.certs.clientKey }).admin();
    await admin.connect();
    await admin.fetchTopicMetadata({ topics: [] });
    await admin.disconnect();
    expect(new Set(principals)).toEqual(new Set([fx.certs.clientPrincipal]));
    principals.length = 0;
    const plain = kafka(fx.address.PLAINTEXT).admin();
    await plain.connect();
    await plain.fetchTopicMetadata({ topics: [] });
    await plain.disconnect();
    expect(new Set(principals)).toEqual(new Set([undefined]));
  });

  it('the SSL listener without a client certificate refuses the handshake', async () => {
    const admin = new kafkajs.Kafka({ clientId: 'no-cert', brokers: [fx.address.SSL], ssl: { ca: [fx.certs.ca] }, logLevel: kafkajs.logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 3000 }).admin();
    await expect(admin.connect()).rejects.toThrow();
    await othersServed();
  });
});

describe.skipIf(skip)('the wrong transport', () => {
  it('a plaintext client on a TLS port: a log line that says so, and the broker serves others', async () => {
    const admin = new kafkajs.Kafka({ clientId: 'plain-on-tls', brokers: [fx.address.SASL_SSL], sasl: { mechanism: 'plain', ...USERS.plain }, logLevel: kafkajs.logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 3000, requestTimeout: 3000 }).admin();
    await expect(admin.connect()).rejects.toThrow();
    await expect.poll(() => logged('not a TLS handshake on a TLS listener').length).toBeGreaterThan(0);
    await othersServed();
  });

  it('a TLS client on a plaintext port: a log line that says so, and the broker serves others', async () => {
    const admin = new kafkajs.Kafka({ clientId: 'tls-on-plain', brokers: [fx.address.SASL_PLAINTEXT], ssl: { ca: [fx.certs.ca] }, sasl: { mechanism: 'plain', ...USERS.plain }, logLevel: kafkajs.logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 3000 }).admin();
    await expect(admin.connect()).rejects.toThrow();
    await expect.poll(() => logged('a TLS handshake on a plaintext listener').length).toBeGreaterThan(0);
    await othersServed();
  });
});
