/**
 * Raft replication of the metadata log (three voters in one process, a manual clock): the
 * high watermark needs a majority, a deposed leader's appends are refused and its
 * uncommitted tail is truncated when it rejoins, check-quorum makes a cut-off leader
 * resign, and observers read committed batches only.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { MetadataRecord } from '../../core/broker/metadata/records.ts';
import { decodeMetadataBatches } from '../../core/broker/quorum/metadata-batch-codec.ts';
import { KafkaCode } from '../../core/errors.ts';
import { concat } from '../../core/protocol/writer.ts';
import { RaftTestCluster, runFor, settle, TestShutdown } from './local-raft-network.ts';

const clusters: RaftTestCluster[] = [];
afterEach(async () => {
  for (const c of clusters.splice(0)) await c.stop();
});
function cluster(...args: ConstructorParameters<typeof RaftTestCluster>): RaftTestCluster {
  const c = new RaftTestCluster(...args);
  clusters.push(c);
  return c;
}
const ids = (first: number): MetadataRecord => ({ type: 'producer-ids', nodeId: 1, brokerEpoch: 0, firstProducerId: first, size: 10 });

/** Tracks a promise's outcome without awaiting it. */
function track<T>(promise: Promise<T>): { state: 'pending' | 'resolved' | 'rejected'; value?: T; error?: unknown } {
  const t: { state: 'pending' | 'resolved' | 'rejected'; value?: T; error?: unknown } = { state: 'pending' };
  promise.then(
    (value) => Object.assign(t, { state: 'resolved', value }),
    (error: unknown) => Object.assign(t, { state: 'rejected', error }),
  );
  return t;
}

describe('Raft replication', () => {
  it('commits only once a majority has the batch: not with both followers cut off, at once with one back', async () => {
    // Requests over a cut link fail after 300 ms, so a follower retries soon after the link is back;
    // a long fetch timeout keeps the followers from standing for election meanwhile.
    const c = cluster(3, { timings: { requestTimeoutMs: 300, fetchTimeoutMs: 10_000 } });
    await c.start();
    const leader = await c.waitForLeader();
    const [a, b] = [...c.nodes.values()].filter((n) => n !== leader);
    await runFor(c.clock, 100);
    const hw = leader.highWatermark;
    c.network.cut(a!.nodeId, leader.nodeId);
    c.network.cut(b!.nodeId, leader.nodeId);
    const append = track(leader.append([ids(0)], leader.epoch));
    await runFor(c.clock, 1000);
    expect(append.state).toBe('pending');
    expect(leader.highWatermark).toBe(hw);
    expect(leader.logEndOffset).toBe(hw + 1);
    expect((await leader.read(hw, 0)).batches).toEqual([]);
    c.network.heal();
    c.network.cut(b!.nodeId, leader.nodeId);
    await runFor(c.clock, 1000);
    expect(append).toMatchObject({ state: 'resolved', value: hw });
    expect(leader.highWatermark).toBe(hw + 1);
    expect((await leader.read(hw, 0)).batches.map((x) => x.records)).toEqual([[ids(0)]]);
    // The follower that fetched learns the high watermark on its next fetch; the cut one has not got the batch.
    expect(a!.highWatermark).toBe(hw + 1);
    expect(b!.logEndOffset).toBe(hw);
  });

  it('refuses an append at another epoch or on a follower with NOT_CONTROLLER', async () => {
    const c = cluster();
    await c.start();
    const leader = await c.waitForLeader();
    const follower = [...c.nodes.values()].find((n) => n !== leader)!;
    await expect(leader.append([ids(0)], leader.epoch - 1)).rejects.toMatchObject({ kafkaCode: KafkaCode.NOT_CONTROLLER });
    await expect(leader.append([ids(0)], leader.epoch + 1)).rejects.toMatchObject({ kafkaCode: KafkaCode.NOT_CONTROLLER });
    await expect(follower.append([ids(0)], leader.epoch)).rejects.toMatchObject({ kafkaCode: KafkaCode.NOT_CONTROLLER });
    expect(await leader.append([ids(0)], leader.epoch)).toBeGreaterThan(0);
  });

  it('a cut-off leader resigns by check-quorum; its uncommitted append fails and is truncated when it rejoins the new leader', async () => {
    const c = cluster();
    await c.start();
    const old = await c.waitForLeader();
    const committed = await old.append([ids(0)], old.epoch);
    await runFor(c.clock, 100);
    c.network.isolate(old.nodeId);
    const lost = track(old.append([ids(100)], old.epoch));
    const lost2 = track(old.append([ids(200)], old.epoch));
    await runFor(c.clock, 100);
    expect(old.logEndOffset).toBe(committed + 3);
    // The others elect a new leader and write at its epoch.
    const next = await c.waitForLeader(20_000, [old.nodeId]);
    expect(next.epoch).toBeGreaterThan(old.epoch);
    const offset = await next.append([ids(300)], next.epoch);
    // Check-quorum: no majority fetched from the old leader within 1.5 × fetch timeout.
    await runFor(c.clock, 3100);
    expect(old.role).not.toBe('leader');
    expect(old.leader().nodeId).not.toBe(old.nodeId);
    expect(lost.state).toBe('rejected');
    expect((lost.error as { kafkaCode: number }).kafkaCode).toBe(KafkaCode.NOT_CONTROLLER);
    expect(lost2.state).toBe('rejected');
    c.network.heal();
    await runFor(c.clock, 3000);
    const leader = await c.waitForLeader();
    // The diverging tail (ids 100, 200) is gone; every log holds the same batches now.
    const reference = leader.logBatches().map((b) => [b.baseOffset, b.epoch, b.records]);
    for (const node of c.nodes.values()) {
      expect(node.logBatches().map((b) => [b.baseOffset, b.epoch, b.records])).toEqual(reference);
      expect(node.highWatermark).toBe(leader.highWatermark);
    }
    const all = (await old.read(0, 0)).batches.flatMap((b) => b.records);
    expect(all).toContainEqual(ids(0));
    expect(all).toContainEqual(ids(300));
    expect(all).not.toContainEqual(ids(100));
    expect(all).not.toContainEqual(ids(200));
    expect(offset).toBeGreaterThan(committed);
  });

  it('the high watermark never goes back, and every node applies the same committed batches in order', async () => {
    const c = cluster();
    await c.start();
    const seen = new Map<number, number[]>();
    for (const node of c.nodes.values()) {
      const hws: number[] = [];
      seen.set(node.nodeId, hws);
      const poll = setInterval(() => hws.push(node.highWatermark), 0);
      clusterCleanups.push(() => clearInterval(poll));
    }
    for (let round = 0; round < 3; round++) {
      const leader = await c.waitForLeader();
      for (let i = 0; i < 5; i++) await leader.append([ids(round * 100 + i)], leader.epoch);
      await c.stopNode(leader.nodeId);
      await c.waitForLeader();
      await c.startNode(leader.nodeId);
      await runFor(c.clock, 500);
    }
    for (const hws of seen.values()) for (let i = 1; i < hws.length; i++) expect(hws[i]).toBeGreaterThanOrEqual(hws[i - 1]!);
    const logs = [...c.nodes.values()].map((n) => n.logBatches().filter((b) => b.baseOffset < n.highWatermark).map((b) => [b.baseOffset, b.epoch]));
    const shortest = Math.min(...logs.map((l) => l.length));
    for (const log of logs) expect(log.slice(0, shortest)).toEqual(logs[0]!.slice(0, shortest));
    const records = (await (await c.waitForLeader()).read(0, 0)).batches.flatMap((b) => b.records).filter((r) => r.type === 'producer-ids');
    expect(records).toEqual([0, 1, 2, 3, 4, 100, 101, 102, 103, 104, 200, 201, 202, 203, 204].map(ids));
  });

  it('serves observers committed batches only, and tells them the leader when asked elsewhere', async () => {
    const c = cluster();
    await c.start();
    const leader = await c.waitForLeader();
    const follower = [...c.nodes.values()].find((n) => n !== leader)!;
    await leader.append([ids(0)], leader.epoch);
    await runFor(c.clock, 100);
    const observerFetch = (fetchOffset: number, maxWaitMs = 0) => ({
      clusterId: null, replicaId: 7, replicaState: { replicaId: 7, replicaEpoch: -1 }, maxWaitMs, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: '__cluster_metadata', topicId: '00000000-0000-0000-0000-000000000001', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20, replicaDirectoryId: '' }] }],
      forgottenTopicsData: [], rackId: '',
    });
    const elsewhere = await follower.handleFetch(observerFetch(0), 17, new TestShutdown());
    expect(elsewhere.responses![0]!.partitions![0]).toMatchObject({ errorCode: KafkaCode.NOT_LEADER_OR_FOLLOWER, currentLeader: { leaderId: leader.nodeId, leaderEpoch: leader.epoch } });
    // An uncommitted batch (followers cut off) is not served to the observer.
    for (const n of c.nodes.values()) if (n !== leader) c.network.cut(n.nodeId, leader.nodeId);
    void leader.append([ids(10)], leader.epoch).catch(() => undefined);
    await settle();
    const answer = await leader.handleFetch(observerFetch(0), 17, new TestShutdown());
    const p = answer.responses![0]!.partitions![0]!;
    expect(p.errorCode).toBe(0);
    expect(p.highWatermark).toBe(leader.highWatermark);
    const batches = decodeMetadataBatches(concat(p.records as Uint8Array[]));
    expect(batches.flatMap((b) => b.records)).toContainEqual(ids(0));
    expect(batches.flatMap((b) => b.records)).not.toContainEqual(ids(10));
    expect(batches.at(-1)!.baseOffset).toBeLessThan(leader.highWatermark);
    // A long poll at the high watermark waits, and ends when the listener shuts down.
    const shutdown = new TestShutdown();
    const waiting = track(leader.handleFetch(observerFetch(leader.highWatermark, 60_000), 17, shutdown));
    await runFor(c.clock, 200);
    expect(waiting.state).toBe('pending');
    shutdown.abort();
    await settle();
    expect(waiting.state).toBe('resolved');
  });
});

const clusterCleanups: Array<() => void> = [];
afterEach(() => {
  for (const f of clusterCleanups.splice(0)) f();
});
