/**
 * Concurrent creations of one topic converge (issue 13 #25): two Metadata requests for the
 * same unknown topic pipelined in one TCP write must both answer with the topic and its
 * partitions — librdkafka caches a TOPIC_ALREADY_EXISTS answer and its producer fails.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { filesystemStorage } from '../../adapters/filesystem/index.ts';
import { memoryStorage } from '../../adapters/memory/index.ts';
import { startServer, type TributaryServer } from '../../adapters/server/index.ts';
import { Broker } from '../../core/broker/broker.ts';
import { DEFAULT_HANDLERS } from '../../core/broker/api/preset.ts';
import { decodeResponse, encodeRequest } from '../../core/protocol/index.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RawClient } from './raw-client.ts';

const servers: TributaryServer[] = [];
const clients: RawClient[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function metadataV1(correlationId: number, topic: string): Uint8Array {
  return concat(encodeRequest({ apiKey: 3, apiVersion: 1, correlationId, clientId: 'raw' }, { topics: [{ name: topic }] }));
}

async function start(storage: 'memory' | 'filesystem') {
  let store;
  if (storage === 'memory') store = memoryStorage();
  else {
    const dir = mkdtempSync(join(tmpdir(), 'trib-race-'));
    dirs.push(dir);
    store = filesystemStorage({ dir });
  }
  const broker = new Broker({ handlers: DEFAULT_HANDLERS, storage: store, logger: quiet, retentionCheckIntervalMs: 0, numPartitions: 3 });
  const server = await startServer(broker, {});
  servers.push(server);
  const c = await RawClient.connect(server.port);
  clients.push(c);
  return { broker, c };
}

describe('auto-creation races converge', () => {
  for (const storage of ['memory', 'filesystem'] as const) {
    it(`two pipelined Metadata v1 requests for one unknown topic both get its partitions (${storage})`, async () => {
      const { c } = await start(storage);
      const one = metadataV1(1, 'race');
      const two = metadataV1(2, 'race');
      const both = new Uint8Array(one.length + two.length);
      both.set(one);
      both.set(two, one.length);
      c.write(both);
      const frames = await c.waitFrames(2);
      expect(frames).toHaveLength(2);
      for (const frame of frames) {
        const { body } = decodeResponse(3, 1, frame);
        const topic = body.topics.find((t) => t.name === 'race');
        expect(topic?.errorCode).toBe(0);
        expect(topic?.partitions).toHaveLength(3);
      }
    });
  }

  it('auto-creation racing CreateTopics: every auto-create caller gets the topic with partitions', async () => {
    const { broker } = await start('filesystem');
    const controller = (broker as unknown as { controller: import('../../core/broker/controller/controller.ts').Controller }).controller;
    const results = await Promise.allSettled([
      controller.getOrCreateTopic('mixed'),
      controller.createTopic({ name: 'mixed', numPartitions: 2, replicationFactor: 1 }),
      controller.getOrCreateTopic('mixed'),
      controller.getOrCreateTopic('mixed'),
    ]);
    const autos = [results[0], results[2], results[3]];
    for (const r of autos) {
      expect(r.status).toBe('fulfilled');
      if (r.status === 'fulfilled') expect(r.value.partitions.length).toBeGreaterThan(0);
    }
    const ids = new Set(autos.map((r) => (r.status === 'fulfilled' ? r.value.id : '')));
    expect(ids.size).toBe(1);
    if (results[1].status === 'rejected') expect((results[1].reason as { code: string }).code).toBe('TOPIC_ALREADY_EXISTS');
  });
});
