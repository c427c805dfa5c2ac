/**
 * Issue 13: limits that hold under abuse and requests answered instead of closed — each a
 * bounded test with small limits (no timing asserts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { memoryStorage } from '../../adapters/memory/index.ts';
import { startServer, type TributaryServer } from '../../adapters/server/index.ts';
import { isLoopback } from '../../adapters/server/tcp-server.ts';
import { brokerHelp } from '../../cli/commands/broker.ts';
import { Broker, type BrokerOptions } from '../../core/broker/broker.ts';
import { BrokerSession, RequestMemory, type SessionBroker } from '../../core/broker/session.ts';
import { concat } from '../../core/protocol/index.ts';
import { DEFAULT_HANDLERS } from '../../core/broker/api/preset.ts';
import type { Logger } from '../../core/contracts/logger.ts';
import { decodeResponse, encodeRequest } from '../../core/protocol/index.ts';
import { consoleLogger } from '../../cli/console-logger.ts';
import { escapeLogText } from '../../core/contracts/logger.ts';
import { joinBody } from './group-helpers.ts';
import { batchOf, call, fetchBody, produceBody, startedBroker } from './helpers.ts';
import { sizePrefix } from './raw-client.ts';
import { RawClient } from './raw-client.ts';

const servers: TributaryServer[] = [];
const clients: RawClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) await s.close();
});

type Line = { level: string; message: string; fields?: Record<string, unknown> };
function recordingLogger(): Logger & { lines: Line[] } {
  const lines: Line[] = [];
  const log = (level: string) => (message: string, fields?: Record<string, unknown>) => void lines.push({ level, message, fields });
  return { lines, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

async function server(options: Parameters<typeof startServer>[1] = {}, brokerOptions: Partial<BrokerOptions> = {}) {
  const logger = recordingLogger();
  const broker = new Broker({ handlers: DEFAULT_HANDLERS, storage: memoryStorage(), logger, retentionCheckIntervalMs: 0, ...brokerOptions });
  const s = await startServer(broker, options);
  servers.push(s);
  return { server: s, broker, logger };
}

async function client(port: number): Promise<RawClient> {
  const c = await RawClient.connect(port);
  clients.push(c);
  return c;
}

function request(apiKey: number, apiVersion: number, correlationId: number, body: object, clientId: string | null = 'raw'): Uint8Array[] {
  return encodeRequest({ apiKey, apiVersion, correlationId, clientId }, body);
}

describe('requests answered with an error code instead of a closed connection (#11)', () => {
  it('SaslHandshake and SaslAuthenticate without SASL get ILLEGAL_SASL_STATE, as Kafka answers on a PLAINTEXT listener', async () => {
    const { server: s, logger } = await server();
    const c = await client(s.port);
    c.write(...request(17, 1, 1, { mechanism: 'PLAIN' }), ...request(36, 2, 2, { authBytes: new Uint8Array([0, 117, 0, 112]) }));
    const frames = await c.waitFrames(2);
    expect(c.closed).toBe(false);
    expect(frames.length).toBe(2);
    const handshake = decodeResponse(17, 1, frames[0]!).body;
    expect(handshake.errorCode).toBe(34);
    expect(handshake.mechanisms).toEqual([]);
    const auth = decodeResponse(36, 2, frames[1]!).body;
    expect(auth.errorCode).toBe(34);
    expect(auth.errorMessage).toMatch(/SASL is not enabled on this listener/);
    expect(logger.lines.filter((l) => l.message === 'closing connection')).toEqual([]);
  });

  it('a Fetch with a negative maxWaitMs or minBytes is answered at once, as Kafka does, not closed and logged at ERROR', async () => {
    const { server: s, broker, logger } = await server();
    await broker.topics.create({ name: 't', numPartitions: 1, replicationFactor: 1 });
    const c = await client(s.port);
    c.write(...request(1, 11, 1, fetchBody('t', 0, 0, { maxWaitMs: -1, minBytes: -5 })), ...request(1, 11, 2, fetchBody('t', 0, 0, { maxWaitMs: -2147483648, minBytes: 1 })));
    const frames = await c.waitFrames(2);
    expect(frames.length).toBe(2);
    for (const frame of frames) {
      const body = decodeResponse(1, 11, frame).body;
      expect(body.errorCode).toBe(0);
      expect(body.responses[0]!.partitions[0]!.errorCode).toBe(0);
    }
    expect(c.closed).toBe(false);
    expect(logger.lines.filter((l) => l.level === 'error')).toEqual([]);
  });
});

describe('client-supplied ids in log lines (#12)', () => {
  const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

  it('escapes control characters of client id, group id and member id: one event stays one harmless line', async () => {
    const lines: string[] = [];
    const broker = await startedBroker({ logger: consoleLogger('debug', (line) => lines.push(line)), groups: { initialRebalanceDelayMs: 0 } });
    try {
      const clientId = 'evil\x1b[2J\nFAKE ERROR line\u0085';
      const groupId = 'g\x1b]0;title\x07\r';
      const header = { apiKey: 11, apiVersion: 3, correlationId: 1, clientId };
      const joined: any = await broker.handle(header, joinBody(groupId, '', { session: 10_000 }));
      expect(joined.errorCode).toBe(0);
      expect(joined.memberId).toContain('\x1b'); // the member id starts with the client id, as Kafka's
      await broker.handle({ ...header, apiKey: 13, apiVersion: 2 }, { groupId, memberId: joined.memberId, members: [] });
    } finally {
      await broker.close();
    }
    const about = lines.filter((l) => l.includes('groupId='));
    expect(about.some((l) => l.includes('member left') && l.includes('memberId='))).toBe(true);
    for (const line of lines) expect(line).not.toMatch(RAW_CONTROL);
    // Visible escapes (JSON's \u001b inside a quoted value, \x1b in a bare one).
    expect(about.join('\n')).toMatch(/g\\(x1b|u001b)\]0;title\\(x07|u0007)\\r/);
    expect(lines.join('\n')).toMatch(/evil\\(x1b|u001b)\[2J\\nFAKE/);
  });

  it('escapeLogText leaves ordinary text alone and makes every control character visible', () => {
    expect(escapeLogText('consumer-1 groupé')).toBe('consumer-1 groupé');
    expect(escapeLogText('a\nb\tc\x00\x7f\u009b\u2028')).toBe('a\\nb\\tc\\x00\\x7f\\x9b\\u2028');
  });
});

describe('a non-loopback bind says there is no authentication (#13)', () => {
  const warning = (lines: Line[]) => lines.filter((l) => l.level === 'warn' && /without authentication/.test(l.message));

  it('warns when listening on 0.0.0.0, not on 127.0.0.1', async () => {
    const wild = await server({ host: '0.0.0.0' });
    expect(warning(wild.logger.lines)).toHaveLength(1);
    expect(warning(wild.logger.lines)[0]!.fields).toMatchObject({ host: '0.0.0.0', port: wild.server.port });
    const local = await server({ host: '127.0.0.1' });
    expect(warning(local.logger.lines)).toEqual([]);
  });

  it('tells loopback from everything else', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) expect(isLoopback(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '192.168.1.5', '10.0.0.1', 'broker.example.com', '::ffff:10.0.0.1']) expect(isLoopback(h), h).toBe(false);
  });

  it('--help and the README say PLAINTEXT has no authentication, and how to secure a broker', async () => {
    expect(brokerHelp()).toMatch(/PLAINTEXT \(no authentication/);
    expect(brokerHelp()).toMatch(/0\.0\.0\.0/);
    expect(brokerHelp()).toMatch(/SASL_SSL/);
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toMatch(/## Securing a broker/);
    expect(readme).toMatch(/PLAINTEXT on 127\.0\.0\.1/);
  });
});

const apiVersions = (id: number) => request(18, 3, id, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' });

/** A connection that the broker serves (answers ApiVersions), or null when it was refused. */
async function served(port: number): Promise<RawClient | null> {
  const c = await client(port);
  c.write(...apiVersions(1));
  const frames = await c.waitFrames(1);
  return frames.length === 1 ? c : null;
}

describe('connection limits (#6)', () => {
  it('refuses connections beyond max.connections with a log line, and takes new ones once others closed', async () => {
    const { server: s, logger } = await server({}, { limits: { maxConnections: 2 } });
    const a = await served(s.port);
    const b = await served(s.port);
    expect(a).not.toBeNull();
    expect(b).not.toBeNull();
    expect(await served(s.port)).toBeNull();
    const refused = logger.lines.filter((l) => l.level === 'warn' && l.fields?.code === 'ERR_TOO_MANY_CONNECTIONS');
    expect(refused).toHaveLength(1);
    expect(refused[0]!.fields).toMatchObject({ limit: 'max.connections', max: 2 });
    expect(s.connectionCount()).toBe(2);
    a!.close();
    await a!.waitClosed();
    while (s.connectionCount() > 1) await new Promise((r) => setImmediate(r));
    expect(await served(s.port)).not.toBeNull();
  });

  it('refuses connections beyond max.connections.per.ip (server option over the broker\'s)', async () => {
    const { server: s, logger } = await server({ maxConnectionsPerIp: 1 });
    expect(await served(s.port)).not.toBeNull();
    expect(await served(s.port)).toBeNull();
    expect(logger.lines.find((l) => l.fields?.code === 'ERR_TOO_MANY_CONNECTIONS')?.fields).toMatchObject({ limit: 'max.connections.per.ip', max: 1, remote: '127.0.0.1' });
  });

  it('--max-connections and --max-connections-per-ip reach the broker\'s limits', async () => {
    const { resolveBrokerSettings } = await import('../../cli/broker-config.ts');
    const settings = resolveBrokerSettings({ 'max-connections': '5', 'max-connections-per-ip': '2' }, {});
    expect(settings).toMatchObject({ maxConnections: 5, maxConnectionsPerIp: 2 });
    expect(resolveBrokerSettings({}, { TRIBUTARY_MAX_CONNECTIONS: '7' }).maxConnections).toBe(7);
    expect(() => resolveBrokerSettings({ 'max-connections': '0' }, {})).toThrow(/max-connections/);
    expect(brokerHelp()).toMatch(/--max-connections-per-ip/);
  });
});

describe('configs checked against each other; the request cap exposed (#10)', () => {
  const MiB = 1024 * 1024;
  const createBody = (name: string, configs: Array<{ name: string; value: string }>, validateOnly = false) => ({
    topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs }],
    timeoutMs: 1000,
    validateOnly,
  });

  it('refuses a topic max.message.bytes above socket.request.max.bytes with INVALID_CONFIG (create, validate-only, alter)', async () => {
    const broker = await startedBroker({ limits: { socketRequestMaxBytes: MiB } });
    try {
      for (const validateOnly of [false, true]) {
        const answer = await call(broker, 19, 5, createBody('big', [{ name: 'max.message.bytes', value: String(2 * MiB) }], validateOnly));
        expect(answer.topics[0].errorCode).toBe(40);
        expect(answer.topics[0].errorMessage).toMatch(/socket\.request\.max\.bytes/);
      }
      expect(broker.image.topic('big')).toBeUndefined();
      const ok = await call(broker, 19, 5, createBody('fits', [{ name: 'max.message.bytes', value: String(MiB) }]));
      expect(ok.topics[0].errorCode).toBe(0);
      const altered = await call(broker, 33, 1, { resources: [{ resourceType: 2, resourceName: 'fits', configs: [{ name: 'max.message.bytes', value: String(MiB + 1) }] }], validateOnly: false });
      expect(altered.responses[0].errorCode).toBe(40);
      const described = await call(broker, 32, 1, { resources: [{ resourceType: 4, resourceName: '1', configurationKeys: ['socket.request.max.bytes', 'fetch.max.bytes'] }], includeSynonyms: false });
      expect(Object.fromEntries(described.results[0].configs.map((c: any) => [c.name, c.value]))).toEqual({ 'socket.request.max.bytes': String(MiB), 'fetch.max.bytes': String(55 * MiB) });
    } finally {
      await broker.close();
    }
  });

  it('refuses broker settings that cannot work together', () => {
    const make = (options: Partial<BrokerOptions>) => () => new Broker({ handlers: DEFAULT_HANDLERS, storage: memoryStorage(), ...options });
    expect(make({ limits: { socketRequestMaxBytes: MiB }, topicDefaults: { 'max.message.bytes': String(2 * MiB) } })).toThrow(expect.objectContaining({ kafkaCode: 40 }));
    expect(make({ limits: { socketRequestMaxBytes: 2 * MiB, queuedMaxRequestBytes: MiB } })).toThrow(/queued\.max\.request\.bytes/);
    expect(make({ limits: { fetchMaxBytes: 0 } })).toThrow(/fetch\.max\.bytes/);
    expect(make({ limits: { socketRequestMaxBytes: 2 * MiB }, topicDefaults: { 'max.message.bytes': String(2 * MiB) } })).not.toThrow();
  });

  it('the listener takes its request cap from the broker: a frame above it closes the connection with a coded log line', async () => {
    const { server: s, logger } = await server({}, { limits: { socketRequestMaxBytes: 1000 } });
    const c = await client(s.port);
    c.write(sizePrefix(1001), new Uint8Array(10));
    await c.waitClosed();
    expect(logger.lines.find((l) => l.message === 'closing connection')?.fields).toMatchObject({ code: 'ERR_FRAME_TOO_LARGE' });
    expect(await served(s.port)).not.toBeNull();
  });

  it('--socket-request-max-bytes is a broker flag with Kafka\'s default', async () => {
    const { resolveBrokerSettings } = await import('../../cli/broker-config.ts');
    expect(resolveBrokerSettings({}, {}).socketRequestMaxBytes).toBe(100 * MiB);
    expect(resolveBrokerSettings({ 'socket-request-max-bytes': '2048' }, {}).socketRequestMaxBytes).toBe(2048);
    expect(brokerHelp()).toMatch(/--socket-request-max-bytes/);
  });
});

describe('fetch.max.bytes (#7)', () => {
  it('caps a fetch response whatever maxBytes the client asks, still returning at least one batch', async () => {
    const batch = batchOf(['x'.repeat(100)]);
    const broker = await startedBroker({ limits: { fetchMaxBytes: batch.length * 2 + 10 } });
    try {
      await broker.topics.create({ name: 't', numPartitions: 1, replicationFactor: 1 });
      for (let i = 0; i < 5; i++) expect((await call(broker, 0, 9, produceBody('t', 0, batchOf(['x'.repeat(100)])))).responses[0].partitionResponses[0].errorCode).toBe(0);
      const bytesOf = (answer: any) => answer.responses[0].partitions[0].records.reduce((n: number, c: Uint8Array) => n + c.length, 0);
      const big = await call(broker, 1, 11, fetchBody('t', 0, 0, { maxBytes: 2147483647, partitionMaxBytes: 2147483647 }));
      expect(bytesOf(big)).toBe(batch.length * 2);
      // Below one batch: the first batch still comes (KIP-74), so a consumer always progresses.
      const tiny = await startedBroker({ limits: { fetchMaxBytes: 1 } });
      try {
        await tiny.topics.create({ name: 't', numPartitions: 1, replicationFactor: 1 });
        await call(tiny, 0, 9, produceBody('t', 0, batchOf(['a'])));
        await call(tiny, 0, 9, produceBody('t', 0, batchOf(['b'])));
        expect(bytesOf(await call(tiny, 1, 11, fetchBody('t', 0, 0, { maxBytes: 2147483647, partitionMaxBytes: 2147483647 })))).toBe(batchOf(['a']).length);
      } finally {
        await tiny.close();
      }
    } finally {
      await broker.close();
    }
  });

  it('--fetch-max-bytes defaults to Kafka\'s 55 MiB', async () => {
    const { resolveBrokerSettings } = await import('../../cli/broker-config.ts');
    expect(resolveBrokerSettings({}, {}).fetchMaxBytes).toBe(55 * 1024 * 1024);
    expect(resolveBrokerSettings({ 'fetch-max-bytes': '4096' }, {}).fetchMaxBytes).toBe(4096);
  });
});

/** A transport that keeps what is written "unsent" until the test sends it. */
function slowTransport() {
  const t = {
    unsent: 0,
    written: 0,
    write(chunks: readonly Uint8Array[]) {
      for (const c of chunks) t.unsent += c.length;
      t.written++;
    },
    close() {},
    flowChanged() {},
    unsentBytes: () => t.unsent,
  };
  return t;
}

/** A broker whose every request waits until the test answers it. */
function heldBroker(): SessionBroker & { calls: Array<{ apiKey: number; resolve(body: object | null): void }> } {
  const calls: Array<{ apiKey: number; resolve(body: object | null): void }> = [];
  return {
    calls,
    apiVersions: () => [{ apiKey: 0, minVersion: 3, maxVersion: 9 }, { apiKey: 1, minVersion: 4, maxVersion: 12 }, { apiKey: 3, minVersion: 0, maxVersion: 12 }, { apiKey: 18, minVersion: 0, maxVersion: 3 }],
    handle(header) {
      return new Promise((resolve) => calls.push({ apiKey: header.apiKey, resolve }));
    },
  };
}

const settle = () => new Promise((r) => setImmediate(r));

function fetchAnswer(recordBytes: number): object {
  return {
    throttleTimeMs: 0, errorCode: 0, sessionId: 0,
    responses: [{ topic: 't', partitions: [{ partitionIndex: 0, errorCode: 0, highWatermark: 1, lastStableOffset: 1, logStartOffset: 0, abortedTransactions: null, preferredReadReplica: -1, records: [new Uint8Array(recordBytes)] }] }],
  };
}

describe('back-pressure on unsent responses (#7)', () => {
  it('ten pipelined fetches that are never read: no new request starts while unsent responses exceed the bound', async () => {
    const broker = heldBroker();
    const t = slowTransport();
    const session = new BrokerSession(broker, t, { maxResponseBytes: 1000 });
    const fetches = Array.from({ length: 10 }, (_, i) => concat(request(1, 11, i + 1, fetchBody('t', 0, 0, { maxBytes: 2147483647 }))));
    session.receive(concat(fetches));
    // A Fetch starts alone: the other nine wait, and reads pause.
    expect(broker.calls).toHaveLength(1);
    expect(session.saturated).toBe(true);
    broker.calls[0]!.resolve(fetchAnswer(5000));
    await settle();
    // Its answer is out but unsent (5000 > 1000 bytes): nothing else starts.
    expect(t.unsent).toBeGreaterThan(5000);
    expect(broker.calls).toHaveLength(1);
    expect(session.pendingRequests).toBe(9);
    // The peer reads: the next one starts.
    t.unsent = 0;
    session.resume();
    expect(broker.calls).toHaveLength(2);
    broker.calls[1]!.resolve(fetchAnswer(10));
    await settle();
    // Small answers sent below the bound: the rest follow one after another.
    for (let i = 2; i < 10; i++) {
      expect(broker.calls).toHaveLength(i + 1);
      broker.calls[i]!.resolve(fetchAnswer(10));
      await settle();
    }
    expect(session.pendingRequests).toBe(0);
    expect(t.written).toBe(10);
  });

  it('other requests still pipeline under the bound (Metadata, Produce)', async () => {
    const broker = heldBroker();
    const session = new BrokerSession(broker, slowTransport(), { maxResponseBytes: 1000 });
    const metadata = (id: number) => concat(request(3, 9, id, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }));
    session.receive(concat([metadata(1), metadata(2), metadata(3)]));
    expect(broker.calls).toHaveLength(3);
  });
});

describe('bytes of requests held per connection and broker-wide (#8)', () => {
  const produce = (id: number, bytes: number) => concat(request(0, 9, id, produceBody('t', 0, new Uint8Array(bytes), 0)));

  it('a connection stops reading once its unhandled requests hold its bound; a single request is always taken', async () => {
    const broker = heldBroker();
    const t = slowTransport();
    const session = new BrokerSession(broker, t, { maxRequestBytes: 2500 });
    // Six acks=0 produces of ~1 KB each in one read: the ones past the bound wait, unparsed.
    session.receive(concat(Array.from({ length: 6 }, (_, i) => produce(i + 1, 1000))));
    expect(broker.calls).toHaveLength(2);
    expect(session.heldRequestBytes).toBeLessThanOrEqual(2500);
    expect(session.saturated).toBe(true);
    broker.calls[0]!.resolve(null);
    broker.calls[1]!.resolve(null);
    await settle();
    expect(broker.calls).toHaveLength(4);
    for (const c of broker.calls.slice(2)) c.resolve(null);
    await settle();
    expect(broker.calls).toHaveLength(6);
    for (const c of broker.calls.slice(4)) c.resolve(null);
    await settle();
    expect(session.heldRequestBytes).toBe(0);
    expect(session.saturated).toBe(false);
    // One request larger than the bound is still read whole.
    session.receive(produce(9, 5000));
    expect(broker.calls).toHaveLength(7);
  });

  it('partly received frames count at their announced size against the broker-wide pool; reads pause instead of buffering', async () => {
    const logger = recordingLogger();
    const memory = new RequestMemory(3000, logger);
    const sessions = [0, 1, 2].map(() => new BrokerSession(heldBroker(), slowTransport(), { memory, maxRequestSize: 3000 }));
    const big = produce(1, 1400); // ~1.5 KB announced
    const size = big.length - 4;
    // Each connection sends the first 100 bytes of a frame.
    for (const s of sessions) s.receive(big.subarray(0, 100));
    expect(memory.used).toBe(2 * size);
    expect(sessions[2]!.saturated).toBe(true);
    expect(logger.lines.filter((l) => l.fields?.code === 'ERR_REQUEST_MEMORY_FULL')).toHaveLength(1);
    // More bytes for the stalled one are held, not assembled, and nothing is over the bound.
    sessions[2]!.receive(big.subarray(100, 200));
    expect(memory.used).toBeLessThanOrEqual(3000);
    // The first connection goes away: the third gets its room and continues.
    sessions[0]!.close('test');
    expect(memory.used).toBe(2 * size);
    expect(sessions[2]!.heldRequestBytes).toBe(size);
    sessions[2]!.receive(big.subarray(200));
    sessions[1]!.receive(big.subarray(100));
    await settle();
    expect(memory.used).toBe(2 * size); // both complete frames are being handled
  });

  it('a TCP listener shares one pool across connections: 16 partial frames hold at most queued.max.request.bytes', async () => {
    const { server: s, logger } = await server({}, { limits: { socketRequestMaxBytes: 10_000, queuedMaxRequestBytes: 30_000 } });
    const partial = concat([new Uint8Array([0, 0, 0x27, 0x00]), new Uint8Array(500)]); // announces 9984 bytes, sends 500
    const cs = await Promise.all(Array.from({ length: 16 }, () => client(s.port)));
    for (const c of cs) c.write(partial);
    while (!logger.lines.some((l) => l.fields?.code === 'ERR_REQUEST_MEMORY_FULL')) await settle();
    expect(s.queuedRequestBytes()).toBeLessThanOrEqual(30_000);
    for (const c of cs) c.close();
    while (s.connectionCount() > 0) await settle();
    expect(s.queuedRequestBytes()).toBe(0);
    expect(await served(s.port)).not.toBeNull();
  });
});
