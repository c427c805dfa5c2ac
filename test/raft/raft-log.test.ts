/**
 * The Raft voter's local log: where a follower diverges (Kafka's validateOffsetAndEpoch),
 * where it truncates on a leader's diverging epoch, and a log written by the single voter
 * read back (the same `__cluster_metadata` format) — over memory and filesystem storage.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { filesystemStorage } from '../../adapters/filesystem/index.ts';
import { memoryStorage } from '../../adapters/memory/index.ts';
import type { MetadataRecord } from '../../core/broker/metadata/records.ts';
import { RaftLog } from '../../core/broker/quorum/raft/raft-log.ts';
import { RaftQuorum } from '../../core/broker/quorum/raft/raft-quorum.ts';
import { compareLogPositions, canGrantVote, majority } from '../../core/broker/quorum/raft/vote-rules.ts';
import { SingleQuorum } from '../../core/broker/quorum/single-quorum.ts';
import { silentLogger } from '../../core/contracts/logger.ts';
import { ManualClock } from '../cluster/controller-helpers.ts';
import { LocalRaftNetwork, settle } from './local-raft-network.ts';

const rec = (n: number): MetadataRecord => ({ type: 'producer-ids', nodeId: 1, brokerEpoch: 0, firstProducerId: n, size: 1 });
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** A log with batches of one record at the given epochs: offsets 0, 1, 2, … */
async function logWith(epochs: number[]): Promise<RaftLog> {
  const storage = memoryStorage();
  await storage.open();
  const log = await RaftLog.open(storage, silentLogger);
  for (const [i, epoch] of epochs.entries()) await log.appendAsLeader([rec(i)], epoch, 1000);
  return log;
}

describe('RaftLog', () => {
  it('accepts a follower position that is a prefix, and names where its epoch ends otherwise', async () => {
    const log = await logWith([1, 1, 2, 2, 4]); // epoch 1: 0-1, epoch 2: 2-3, epoch 4: 4
    expect(log.validateFetchPosition(0, 0)).toEqual({ kind: 'valid' });
    expect(log.validateFetchPosition(2, 1)).toEqual({ kind: 'valid' });
    expect(log.validateFetchPosition(5, 4)).toEqual({ kind: 'valid' });
    // Epoch 1 ended at 2 here: a follower with epoch-1 data up to 3 diverges there.
    expect(log.validateFetchPosition(3, 1)).toEqual({ kind: 'diverging', epoch: 1, endOffset: 2 });
    // Epoch 3 never wrote here: the largest below it (2) ends at 4.
    expect(log.validateFetchPosition(5, 3)).toEqual({ kind: 'diverging', epoch: 2, endOffset: 4 });
    // Past this log's end in its last epoch.
    expect(log.validateFetchPosition(7, 4)).toEqual({ kind: 'diverging', epoch: 4, endOffset: 5 });
    // An epoch above every one here.
    expect(log.validateFetchPosition(7, 6)).toEqual({ kind: 'diverging', epoch: 4, endOffset: 5 });
  });

  it('truncates to where the leader says the epoch ends, capped by where it ends here', async () => {
    const log = await logWith([1, 1, 3, 3, 3]); // this follower wrote epoch 3 at 2-4 as a deposed leader
    // The leader says epoch 1 ends at 2 in its log: keep 0-1.
    expect(log.truncationOffsetFor(1, 2)).toBe(2);
    // The leader has epoch 3 up to 3 only.
    expect(log.truncationOffsetFor(3, 3)).toBe(3);
    // The leader names epoch 2, which this log never had: where the largest below (1) ends here.
    expect(log.truncationOffsetFor(2, 4)).toBe(2);
    await log.truncateTo(log.truncationOffsetFor(1, 2));
    expect(log.endOffset).toBe(2);
    expect(log.lastEpoch).toBe(1);
    expect(log.batches().map((b) => b.baseOffset)).toEqual([0, 1]);
    await log.appendAsLeader([rec(9)], 5, 1000);
    expect(log.validateFetchPosition(3, 5)).toEqual({ kind: 'valid' });
    expect(log.read(0, log.endOffset, 1).length).toBe(1);
    expect(log.read(0, log.endOffset, 1 << 20).length).toBe(3);
    expect(log.read(1, 2, 1 << 20).length).toBe(1);
  });

  it('reads back a log the single voter wrote, over the filesystem, and a sole Raft voter appends after it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'raft-log-'));
    dirs.push(dir);
    const clock = new ManualClock();
    let storage = filesystemStorage({ dir });
    await storage.open();
    const single = new SingleQuorum({ storage, nodeId: 1, clock, logger: silentLogger });
    await single.open();
    await single.append([rec(1), rec(2)], single.leader().epoch);
    await single.append([rec(3)], single.leader().epoch);
    const written = (await single.read(0, 0)).batches;
    await single.close();
    await storage.close();
    storage = filesystemStorage({ dir });
    await storage.open();
    const network = new LocalRaftNetwork(clock);
    const raft = new RaftQuorum({ nodeId: 1, voters: [{ nodeId: 1, host: 'h', port: 1 }], storage, clock, logger: silentLogger, channel: network.channelFor(1), random: () => 0.5 });
    network.register(1, raft);
    await raft.open();
    await settle();
    expect(raft.leader()).toEqual({ nodeId: 1, epoch: written[0]!.epoch + 1 });
    const read = (await raft.read(0, 0)).batches;
    expect(read.slice(0, 2).map((b) => [b.baseOffset, b.epoch, b.records])).toEqual(written.map((b) => [b.baseOffset, b.epoch, b.records]));
    expect(read[2]!.records[0]).toMatchObject({ type: 'leader-change', leaderId: 1 });
    const offset = await raft.append([rec(4)], raft.leader().epoch);
    expect(offset).toBe(4);
    await raft.close();
    await storage.close();
    // And again after a restart over the same files: everything is there, at a higher epoch.
    storage = filesystemStorage({ dir });
    await storage.open();
    const again = new RaftQuorum({ nodeId: 1, voters: [{ nodeId: 1, host: 'h', port: 1 }], storage, clock, logger: silentLogger, channel: network.channelFor(1), random: () => 0.5 });
    network.register(1, again);
    await again.open();
    await settle();
    expect(again.leader().epoch).toBe(raft.epoch + 1);
    expect((await again.read(0, 0)).batches.flatMap((b) => b.records).filter((r) => r.type === 'producer-ids')).toEqual([rec(1), rec(2), rec(3), rec(4)]);
    await again.close();
    await storage.close();
  });
});

describe('vote rules', () => {
  it('compares logs by last epoch, then end offset', () => {
    expect(compareLogPositions({ lastEpoch: 2, endOffset: 1 }, { lastEpoch: 1, endOffset: 100 })).toBeGreaterThan(0);
    expect(compareLogPositions({ lastEpoch: 2, endOffset: 5 }, { lastEpoch: 2, endOffset: 6 })).toBeLessThan(0);
    expect(compareLogPositions({ lastEpoch: 2, endOffset: 5 }, { lastEpoch: 2, endOffset: 5 })).toBe(0);
  });

  it('grants one vote per epoch, only while unattached, only to an up-to-date log', () => {
    const log = { lastEpoch: 3, endOffset: 10 };
    expect(canGrantVote({ role: 'unattached', votedId: -1 }, 2, log, log)).toBe(true);
    expect(canGrantVote({ role: 'unattached', votedId: -1 }, 2, { lastEpoch: 3, endOffset: 9 }, log)).toBe(false);
    expect(canGrantVote({ role: 'unattached', votedId: 2 }, 2, log, log)).toBe(true);
    expect(canGrantVote({ role: 'unattached', votedId: 2 }, 3, log, log)).toBe(false);
    for (const role of ['follower', 'candidate', 'leader', 'resigned'] as const) expect(canGrantVote({ role, votedId: -1 }, 2, log, log)).toBe(false);
    expect([1, 2, 3, 4, 5].map(majority)).toEqual([1, 2, 2, 3, 3]);
  });
});
