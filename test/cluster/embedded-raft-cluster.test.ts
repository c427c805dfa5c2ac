/**
 * The in-process cluster with every broker a Raft voter (`createCluster({ raftControllers:
 * true })`): the voters elect a controller among themselves, killing the active
 * controller's node is a controller failover — a new one is elected, partition leaders
 * move off the dead node, acks=all writes go on and none is lost — and a restarted node
 * rejoins the quorum and the ISR.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createCluster, type EmbeddedCluster } from '../../adapters/runtime/embedded-cluster.ts';

async function until(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('createCluster with Raft voters', () => {
  let cluster: EmbeddedCluster | undefined;
  afterEach(async () => {
    await cluster?.close();
    cluster = undefined;
  });

  it('elects a controller among the brokers and survives kill -9 of its node, losing no acknowledged write', async () => {
    cluster = await createCluster({ brokers: 3, raftControllers: true, heartbeatIntervalMs: 100, sessionTimeoutMs: 1000 });
    const first = cluster.controllerId();
    expect([1, 2, 3]).toContain(first);
    expect(() => cluster!.controller).toThrow(/no isolated controller/);
    const client = cluster.client({ clientId: 'raft-failover-test' });
    // Leaders on the controller's node, so that its death also needs partition elections.
    await client.admin().createTopics({ topics: [{ topic: 'orders', replicaAssignment: [{ partition: 0, replicas: [first, ...[1, 2, 3].filter((n) => n !== first)] }], configs: { 'min.insync.replicas': '2' } }] });
    await cluster.waitForFullIsr(['orders']);
    expect(cluster.leaderOf('orders', 0)).toBe(first);
    const producer = client.producer({ acks: -1, idempotent: true });
    const acked: Array<{ value: string; offset: number }> = [];
    const send = async (i: number) => {
      const [meta] = await producer.send({ topic: 'orders', messages: [{ value: `v${i}` }] });
      acked.push({ value: `v${i}`, offset: Number(meta!.baseOffset) });
    };
    for (let i = 0; i < 30; i++) await send(i);

    await cluster.kill(first);
    await until('a new controller', () => cluster!.controllerId() >= 0 && cluster!.controllerId() !== first);
    const second = cluster.controllerId();
    for (let i = 30; i < 60; i++) await send(i);
    await until('a new partition leader', () => cluster!.leaderOf('orders', 0) >= 0 && cluster!.leaderOf('orders', 0) !== first);

    // The new controller's own node next: the quorum of the two left... and then of the restarted one.
    await cluster.restart(first);
    await cluster.waitForFullIsr(['orders']);
    await cluster.kill(second);
    await until('a third controller', () => cluster!.controllerId() >= 0 && cluster!.controllerId() !== second);
    for (let i = 60; i < 90; i++) await send(i);
    await cluster.restart(second);
    await cluster.waitForFullIsr(['orders']);
    await cluster.waitForBrokers(3);

    const seen = new Map<number, string>();
    const consumer = client.consumer({ groupId: 'raft-check' });
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
    for (const { value, offset } of acked) expect(seen.get(offset)).toBe(value);
  }, 90_000);
});

describe('createCluster with Raft voters that snapshot the metadata log', () => {
  let cluster: EmbeddedCluster | undefined;
  afterEach(async () => {
    await cluster?.close();
    cluster = undefined;
  });

  it('a node restarted after the voters snapshotted loads the snapshot and rejoins every ISR; a topic created after is seen', async () => {
    const messages: string[] = [];
    const logger = { debug() {}, info: (message: string) => void messages.push(message), warn() {}, error: (message: string) => void messages.push(message) };
    cluster = await createCluster({ brokers: 3, raftControllers: true, heartbeatIntervalMs: 100, sessionTimeoutMs: 1000, metadataSnapshotRecords: 10, logger });
    const client = cluster.client({ clientId: 'raft-snapshot-test' });
    const topics = Array.from({ length: 6 }, (_, i) => `snap-${i}`);
    await client.admin().createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: 2, replicationFactor: 3 })) });
    await cluster.waitForFullIsr(topics);
    const restarted = [1, 2, 3].find((n) => n !== cluster!.controllerId())!;
        await until('the voters snapshotted', () => messages.includes('raft: metadata snapshot written'));
    await cluster.kill(restarted);
    const loadedBefore = messages.filter((m) => m === 'metadata snapshot loaded').length;
    await client.admin().createTopics({ topics: [{ topic: 'while-down', numPartitions: 1, replicationFactor: 3 }] });
    await cluster.restart(restarted);
    await cluster.waitForFullIsr([...topics, 'while-down']);
    await client.admin().createTopics({ topics: [{ topic: 'after', numPartitions: 1, replicationFactor: 3 }] });
    await cluster.waitForFullIsr(['after']);
    await cluster.waitForBrokers(3);
    // The restarted voter loaded its snapshot from storage, and its broker's image came from one.
    expect(messages.filter((m) => m === 'metadata snapshot loaded').length - loadedBefore).toBeGreaterThanOrEqual(2);
    expect(messages.filter((m) => m.startsWith('raft: writing a metadata snapshot failed'))).toEqual([]);
  }, 90_000);
});
