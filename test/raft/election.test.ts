/**
 * Raft elections of the controller quorum (three voters in one process, a manual clock):
 * one leader per epoch, a new one after the leader stops, a vote refused to a shorter log,
 * no double vote after a restart.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { QuorumStateStore } from '../../core/broker/quorum/raft/quorum-state-store.ts';
import { ApiKey } from '../../core/protocol/api-keys.ts';
import { RaftTestCluster, runFor } from './local-raft-network.ts';

const clusters: RaftTestCluster[] = [];
afterEach(async () => {
  for (const c of clusters.splice(0)) await c.stop();
});
function cluster(...args: ConstructorParameters<typeof RaftTestCluster>): RaftTestCluster {
  const c = new RaftTestCluster(...args);
  clusters.push(c);
  return c;
}

describe('Raft election', () => {
  it('elects exactly one leader, which the others follow at its epoch', async () => {
    const c = cluster();
    await c.start();
    const leader = await c.waitForLeader();
    await runFor(c.clock, 500);
    expect(c.activeLeaders()).toEqual([leader]);
    for (const node of c.nodes.values()) {
      expect(node.epoch).toBe(leader.epoch);
      expect(node.leader()).toEqual({ nodeId: leader.nodeId, epoch: leader.epoch });
      if (node !== leader) expect(node.role).toBe('follower');
    }
    // The leader's first batch (leader-change) is committed everywhere.
    const batches = leader.logBatches();
    expect(batches.at(-1)!.records).toEqual([{ type: 'leader-change', leaderId: leader.nodeId, epoch: leader.epoch, voters: [1, 2, 3] }]);
    for (const node of c.nodes.values()) expect(node.highWatermark).toBe(leader.logEndOffset);
  });

  it('elects a new leader at a higher epoch after the leader stops, and the old one follows it when back', async () => {
    const c = cluster();
    await c.start();
    const first = await c.waitForLeader();
    await first.append([{ type: 'cluster-id', clusterId: 'c1' }], first.epoch);
    await c.stopNode(first.nodeId);
    const second = await c.waitForLeader();
    expect(second.nodeId).not.toBe(first.nodeId);
    expect(second.epoch).toBeGreaterThan(first.epoch);
    // The committed batch survived the change of leader.
    const read = await second.read(0, 0);
    expect(read.batches.flatMap((b) => b.records).filter((r) => r.type === 'cluster-id')).toEqual([{ type: 'cluster-id', clusterId: 'c1' }]);
    const back = await c.startNode(first.nodeId);
    await runFor(c.clock, 3000);
    expect(back.role).toBe('follower');
    expect(back.leader()).toEqual({ nodeId: second.nodeId, epoch: second.epoch });
    expect(back.highWatermark).toBe(second.highWatermark);
  });

  it('a graceful close of the leader makes the others elect at once (EndQuorumEpoch)', async () => {
    const c = cluster();
    await c.start();
    const first = await c.waitForLeader();
    await runFor(c.clock, 200);
    await c.stopNode(first.nodeId, true);
    expect(c.network.sent.some((s) => s.from === first.nodeId && s.apiKey === ApiKey.EndQuorumEpoch)).toBe(true);
    // Well below the fetch timeout (2000 ms) a successor leads.
    const second = await c.waitForLeader(1000);
    expect(second.epoch).toBe(first.epoch + 1);
  });

  it('a resigning leader names the most caught-up voter first: it stands at once and wins the next epoch', async () => {
    const c = cluster();
    await c.start();
    const first = await c.waitForLeader();
    const [ahead, behind] = [...c.nodes.values()].filter((n) => n !== first);
    await runFor(c.clock, 100);
    // `behind` cannot fetch for a moment: the batches are committed with `ahead` only.
    c.network.cut(behind!.nodeId, first.nodeId);
    for (let i = 0; i < 3; i++) await first.append([{ type: 'producer-ids', nodeId: 1, brokerEpoch: 0, firstProducerId: i, size: 1 }], first.epoch);
    expect(behind!.logEndOffset).toBeLessThan(ahead!.logEndOffset);
    await c.stopNode(first.nodeId, true);
    await runFor(c.clock, 200);
    expect(ahead!.leader()).toEqual({ nodeId: ahead!.nodeId, epoch: first.epoch + 1 });
    expect(behind!.role).toBe('follower');
    expect(behind!.epoch).toBe(first.epoch + 1);
  });

  it('refuses a vote to a candidate whose log is shorter, and grants it to one as up to date', async () => {
    const c = cluster();
    await c.start();
    const leader = await c.waitForLeader();
    await leader.append([{ type: 'cluster-id', clusterId: 'c1' }], leader.epoch);
    await runFor(c.clock, 100);
    const voter = [...c.nodes.values()].find((n) => n !== leader)!;
    const vote = (lastEpoch: number, lastOffset: number, candidateEpoch: number) =>
      voter.handleVote({ clusterId: null, voterId: voter.nodeId, topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0, candidateEpoch, candidateId: leader.nodeId, candidateDirectoryId: '', voterDirectoryId: '', lastOffsetEpoch: lastEpoch, lastOffset }] }] }, 1);
    const end = voter.logEndOffset;
    const refused = await vote(leader.epoch, end - 1, leader.epoch + 1);
    expect(refused.topics![0]!.partitions![0]).toMatchObject({ errorCode: 0, voteGranted: false, leaderEpoch: leader.epoch + 1 });
    const olderEpoch = await vote(leader.epoch - 1, end + 10, leader.epoch + 2);
    expect(olderEpoch.topics![0]!.partitions![0]).toMatchObject({ voteGranted: false });
    const granted = await vote(leader.epoch, end, leader.epoch + 3);
    expect(granted.topics![0]!.partitions![0]).toMatchObject({ voteGranted: true, leaderEpoch: leader.epoch + 3 });
    // A stale epoch is fenced.
    const stale = await vote(leader.epoch - 1, end, leader.epoch);
    expect(stale.topics![0]!.partitions![0]).toMatchObject({ errorCode: 74, voteGranted: false });
  });

  it('keeps its vote across a restart: no second vote in the same epoch', async () => {
    const c = cluster();
    await c.start();
    const leader = await c.waitForLeader();
    const voter = [...c.nodes.values()].find((n) => n !== leader)!;
    const other = [...c.nodes.values()].find((n) => n !== leader && n !== voter)!;
    const epoch = leader.epoch + 5;
    const ask = (node: typeof voter, candidateId: number) =>
      node.handleVote({ clusterId: null, voterId: node.nodeId, topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0, candidateEpoch: epoch, candidateId, candidateDirectoryId: '', voterDirectoryId: '', lastOffsetEpoch: leader.epoch, lastOffset: 1_000 }] }] }, 1);
    expect((await ask(voter, leader.nodeId)).topics![0]!.partitions![0]!.voteGranted).toBe(true);
    await c.stopNode(voter.nodeId);
    const restarted = await c.startNode(voter.nodeId);
    expect(restarted.epoch).toBe(epoch);
    expect((await ask(restarted, other.nodeId)).topics![0]!.partitions![0]!.voteGranted).toBe(false);
    // The same candidate asking again (a retry) still gets it.
    expect((await ask(restarted, leader.nodeId)).topics![0]!.partitions![0]!.voteGranted).toBe(true);
  });

  it('stays with one leader on an idle quorum, also with a fetch timeout below the 500 ms long poll', async () => {
    const c = cluster(3, { timings: { fetchTimeoutMs: 300, electionTimeoutMs: 150, electionBackoffMaxMs: 100, requestTimeoutMs: 300 } });
    await c.start();
    const leader = await c.waitForLeader();
    const epoch = leader.epoch;
    await runFor(c.clock, 10_000, 20);
    expect(c.activeLeaders()).toEqual([leader]);
    for (const node of c.nodes.values()) expect(node.epoch).toBe(epoch);
  });

  it('a voter restarted without knowing the leader (it had only voted) learns it before standing: no new epoch', async () => {
    const c = cluster();
    await c.start();
    const leader = await c.waitForLeader();
    const other = [...c.nodes.values()].find((n) => n !== leader)!;
    await c.stopNode(other.nodeId);
    // As if it crashed after granting its vote, before hearing from the leader.
    await new QuorumStateStore(c.storages.get(other.nodeId)!.metadata).save({ epoch: leader.epoch, votedId: leader.nodeId, leaderId: -1 });
    const back = await c.startNode(other.nodeId);
    expect(back.role).toBe('unattached');
    await runFor(c.clock, 5000);
    expect(back.role).toBe('follower');
    expect(back.leader()).toEqual({ nodeId: leader.nodeId, epoch: leader.epoch });
    expect(leader.leader()).toEqual({ nodeId: leader.nodeId, epoch: leader.epoch });
  });

  it('a sole voter leads as soon as it opens', async () => {
    const c = cluster(1);
    await c.start();
    const leader = await c.waitForLeader(100);
    expect(leader.nodeId).toBe(1);
    expect(await leader.append([{ type: 'cluster-id', clusterId: 'x' }], leader.epoch)).toBe(1);
    // Check-quorum never unseats a sole voter: it is its own majority.
    await runFor(c.clock, 20_000, 100);
    expect(leader.role).toBe('leader');
    expect(leader.leader()).toEqual({ nodeId: 1, epoch: leader.epoch });
  });
});
