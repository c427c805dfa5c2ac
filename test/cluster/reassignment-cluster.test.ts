import { afterEach, describe, expect, it } from 'vitest';
import { createCluster, type EmbeddedCluster } from '../../adapters/runtime/embedded-cluster.ts';
import { KafkaCode } from '../../core/errors.ts';

const decoder = new TextDecoder();

async function waitFor(what: string, test: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('partition reassignment in an in-process cluster', () => {
  let cluster: EmbeddedCluster | undefined;
  afterEach(async () => {
    await cluster?.close();
    cluster = undefined;
  });

  it('moves a replica from broker 1 to broker 3 while a producer sends with acks=all; nothing acknowledged is lost', async () => {
    cluster = await createCluster({ brokers: 3, heartbeatIntervalMs: 100, sessionTimeoutMs: 2000, leaderRebalance: { enable: false } });
    const client = cluster.client({ clientId: 'reassign-test' });
    const admin = client.admin();
    await admin.createTopics({ topics: [{ topic: 'moves', replicaAssignment: [{ partition: 0, replicas: [1, 2] }], configs: { 'min.insync.replicas': '2' } }] });
    await cluster.waitForFullIsr(['moves']);
    expect(cluster.leaderOf('moves', 0)).toBe(1);

    const producer = client.producer({ acks: -1, idempotent: true });
    const acked: Array<{ value: string; offset: number }> = [];
    let stop = false;
    const sending = (async () => {
      for (let i = 0; !stop || i < 200; i++) {
        const [meta] = await producer.send({ topic: 'moves', messages: [{ value: `v${i}` }] });
        acked.push({ value: `v${i}`, offset: Number(meta!.baseOffset) });
      }
    })();
    await waitFor('some records acknowledged', () => acked.length >= 50);

    await admin.alterPartitionReassignments({ topics: [{ topic: 'moves', partitionAssignment: [{ partition: 0, replicas: [3, 2] }] }] });
    // Until broker 3 has caught up, the reassignment is listed with what it adds and removes.
    const listed = await admin.listPartitionReassignments();
    if (listed.topics.length > 0) {
      expect(listed.topics[0]!.partitions[0]).toMatchObject({ partition: 0, addingReplicas: [3], removingReplicas: [1] });
      expect(listed.topics[0]!.partitions[0]!.replicas).toEqual([3, 2, 1]);
    }
    await waitFor('the reassignment to complete', () => {
      const p = cluster!.controller.image.topic('moves')!.partitions[0]!;
      return p.replicas.join(',') === '3,2' && p.addingReplicas === undefined;
    });
    stop = true;
    await sending;
    expect((await admin.listPartitionReassignments()).topics).toEqual([]);

    const p = cluster.controller.image.topic('moves')!.partitions[0]!;
    expect(p.isr.slice().sort()).toEqual([2, 3]);
    // Broker 1 led and was removed: a target in the ISR leads now.
    expect([2, 3]).toContain(p.leader);
    // The stray replica on broker 1 stops and its log is deleted; broker 3 hosts the partition.
    await waitFor('broker 1 to drop its replica', async () => (await cluster!.broker(1).storage.listPartitions()).every((r) => r.topic !== 'moves'));
    expect(cluster.broker(1).replicaManager.partition('moves', 0)).toBeUndefined();
    expect(cluster.broker(3).replicaManager.partition('moves', 0)).toBeDefined();

    const seen = new Map<number, string>();
    const consumer = client.consumer({ groupId: 'check' });
    await consumer.subscribe({ topics: ['moves'], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer.run({
        eachMessage: async ({ message }) => {
          seen.set(Number(message.offset), decoder.decode(message.value as Uint8Array));
          if (seen.size >= acked.length) resolve();
        },
      }).catch(reject);
    });
    await consumer.disconnect();
    for (const a of acked) expect(seen.get(a.offset)).toBe(a.value);
  }, 60_000);

  it('a broker that was down while its replica moved away deletes the stray log when it starts again', async () => {
    cluster = await createCluster({ brokers: 3, heartbeatIntervalMs: 100, sessionTimeoutMs: 1000, leaderRebalance: { enable: false } });
    const client = cluster.client();
    const admin = client.admin();
    await admin.createTopics({ topics: [{ topic: 'away', replicaAssignment: [{ partition: 0, replicas: [1, 2] }] }] });
    await client.producer({ acks: -1 }).send({ topic: 'away', messages: [{ value: 'x' }] });
    await cluster.waitForFullIsr(['away']);
    await cluster.kill(1);
    await waitFor('broker 1 out of the ISR', () => !cluster!.controller.image.topic('away')!.partitions[0]!.isr.includes(1));
    await admin.alterPartitionReassignments({ topics: [{ topic: 'away', partitionAssignment: [{ partition: 0, replicas: [3, 2] }] }] });
    await waitFor('the move to complete', () => cluster!.controller.image.topic('away')!.partitions[0]!.replicas.join() === '3,2');
    await cluster.restart(1);
    expect((await cluster.broker(1).storage.listPartitions()).filter((r) => r.topic === 'away')).toEqual([]);
  }, 30_000);

  it('cancels a reassignment whose new replica cannot catch up (its broker is down): back to the original replicas', async () => {
    cluster = await createCluster({ brokers: 3, heartbeatIntervalMs: 100, sessionTimeoutMs: 1000, leaderRebalance: { enable: false } });
    const admin = cluster.client().admin();
    await admin.createTopics({ topics: [{ topic: 'stay', replicaAssignment: [{ partition: 0, replicas: [1, 2] }] }] });
    await cluster.waitForFullIsr(['stay']);
    await cluster.kill(3);
    await admin.alterPartitionReassignments({ topics: [{ topic: 'stay', partitionAssignment: [{ partition: 0, replicas: [3, 2] }] }] });
    expect((await admin.listPartitionReassignments()).topics[0]!.partitions[0]).toMatchObject({ replicas: [3, 2, 1], addingReplicas: [3], removingReplicas: [1] });
    await admin.alterPartitionReassignments({ topics: [{ topic: 'stay', partitionAssignment: [{ partition: 0, replicas: null }] }] });
    const p = cluster.controller.image.topic('stay')!.partitions[0]!;
    // Kafka's revert: the merged list (targets, then the removed) without the added ones — the original members, not their order.
    expect(p.replicas).toEqual([2, 1]);
    expect(p.addingReplicas).toBeUndefined();
    await expect(admin.alterPartitionReassignments({ topics: [{ topic: 'stay', partitionAssignment: [{ partition: 0, replicas: null }] }] })).rejects.toMatchObject({ kafkaCode: KafkaCode.NO_REASSIGNMENT_IN_PROGRESS });
    await expect(admin.alterPartitionReassignments({ topics: [{ topic: 'stay', partitionAssignment: [{ partition: 0, replicas: [1, 9] }] }] })).rejects.toMatchObject({ kafkaCode: KafkaCode.INVALID_REPLICA_ASSIGNMENT });
  }, 30_000);
});

describe('leader elections in an in-process cluster', () => {
  let cluster: EmbeddedCluster | undefined;
  afterEach(async () => {
    await cluster?.close();
    cluster = undefined;
  });

  it('ElectLeaders PREFERRED gives leadership back to the first replica after a restart', async () => {
    cluster = await createCluster({ brokers: 3, heartbeatIntervalMs: 100, sessionTimeoutMs: 1000, leaderRebalance: { enable: false } });
    const admin = cluster.client().admin();
    await admin.createTopics({ topics: [{ topic: 'led', replicaAssignment: [{ partition: 0, replicas: [1, 2, 3] }, { partition: 1, replicas: [2, 3, 1] }] }] });
    await cluster.waitForFullIsr(['led']);
    await cluster.kill(1);
    await waitFor('a new leader of led-0', () => cluster!.leaderOf('led', 0) > 1);
    await cluster.restart(1);
    await cluster.waitForFullIsr(['led']);
    expect(cluster.leaderOf('led', 0)).not.toBe(1);
    const outcome = await admin.electLeaders({ partitions: [{ topic: 'led', partitions: [0, 1] }, { topic: 'nope', partitions: [0] }] });
    expect(outcome).toEqual([
      { topic: 'led', partition: 0, errorCode: 0, errorMessage: null },
      expect.objectContaining({ topic: 'led', partition: 1, errorCode: KafkaCode.ELECTION_NOT_NEEDED }),
      expect.objectContaining({ topic: 'nope', partition: 0, errorCode: KafkaCode.UNKNOWN_TOPIC_OR_PARTITION }),
    ]);
    expect(cluster.leaderOf('led', 0)).toBe(1);
    // Every partition asked for, none needing it: the answer leaves them out.
    expect(await admin.electLeaders()).toEqual([]);
    // UNCLEAN on a partition with a leader: not needed.
    expect((await admin.electLeaders({ type: 1, partitions: [{ topic: 'led', partitions: [0] }] }))[0]!.errorCode).toBe(KafkaCode.ELECTION_NOT_NEEDED);
  }, 30_000);

  it('the automatic rebalance moves leadership back to the preferred replicas after a restart', async () => {
    cluster = await createCluster({ brokers: 3, heartbeatIntervalMs: 100, sessionTimeoutMs: 1000, leaderRebalance: { intervalMs: 300 } });
    const admin = cluster.client().admin();
    await admin.createTopics({ topics: [{ topic: 'auto', numPartitions: 3, replicationFactor: 3 }] });
    await cluster.waitForFullIsr(['auto']);
    const preferred = () => cluster!.controller.image.topic('auto')!.partitions.map((p) => p.replicas[0]);
    const led = () => cluster!.controller.image.topic('auto')!.partitions.map((p) => p.leader);
    expect(led()).toEqual(preferred());
    const victim = preferred()[0]!;
    await cluster.kill(victim);
    await waitFor('leadership to move off the killed broker', () => !led().includes(victim));
    await cluster.restart(victim);
    await waitFor('leadership back on the preferred replicas', () => led().join() === preferred().join());
  }, 30_000);

  it('with Raft voters too: the active controller, wherever it is, runs the rebalance with the settings given', async () => {
    cluster = await createCluster({ brokers: 3, raftControllers: true, heartbeatIntervalMs: 100, sessionTimeoutMs: 1000, leaderRebalance: { intervalMs: 300 } });
    const admin = cluster.client().admin();
    await admin.createTopics({ topics: [{ topic: 'auto', numPartitions: 3, replicationFactor: 3 }] });
    await cluster.waitForFullIsr(['auto']);
    const preferred = () => cluster!.image().topic('auto')!.partitions.map((p) => p.replicas[0]);
    const led = () => cluster!.image().topic('auto')!.partitions.map((p) => p.leader);
    // A victim that is not the active controller: its death is then a partition failover only.
    const victim = preferred().find((id) => id !== cluster!.controllerId())!;
    await waitFor('every partition led by its preferred replica', () => led().join() === preferred().join());
    await cluster.kill(victim);
    await waitFor('leadership to move off the killed broker', () => !led().includes(victim));
    await cluster.restart(victim);
    await waitFor('leadership back on the preferred replicas', () => led().join() === preferred().join());
  }, 60_000);
});
