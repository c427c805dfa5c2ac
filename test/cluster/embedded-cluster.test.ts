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
