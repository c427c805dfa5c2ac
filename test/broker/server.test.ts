import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { filesystemStorage } from '../../adapters/filesystem/index.ts';
import { memoryStorage } from '../../adapters/memory/index.ts';
import { startServer, type TributaryServer } from '../../adapters/server/index.ts';
import { Broker } from '../../core/broker/broker.ts';
import { DEFAULT_HANDLERS } from '../../core/broker/api/preset.ts';
import type { Logger } from '../../core/contracts/logger.ts';
import { decodeResponse, encodeRequest } from '../../core/protocol/index.ts';
import { batchOf, call, fetchBody, produceBody, startedBroker } from './helpers.ts';
import { RawClient, sizePrefix } from './raw-client.ts';

const servers: TributaryServer[] = [];
const clients: RawClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) await s.close();
});

function recordingLogger(): Logger & { lines: Array<{ level: string; message: string; fields?: Record<string, unknown> }> } {
  const lines: Array<{ level: string; message: string; fields?: Record<string, unknown> }> = [];
  const log = (level: string) => (message: string, fields?: Record<string, unknown>) => void lines.push({ level, message, fields });
  return { lines, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

async function server(options: Parameters<typeof startServer>[1] = {}) {
  const logger = recordingLogger();
  const broker = new Broker({ handlers: DEFAULT_HANDLERS, storage: memoryStorage(), logger, retentionCheckIntervalMs: 0 });
  const s = await startServer(broker, options);
  servers.push(s);
  return { server: s, broker, logger };
}

async function client(port: number): Promise<RawClient> {
  const c = await RawClient.connect(port);
  clients.push(c);
  return c;
}

function request(apiKey: number, apiVersion: number, correlationId: number, body: object): Uint8Array[] {
  return encodeRequest({ apiKey, apiVersion, correlationId, clientId: 'raw' }, body);
}

const apiVersions = (id: number) => request(18, 3, id, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' });

/** True when a fresh connection still gets an ApiVersions answer. */
async function stillServes(port: number): Promise<boolean> {
  const c = await client(port);
  c.write(...apiVersions(42));
  const [frame] = await c.waitFrames(1);
  return frame !== undefined && decodeResponse(18, 3, frame).body.errorCode === 0;
}

describe('tcp server', () => {
  it('answers pipelined requests in request order even when a later one finishes first', async () => {
    const { server: s, broker } = await server();
    await broker.topics.create({ name: 't', numPartitions: 1, replicationFactor: 1 });
    const c = await client(s.port);
    c.write(...request(1, 11, 1, fetchBody('t', 0, 0, { maxWaitMs: 200 })), ...apiVersions(2), ...request(3, 9, 3, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }));
    const frames = await c.waitFrames(3);
    expect(frames.map(RawClient.correlationId)).toEqual([1, 2, 3]);
    expect(decodeResponse(1, 11, frames[0]!).body.responses[0].partitions[0].errorCode).toBe(0);
    expect(decodeResponse(3, 9, frames[2]!).body.topics.map((t: any) => t.name)).toEqual(['t']);
  });

  it('sends nothing for acks=0 and keeps the connection', async () => {
    const { server: s, broker } = await server();
    const c = await client(s.port);
    c.write(...request(0, 9, 1, produceBody('t', 0, batchOf(['a']), 0)), ...apiVersions(2));
    const frames = await c.waitFrames(1);
    expect(frames.map(RawClient.correlationId)).toEqual([2]);
    expect(broker.topics.get('t')!.partitions[0]!.highWatermark).toBe(1);
  });

  it('answers an unsupported ApiVersions version with the v0 fallback', async () => {
    const { server: s } = await server();
    const c = await client(s.port);
    // Header v2 for ApiVersions v99, then a body we cannot know the layout of.
    const frame = new Uint8Array([0, 18, 0, 99, 0, 0, 0, 7, 0, 3, 0x61, 0x62, 0x63, 0, 0x42, 0x42]);
    c.write(sizePrefix(frame.length), frame);
    const [response] = await c.waitFrames(1);
    const body = decodeResponse(18, 0, response!).body;
    expect(body.errorCode).toBe(35);
    expect(body.apiKeys).toEqual([{ apiKey: 18, minVersion: 0, maxVersion: 3 }]);
  });

  const badInputs: Array<[string, (c: RawClient) => void, number?]> = [
    ['an oversized frame', (c) => c.write(sizePrefix(10_000), new Uint8Array(100)), 1000],
    ['a 2 GiB length prefix', (c) => c.write(new Uint8Array([0x80, 0, 0, 0]), new Uint8Array(16))],
    ['a negative size', (c) => c.write(sizePrefix(-5))],
    ['random bytes', (c) => c.write(sizePrefix(64), crypto.getRandomValues(new Uint8Array(64)).fill(0xff, 0, 2))],
    ['an unknown API key', (c) => c.write(sizePrefix(10), new Uint8Array([0x27, 0x0f, 0, 0, 0, 0, 0, 1, 0xff, 0xff]))],
    ['a known API in an unsupported version', (c) => c.write(sizePrefix(10), new Uint8Array([0, 3, 0, 99, 0, 0, 0, 1, 0xff, 0xff]))],
    ['a body that does not parse', (c) => c.write(sizePrefix(12), new Uint8Array([0, 3, 0, 1, 0, 0, 0, 1, 0xff, 0xff, 0x7f, 0xff]))],
  ];
  for (const [name, send, maxRequestSize] of badInputs) {
    it(`closes only the connection that sent ${name}`, async () => {
      const { server: s, logger } = await server(maxRequestSize ? { maxRequestSize } : {});
      const bystander = await client(s.port);
      const bad = await client(s.port);
      send(bad);
      await bad.waitClosed();
      expect(logger.lines.some((l) => l.message === 'closing connection' && l.level !== 'debug')).toBe(true);
      bystander.write(...apiVersions(5));
      expect((await bystander.waitFrames(1)).map(RawClient.correlationId)).toEqual([5]);
      expect(await stillServes(s.port)).toBe(true);
    });
  }

  it('waits for the rest of a truncated frame without disturbing others', async () => {
    const { server: s } = await server();
    const c = await client(s.port);
    const [frame] = apiVersions(9);
    c.write(frame!.subarray(0, frame!.length - 3));
    expect(await stillServes(s.port)).toBe(true);
    expect(c.closed).toBe(false);
    c.write(frame!.subarray(frame!.length - 3));
    expect((await c.waitFrames(1)).map(RawClient.correlationId)).toEqual([9]);
  });

  it('closes idle connections', async () => {
    const { server: s } = await server({ idleTimeoutMs: 50 });
    const c = await client(s.port);
    await c.waitClosed();
    expect(c.closed).toBe(true);
  });

  it('drains in-flight requests on shutdown, then closes the broker', async () => {
    const { server: s, broker } = await server();
    await broker.topics.create({ name: 't', numPartitions: 1, replicationFactor: 1 });
    const c = await client(s.port);
    c.write(...request(1, 11, 1, fetchBody('t', 0, 0, { maxWaitMs: 600_000 })));
    await new Promise((r) => setTimeout(r, 20));
    await s.close();
    servers.length = 0;
    const frames = await c.waitFrames(1);
    expect(frames.map(RawClient.correlationId)).toEqual([1]);
    await c.waitClosed();
    expect(broker.running).toBe(false);
  });

  it('answers every produce it read before shutdown and closes the storage with all of them in it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-drain-'));
    try {
      const broker = new Broker({ handlers: DEFAULT_HANDLERS, storage: filesystemStorage({ dir }), retentionCheckIntervalMs: 0 });
      const s = await startServer(broker, { port: 0 });
      await broker.topics.create({ name: 'd', numPartitions: 1, replicationFactor: 1 });
      const c = await client(s.port);
      for (let i = 0; i < 200; i++) c.write(...request(0, 9, i, produceBody('d', 0, batchOf([`v${i}`]))));
      await c.waitFrames(1);
      await s.close();
      await c.waitClosed();
      // Every answer is a success in request order; whatever was not read before the drain got none.
      const answers = c.frames.map((f) => decodeResponse(0, 9, f).body.responses[0].partitionResponses[0]);
      expect(c.frames.map(RawClient.correlationId)).toEqual(answers.map((_, i) => i));
      expect(answers.map((a) => [a.errorCode, a.baseOffset])).toEqual(answers.map((_, i) => [0, i]));
      const reopened = await startedBroker({ storage: filesystemStorage({ dir }) });
      try {
        const fetched = await call(reopened, 1, 11, fetchBody('d', 0, 0));
        expect(fetched.responses[0].partitions[0].highWatermark).toBeGreaterThanOrEqual(answers.length);
      } finally {
        await reopened.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('listening fails', () => {
  it('a port in use is ERR_ADDRESS_IN_USE and the broker startServer started is closed again', async () => {
    const first = await server();
    const broker = new Broker({ handlers: DEFAULT_HANDLERS, storage: memoryStorage(), logger: recordingLogger(), retentionCheckIntervalMs: 0 });
    await expect(startServer(broker, { port: first.server.port })).rejects.toMatchObject({ code: 'ERR_ADDRESS_IN_USE' });
    expect(broker.running).toBe(false);
  });
});
