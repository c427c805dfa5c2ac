/**
 * The metadata quorums: the in-memory one (leader and epoch set by tests, stale-epoch
 * appends refused, reads that wait) and the single voter whose log lives in its storage —
 * over the memory adapter and the filesystem adapter: append, reopen, read back the same
 * batches, a new epoch per start, a torn tail dropped, and a controller that replays it.
 */
import { appendFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { filesystemStorage } from '../../adapters/filesystem/index.ts';
import { memoryStorage } from '../../adapters/memory/index.ts';
import { QuorumController } from '../../core/broker/controller/quorum-controller.ts';
import type { MetadataRecord } from '../../core/broker/metadata/records.ts';
import { MemoryQuorum } from '../../core/broker/quorum/memory-quorum.ts';
import { QUORUM_EPOCH_KEY, SingleQuorum } from '../../core/broker/quorum/single-quorum.ts';
import type { Storage } from '../../core/contracts/storage.ts';
import { silentLogger } from '../../core/contracts/logger.ts';
import { KafkaCode } from '../../core/errors.ts';
import { heartbeat, ManualClock, register } from './controller-helpers.ts';

const cluster = (clusterId: string): MetadataRecord => ({ type: 'cluster-id', clusterId });
const ids = (from: number, size: number): MetadataRecord => ({ type: 'producer-ids', nodeId: 1, brokerEpoch: 0, firstProducerId: from, size });

describe('MemoryQuorum', () => {
  it('commits appends at the leader epoch in order and refuses a stale epoch with NOT_CONTROLLER', async () => {
    const clock = new ManualClock();
    const quorum = new MemoryQuorum({ clock, leaderId: 1 });
    const seen: number[] = [];
    quorum.onLeaderChange((l) => seen.push(l.nodeId));
    expect(quorum.leader()).toEqual({ nodeId: 1, epoch: 1 });
    expect(await quorum.append([cluster('a'), ids(0, 10)], 1)).toBe(0);
    expect(await quorum.append([ids(10, 10)], 1)).toBe(2);
    expect(quorum.elect(2)).toEqual({ nodeId: 2, epoch: 2 });
    expect(seen).toEqual([2]);
    await expect(quorum.append([ids(20, 10)], 1)).rejects.toMatchObject({ kafkaCode: KafkaCode.NOT_CONTROLLER });
    expect(await quorum.append([ids(20, 10)], 2)).toBe(3);
    const read = await quorum.read(2, 0);
    expect(read.highWatermark).toBe(4);
    expect(read.batches.map((b) => [b.baseOffset, b.epoch])).toEqual([[2, 1], [3, 2]]);
  });

  it('wakes a waiting read on the next append, and answers empty when its wait runs out on the clock', async () => {
    const clock = new ManualClock();
    const quorum = new MemoryQuorum({ clock, leaderId: 1 });
    const waiting = quorum.read(0, 60_000);
    await quorum.append([cluster('a')], 1);
    expect((await waiting).batches).toHaveLength(1);
    const empty = quorum.read(1, 500);
    clock.advance(500);
    expect(await empty).toEqual({ batches: [], highWatermark: 1 });
    const closing = quorum.read(1, 60_000);
    await quorum.close();
    expect((await closing).batches).toEqual([]);
  });
});

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-quorum-'));
  dirs.push(dir);
  return dir;
}

// Each adapter: how to get a storage, and the same one again after a "restart".
const adapters: Array<[string, () => Promise<() => Promise<Storage>>]> = [
  [
    'memory',
    async () => {
      const storage = memoryStorage();
      return async () => {
        await storage.open();
        return storage;
      };
    },
  ],
  [
    'filesystem',
    async () => {
      const dir = await tempDir();
      return async () => {
        const storage = filesystemStorage({ dir });
        await storage.open();
        return storage;
      };
    },
  ],
];

describe.each(adapters)('SingleQuorum over the %s adapter', (_name, makeStorage) => {
  it('appends, reopens, reads back identical batches, and starts a new epoch each time', async () => {
    const clock = new ManualClock();
    const reopen = await makeStorage();
    let storage = await reopen();
    const first = new SingleQuorum({ storage, nodeId: 1, clock, logger: silentLogger });
    expect(first.leader().nodeId).toBe(-1);
    await first.open();
    expect(first.leader()).toEqual({ nodeId: 1, epoch: 1 });
    expect(await first.append([cluster('abc'), ids(0, 1000)], 1)).toBe(0);
    clock.advance(5);
    expect(await first.append([ids(1000, 1000)], 1)).toBe(2);
    await expect(first.append([ids(2000, 1)], 0)).rejects.toMatchObject({ kafkaCode: KafkaCode.NOT_CONTROLLER });
    const written = (await first.read(0, 0)).batches;
    await first.close();
    await storage.close();

    storage = await reopen();
    const second = new SingleQuorum({ storage, nodeId: 1, clock, logger: silentLogger });
    await second.open();
    expect(second.leader()).toEqual({ nodeId: 1, epoch: 2 });
    expect(new TextDecoder().decode(await storage.metadata.get(QUORUM_EPOCH_KEY))).toBe('2');
    const read = await second.read(0, 0);
    expect(read.highWatermark).toBe(3);
    expect(read.batches).toEqual(written);
    expect(read.batches.map((b) => [b.baseOffset, b.epoch, b.records.length])).toEqual([[0, 1, 2], [2, 1, 1]]);
    expect(await second.append([ids(2000, 1000)], 2)).toBe(3);
    expect((await second.read(3, 0)).batches.map((b) => b.epoch)).toEqual([2]);
    await second.close();
    await storage.close();
  });

  it('is a log a QuorumController replays after a restart: registrations and producer-id blocks survive', async () => {
    const clock = new ManualClock();
    const reopen = await makeStorage();
    const start = async () => {
      const storage = await reopen();
      const quorum = new SingleQuorum({ storage, nodeId: 1, clock, logger: silentLogger });
      // Made before the quorum opens: it becomes active when the quorum names its node leader.
      const controller = new QuorumController({ quorum, nodeId: 1, clock, logger: silentLogger, numPartitions: 1, defaultReplicationFactor: 1 });
      expect((await controller.allocateProducerIds({ brokerId: 1, brokerEpoch: 0 })).errorCode).toBe(KafkaCode.NOT_CONTROLLER);
      await quorum.open();
      await expect(quorum.open()).rejects.toThrow(/opened already/);
      return { storage, quorum, controller };
    };
    let node = await start();
    const epoch = await register(node.controller, 1);
    await heartbeat(node.controller, 1, epoch);
    expect((await node.controller.allocateProducerIds({ brokerId: 1, brokerEpoch: epoch })).firstProducerId).toBe(0);
    await node.controller.createTopic({ name: 't', numPartitions: 2, replicationFactor: 1 });
    node.controller.close();
    await node.quorum.close();
    await node.storage.close();

    node = await start();
    expect((await node.controller.allocateProducerIds({ brokerId: 1, brokerEpoch: epoch })).firstProducerId).toBe(1000);
    expect(node.controller.image.topic('t')!.partitions).toHaveLength(2);
    expect(node.controller.image.registration(1)).toMatchObject({ brokerEpoch: epoch, fenced: false });
    node.controller.close();
    await node.quorum.close();
    await node.storage.close();
  });
});

describe('SingleQuorum when storage fails', () => {
  it('commits nothing of a batch whose sync failed, and the next batch takes its offset', async () => {
    const storage = memoryStorage();
    await storage.open();
    let failSync = false;
    // Fault injection around the real adapter: the metadata log's sync fails when told to.
    const faulty = withOverrides(storage, {
      openPartition: async (topic: string, partition: number) => {
        const log = await storage.openPartition(topic, partition);
        return withOverrides(log, {
          sync: async () => {
            if (failSync) throw new Error('disk gone');
            return log.sync();
          },
        });
      },
    });
    const clock = new ManualClock();
    const quorum = new SingleQuorum({ storage: faulty, nodeId: 1, clock, logger: silentLogger });
    await quorum.open();
    expect(await quorum.append([cluster('a')], 1)).toBe(0);
    failSync = true;
    await expect(quorum.append([ids(0, 10)], 1)).rejects.toThrow('disk gone');
    expect((await quorum.read(0, 0)).highWatermark).toBe(1);
    failSync = false;
    expect(await quorum.append([ids(10, 10)], 1)).toBe(1);
    const read = await quorum.read(0, 0);
    expect(read.batches.map((b) => b.records[0])).toEqual([cluster('a'), ids(10, 10)]);
    expect((await storage.openPartition('__cluster_metadata', 0)).endOffset()).toBe(2);
  });
});

describe('SingleQuorum after a crash (filesystem)', () => {
  it('drops a torn tail and keeps every whole batch', async () => {
    const dir = await tempDir();
    const clock = new ManualClock();
    let storage = filesystemStorage({ dir });
    await storage.open();
    const quorum = new SingleQuorum({ storage, nodeId: 1, clock, logger: silentLogger });
    await quorum.open();
    await quorum.append([cluster('abc')], 1);
    await quorum.append([ids(0, 1000)], 1);
    await quorum.close();
    await storage.close();

    // Half a batch at the end, as a crash in the middle of a write leaves it.
    const logs = await findFiles(dir, '.log');
    expect(logs.length).toBeGreaterThan(0);
    const segment = logs.sort().at(-1)!;
    await appendFile(segment, new Uint8Array([0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 90, 0, 0, 0, 1, 2, 3]));

    storage = filesystemStorage({ dir });
    await storage.open();
    const reopened = new SingleQuorum({ storage, nodeId: 1, clock, logger: silentLogger });
    await reopened.open();
    expect((await storage.openPartition('__cluster_metadata', 0)).recovery.map((e) => e.kind)).toContain('truncated-tail');
    const read = await reopened.read(0, 0);
    expect(read.batches.map((b) => b.records[0]!.type)).toEqual(['cluster-id', 'producer-ids']);
    expect(read.highWatermark).toBe(2);
    expect(await reopened.append([ids(1000, 1000)], reopened.leader().epoch)).toBe(2);
    await reopened.close();
    await storage.close();
  });
});

/** `target` with some members replaced (the rest bound to it, private fields and all). */
function withOverrides<T extends object>(target: T, overrides: Partial<T>): T {
  return new Proxy(target, {
    get(t, key) {
      if (key in overrides) return (overrides as Record<PropertyKey, unknown>)[key];
      const value = Reflect.get(t, key, t);
      return typeof value === 'function' ? value.bind(t) : value;
    },
  });
}

async function findFiles(dir: string, suffix: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await findFiles(path, suffix)));
    else if (entry.name.endsWith(suffix)) out.push(path);
  }
  return out;
}
