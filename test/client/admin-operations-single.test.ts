/**
 * The cluster operations against a single broker (no cluster controller): each partition has
 * one replica, which leads — ElectLeaders answers ELECTION_NOT_NEEDED, a reassignment to other
 * brokers INVALID_REPLICA_ASSIGNMENT (to the same replica: nothing to do), there is nothing to
 * list or cancel, UnregisterBroker is not served, and DescribeLogDirs reports the partitions.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { KafkaCode } from '../../core/errors.ts';
import { type Harness, harness } from './helpers.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('cluster operations on a single broker', () => {
  it('answers elections, reassignments, unregistration and log dirs as a cluster of one', async () => {
    h = await harness('tcp');
    const client = h.client();
    const admin = client.admin();
    await admin.createTopics({ topics: [{ topic: 'solo', numPartitions: 2 }] });
    await client.producer().send({ topic: 'solo', messages: [{ value: 'x', partition: 1 }] });
    const [meta] = await admin.describeTopics(['solo']);
    const self = meta!.partitions[0]!.leader;

    expect(await admin.electLeaders({ partitions: [{ topic: 'solo', partitions: [0] }, { topic: 'none', partitions: [0] }] })).toEqual([
      expect.objectContaining({ topic: 'solo', partition: 0, errorCode: KafkaCode.ELECTION_NOT_NEEDED }),
      expect.objectContaining({ topic: 'none', partition: 0, errorCode: KafkaCode.UNKNOWN_TOPIC_OR_PARTITION }),
    ]);
    expect(await admin.electLeaders()).toEqual([]);

    await admin.alterPartitionReassignments({ topics: [{ topic: 'solo', partitionAssignment: [{ partition: 0, replicas: [self] }] }] });
    await expect(admin.alterPartitionReassignments({ topics: [{ topic: 'solo', partitionAssignment: [{ partition: 0, replicas: [self + 1] }] }] })).rejects.toMatchObject({ kafkaCode: KafkaCode.INVALID_REPLICA_ASSIGNMENT });
    await expect(admin.alterPartitionReassignments({ topics: [{ topic: 'solo', partitionAssignment: [{ partition: 0, replicas: null }] }] })).rejects.toMatchObject({ kafkaCode: KafkaCode.NO_REASSIGNMENT_IN_PROGRESS });
    expect(await admin.listPartitionReassignments()).toEqual({ topics: [] });
    await expect(admin.unregisterBroker(self)).rejects.toMatchObject({ kafkaCode: KafkaCode.UNSUPPORTED_VERSION });

    const [dirs] = await admin.describeLogDirs();
    expect(dirs!.logDirs).toEqual([expect.objectContaining({ logDir: 'memory', errorCode: 0 })]);
    const partitions = dirs!.logDirs[0]!.topics.find((t) => t.topic === 'solo')!.partitions;
    expect(partitions.map((p) => [p.partition, p.size > 0, p.offsetLag])).toEqual([[0, false, 0], [1, true, 0]]);
  });
});
