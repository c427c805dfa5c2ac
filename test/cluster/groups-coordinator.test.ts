/**
 * Groups across brokers (issue 11): a broker with partitioned groups coordinates the
 * groups of the `__consumer_offsets` partitions it leads, answers NOT_COORDINATOR for the
 * others, loads a partition's groups from its log when it becomes leader (answering
 * COORDINATOR_LOAD_IN_PROGRESS meanwhile) and gives them up when it stops leading.
 *
 * One real broker (node 1). The test plays the controller: it registers node 2 and
 * creates the offsets topic and moves its leaders by publishing metadata records to the
 * broker's loader, as the controller's records would reach it. (Replication between two
 * brokers is not used here: a partition led by node 2 is one node 1 follows or does not
 * host.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { KafkaCode } from '../../core/kafka-error-codes.ts';
import type { Broker, BrokerOptions } from '../../core/broker/broker.ts';
import { GROUP_OFFSETS_TOPIC } from '../../core/broker/groups/log-group-store.ts';
import { partitionForGroup } from '../../core/broker/groups/group-partitioning.ts';
import { PartitionedGroupCoordinator } from '../../core/broker/groups/partitioned-coordinator.ts';
import type { MetadataRecord, PartitionRecord } from '../../core/broker/metadata/records.ts';
import { batchOf, brokerPool, call, produceBody } from '../broker/helpers.ts';
import { until } from '../client/helpers.ts';
import { encodeBatchSync } from '../../core/records/record-batch.ts';
import { batchInfoOf } from '../../core/storage/batch-info.ts';
import { json, offsetKey } from '../../core/broker/groups/metadata-group-store.ts';
import { ManualTimers, assignment, commitBody, heartbeatBody, joinBody, syncBody } from '../broker/group-helpers.ts';

const pool = brokerPool();
afterEach(() => pool.closeAll());

const PARTITIONS = 4;
const OFFSETS_TOPIC_ID = '00000000-0000-4000-8000-00000000c0de';

/** A group id whose offsets partition (of {@link PARTITIONS}) is `partition`. */
function groupIn(partition: number, tag = 'g'): string {
  for (let i = 0; ; i++) if (partitionForGroup(`${tag}-${i}`, PARTITIONS) === partition) return `${tag}-${i}`;
}

function partitionRecord(partitionId: number, leader: number, leaderEpoch: number, replicas: number[], isr: number[]): PartitionRecord {
  return { type: 'partition', topicId: OFFSETS_TOPIC_ID, partitionId, replicas, isr, leader, leaderEpoch };
}

/**
 * Node 1 with partitioned groups, node 2 registered, topic `t` (2 partitions) and the
 * offsets topic: p0 led by 1 (replicas [1]), p1 led by 2 (replicas [2,1], followed here),
 * p2 led by 1 (replicas [1,2], ISR [1]), p3 led by 2 (not hosted here).
 */
async function clusterBroker(options: Partial<BrokerOptions> = {}): Promise<Broker> {
  const b = await pool.start({ nodeId: 1, groupPartitioning: { numPartitions: PARTITIONS, commitTimeoutMs: 200 }, groups: { initialRebalanceDelayMs: 0 }, ...options });
  b.metadata.publishPrepared([{ type: 'register-broker', nodeId: 2, host: 'broker-2', port: 9093, rack: null }]);
  await b.topics.create({ name: 't', numPartitions: 2, replicationFactor: 1 });
  const records: MetadataRecord[] = [
    { type: 'topic', name: GROUP_OFFSETS_TOPIC, topicId: OFFSETS_TOPIC_ID, replicationFactor: 2, createdAt: 1 },
    partitionRecord(0, 1, 0, [1], [1]),
    partitionRecord(1, 2, 0, [2, 1], [2, 1]),
    partitionRecord(2, 1, 0, [1, 2], [1]),
    partitionRecord(3, 2, 0, [2], [2]),
  ];
  await b.metadata.publish(records, { discard: true });
  await coordinatorOf(b).loaded();
  return b;
}

function coordinatorOf(b: Broker): PartitionedGroupCoordinator {
  expect(b.groups).toBeInstanceOf(PartitionedGroupCoordinator);
  return b.groups as PartitionedGroupCoordinator;
}

const commit = (b: Broker, groupId: string, offsets: Array<[string, number, number]>) =>
  call(b, 8, 8, commitBody(groupId, -1, '', offsets.map(([t, p, o]) => [t, p, o, null] as [string, number, number, string | null])));

const commitErrors = async (b: Broker, groupId: string, offsets: Array<[string, number, number]>): Promise<number[]> =>
  (await commit(b, groupId, offsets)).topics.flatMap((t: any) => t.partitions.map((p: any) => p.errorCode));

const fetchOffsets = (b: Broker, groupId: string, partitions = [0, 1]) =>
  call(b, 9, 8, { groups: [{ groupId, topics: [{ name: 't', partitionIndexes: partitions }] }], requireStable: false });

describe('partitioned groups on one broker', () => {
  it('serves the groups of the partitions it leads and answers NOT_COORDINATOR for the others', async () => {
    const b = await clusterBroker();
    const coordinator = coordinatorOf(b);
    expect(coordinator.ownedPartitions()).toEqual([0, 2]);
    const here = groupIn(0);
    const followed = groupIn(1);
    const absent = groupIn(3);

    // FindCoordinator: the leader of the group's partition, from the image.
    expect(await call(b, 10, 3, { key: here, keyType: 0 })).toMatchObject({ errorCode: 0, nodeId: 1 });
    expect(await call(b, 10, 3, { key: followed, keyType: 0 })).toMatchObject({ errorCode: 0, nodeId: 2, host: 'broker-2', port: 9093 });
    const batched = await call(b, 10, 4, { keyType: 0, coordinatorKeys: [here, absent] });
    expect(batched.coordinators.map((c: any) => [c.key, c.nodeId, c.errorCode])).toEqual([
      [here, 1, 0],
      [absent, 2, 0],
    ]);

    // Every group API for a group led elsewhere: NOT_COORDINATOR.
    for (const group of [followed, absent]) {
      expect(await commitErrors(b, group, [['t', 0, 5]])).toEqual([KafkaCode.NOT_COORDINATOR]);
      expect((await fetchOffsets(b, group)).groups[0].errorCode).toBe(KafkaCode.NOT_COORDINATOR);
      expect((await call(b, 11, 5, joinBody(group))).errorCode).toBe(KafkaCode.NOT_COORDINATOR);
      expect((await call(b, 14, 5, syncBody(group, 1, 'm'))).errorCode).toBe(KafkaCode.NOT_COORDINATOR);
      expect((await call(b, 12, 4, heartbeatBody(group, 1, 'm'))).errorCode).toBe(KafkaCode.NOT_COORDINATOR);
      expect((await call(b, 13, 3, { groupId: group, members: [{ memberId: 'm', groupInstanceId: null }] })).errorCode).toBe(KafkaCode.NOT_COORDINATOR);
      expect((await call(b, 15, 5, { groups: [group], includeAuthorizedOperations: false })).groups[0].errorCode).toBe(KafkaCode.NOT_COORDINATOR);
      expect((await call(b, 42, 2, { groupsNames: [group] })).results[0].errorCode).toBe(KafkaCode.NOT_COORDINATOR);
      expect((await call(b, 47, 0, { groupId: group, topics: [{ name: 't', partitions: [{ partitionIndex: 0 }] }] })).errorCode).toBe(KafkaCode.NOT_COORDINATOR);
    }

    // A group it leads: committed into its partition of the offsets topic, answered once the ISR has it.
    const log = b.replicaManager.partition(GROUP_OFFSETS_TOPIC, 0)!;
    const before = log.logEndOffset;
    expect(await commitErrors(b, here, [['t', 0, 42], ['t', 1, 7]])).toEqual([0, 0]);
    expect(log.logEndOffset).toBeGreaterThan(before);
    expect(log.highWatermark).toBe(log.logEndOffset);
    const fetched = await fetchOffsets(b, here);
    expect(fetched.groups[0].errorCode).toBe(0);
    expect(fetched.groups[0].topics[0].partitions.map((p: any) => p.committedOffset)).toEqual([42, 7]);
    // Nothing went to the other partitions.
    expect(b.replicaManager.partition(GROUP_OFFSETS_TOPIC, 2)!.logEndOffset).toBe(0);

    // ListGroups: the groups of the partitions led here.
    const listed = await call(b, 16, 4, { statesFilter: [] });
    expect(listed.errorCode).toBe(0);
    expect(listed.groups.map((g: any) => g.groupId)).toEqual([here]);
  });

  it('shows the offsets-topic settings among the broker configs (cluster mode only)', async () => {
    const b = await clusterBroker();
    expect(b.brokerConfigs.get('offsets.topic.num.partitions')).toMatchObject({ value: String(PARTITIONS), explicit: true });
    expect(b.brokerConfigs.get('offsets.topic.replication.factor')).toMatchObject({ value: '3', explicit: false });
    expect(b.brokerConfigs.get('offsets.commit.timeout.ms')).toMatchObject({ value: '200', explicit: true });
    const single = await pool.start({ nodeId: 1 });
    expect(single.brokerConfigs.has('offsets.topic.num.partitions')).toBe(false);
    expect(single.groups).not.toBeInstanceOf(PartitionedGroupCoordinator);
  });

  it('marks __consumer_offsets internal in Metadata and refuses produce to it', async () => {
    const b = await clusterBroker();
    const meta = await call(b, 3, 9, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    const byName = new Map(meta.topics.map((t: any) => [t.name, t]));
    expect((byName.get(GROUP_OFFSETS_TOPIC) as any).isInternal).toBe(true);
    expect((byName.get('t') as any).isInternal).toBe(false);
    const produced = await call(b, 0, 9, produceBody(GROUP_OFFSETS_TOPIC, 0, batchOf(['x'])));
    expect(produced.responses[0].partitionResponses[0].errorCode).toBe(KafkaCode.INVALID_TOPIC_EXCEPTION);
    expect(b.replicaManager.partition(GROUP_OFFSETS_TOPIC, 0)!.logEndOffset).toBe(0);
    // Other topics in the same request are appended as usual.
    const mixed = await call(b, 0, 9, {
      transactionalId: null,
      acks: 1,
      timeoutMs: 1000,
      topicData: [
        { name: GROUP_OFFSETS_TOPIC, partitionData: [{ index: 0, records: batchOf(['x']) }] },
        { name: 't', partitionData: [{ index: 0, records: batchOf(['y']) }] },
      ],
    });
    expect(mixed.responses.map((r: any) => [r.name, r.partitionResponses[0].errorCode])).toEqual([
      [GROUP_OFFSETS_TOPIC, KafkaCode.INVALID_TOPIC_EXCEPTION],
      ['t', 0],
    ]);
  });

  it('unloads a partition whose leadership moves away (waiting members get NOT_COORDINATOR) and reloads it from the log when it comes back', async () => {
    const timers = new ManualTimers();
    const b = await clusterBroker({ groups: { initialRebalanceDelayMs: 3000, timers } });
    const coordinator = coordinatorOf(b);
    const stored = groupIn(2, 'stored');
    const joining = groupIn(2, 'joining');
    expect(await commitErrors(b, stored, [['t', 0, 42], ['t', 1, 7]])).toEqual([0, 0]);

    // A member waits in the first rebalance of its group (group.initial.rebalance.delay.ms).
    const first = await call(b, 11, 5, joinBody(joining, '', { session: 10_000, rebalance: 20_000 }));
    expect(first.errorCode).toBe(KafkaCode.MEMBER_ID_REQUIRED);
    const waiting = call(b, 11, 5, joinBody(joining, first.memberId, { session: 10_000, rebalance: 20_000 }));
    let answered: any;
    void waiting.then((r) => (answered = r));
    await timers.advance(0);
    expect(answered).toBeUndefined();

    // The controller moves partition 2 to node 2.
    b.metadata.publishPrepared([partitionRecord(2, 2, 1, [1, 2], [1, 2])]);
    expect(coordinator.ownedPartitions()).toEqual([0]);
    expect((await waiting).errorCode).toBe(KafkaCode.NOT_COORDINATOR);
    expect(await commitErrors(b, stored, [['t', 0, 99]])).toEqual([KafkaCode.NOT_COORDINATOR]);
    expect((await fetchOffsets(b, stored)).groups[0].errorCode).toBe(KafkaCode.NOT_COORDINATOR);
    expect(await call(b, 10, 3, { key: stored, keyType: 0 })).toMatchObject({ errorCode: 0, nodeId: 2 });
    // The unloaded coordinator's timers are gone with it: nothing fires for the old group.
    await timers.advance(10_000);

    // Back to node 1 at a new epoch: the groups are replayed from the partition's log.
    b.metadata.publishPrepared([partitionRecord(2, 1, 2, [1, 2], [1])]);
    expect(coordinator.ownedPartitions()).toEqual([0, 2]);
    // Synchronously after the change the replay has not finished: requests wait for it.
    const during = fetchOffsets(b, stored);
    const commitDuring = commitErrors(b, stored, [['t', 0, 1]]);
    expect((await during).groups[0].errorCode).toBe(KafkaCode.COORDINATOR_LOAD_IN_PROGRESS);
    expect(await commitDuring).toEqual([KafkaCode.COORDINATOR_LOAD_IN_PROGRESS]);
    await coordinator.loaded();
    const after = await fetchOffsets(b, stored);
    expect(after.groups[0].errorCode).toBe(0);
    expect(after.groups[0].topics[0].partitions.map((p: any) => p.committedOffset)).toEqual([42, 7]);
    expect(coordinator.group(stored)).toBeDefined();
    // And it takes commits again.
    expect(await commitErrors(b, stored, [['t', 0, 43]])).toEqual([0]);
    expect((await fetchOffsets(b, stored)).groups[0].topics[0].partitions[0].committedOffset).toBe(43);
  });

  it('runs a whole group lifecycle through the replicated log: join, sync, heartbeat, commit, leave; a reload finds the group and its offsets', async () => {
    const b = await clusterBroker();
    const coordinator = coordinatorOf(b);
    const group = groupIn(2, 'life');
    const opts = { session: 10_000, rebalance: 20_000 };
    const first = await call(b, 11, 5, joinBody(group, '', opts));
    expect(first.errorCode).toBe(KafkaCode.MEMBER_ID_REQUIRED);
    const joined = await call(b, 11, 5, joinBody(group, first.memberId, opts));
    expect(joined).toMatchObject({ errorCode: 0, generationId: 1, leader: first.memberId });
    const synced = await call(b, 14, 5, syncBody(group, 1, first.memberId, [{ memberId: first.memberId, assignment: assignment('t', [0, 1]) }]));
    expect(synced.errorCode).toBe(0);
    expect((await call(b, 12, 4, heartbeatBody(group, 1, first.memberId))).errorCode).toBe(0);
    const committed = await call(b, 8, 8, commitBody(group, 1, first.memberId, [['t', 0, 11, 'm0'], ['t', 1, 12, null]]));
    expect(committed.topics[0].partitions.map((p: any) => p.errorCode)).toEqual([0, 0]);
    const left = await call(b, 13, 3, { groupId: group, members: [{ memberId: first.memberId, groupInstanceId: null }] });
    expect(left.errorCode).toBe(0);
    expect((await call(b, 15, 5, { groups: [group], includeAuthorizedOperations: false })).groups[0]).toMatchObject({ errorCode: 0, groupState: 'Empty', protocolType: 'consumer' });

    // Everything went to partition 2's log, acknowledged.
    const log = b.replicaManager.partition(GROUP_OFFSETS_TOPIC, 2)!;
    expect(log.logEndOffset).toBeGreaterThan(0);
    expect(log.highWatermark).toBe(log.logEndOffset);

    b.metadata.publishPrepared([partitionRecord(2, 2, 1, [1, 2], [1, 2])]);
    expect((await call(b, 15, 5, { groups: [group], includeAuthorizedOperations: false })).groups[0].errorCode).toBe(KafkaCode.NOT_COORDINATOR);
    b.metadata.publishPrepared([partitionRecord(2, 1, 2, [1, 2], [1])]);
    await coordinator.loaded();
    expect((await call(b, 15, 5, { groups: [group], includeAuthorizedOperations: false })).groups[0]).toMatchObject({ errorCode: 0, groupState: 'Empty', protocolType: 'consumer' });
    const fetched = await fetchOffsets(b, group);
    expect(fetched.groups[0].topics[0].partitions.map((p: any) => [p.committedOffset, p.metadata])).toEqual([
      [11, 'm0'],
      [12, ''],
    ]);
    // The old member is unknown to the reloaded coordinator: members rejoin, as after a failover in Kafka.
    expect((await call(b, 12, 4, heartbeatBody(group, 1, first.memberId))).errorCode).toBe(KafkaCode.UNKNOWN_MEMBER_ID);
  });

  it('answers a commit only once the in-sync replicas have it: an ISR that does not follow gives COORDINATOR_NOT_AVAILABLE and no offset', async () => {
    const b = await clusterBroker();
    const coordinator = coordinatorOf(b);
    const group = groupIn(1, 'isr');
    // Node 1 becomes leader of partition 1 with node 2 in the ISR; node 2 never fetches here.
    b.metadata.publishPrepared([partitionRecord(1, 1, 1, [2, 1], [1, 2])]);
    await coordinator.loaded();
    expect(coordinator.ownedPartitions()).toEqual([0, 1, 2]);
    const log = b.replicaManager.partition(GROUP_OFFSETS_TOPIC, 1)!;
    expect(await commitErrors(b, group, [['t', 0, 5]])).toEqual([KafkaCode.COORDINATOR_NOT_AVAILABLE]);
    // Appended on the leader, not acknowledged, and not applied.
    expect(log.logEndOffset).toBeGreaterThan(log.highWatermark);
    const fetched = await fetchOffsets(b, group, [0]);
    expect(fetched.groups[0].topics[0].partitions[0].committedOffset).toBe(-1);
  });

  it('does not count a commit as stored when its acks=-1 wait ended by shutdown rather than by the in-sync replicas', async () => {
    const b = await clusterBroker({ groupPartitioning: { numPartitions: PARTITIONS, commitTimeoutMs: 60_000 } });
    const coordinator = coordinatorOf(b);
    const group = groupIn(1, 'shutdown');
    b.metadata.publishPrepared([partitionRecord(1, 1, 1, [2, 1], [1, 2])]);
    await coordinator.loaded();
    const log = b.replicaManager.partition(GROUP_OFFSETS_TOPIC, 1)!;
    const pending = commitErrors(b, group, [['t', 0, 5]]);
    await until(() => log.logEndOffset > 0);
    b.beginShutdown();
    // The replica manager ends the wait with NOT_LEADER_OR_FOLLOWER (the partition is going), which a commit answers as NOT_COORDINATOR: not acknowledged.
    expect(await pending).toEqual([KafkaCode.NOT_COORDINATOR]);
    expect(log.highWatermark).toBe(0);
  });

  it('compacts a replicated partition by snapshot, keeping offsets: the log start moves and a reload finds the latest offsets', async () => {
    const b = await clusterBroker({ groupPartitioning: { numPartitions: PARTITIONS, compactAfter: 5 } });
    const coordinator = coordinatorOf(b);
    const group = groupIn(2, 'compact');
    const log = b.replicaManager.partition(GROUP_OFFSETS_TOPIC, 2)!;
    for (let i = 1; i <= 40; i++) expect(await commitErrors(b, group, [['t', 0, i], ['t', 1, 1000 + i]])).toEqual([0, 0]);
    expect(log.logStartOffset).toBeGreaterThan(0);
    expect(log.logEndOffset - log.logStartOffset).toBeLessThan(40 * 2);
    b.metadata.publishPrepared([partitionRecord(2, 2, 1, [1, 2], [1, 2])]);
    b.metadata.publishPrepared([partitionRecord(2, 1, 2, [1, 2], [1])]);
    await coordinator.loaded();
    const after = await fetchOffsets(b, group);
    expect(after.groups[0].topics[0].partitions.map((p: any) => p.committedOffset)).toEqual([40, 1040]);
  });

  it('forgets the offsets of a deleted topic in the partitions it coordinates', async () => {
    const b = await clusterBroker();
    const coordinator = coordinatorOf(b);
    const group = groupIn(0, 'deleted');
    await b.topics.create({ name: 'gone', numPartitions: 1, replicationFactor: 1 });
    const gone = await commit(b, group, [['gone', 0, 3]]);
    expect(gone.topics[0].partitions[0].errorCode).toBe(0);
    expect(coordinator.committedTopics(group)).toEqual(['gone']);
    await b.topics.delete('gone');
    await coordinator.shard(0)!.expireOffsets(); // lets the queued removal finish
    expect(coordinator.committedTopics(group)).toEqual([]);
  });

  it('keeps, on load, offsets of topics the image does not show (it may be catching up with the metadata log); a deletion seen while loaded removes them', async () => {
    const b = await clusterBroker();
    const coordinator = coordinatorOf(b);
    const group = groupIn(2, 'unseen');
    await b.topics.create({ name: 'other', numPartitions: 1, replicationFactor: 1 });
    expect((await commit(b, group, [['t', 0, 1]])).topics[0].partitions[0].errorCode).toBe(0);
    expect((await commit(b, group, [['other', 0, 2]])).topics[0].partitions[0].errorCode).toBe(0);
    // Partition 2 moves away; meanwhile 'other' leaves the image; partition 2 comes back.
    b.metadata.publishPrepared([partitionRecord(2, 2, 1, [1, 2], [1, 2])]);
    const otherId = b.image.topic('other')!.id;
    await b.metadata.publish([{ type: 'remove-topic', topicId: otherId }]);
    b.metadata.publishPrepared([partitionRecord(2, 1, 2, [1, 2], [1])]);
    await coordinator.loaded();
    expect(coordinator.committedTopics(group).sort()).toEqual(['other', 't']);
    // A deletion this coordinator sees (loaded) removes the topic's offsets.
    await b.topics.delete('t');
    await coordinator.shard(2)!.expireOffsets();
    expect(coordinator.committedTopics(group)).toEqual(['other']);
  });

  it('replays a partition again later when its load failed while this node still leads it (a snapshot the replay writes timed out)', async () => {
    const timers = new ManualTimers();
    const b = await clusterBroker({ groups: { initialRebalanceDelayMs: 0, timers } });
    const coordinator = coordinatorOf(b);
    const group = groupIn(1, 'retry');
    const enc = new TextEncoder();
    // What node 2 led into partition 1, replicated here: a commit, then a snapshot cut short.
    const follower = b.replicaManager.partition(GROUP_OFFSETS_TOPIC, 1)!;
    const value = (offset: number) => json({ offset, leaderEpoch: -1, metadata: '', commitTimestamp: 1, expireTimestamp: null });
    const committed = encodeBatchSync({ baseOffset: 0, records: [{ key: enc.encode(offsetKey(group, 't', 0)), value: value(5) }] });
    const partial = encodeBatchSync({ baseOffset: 1, records: [{ key: enc.encode('\u0000snapshot-begin'), value: null }, { key: enc.encode(offsetKey(group, 't', 0)), value: value(99) }] });
    await follower.appendAsFollower(committed, batchInfoOf(committed));
    await follower.appendAsFollower(partial, batchInfoOf(partial));

    // Node 1 leads partition 1 with node 2 in the ISR, which never fetches: the replay's
    // whole snapshot is appended but not acknowledged in time, so the load fails.
    b.metadata.publishPrepared([partitionRecord(1, 1, 1, [2, 1], [1, 2])]);
    await coordinator.loaded();
    expect(coordinator.ownedPartitions()).toEqual([0, 2]);
    expect(await commitErrors(b, group, [['t', 0, 6]])).toEqual([KafkaCode.NOT_COORDINATOR]);

    // Still the leader at that epoch: the replay runs again, finds the whole snapshot, and loads.
    await timers.advance(1000);
    await coordinator.loaded();
    expect(coordinator.ownedPartitions()).toEqual([0, 1, 2]);
    const fetched = await fetchOffsets(b, group, [0]);
    expect(fetched.groups[0].errorCode).toBe(0);
    expect(fetched.groups[0].topics[0].partitions[0].committedOffset).toBe(5);
  });
});

describe('creating the offsets topic', () => {
  it('FindCoordinator creates __consumer_offsets through the controller once, the replication factor cut to the live brokers, then answers its leader', async () => {
    // A broker without partitioned groups hosts the topic; a partitioned coordinator is
    // installed on its loader with a creation that publishes what a controller would.
    const b = await pool.start({ nodeId: 1 });
    b.metadata.publishPrepared([{ type: 'register-broker', nodeId: 2, host: 'broker-2', port: 9093, rack: null }]);
    const specs: any[] = [];
    const coordinator = new PartitionedGroupCoordinator(
      {
        nodeId: 1,
        logger: b.logger,
        replicaManager: b.replicaManager,
        image: () => b.image,
        createTopic: async (spec) => {
          specs.push(spec);
          const topicId = crypto.randomUUID();
          const records: MetadataRecord[] = [{ type: 'topic', name: spec.name, topicId, replicationFactor: spec.replicationFactor, createdAt: 1 }];
          for (let p = 0; p < spec.numPartitions; p++) {
            // Round robin over nodes 1 and 2, as a controller would place them.
            const replicas = spec.replicationFactor === 2 ? (p % 2 === 0 ? [1, 2] : [2, 1]) : [1];
            records.push({ type: 'partition', topicId, partitionId: p, replicas, isr: [replicas[0]!], leader: replicas[0]!, leaderEpoch: 0 });
          }
          for (const [name, value] of spec.configs ?? []) records.push({ type: 'config', resourceType: 'topic', resourceName: spec.name, name, value: value ?? null });
          await b.metadata.publish(records, { discard: true });
        },
      },
      { initialRebalanceDelayMs: 0 },
      { numPartitions: 6 },
    );
    b.metadata.install(coordinator);
    try {
      const even = (() => {
        for (let i = 0; ; i++) if (partitionForGroup(`e-${i}`, 6) % 2 === 0) return `e-${i}`;
      })();
      const odd = (() => {
        for (let i = 0; ; i++) if (partitionForGroup(`o-${i}`, 6) % 2 === 1) return `o-${i}`;
      })();
      const [a, c] = await Promise.all([coordinator.locate(even), coordinator.locate(odd)]);
      expect(specs).toHaveLength(1);
      expect(specs[0]).toMatchObject({ name: GROUP_OFFSETS_TOPIC, numPartitions: 6, replicationFactor: 2, internal: true });
      expect(a).toEqual({ errorCode: 0, errorMessage: null, nodeId: 1 });
      expect(c).toEqual({ errorCode: 0, errorMessage: null, nodeId: 2 });
      const topic = b.image.topic(GROUP_OFFSETS_TOPIC)!;
      expect(topic.configs.get('retention.ms')).toBe('-1');
      // This node loads the partitions it leads.
      await coordinator.loaded();
      expect(coordinator.ownedPartitions()).toEqual([0, 2, 4]);
      expect(await coordinator.locate(even)).toMatchObject({ nodeId: 1 });
      expect(specs).toHaveLength(1);
    } finally {
      await coordinator.close();
    }
  });

  it('answers COORDINATOR_NOT_AVAILABLE while the partition has no leader or the creation fails', async () => {
    const b = await pool.start({ nodeId: 1 });
    let fail = true;
    const coordinator = new PartitionedGroupCoordinator(
      {
        nodeId: 1,
        logger: b.logger,
        replicaManager: b.replicaManager,
        image: () => b.image,
        createTopic: async (spec) => {
          if (fail) throw new Error('controller unavailable');
          const topicId = crypto.randomUUID();
          await b.metadata.publish(
            [
              { type: 'topic', name: spec.name, topicId, replicationFactor: 1, createdAt: 1 },
              ...Array.from({ length: spec.numPartitions }, (_, p): MetadataRecord => ({ type: 'partition', topicId, partitionId: p, replicas: [1], isr: [], leader: -1, leaderEpoch: 0 })),
            ],
            { discard: true },
          );
        },
      },
      {},
      { numPartitions: 2 },
    );
    b.metadata.install(coordinator);
    try {
      expect(await coordinator.locate('g')).toMatchObject({ errorCode: KafkaCode.COORDINATOR_NOT_AVAILABLE, nodeId: -1 });
      fail = false;
      expect(await coordinator.locate('g')).toMatchObject({ errorCode: KafkaCode.COORDINATOR_NOT_AVAILABLE, nodeId: -1 });
      expect(coordinator.ownedPartitions()).toEqual([]);
    } finally {
      await coordinator.close();
    }
  });
});
