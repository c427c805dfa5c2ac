/**
 * The TCP transport against our server and against scripted servers built from our own
 * codec (to make a broker stall, refuse ApiVersions v3 or drop the connection), and the
 * in-process transport against a broker.
 */
import { type Server, type Socket, connect, createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FrameDecoder } from '../../adapters/server/index.ts';
import { tcpTransport } from '../../adapters/transport/index.ts';
import { CLIENT_VERSIONS, commonVersion, pickVersion } from '../../core/client/client-versions.ts';
import { inProcessTransport } from '../../core/client/in-process-transport.ts';
import type { TransportOptions } from '../../core/client/transport.ts';
import { silentLogger } from '../../core/contracts/logger.ts';
import { decodeRequestHeader, encodeApiVersionsFallback, encodeResponse } from '../../core/protocol/index.ts';
import { encodeBatchSync } from '../../core/records/record-batch.ts';
import { type Harness, harness } from './helpers.ts';

const options: TransportOptions = { clientId: 'test', requestTimeoutMs: 5000, connectTimeoutMs: 5000, logger: silentLogger };
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function started(mode: 'tcp' | 'in-process'): Promise<Harness> {
  const h = await harness(mode);
  cleanups.push(() => h.close());
  return h;
}

type Script = (socket: Socket, apiKey: number, apiVersion: number, correlationId: number) => void;

/** A server that answers each request frame with what `script` decides. */
async function scripted(script: Script): Promise<{ port: number; server: Server }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    const decoder = new FrameDecoder(1 << 20);
    socket.on('data', (chunk) => {
      for (const frame of decoder.push(chunk)) {
        const { header } = decodeRequestHeader(frame);
        script(socket, header.apiKey, header.apiVersion, header.correlationId);
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => {
    for (const s of sockets) s.destroy();
    server.close(() => r());
  }));
  return { port: (server.address() as { port: number }).port, server };
}

const apiVersionsOk = (socket: Socket, version: number, correlationId: number) => {
  for (const c of encodeResponse(18, version, correlationId, { errorCode: 0, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 3 }, { apiKey: 3, minVersion: 0, maxVersion: 12 }] })) socket.write(c);
};

describe('version negotiation', () => {
  it('picks the highest version both sides speak', () => {
    expect(commonVersion([{ apiKey: 3, minVersion: 0, maxVersion: 12 }], 3)).toBe(9);
    expect(commonVersion([{ apiKey: 3, minVersion: 0, maxVersion: 4 }], 3)).toBe(4);
    expect(commonVersion([{ apiKey: 1, minVersion: 13, maxVersion: 17 }], 1)).toBeUndefined();
    expect(commonVersion([], 0)).toBeUndefined();
    expect(() => pickVersion([{ apiKey: 0, minVersion: 10, maxVersion: 11 }], 0)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_VERSION' }));
    for (const r of CLIENT_VERSIONS) expect(r.minVersion).toBeLessThanOrEqual(r.maxVersion);
  });
});

describe('tcp transport', () => {
  it('negotiates versions with our broker and pipelines requests in order', async () => {
    const h = await started('tcp');
    const t = await tcpTransport()({ host: '127.0.0.1', port: h.server!.port }, options);
    cleanups.push(() => t.close());
    const plain = (list: ReadonlyArray<{ apiKey: number; minVersion: number; maxVersion: number }>) => list.map((r) => [r.apiKey, r.maxVersion]);
    expect(plain(t.apiVersions)).toEqual(plain(h.broker.apiVersions()));
    await h.broker.topics.create({ name: 'pipe', numPartitions: 1, replicationFactor: 1 });
    // A long poll first, then quick requests: all answers match their requests.
    const fetch = t.request(1, 12, {
      replicaId: -1, maxWaitMs: 200, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: 'pipe', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }], forgottenTopicsData: [], rackId: '',
    }, { extraTimeoutMs: 200 });
    const metas = Array.from({ length: 50 }, (_, i) => t.request(3, i % 2 === 0 ? 9 : 1, { topics: [{ name: 'pipe' }], allowAutoTopicCreation: false }));
    const answers = await Promise.all(metas);
    for (const a of answers) expect(a.topics[0].name).toBe('pipe');
    const f = await fetch;
    expect(f.responses[0].partitions[0].errorCode).toBe(0);
  });

  it('falls back to ApiVersions v0 when the broker refuses v3', async () => {
    const { port } = await scripted((socket, apiKey, version, id) => {
      if (apiKey === 18 && version !== 0) for (const c of encodeApiVersionsFallback(id)) socket.write(c);
      else if (apiKey === 18) apiVersionsOk(socket, 0, id);
    });
    const t = await tcpTransport()({ host: '127.0.0.1', port }, options);
    cleanups.push(() => t.close());
    expect(t.apiVersions.map((r) => r.apiKey)).toEqual([18, 3]);
  });

  it('times out a request the broker never answers, and fails the rest of the connection', async () => {
    const { port } = await scripted((socket, apiKey, version, id) => {
      if (apiKey === 18) apiVersionsOk(socket, version, id);
    });
    const t = await tcpTransport()({ host: '127.0.0.1', port }, { ...options, requestTimeoutMs: 100 });
    const first = t.request(3, 9, { topics: null });
    const second = t.request(3, 9, { topics: null });
    await expect(first).rejects.toMatchObject({ code: 'ERR_REQUEST_TIMEOUT', retriable: true });
    await expect(second).rejects.toMatchObject({ retriable: true });
    expect(t.connected).toBe(false);
    await expect(t.request(3, 9, { topics: null })).rejects.toMatchObject({ code: 'ERR_CONNECTION_CLOSED', retriable: true });
  });

  it('rejects pending requests with a retriable error when the connection drops', async () => {
    const { port } = await scripted((socket, apiKey, version, id) => {
      if (apiKey === 18) apiVersionsOk(socket, version, id);
      else socket.destroy();
    });
    const t = await tcpTransport()({ host: '127.0.0.1', port }, options);
    const pending = [t.request(3, 9, { topics: null }), t.request(3, 9, { topics: null })];
    for (const p of pending) await expect(p).rejects.toMatchObject({ code: 'ERR_CONNECTION_CLOSED', retriable: true });
    expect(t.connected).toBe(false);
  });

  it('closes on a response frame above its maximum size instead of buffering it', async () => {
    const { port } = await scripted((socket, apiKey, version, id) => {
      if (apiKey === 18) apiVersionsOk(socket, version, id);
      else socket.write(new Uint8Array([0x7f, 0xff, 0xff, 0xff]));
    });
    const t = await tcpTransport({ maxResponseSize: 1 << 20 })({ host: '127.0.0.1', port }, options);
    await expect(t.request(3, 9, { topics: null })).rejects.toMatchObject({ code: 'ERR_CONNECTION_CLOSED', retriable: true });
  });

  it('fails to connect with a retriable coded error', async () => {
    const { port, server } = await scripted(() => {});
    await new Promise<void>((r) => server.close(() => r()));
    await expect(tcpTransport()({ host: '127.0.0.1', port }, options)).rejects.toMatchObject({ code: 'ERR_CONNECT_FAILED', retriable: true });
  });
});

describe('tcp transport under backpressure', () => {
  it('keeps requests in order while the socket buffer is full (big Produce requests and small ones in between)', async () => {
    const h = await started('tcp');
    await h.broker.topics.create({ name: 'bp', numPartitions: 1, replicationFactor: 1 });
    // A proxy that stops reading from the client until released, so the client's socket buffer fills.
    let stalled = false;
    const clients = new Set<Socket>();
    const proxy = createServer((client) => {
      const upstream = connect(h.server!.port, '127.0.0.1');
      clients.add(client);
      if (stalled) client.pause();
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => {
      for (const c of clients) c.destroy();
      proxy.close(() => r());
    }));
    const t = await tcpTransport()({ host: '127.0.0.1', port: (proxy.address() as { port: number }).port }, { ...options, requestTimeoutMs: 30_000 });
    cleanups.push(() => t.close());
    stalled = true;
    for (const c of clients) c.pause();
    const value = new Uint8Array(256 * 1024).fill(7);
    const produce = (i: number) => t.request(0, 9, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'bp', partitionData: [{ index: 0, records: encodeBatchSync({ records: [{ key: null, value, headers: [], timestamp: 1_700_000_000_000 + i }] }) }] }] });
    const metadata = () => t.request(3, 9, { topics: [{ name: 'bp' }], allowAutoTopicCreation: false });
    const answers: Array<Promise<any>> = [];
    // 10 MiB of requests: far more than the socket buffers hold, so later writes wait.
    for (let i = 0; i < 40; i++) {
      answers.push(produce(i));
      answers.push(metadata());
      if (i % 5 === 0) await Promise.resolve();
    }
    stalled = false;
    for (const c of clients) c.resume();
    // More requests while the backlog drains, from timers and microtasks alike.
    for (let i = 40; i < 50; i++) {
      answers.push(produce(i));
      await new Promise((r) => setImmediate(r));
      answers.push(metadata());
    }
    const results = await Promise.all(answers);
    let offset = 0;
    for (const r of results) {
      if (r.responses) {
        expect(r.responses[0].partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: offset });
        offset++;
      } else {
        expect(r.topics[0].name).toBe('bp');
      }
    }
    expect(offset).toBe(50);
  });
});

describe('in-process transport', () => {
  it('advertises the broker versions and answers like the wire', async () => {
    const h = await started('in-process');
    const t = await inProcessTransport(h.broker)({ host: 'x', port: 0 }, options);
    expect(t.apiVersions).toEqual(h.broker.apiVersions());
    const meta = await t.request(3, 1, { topics: null });
    // v1 has no cluster id: the body went through the codec as it would over TCP.
    expect(meta.clusterId).toBeNull();
    expect(meta.brokers[0].nodeId).toBe(h.broker.nodeId);
    await t.close();
    expect(t.connected).toBe(false);
    await expect(t.request(3, 1, { topics: null })).rejects.toMatchObject({ code: 'ERR_CONNECTION_CLOSED' });
  });

  it('refuses versions the broker does not advertise', async () => {
    const h = await started('in-process');
    const t = await inProcessTransport(h.broker)({ host: 'x', port: 0 }, options);
    await expect(t.request(0, 2, {})).rejects.toMatchObject({ code: 'UNSUPPORTED_VERSION' });
  });

  it('answers in request order on one connection, as over TCP', async () => {
    const h = await started('in-process');
    await h.broker.topics.create({ name: 'order', numPartitions: 1, replicationFactor: 1 });
    const t = await inProcessTransport(h.broker)({ host: 'x', port: 0 }, options);
    const order: string[] = [];
    const fetch = t.request(1, 12, {
      replicaId: -1, maxWaitMs: 100, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: 'order', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }], forgottenTopicsData: [], rackId: '',
    }).then(() => order.push('fetch'));
    const meta = t.request(3, 1, { topics: null }).then(() => order.push('metadata'));
    await Promise.all([fetch, meta]);
    expect(order).toEqual(['fetch', 'metadata']);
  });

  it('a failing acks=0 produce is not retried: no record appended twice, the connection closes as over TCP', async () => {
    const h = await started('in-process');
    await h.broker.topics.create({ name: 'fine', numPartitions: 1, replicationFactor: 1 });
    await h.broker.topics.create({ name: 'small', numPartitions: 1, replicationFactor: 1, configs: [['max.message.bytes', '100']] });
    const t = await inProcessTransport(h.broker)({ host: 'x', port: 0 }, options);
    const small = encodeBatchSync({ records: [{ key: null, value: new TextEncoder().encode('ok'), headers: [] }], now: 1 });
    const big = encodeBatchSync({ records: [{ key: null, value: new Uint8Array(500).fill(7), headers: [] }], now: 1 });
    const body = {
      transactionalId: null, acks: 0, timeoutMs: 1000,
      topicData: [{ name: 'fine', partitionData: [{ index: 0, records: small }] }, { name: 'small', partitionData: [{ index: 0, records: big }] }],
    };
    // Over TCP the write succeeded and the broker closes the connection: the sender learns
    // nothing, so it must not retry (a retry appended 'fine' once more per attempt).
    expect(await t.request(0, 9, body, { expectResponse: false })).toBeNull();
    expect(t.connected).toBe(false);
    expect(h.broker.topics.get('fine')!.partitions[0]!.highWatermark).toBe(1);
    await expect(t.request(3, 1, { topics: null })).rejects.toMatchObject({ code: 'ERR_CONNECTION_CLOSED' });
  });

  it('a producer sending acks=0 across topics appends each record once when one topic refuses its batch', async () => {
    for (const mode of ['tcp', 'in-process'] as const) {
      const h = await started(mode);
      await h.broker.topics.create({ name: 'fine', numPartitions: 1, replicationFactor: 1 });
      await h.broker.topics.create({ name: 'small', numPartitions: 1, replicationFactor: 1, configs: [['max.message.bytes', '100']] });
      const client = h.client();
      const producer = client.producer({ idempotent: false, acks: 0, lingerMs: 5 });
      // acks=0 learns nothing of the refusal: the send succeeds, once.
      const sent = await producer.sendBatch({ topicMessages: [{ topic: 'fine', messages: [{ value: 'once' }] }, { topic: 'small', messages: [{ value: 'x'.repeat(500) }] }] });
      expect(sent.map((m) => m.baseOffset), mode).toEqual([-1, -1]);
      await new Promise((r) => setTimeout(r, 100));
      expect(h.broker.topics.get('fine')!.partitions[0]!.highWatermark, mode).toBe(1);
    }
  });
});

describe('client bootstrap', () => {
  it('tries each listed broker until one answers', async () => {
    const h = await started('tcp');
    const { port: dead, server } = await scripted(() => {});
    await new Promise<void>((r) => server.close(() => r()));
    const client = h.client({ brokers: [`127.0.0.1:${dead}`, h.server!.address] });
    cleanups.push(() => client.close());
    expect(await client.admin().listTopics()).toEqual([]);
    const none = h.client({ brokers: [`127.0.0.1:${dead}`] });
    cleanups.push(() => none.close());
    await expect(none.cluster.connect()).rejects.toMatchObject({ code: 'ERR_NO_BROKERS' });
    expect(() => h.client({ brokers: ['no-port'] })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
  });
});
