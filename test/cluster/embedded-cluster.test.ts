import { afterEach, describe, expect, it } from 'vitest';
import { createCluster, type EmbeddedCluster } from '../../adapters/runtime/embedded-cluster.ts';

describe('createCluster', () => {
  let cluster: EmbeddedCluster | undefined;
  afterEach(async () => {
    await cluster?.close();
    cluster = undefined;
  });

  it('starts three brokers that register with the controller and see one another', async () => {
    cluster = await createCluster({ brokers: 3, heartbeatIntervalMs: 100 });
    expect(cluster.controller.image.brokers().map((b) => b.nodeId)).toEqual([1, 2, 3]);
    const client = cluster.client();
    const admin = client.admin();
    await admin.createTopics({ topics: [{ topic: 't', numPartitions: 3, replicationFactor: 3 }] });
    const [meta] = await admin.describeTopics(['t']);
    expect(meta!.partitions).toHaveLength(3);
    for (const p of meta!.partitions) {
      expect(p.replicas).toHaveLength(3);
      expect(p.isr).toHaveLength(3);
    }
    // Leaders spread over the brokers.
    expect(new Set(meta!.partitions.map((p) => p.leader)).size).toBe(3);
    const described = await admin.describeCluster();
    expect(described.brokers.map((b) => b.nodeId).sort()).toEqual([1, 2, 3]);
  });
});

describe('createCluster replication and failover', () => {
  let cluster: EmbeddedCluster | undefined;
  afterEach(async () => {
    await cluster?.close();
    cluster = undefined;
  });

  it('replicates acks=all writes and loses none of them when the leader is killed', async () => {
    cluster = await createCluster({ brokers: 3, heartbeatIntervalMs: 100, sessionTimeoutMs: 1000 });
    const client = cluster.client({ clientId: 'failover-test' });
    await client.admin().createTopics({ topics: [{ topic: 'orders', numPartitions: 1, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } }] });
    const producer = client.producer({ acks: -1, idempotent: true });
    const acked: Array<{ value: string; offset: number }> = [];
    for (let i = 0; i < 50; i++) {
      const [meta] = await producer.send({ topic: 'orders', messages: [{ value: `v${i}` }] });
      acked.push({ value: `v${i}`, offset: Number(meta!.baseOffset) });
    }
    await cluster.waitForFullIsr(['orders']);
    const leader = cluster.leaderOf('orders', 0);
    expect(leader).toBeGreaterThan(0);
    await cluster.kill(leader);
    // The controller fences the dead leader after the session timeout and elects another from the ISR.
    for (let i = 50; i < 100; i++) {
      const [meta] = await producer.send({ topic: 'orders', messages: [{ value: `v${i}` }] });
      acked.push({ value: `v${i}`, offset: Number(meta!.baseOffset) });
    }
    const newLeader = cluster.leaderOf('orders', 0);
    expect(newLeader).not.toBe(leader);
    await cluster.restart(leader);
    await cluster.waitForFullIsr(['orders']);
    const seen = new Map<number, string>();
    const consumer = client.consumer({ groupId: 'check' });
    await consumer.subscribe({ topics: ['orders'], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer.run({
        eachMessage: async ({ message }) => {
          seen.set(Number(message.offset), new TextDecoder().decode(message.value as Uint8Array));
          if (seen.size >= acked.length) resolve();
        },
      }).catch(reject);
    });
    await consumer.disconnect();
    for (const a of acked) expect(seen.get(a.offset)).toBe(a.value);
    expect(seen.size).toBe(100);
  }, 60_000);
});
