/**
 * A CreateTopics (or CreatePartitions) that fails half-way leaves nothing behind (issue 13
 * #3): no topic in the image or the metadata store, no partition log on disk or open, and
 * nothing that comes back after a restart. Storage here fails to open one chosen partition,
 * or fails the metadata write.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { filesystemStorage } from '../../adapters/filesystem/index.ts';
import type { GuardedStorage, MetadataStore } from '../../core/contracts/storage.ts';
import type { Broker } from '../../core/broker/broker.ts';
import { TributaryError } from '../../core/errors.ts';
import { call, startedBroker } from './helpers.ts';

const dirs: string[] = [];
const brokers: Broker[] = [];
afterEach(async () => {
  for (const b of brokers.splice(0)) await b.close().catch(() => undefined);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

interface Faults {
  /** `topic-partition` whose log fails to open. */
  failOpen?: string;
  /** Fail the next metadata put under this key. */
  failPut?: string;
}

/** Filesystem storage whose openPartition / metadata put fail where `faults` say; counts opens and closes. */
function faultyStorage(dir: string, faults: Faults): { storage: GuardedStorage; open: Set<string> } {
  const real = filesystemStorage({ dir });
  const open = new Set<string>();
  const metadata: MetadataStore = {
    get: (k) => real.metadata.get(k),
    delete: (k) => real.metadata.delete(k),
    list: (p) => real.metadata.list(p),
    write: (ops) => real.metadata.write(ops),
    put: (k, v) => (k === faults.failPut ? Promise.reject(new TributaryError('ERR_STORAGE_FULL', 'No space left on device', { kafkaCode: 56, retriable: true })) : real.metadata.put(k, v)),
  };
  const storage: GuardedStorage = {
    ...real,
    metadata,
    async openPartition(topic, partition, options) {
      const key = `${topic}-${partition}`;
      if (key === faults.failOpen) throw new TributaryError('KAFKA_STORAGE_ERROR', `cannot open ${key}`, { kafkaCode: 56, retriable: true });
      const log = await real.openPartition(topic, partition, options);
      open.add(key);
      return new Proxy(log, {
        get(target, name) {
          if (name === 'close') {
            return async () => {
              open.delete(key);
              await target.close();
            };
          }
          const value = Reflect.get(target, name, target) as unknown;
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
    },
    async deletePartition(topic, partition) {
      open.delete(`${topic}-${partition}`);
      await real.deletePartition(topic, partition);
    },
  };
  return { storage, open };
}

async function createTopic(b: Broker, name: string, numPartitions: number): Promise<number> {
  const r = await call(b, 19, 7, { topics: [{ name, numPartitions, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false });
  return r.topics[0].errorCode;
}

function partitionDirs(dir: string, topic: string): string[] {
  return readdirSync(dir).filter((n) => n.startsWith(`${topic}-`));
}

describe('a failed creation leaves no ghost', () => {
  it('a CreateTopics whose fourth partition cannot open: no topic, no logs, none after restart, and it can be created again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-ghost-'));
    dirs.push(dir);
    const { storage, open } = faultyStorage(dir, { failOpen: 'ghost-3' });
    const b = await startedBroker({ storage });
    brokers.push(b);
    expect(await createTopic(b, 'ghost', 6)).toBe(56);
    expect(b.topics.get('ghost')).toBeUndefined();
    expect(await storage.metadata.get('topic/ghost')).toBeUndefined();
    expect(partitionDirs(dir, 'ghost')).toEqual([]);
    expect([...open].filter((k) => k.startsWith('ghost-'))).toEqual([]);
    // Other topics are unaffected.
    expect(await createTopic(b, 'fine', 2)).toBe(0);
    await b.close();
    brokers.length = 0;

    const again = await startedBroker({ storage: filesystemStorage({ dir }) });
    brokers.push(again);
    expect(again.topics.get('ghost')).toBeUndefined();
    expect(again.topics.get('fine')?.partitions.length).toBe(2);
    expect(await createTopic(again, 'ghost', 6)).toBe(0);
    expect(again.topics.get('ghost')?.partitions.length).toBe(6);
  });

  it('a CreateTopics whose metadata write fails deletes the logs it opened', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-ghost-'));
    dirs.push(dir);
    const { storage, open } = faultyStorage(dir, { failPut: 'topic/ghost' });
    const b = await startedBroker({ storage });
    brokers.push(b);
    expect(await createTopic(b, 'ghost', 3)).toBe(56);
    expect(b.topics.get('ghost')).toBeUndefined();
    expect(partitionDirs(dir, 'ghost')).toEqual([]);
    expect([...open].filter((k) => k.startsWith('ghost-'))).toEqual([]);
  });

  it('a CreatePartitions that fails half-way keeps the old partitions and adds none', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-ghost-'));
    dirs.push(dir);
    const { storage } = faultyStorage(dir, { failOpen: 'grow-3' });
    const b = await startedBroker({ storage });
    brokers.push(b);
    expect(await createTopic(b, 'grow', 2)).toBe(0);
    const r = await call(b, 37, 3, { topics: [{ name: 'grow', count: 5, assignments: null }], timeoutMs: 1000, validateOnly: false });
    expect(r.results[0].errorCode).toBe(56);
    expect(b.topics.get('grow')?.partitions.length).toBe(2);
    expect(partitionDirs(dir, 'grow').sort()).toEqual(['grow-0', 'grow-1']);
    await b.close();
    brokers.length = 0;
    const again = await startedBroker({ storage: filesystemStorage({ dir }) });
    brokers.push(again);
    expect(again.topics.get('grow')?.partitions.length).toBe(2);
  });
});

describe('the broker-wide partition limit (issue 13 #2)', () => {
  it('refuses creations past maxPartitions with POLICY_VIOLATION, auto-creation and CreatePartitions included', async () => {
    const b = await startedBroker({ maxPartitions: 5 });
    brokers.push(b);
    expect(await createTopic(b, 'a', 3)).toBe(0);
    expect(await createTopic(b, 'b', 3)).toBe(44);
    expect(b.topics.get('b')).toBeUndefined();
    const grow = await call(b, 37, 3, { topics: [{ name: 'a', count: 6, assignments: null }], timeoutMs: 1000, validateOnly: false });
    expect(grow.results[0].errorCode).toBe(44);
    expect(grow.results[0].errorMessage).toMatch(/limit of 5/);
    expect(await createTopic(b, 'c', 2)).toBe(0);
    // Full: a Metadata request naming unknown topics with auto-create on creates none of them.
    const meta = await call(b, 3, 9, { topics: [{ name: 'x1' }, { name: 'x2' }], allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    expect(meta.topics.map((t: any) => t.errorCode)).not.toContain(0);
    expect(b.topics.get('x1')).toBeUndefined();
    expect(b.image.topics().reduce((n, t) => n + t.partitions.length, 0)).toBe(5);
  });

  it('counts creations under way, so concurrent ones cannot pass the limit together', async () => {
    const b = await startedBroker({ maxPartitions: 4 });
    brokers.push(b);
    const codes = await Promise.all(['p', 'q', 'r', 's'].map((name) => createTopic(b, name, 2)));
    expect(codes.filter((c) => c === 0).length).toBe(2);
    expect(codes.filter((c) => c === 44).length).toBe(2);
  });
});
