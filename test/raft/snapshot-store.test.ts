/**
 * Snapshots over the filesystem adapter: what survives a restart (the pointer is written
 * only after the snapshot's batches are synced; a partial write leaves the previous snapshot
 * in force), a follower's log that restarts at a snapshot's end, and a sole voter that
 * snapshots, restarts and reads back the same image.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { filesystemStorage } from '../../adapters/filesystem/index.ts';
import { imageFromRecords, imageToRecords } from '../../core/broker/metadata/image-records.ts';
import { MetadataDelta } from '../../core/broker/metadata/metadata-delta.ts';
import type { MetadataRecord } from '../../core/broker/metadata/records.ts';
import { encodeMetadataBatch } from '../../core/broker/quorum/metadata-batch-codec.ts';
import { RaftLog } from '../../core/broker/quorum/raft/raft-log.ts';
import { RaftQuorum } from '../../core/broker/quorum/raft/raft-quorum.ts';
import { decodeSnapshot, SNAPSHOT_TOPIC, SnapshotStore } from '../../core/broker/quorum/raft/snapshot-store.ts';
import type { Storage } from '../../core/contracts/storage.ts';
import { silentLogger } from '../../core/contracts/logger.ts';
import { ManualClock } from '../cluster/controller-helpers.ts';
import { LocalRaftNetwork, settle } from './local-raft-network.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function openDir(dir?: string): Promise<{ dir: string; storage: Storage }> {
  dir ??= await mkdtemp(join(tmpdir(), 'raft-snap-'));
  if (!dirs.includes(dir)) dirs.push(dir);
  const storage = filesystemStorage({ dir });
  await storage.open();
  return { dir, storage };
}

const ids = (n: number): MetadataRecord => ({ type: 'producer-ids', nodeId: 1, brokerEpoch: 0, firstProducerId: n * 10, size: 10 });
const topic = (n: number): MetadataRecord[] => [
  { type: 'topic', name: `t${n}`, topicId: `00000000-0000-0000-0001-${String(n).padStart(12, '0')}`, replicationFactor: 1, createdAt: n },
  { type: 'partition', topicId: `00000000-0000-0000-0001-${String(n).padStart(12, '0')}`, partitionId: 0, replicas: [1], isr: [1], leader: 1, leaderEpoch: n, partitionEpoch: n },
];

describe('SnapshotStore over the filesystem', () => {
  it('keeps the previous snapshot when a newer one was not finished, and the newer once its pointer is written', async () => {
    let { dir, storage } = await openDir();
    let store = await SnapshotStore.open(storage, silentLogger);
    expect(store.latest).toBeUndefined();
    const a = Array.from({ length: 2500 }, (_, i) => ids(i)); // three batches
    await store.save({ endOffset: 2600, epoch: 3 }, a, 1000);
    expect(decodeSnapshot(store.latest!.bytes)).toEqual(a);
    // A crash in the middle of the next snapshot: one of its batches on disk, no pointer.
    const log = await storage.openPartition(SNAPSHOT_TOPIC, 0);
    const end = log.endOffset();
    await log.append(encodeMetadataBatch({ baseOffset: end, epoch: 4, appendTimeMs: 1, records: [ids(-1)] }), { baseOffset: end, lastOffset: end, maxTimestamp: 1, recordCount: 1 }, { sync: true });
    await storage.close();
    ({ storage } = await openDir(dir));
    store = await SnapshotStore.open(storage, silentLogger);
    expect(store.latest!.id).toEqual({ endOffset: 2600, epoch: 3 });
    expect(store.latest!.records).toEqual(a);
    const b = topic(1);
    await store.save({ endOffset: 2700, epoch: 4 }, b, 2000);
    await storage.close();
    ({ storage } = await openDir(dir));
    store = await SnapshotStore.open(storage, silentLogger);
    expect(store.latest!.id).toEqual({ endOffset: 2700, epoch: 4 });
    expect(store.latest!.records).toEqual(b);
    await storage.close();
  });

  it('a follower\'s log restarted at a snapshot\'s end appends after it and reads back after a restart', async () => {
    let { dir, storage } = await openDir();
    let log = await RaftLog.open(storage, silentLogger);
    await log.appendAsLeader([ids(0)], 1, 1);
    await log.appendAsLeader([ids(1)], 1, 1);
    await log.resetToSnapshot({ endOffset: 500, epoch: 2 });
    expect([log.startOffset, log.endOffset, log.lastEpoch]).toEqual([500, 500, 2]);
    expect(log.validateFetchPosition(500, 2)).toEqual({ kind: 'valid' });
    expect(log.validateFetchPosition(500, 1)).toEqual({ kind: 'snapshot', snapshotId: { endOffset: 500, epoch: 2 } });
    await log.appendAsFollower(encodeMetadataBatch({ baseOffset: 500, epoch: 3, appendTimeMs: 1, records: [ids(2), ids(3)] }));
    await storage.close();
    ({ storage } = await openDir(dir));
    log = await RaftLog.open(storage, silentLogger, { endOffset: 500, epoch: 2 });
    expect(log.batches().map((b) => [b.baseOffset, b.epoch, b.records.length])).toEqual([[500, 3, 2]]);
    expect([log.startOffset, log.endOffset, log.lastEpoch]).toEqual([500, 502, 3]);
    // A diverging tail is cut back to the snapshot at most.
    await log.truncateTo(0);
    expect([log.endOffset, log.lastEpoch]).toEqual([500, 2]);
    await storage.close();
  });
});

describe('A sole Raft voter with snapshots over the filesystem', () => {
  it('snapshots, drops its log, restarts from the snapshot and the log after it with the same image', async () => {
    const clock = new ManualClock();
    const network = new LocalRaftNetwork(clock);
    let { dir, storage } = await openDir();
    const voter = async (s: Storage) => {
      const raft = new RaftQuorum({ nodeId: 1, voters: [{ nodeId: 1, host: 'h', port: 1 }], storage: s, clock, logger: silentLogger, channel: network.channelFor(1), random: () => 0.5, maxRecordsBetweenSnapshots: 10 });
      network.register(1, raft);
      await raft.open();
      await settle();
      return raft;
    };
    let raft = await voter(storage);
    const appended: MetadataRecord[] = [];
    for (let i = 0; i < 12; i++) {
      const records = [...topic(i), ids(i)];
      appended.push(...records);
      await raft.append(records, raft.leader().epoch);
      await settle();
    }
    const described = raft.describe();
    expect(described.snapshotId).not.toBeNull();
    expect(described.logStartOffset).toBeGreaterThan(10);
    const expected = imageToRecords(imageFromRecords(appended));
    const imageOf = async (q: RaftQuorum) => {
      const read = await q.read(0, 0);
      return imageToRecords(new MetadataDelta(imageFromRecords(read.snapshot?.records ?? [])).replay(read.batches.flatMap((b) => b.records)).apply());
    };
    expect(await imageOf(raft)).toEqual(expected);
    await raft.close();
    await storage.close();
    ({ storage } = await openDir(dir));
    raft = await voter(storage);
    expect(raft.describe().snapshotId).toEqual(described.snapshotId);
    expect(await imageOf(raft)).toEqual(expected);
    await raft.close();
    await storage.close();
  });
});
