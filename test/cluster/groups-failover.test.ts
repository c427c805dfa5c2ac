/**
 * Committed offsets survive the loss of their coordinator (issue 11, groups across
 * brokers): two real brokers, node 1 leading the group's `__consumer_offsets` partition
 * and node 2 following it. The test plays the controller (metadata records published to
 * both loaders) and the replica fetcher (node 1's batches copied into node 2's log as
 * `appendAsFollower` does, node 2's log end reported back as a follower fetch would),
 * since neither runs between brokers in this test.
 *
 * A commit is answered only once node 2 has it (acks=-1); after the leadership moves to
 * node 2, node 2 replays the partition and serves the acknowledged offsets, while node 1
 * answers NOT_COORDINATOR and points FindCoordinator at node 2. A commit node 2 never got
 * was never acknowledged.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { KafkaCode } from '../../core/kafka-error-codes.ts';
import type { Broker } from '../../core/broker/broker.ts';
import { GROUP_OFFSETS_TOPIC } from '../../core/broker/groups/log-group-store.ts';
import { PartitionedGroupCoordinator } from '../../core/broker/groups/partitioned-coordinator.ts';
import type { MetadataRecord, PartitionRecord } from '../../core/broker/metadata/records.ts';
import { concat } from '../../core/protocol/writer.ts';
import { batchInfoOf } from '../../core/storage/batch-info.ts';
import { brokerPool, call } from '../broker/helpers.ts';
import { commitBody } from '../broker/group-helpers.ts';
import { until } from '../client/helpers.ts';

const pool = brokerPool();
afterEach(() => pool.closeAll());

const TOPIC_ID = '00000000-0000-4000-8000-0000000fa11e';
const GROUP = 'failover-group';

function offsetsPartition(leader: number, leaderEpoch: number, isr: number[]): PartitionRecord {
  return { type: 'partition', topicId: TOPIC_ID, partitionId: 0, replicas: [1, 2], isr, leader, leaderEpoch };
}

/** Brokers 1 and 2, each knowing the other; one offsets partition, led by 1, both in the ISR. */
async function twoBrokers(commitTimeoutMs = 5000): Promise<[Broker, Broker]> {
  const brokers: Broker[] = [];
  for (const nodeId of [1, 2]) {
    const b = await pool.start({ nodeId, port: 9090 + nodeId, groupPartitioning: { numPartitions: 1, commitTimeoutMs }, groups: { initialRebalanceDelayMs: 0 } });
    const other = 3 - nodeId;
    b.metadata.publishPrepared([{ type: 'register-broker', nodeId: other, host: 'localhost', port: 9090 + other, rack: null }]);
    await b.topics.create({ name: 't', numPartitions: 2, replicationFactor: 1 });
    const records: MetadataRecord[] = [{ type: 'topic', name: GROUP_OFFSETS_TOPIC, topicId: TOPIC_ID, replicationFactor: 2, createdAt: 1 }, offsetsPartition(1, 0, [1, 2])];
    await b.metadata.publish(records, { discard: true });
    await (b.groups as PartitionedGroupCoordinator).loaded();
    brokers.push(b);
  }
  return brokers as [Broker, Broker];
}

/** One round of the replica fetcher: node 2 copies what node 1 has past its own end, and node 1 learns node 2's end. */
async function replicate(leader: Broker, follower: Broker): Promise<void> {
  const from = leader.replicaManager.partition(GROUP_OFFSETS_TOPIC, 0)!;
  const to = follower.replicaManager.partition(GROUP_OFFSETS_TOPIC, 0)!;
  if (to.logEndOffset < from.logEndOffset) {
    const { chunks } = await from.log.read(to.logEndOffset, 1 << 20);
    const bytes = concat([...chunks]);
    for (let pos = 0; pos < bytes.length; ) {
      const info = batchInfoOf(bytes, pos);
      const size = new DataView(bytes.buffer, bytes.byteOffset + pos + 8, 4).getInt32(0) + 12;
      await to.appendAsFollower(bytes.slice(pos, pos + size), info);
      pos += size;
    }
  }
  from.updateFollowerEnd(2, to.logEndOffset);
  to.updateHighWatermark(from.highWatermark);
}

const commitErrors = async (b: Broker, offsets: Array<[string, number, number]>): Promise<number[]> =>
  (await call(b, 8, 8, commitBody(GROUP, -1, '', offsets.map(([t, p, o]) => [t, p, o, null] as [string, number, number, string | null])))).topics.flatMap((t: any) =>
    t.partitions.map((p: any) => p.errorCode),
  );

const committed = async (b: Broker): Promise<{ errorCode: number; offsets: number[] }> => {
  const r = await call(b, 9, 8, { groups: [{ groupId: GROUP, topics: [{ name: 't', partitionIndexes: [0, 1] }] }], requireStable: false });
  return { errorCode: r.groups[0].errorCode, offsets: r.groups[0].topics[0].partitions.map((p: any) => p.committedOffset) };
};

describe('committed offsets across a coordinator failover', () => {
  it('a commit is answered once the follower has it, and the new leader serves it after the failover', async () => {
    const [one, two] = await twoBrokers();
    expect(await call(one, 10, 3, { key: GROUP, keyType: 0 })).toMatchObject({ errorCode: 0, nodeId: 1 });
    expect(await call(two, 10, 3, { key: GROUP, keyType: 0 })).toMatchObject({ errorCode: 0, nodeId: 1, port: 9091 });
    expect(await commitErrors(two, [['t', 0, 1]])).toEqual([KafkaCode.NOT_COORDINATOR]);

    // The commit waits for node 2 (acks=-1): it settles only once the fetcher has run.
    let settled = false;
    const pending = commitErrors(one, [['t', 0, 42], ['t', 1, 7]]).finally(() => (settled = true));
    const leaderLog = one.replicaManager.partition(GROUP_OFFSETS_TOPIC, 0)!;
    await until(() => leaderLog.logEndOffset > 0);
    expect(settled).toBe(false);
    expect(leaderLog.highWatermark).toBe(0);
    await replicate(one, two);
    expect(await pending).toEqual([0, 0]);

    // Node 1 is lost: the controller elects node 2 from the ISR.
    for (const b of [one, two]) b.metadata.publishPrepared([offsetsPartition(2, 1, [2])]);
    await (two.groups as PartitionedGroupCoordinator).loaded();
    expect(await committed(two)).toEqual({ errorCode: 0, offsets: [42, 7] });
    expect(await committed(one)).toMatchObject({ errorCode: KafkaCode.NOT_COORDINATOR });
    expect(await call(one, 10, 3, { key: GROUP, keyType: 0 })).toMatchObject({ errorCode: 0, nodeId: 2, port: 9092 });
    // The new coordinator takes commits (its ISR is itself now).
    expect(await commitErrors(two, [['t', 0, 43]])).toEqual([0]);
    expect(await committed(two)).toEqual({ errorCode: 0, offsets: [43, 7] });
  });

  it('a commit the follower never got is not acknowledged, and is not there after the failover', async () => {
    // A short offsets.commit.timeout.ms, so that the unreplicated commit gives up soon.
    const [one, two] = await twoBrokers(300);
    const pending = commitErrors(one, [['t', 0, 42]]);
    const leaderLog = one.replicaManager.partition(GROUP_OFFSETS_TOPIC, 0)!;
    await until(() => leaderLog.logEndOffset > 0);
    await replicate(one, two);
    expect(await pending).toEqual([0]);

    // Node 2 stops fetching: the next commit is appended on node 1 only, and times out.
    const before = leaderLog.logEndOffset;
    const unacknowledged = commitErrors(one, [['t', 0, 99]]);
    await until(() => leaderLog.logEndOffset > before);
    expect(await unacknowledged).toEqual([KafkaCode.COORDINATOR_NOT_AVAILABLE]);
    expect(leaderLog.highWatermark).toBe(before);
    // Node 1's own answer stays what was acknowledged.
    expect(await committed(one)).toEqual({ errorCode: 0, offsets: [42, -1] });

    // Node 1 is lost; node 2, elected from the ISR, has what was acknowledged and nothing else.
    for (const b of [one, two]) b.metadata.publishPrepared([offsetsPartition(2, 1, [2])]);
    await (two.groups as PartitionedGroupCoordinator).loaded();
    expect(await committed(two)).toEqual({ errorCode: 0, offsets: [42, -1] });
  });
});
