/**
 * Our client against a broker with partitioned groups, over TCP (issue 11, groups across
 * brokers): the consumer finds its coordinator through FindCoordinator, joins, consumes
 * and commits into the group's `__consumer_offsets` partition; after that partition's
 * leadership moved away and back (the coordinator unloaded and replayed it from its log),
 * a new member of the group resumes from the committed offsets.
 *
 * The test plays the controller for the offsets topic (records published to the broker's
 * loader): today's controllers refuse the internal name (see the issue 11 report).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { GROUP_OFFSETS_TOPIC } from '../../core/broker/groups/log-group-store.ts';
import { partitionForGroup } from '../../core/broker/groups/group-partitioning.ts';
import { PartitionedGroupCoordinator } from '../../core/broker/groups/partitioned-coordinator.ts';
import type { MetadataRecord, PartitionRecord } from '../../core/broker/metadata/records.ts';
import { type Harness, harness, until } from '../client/helpers.ts';
import { type Seen, distinctValues, groupMembers, produce } from '../client/group-helpers.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const PARTITIONS = 3;
const TOPIC_ID = '00000000-0000-4000-8000-0000000c11e7';

function led(partitionId: number, leader: number, leaderEpoch: number): PartitionRecord {
  return { type: 'partition', topicId: TOPIC_ID, partitionId, replicas: [1, 2], isr: [1], leader, leaderEpoch };
}

describe('our client with partitioned groups', () => {
  it('consumes and commits through the coordinator of its partition; a member after a reload resumes from the committed offsets', async () => {
    h = await harness('tcp', {
      groupPartitioning: { numPartitions: PARTITIONS },
      groups: { initialRebalanceDelayMs: 30, minSessionTimeoutMs: 100, offsetsRetentionCheckIntervalMs: 0 },
    });
    const broker = h.broker;
    const coordinator = broker.groups as PartitionedGroupCoordinator;
    const records: MetadataRecord[] = [{ type: 'topic', name: GROUP_OFFSETS_TOPIC, topicId: TOPIC_ID, replicationFactor: 2, createdAt: 1 }];
    for (let p = 0; p < PARTITIONS; p++) records.push(led(p, 1, 0));
    await broker.metadata.publish(records, { discard: true });
    await coordinator.loaded();

    const client = h.client();
    await client.admin().createTopics({ topics: [{ topic: 'events', numPartitions: 2 }] });
    await produce(client, 'events', 2, 20);
    const groupId = 'client-group';
    const partition = partitionForGroup(groupId, PARTITIONS);

    const seen: Seen[] = [];
    const g = groupMembers(client, seen);
    const first = g.make({ groupId });
    await first.subscribe({ topics: ['events'], fromBeginning: true });
    await first.run({ eachMessage: g.handler(0) });
    await until(() => seen.length >= 20);
    await first.stop();
    // The commits are in the group's partition, acknowledged.
    const log = broker.replicaManager.partition(GROUP_OFFSETS_TOPIC, partition)!;
    expect(log.logEndOffset).toBeGreaterThan(0);
    expect(coordinator.offsetCount(groupId)).toBe(2);

    // The partition's leadership goes to node 2 and comes back: the groups are replayed from the log.
    broker.metadata.publishPrepared([led(partition, 2, 1)]);
    expect(coordinator.shard(partition)).toBeUndefined();
    broker.metadata.publishPrepared([led(partition, 1, 2)]);
    await coordinator.loaded();
    expect(coordinator.offsetCount(groupId)).toBe(2);

    await produce(client, 'events', 2, 10, 'later');
    const second = g.make({ groupId });
    await second.subscribe({ topics: ['events'], fromBeginning: true });
    await second.run({ eachMessage: g.handler(1) });
    await until(() => seen.filter((s) => s.member === 1).length >= 10);
    await second.stop();
    const resumed = seen.filter((s) => s.member === 1).map((s) => s.value);
    // Only what came after the commits: nothing the first member had consumed is read again.
    expect(resumed.every((v) => v.startsWith('later-'))).toBe(true);
    expect(distinctValues(seen).size).toBe(30);
  });
});
