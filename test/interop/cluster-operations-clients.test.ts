/**
 * Other clients' admin calls against our cluster operations on an in-process three-broker
 * cluster: kafkajs's alterPartitionReassignments and listPartitionReassignments (sent to the
 * controller broker Metadata names, which forwards them to the active controller), and
 * @platformatic/kafka's describeLogDirs (asked of every broker) next to our own.
 */
import { Admin as PkAdmin } from '@platformatic/kafka';
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

describe('DescribeLogDirs', () => {
  it('reports each broker\'s log directory with the sizes of the partitions it hosts, to our admin and to @platformatic/kafka', async () => {
    const client = cluster.client({ clientId: 'log-dirs' });
    const admin = client.admin();
    await admin.createTopics({ topics: [{ topic: 'ld', replicaAssignment: [{ partition: 0, replicas: [1, 2] }, { partition: 1, replicas: [2, 1] }] }] });
    await cluster.waitForFullIsr(['ld']);
    const producer = client.producer({ acks: -1 });
    await producer.send({ topic: 'ld', messages: Array.from({ length: 20 }, (_, i) => ({ value: `value-${i}`, partition: 0 })) });
    await until('broker 2 to have copied partition 0', () => (cluster.broker(2).replicaManager.partition('ld', 0)?.log.endOffset() ?? 0) >= 20);

    const ours = await admin.describeLogDirs({ topics: [{ topic: 'ld', partitions: [0, 1] }] });
    expect(ours.map((b) => b.broker)).toEqual(cluster.controller.image.brokers().map((b) => b.nodeId));
    const on = (broker: number) => ours.find((b) => b.broker === broker)!.logDirs;
    expect(on(1)).toHaveLength(1);
    expect(on(1)[0]!.logDir).toBe('memory');
    const sizes = (broker: number) => on(broker)[0]!.topics.flatMap((t) => t.partitions.map((p) => [t.topic, p.partition, p.size > 0, p.offsetLag]));
    expect(sizes(1)).toEqual([['ld', 0, true, 0], ['ld', 1, false, 0]]);
    expect(sizes(2)).toEqual([['ld', 0, true, 0], ['ld', 1, false, 0]]);
    // Broker 3 hosts no replica of ld.
    expect(on(3)[0]!.topics).toEqual([]);

    const pk = new PkAdmin({ clientId: 'pk-log-dirs', bootstrapBrokers: [cluster.bootstrap[0]!] });
    try {
      const described = await pk.describeLogDirs({ topics: [{ name: 'ld', partitions: [0] }] });
      const one = described.find((d) => d.broker === 1)!;
      expect(one.results[0]!.logDir).toBe('memory');
      expect(one.results[0]!.topics).toEqual([{ name: 'ld', partitions: [expect.objectContaining({ partitionIndex: 0, offsetLag: 0n, isFutureKey: false })] }]);
      expect(Number(one.results[0]!.topics[0]!.partitions[0]!.partitionSize)).toBe(on(1)[0]!.topics[0]!.partitions[0]!.size);
    } finally {
      await pk.close();
    }
  }, 60_000);
});
