/**
 * What a Raft voter answers (RaftEndpoint), with Kafka's error codes: Fetch from voters
 * at a stale or unknown epoch, to a non-leader, with a diverging log; BeginQuorumEpoch and
 * EndQuorumEpoch at a stale epoch; another cluster's id; FetchSnapshot without snapshots;
 * DescribeQuorum on the leader (voters' progress, observers) and elsewhere.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { METADATA_TOPIC, METADATA_TOPIC_ID } from '../../core/broker/quorum/metadata-batch-codec.ts';
import type { RaftQuorum } from '../../core/broker/quorum/raft/raft-quorum.ts';
import { KafkaCode } from '../../core/errors.ts';
import { RaftTestCluster, runFor, TestShutdown } from './local-raft-network.ts';

const clusters: RaftTestCluster[] = [];
afterEach(async () => {
  for (const c of clusters.splice(0)) await c.stop();
});
async function started(overrides = {}): Promise<{ c: RaftTestCluster; leader: RaftQuorum; follower: RaftQuorum }> {
  const c = new RaftTestCluster(3, overrides);
  clusters.push(c);
  await c.start();
  const leader = await c.waitForLeader();
  await runFor(c.clock, 200);
  return { c, leader, follower: [...c.nodes.values()].find((n) => n !== leader)! };
}

function fetch(replicaId: number, currentLeaderEpoch: number, fetchOffset: number, lastFetchedEpoch: number, clusterId: string | null = null) {
  return {
    clusterId, replicaId, replicaState: { replicaId, replicaEpoch: -1 }, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic: METADATA_TOPIC, topicId: METADATA_TOPIC_ID, partitions: [{ partition: 0, currentLeaderEpoch, fetchOffset, lastFetchedEpoch, logStartOffset: -1, partitionMaxBytes: 1 << 20, replicaDirectoryId: '' }] }],
    forgottenTopicsData: [], rackId: '',
  };
}
const partitionOf = (answer: { responses?: ReadonlyArray<{ partitions?: ReadonlyArray<unknown> }> }) => answer.responses![0]!.partitions![0] as Record<string, unknown>;

describe('RaftEndpoint answers', () => {
  it('Fetch: FENCED_LEADER_EPOCH below the epoch, UNKNOWN_LEADER_EPOCH above, NOT_LEADER_OR_FOLLOWER on a follower — each naming the leader', async () => {
    const { leader, follower } = await started({ clusterId: 'c1' });
    const shutdown = new TestShutdown();
    const current = { leaderId: leader.nodeId, leaderEpoch: leader.epoch };
    expect(partitionOf(await leader.handleFetch(fetch(follower.nodeId, leader.epoch - 1, 0, 0), 17, shutdown))).toMatchObject({ errorCode: KafkaCode.FENCED_LEADER_EPOCH, currentLeader: current });
    expect(partitionOf(await leader.handleFetch(fetch(follower.nodeId, leader.epoch + 1, 0, 0), 17, shutdown))).toMatchObject({ errorCode: KafkaCode.UNKNOWN_LEADER_EPOCH, currentLeader: current });
    expect(partitionOf(await follower.handleFetch(fetch(3, leader.epoch, 0, 0), 17, shutdown))).toMatchObject({ errorCode: KafkaCode.NOT_LEADER_OR_FOLLOWER, currentLeader: current });
    // A last fetched epoch above the leader epoch it names is malformed.
    expect(partitionOf(await leader.handleFetch(fetch(follower.nodeId, leader.epoch, 1, leader.epoch + 1), 17, shutdown))).toMatchObject({ errorCode: KafkaCode.INVALID_REQUEST });
    const other = await leader.handleFetch(fetch(follower.nodeId, leader.epoch, 0, 0, 'another-cluster'), 17, shutdown);
    expect(other.errorCode).toBe(KafkaCode.INCONSISTENT_CLUSTER_ID);
  });

  it('Fetch by topic name (v12) and an unknown topic', async () => {
    const { leader, follower } = await started();
    const request = fetch(follower.nodeId, leader.epoch, 0, 0);
    const answer = await leader.handleFetch({ ...request, topics: [...request.topics, { topic: 'other', topicId: '', partitions: [{ ...request.topics[0]!.partitions[0]!, partition: 0 }] }] }, 12, new TestShutdown());
    expect(answer.responses![0]!.partitions![0]).toMatchObject({ errorCode: 0, highWatermark: leader.highWatermark });
    expect(answer.responses![1]!.partitions![0]).toMatchObject({ errorCode: KafkaCode.UNKNOWN_TOPIC_OR_PARTITION });
  });

  it('Fetch with a diverging log: answers the epoch and where it ends here, with no records', async () => {
    const { leader, follower } = await started();
    await leader.append([{ type: 'cluster-id', clusterId: 'c' }], leader.epoch);
    const end = leader.logEndOffset;
    // A follower claiming an epoch-`epoch - 1` tail beyond where that epoch ended here (epoch 0 never wrote: the log starts at epoch 1's leader-change).
    const answer = partitionOf(await leader.handleFetch(fetch(follower.nodeId, leader.epoch, end + 5, leader.epoch), 17, new TestShutdown()));
    expect(answer).toMatchObject({ errorCode: 0, divergingEpoch: { epoch: leader.epoch, endOffset: end } });
    expect(answer.records).toBeNull();
  });

  it('BeginQuorumEpoch and EndQuorumEpoch at a stale epoch are FENCED_LEADER_EPOCH and change nothing', async () => {
    const { leader, follower } = await started();
    const begin = await follower.handleBeginQuorumEpoch({ clusterId: null, voterId: follower.nodeId, topics: [{ topicName: METADATA_TOPIC, partitions: [{ partitionIndex: 0, voterDirectoryId: '', leaderId: 3, leaderEpoch: leader.epoch - 1 }] }], leaderEndpoints: [] }, 1);
    expect(begin.topics![0]!.partitions![0]).toMatchObject({ errorCode: KafkaCode.FENCED_LEADER_EPOCH, leaderId: leader.nodeId, leaderEpoch: leader.epoch });
    const end = await follower.handleEndQuorumEpoch({ clusterId: null, topics: [{ topicName: METADATA_TOPIC, partitions: [{ partitionIndex: 0, leaderId: 3, leaderEpoch: leader.epoch - 1, preferredSuccessors: [], preferredCandidates: [] }] }], leaderEndpoints: [] }, 1);
    expect(end.topics![0]!.partitions![0]).toMatchObject({ errorCode: KafkaCode.FENCED_LEADER_EPOCH });
    expect(follower.leader()).toEqual(leader.leader());
  });

  it('FetchSnapshot: SNAPSHOT_NOT_FOUND on the leader (no snapshot written yet), NOT_LEADER_OR_FOLLOWER elsewhere', async () => {
    const { leader, follower } = await started();
    const request = (epoch: number) => ({ clusterId: null, replicaId: 2, maxBytes: 1000, topics: [{ name: METADATA_TOPIC, partitions: [{ partition: 0, currentLeaderEpoch: epoch, snapshotId: { endOffset: 10, epoch: 1 }, position: 0, replicaDirectoryId: '' }] }] });
    expect((await leader.handleFetchSnapshot(request(leader.epoch), 1)).topics![0]!.partitions![0]).toMatchObject({ errorCode: KafkaCode.SNAPSHOT_NOT_FOUND });
    expect((await follower.handleFetchSnapshot(request(leader.epoch), 1)).topics![0]!.partitions![0]).toMatchObject({ errorCode: KafkaCode.NOT_LEADER_OR_FOLLOWER });
    expect((await leader.handleFetchSnapshot(request(leader.epoch - 1), 1)).topics![0]!.partitions![0]).toMatchObject({ errorCode: KafkaCode.FENCED_LEADER_EPOCH });
  });

  it('DescribeQuorum: the leader reports every voter\'s log end and fetch times, and the observers; others answer NOT_LEADER_OR_FOLLOWER', async () => {
    const { c, leader, follower } = await started();
    await leader.handleFetch(fetch(42, -1, 0, -1), 17, new TestShutdown());
    const request = { topics: [{ topicName: METADATA_TOPIC, partitions: [{ partitionIndex: 0 }] }] };
    const p = (await leader.handleDescribeQuorum(request, 2)).topics![0]!.partitions![0]!;
    expect(p).toMatchObject({ errorCode: 0, leaderId: leader.nodeId, leaderEpoch: leader.epoch, highWatermark: leader.highWatermark });
    expect(p.currentVoters!.map((v) => v.replicaId)).toEqual([leader.nodeId, ...[1, 2, 3].filter((id) => id !== leader.nodeId)]);
    for (const v of p.currentVoters!) {
      expect(v.logEndOffset).toBe(leader.logEndOffset);
      expect(v.lastFetchTimestamp).toBeGreaterThan(0);
      expect(v.lastCaughtUpTimestamp).toBeLessThanOrEqual(c.clock.now());
    }
    expect(p.observers!.map((o) => o.replicaId)).toEqual([42]);
    const elsewhere = (await follower.handleDescribeQuorum(request, 2)).topics![0]!.partitions![0]!;
    expect(elsewhere).toMatchObject({ errorCode: KafkaCode.NOT_LEADER_OR_FOLLOWER, leaderId: leader.nodeId });
  });
});
