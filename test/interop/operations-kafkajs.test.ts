/**
 * kafkajs's admin against our cluster operations: alterPartitionReassignments and
 * listPartitionReassignments (kafkajs sends them to the controller broker Metadata names;
 * the broker forwards them to the active controller) on an in-process three-broker cluster.
 */
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCluster, type EmbeddedCluster } from '../../adapters/runtime/embedded-cluster.ts';

let cluster: EmbeddedCluster;

beforeAll(async () => {
  cluster = await createCluster({ brokers: 3, heartbeatIntervalMs: 100, sessionTimeoutMs: 2000, leaderRebalance: { enable: false } });
}, 30_000);
afterAll(async () => {
  await cluster?.close();
});

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('kafkajs admin: partition reassignment', () => {
  it('moves a replica with alterPartitionReassignments and sees it in listPartitionReassignments until done', async () => {
    const kafka = new kafkajs.Kafka({ clientId: 'kafkajs-reassign', brokers: cluster.bootstrap, logLevel: kafkajs.logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'kj', replicaAssignment: [{ partition: 0, replicas: [1, 2] }] }] });
      await cluster.waitForFullIsr(['kj']);
      // Broker 3 is down: the move cannot complete, so the listing shows it.
      await cluster.kill(3);
      await admin.alterPartitionReassignments({ topics: [{ topic: 'kj', partitionAssignment: [{ partition: 0, replicas: [3, 2] }] }] });
      const listed = await admin.listPartitionReassignments({});
      expect(listed.topics).toEqual([{ name: 'kj', partitions: [{ partition: 0, replicas: [3, 2, 1], addingReplicas: [3], removingReplicas: [1] }] }]);
      await cluster.restart(3);
      await until('the move to complete', () => cluster.controller.image.topic('kj')!.partitions[0]!.replicas.join() === '3,2');
      expect((await admin.listPartitionReassignments({})).topics).toEqual([]);
      // kafkajs gathers the partitions' errors into one aggregate error, each with its Kafka type.
      const error = await admin.alterPartitionReassignments({ topics: [{ topic: 'kj', partitionAssignment: [{ partition: 0, replicas: [3, 9] }] }] }).then(() => undefined, (e: unknown) => e);
      expect((error as { errors: Array<{ type: string; topic: string; partition: number }> }).errors).toEqual([expect.objectContaining({ type: 'INVALID_REPLICA_ASSIGNMENT', topic: 'kj', partition: 0 })]);
    } finally {
      await admin.disconnect();
    }
  }, 60_000);
});
