/**
 * The SASL rules of a BrokerSession without sockets (a fake transport, a scripted broker):
 * the principal and listener stamped on every header after authentication, the answer to
 * a failed login held back by connection.failed.authentication.delay.ms and the connection
 * ended after it, and nothing read in between.
 */
import { describe, expect, it } from 'vitest';
import { BrokerSession, type SessionBroker, type SessionRequestHeader } from '../../../core/broker/session.ts';
import { ApiKey } from '../../../core/protocol/api-keys.ts';
import { FrameDecoder } from '../../../core/protocol/framing.ts';
import { decodeResponse, encodeRequest } from '../../../core/protocol/messages.ts';
import { concat } from '../../../core/protocol/writer.ts';
import { BROKER_VERSIONS } from '../../../core/protocol/version-policy.ts';
import { newScramCredential, toBase64 } from '../../../core/security/scram.ts';
import { recordingLogger } from '../../interop/broker-fixture.ts';

const enc = new TextEncoder();

function transport() {
  const decoder = new FrameDecoder(1 << 20);
  const t = {
    frames: [] as Uint8Array[],
    ended: false,
    closed: false,
    write(chunks: readonly Uint8Array[]) {
      for (const f of decoder.push(concat([...chunks]))) t.frames.push(f.slice());
    },
    close() {
      t.closed = true;
    },
    end() {
      t.ended = true;
    },
  };
  return t;
}

function broker(seen: SessionRequestHeader[]): SessionBroker {
  return {
    apiVersions: () => BROKER_VERSIONS,
    handle: async (header) => {
      seen.push(header);
      return { throttleTimeMs: 0, brokers: [], clusterId: null, controllerId: 1, topics: [] };
    },
  };
}

const frame = (apiKey: number, apiVersion: number, correlationId: number, body: object) => concat(encodeRequest({ apiKey, apiVersion, correlationId, clientId: 't' } as never, body as never));
const credentials = { checkPlain: (u: string, p: string) => u === 'alice' && p === 'secret', scramCredential: () => undefined };

describe('a SASL session', () => {
  it('stamps the authenticated principal and the listener on every later header', async () => {
    const seen: SessionRequestHeader[] = [];
    const t = transport();
    const session = new BrokerSession(broker(seen), t, { listener: 'SASL_PLAINTEXT', clientHost: '/10.0.0.1', sasl: { mechanisms: ['PLAIN'], credentials } });
    session.receive(frame(ApiKey.SaslHandshake, 1, 1, { mechanism: 'PLAIN' }));
    session.receive(frame(ApiKey.SaslAuthenticate, 2, 2, { authBytes: enc.encode('\u0000alice\u0000secret') }));
    await expect.poll(() => t.frames.length).toBe(2);
    expect(decodeResponse(ApiKey.SaslAuthenticate, 2, t.frames[1]!).body).toMatchObject({ errorCode: 0, sessionLifetimeMs: 0 });
    expect(session.principal).toBe('User:alice');
    session.receive(frame(ApiKey.Metadata, 1, 3, { topics: null }));
    await expect.poll(() => seen.length).toBe(1);
    expect(seen[0]).toMatchObject({ apiKey: ApiKey.Metadata, principal: 'User:alice', listener: 'SASL_PLAINTEXT', clientHost: '/10.0.0.1' });
  });

  it('holds a failed login\'s answer for the delay, reads nothing meanwhile, then ends the connection', async () => {
    const seen: SessionRequestHeader[] = [];
    const t = transport();
    const session = new BrokerSession(broker(seen), t, { sasl: { mechanisms: ['PLAIN'], credentials, failedAuthenticationDelayMs: 400 } });
    session.receive(frame(ApiKey.SaslHandshake, 1, 1, { mechanism: 'PLAIN' }));
    const started = performance.now();
    session.receive(concat([frame(ApiKey.SaslAuthenticate, 1, 2, { authBytes: enc.encode('\u0000alice\u0000guess') }), frame(ApiKey.SaslAuthenticate, 1, 3, { authBytes: enc.encode('\u0000alice\u0000secret') })]));
    await expect.poll(() => t.ended, { timeout: 5000 }).toBe(true);
    // A lower bound only: the delay can stretch on a loaded machine, never shrink.
    expect(performance.now() - started).toBeGreaterThanOrEqual(390);
    expect(t.frames).toHaveLength(2);
    expect(decodeResponse(ApiKey.SaslAuthenticate, 1, t.frames[1]!).body).toMatchObject({ errorCode: 58, errorMessage: 'Authentication failed: Invalid username or password' });
    // The second guess, pipelined behind the first, was never tried.
    expect(session.principal).toBeUndefined();
    expect(seen).toEqual([]);
  });

  it('serves one ApiVersions before the handshake and closes on a second, as Kafka does', async () => {
    const seen: SessionRequestHeader[] = [];
    const t = transport();
    const versions: SessionBroker = {
      apiVersions: () => BROKER_VERSIONS,
      handle: async (header) => {
        seen.push(header);
        return { errorCode: 0, apiKeys: [], throttleTimeMs: 0, supportedFeatures: [], finalizedFeaturesEpoch: -1n, finalizedFeatures: [], zkMigrationReady: false };
      },
    };
    const session = new BrokerSession(versions, t, { sasl: { mechanisms: ['PLAIN'], credentials } });
    session.receive(frame(ApiKey.ApiVersions, 3, 1, { clientSoftwareName: 't', clientSoftwareVersion: '1' }));
    await expect.poll(() => t.frames.length).toBe(1);
    expect(session.closed).toBe(false);
    session.receive(frame(ApiKey.ApiVersions, 3, 2, { clientSoftwareName: 't', clientSoftwareVersion: '1' }));
    await expect.poll(() => session.closed).toBe(true);
    expect(seen).toHaveLength(1);
  });

  it('a refused SCRAM proof: the client gets Kafka\'s generic message, the log the reason, and neither a secret', async () => {
    const t = transport();
    const logger = recordingLogger();
    const credential = await newScramCredential('SCRAM-SHA-256', 'right-password');
    const scram = { checkPlain: () => false, scramCredential: (u: string) => (u === 'alice' ? credential : undefined) };
    const session = new BrokerSession(broker([]), t, { logger, sasl: { mechanisms: ['SCRAM-SHA-256'], credentials: scram, failedAuthenticationDelayMs: 0 } });
    session.receive(frame(ApiKey.SaslHandshake, 1, 1, { mechanism: 'SCRAM-SHA-256' }));
    session.receive(frame(ApiKey.SaslAuthenticate, 2, 2, { authBytes: enc.encode('n,,n=alice,r=abc') }));
    await expect.poll(() => t.frames.length).toBe(2);
    const serverFirst = new TextDecoder().decode((decodeResponse(ApiKey.SaslAuthenticate, 2, t.frames[1]!).body as { authBytes: Uint8Array }).authBytes);
    const nonce = /^r=([^,]+)/.exec(serverFirst)![1]!;
    const proof = toBase64(new Uint8Array(32).fill(7));
    session.receive(frame(ApiKey.SaslAuthenticate, 2, 3, { authBytes: enc.encode(`c=biws,r=${nonce},p=${proof}`) }));
    await expect.poll(() => t.frames.length).toBe(3);
    expect(decodeResponse(ApiKey.SaslAuthenticate, 2, t.frames[2]!).body).toMatchObject({ errorCode: 58, errorMessage: 'Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256' });
    const failure = logger.lines.find((l) => l.message === 'authentication failed');
    expect(failure?.fields).toMatchObject({ user: 'alice', reason: 'invalid credentials' });
    const logged = JSON.stringify(logger.lines);
    for (const secret of [proof, toBase64(credential.storedKey), toBase64(credential.serverKey), 'right-password']) expect(logged).not.toContain(secret);
  });
});
