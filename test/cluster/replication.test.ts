/**
 * Replication end to end over three replica managers (test/cluster/replication-harness.ts):
 * followers fetch from the leader through the real Fetch handler and codec, copy its
 * batches byte for byte, the high watermark waits for every ISR member, a follower that
 * falls behind past replica.lag.time.max.ms leaves the ISR through AlterPartition and comes
 * back once caught up; follower long polls wake on appends; a pending shrink keeps the
 * high watermark where the removed follower is until the controller commits it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AppendResult } from '../../core/broker/replica-manager.ts';
import { concat } from '../../core/protocol/index.ts';
import { batchOf } from '../broker/helpers.ts';
import { ReplicationCluster, type Node, settle, until } from './replication-harness.ts';

let cluster: ReplicationCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

async function start(options: { replicaLagTimeMaxMs?: number; configs?: Record<string, string> } = {}): Promise<ReplicationCluster> {
  cluster = await new ReplicationCluster({ nodes: [1, 2, 3], replicaLagTimeMaxMs: options.replicaLagTimeMaxMs ?? 10_000 }).start();
  await cluster.createTopic('t', 'T', [[1, 2, 3]], options.configs);
  return cluster;
}

/** Starts a produce and tracks its outcome without awaiting it. */
function produce(node: Node, values: string[], acks = 1, timeoutMs = 30_000): { result?: AppendResult; done: Promise<AppendResult> } {
  const tracked: { result?: AppendResult; done: Promise<AppendResult> } = {} as never;
  tracked.done = node.replicaManager.appendRecords({ acks, timeoutMs, apiVersion: 9, entries: [{ topic: 't', partition: 0, records: batchOf(values) }] }).then((r) => (tracked.result = r[0]!));
  return tracked;
}

async function logBytes(node: Node): Promise<Uint8Array> {
  const p = node.replicaManager.partition('t', 0)!;
  const read = await p.log.read(p.logStartOffset, 1 << 30);
  return concat(read.chunks);
}

const part = (c: ReplicationCluster, id: number) => c.node(id).replicaManager.partition('t', 0)!;

describe('replication', () => {
  it('followers copy the leader\'s batches byte for byte; the high watermark waits for every ISR member', async () => {
    const c = await start();
    const leader = part(c, 1);
    expect(leader.isLeader).toBe(true);
    expect(part(c, 2).isLeader).toBe(false);
    expect(c.node(2).fetchers.sourceOf(part(c, 2))).toBe(1);

    // Node 3 cannot reach the leader: the high watermark stays where node 3 is.
    c.link(1, 3, false);
    const first = produce(c.node(1), ['a', 'b']);
    await until(c.clock, () => part(c, 2).logEndOffset === 2, 'node 2 to copy the batch');
    await c.clock.advance(1_000);
    expect(first.result?.errorCode).toBe(0);
    expect(leader.logEndOffset).toBe(2);
    expect(leader.highWatermark).toBe(0);
    expect(part(c, 3).logEndOffset).toBe(0);

    c.heal();
    await until(c.clock, () => leader.highWatermark === 2, 'the high watermark to pass both records');
    produce(c.node(1), ['c']);
    produce(c.node(1), ['d', 'e', 'f']);
    await until(c.clock, () => [1, 2, 3].every((id) => part(c, id).highWatermark === 6), 'every replica to learn the high watermark 6');
    const bytes = await logBytes(c.node(1));
    expect(Buffer.from(await logBytes(c.node(2))).equals(Buffer.from(bytes))).toBe(true);
    expect(Buffer.from(await logBytes(c.node(3))).equals(Buffer.from(bytes))).toBe(true);
    expect(part(c, 3).epochs.toJSON()).toEqual(leader.epochs.toJSON());
    // Nobody fell behind for replica.lag.time.max.ms: the ISR never changed.
    expect(c.node(1).alterPartitionCalls).toEqual([]);
  });

  it('a follower long poll wakes on an append, without any time passing', async () => {
    const c = await start();
    await c.clock.advance(100); // the followers' first fetches are now parked at the leader
    produce(c.node(1), ['x']);
    await settle(40);
    expect(part(c, 2).logEndOffset).toBe(1);
    expect(part(c, 3).logEndOffset).toBe(1);
  });

  it('a follower behind past replica.lag.time.max.ms leaves the ISR through AlterPartition, and comes back once caught up', async () => {
    const c = await start({ replicaLagTimeMaxMs: 10_000 });
    const leader = part(c, 1);
    const acked = produce(c.node(1), ['a'], -1);
    await until(c.clock, () => acked.result !== undefined, 'the first acks=all produce');
    expect(acked.result!.errorCode).toBe(0);

    c.link(1, 3, false);
    const waiting = produce(c.node(1), ['b'], -1, 60_000);
    await c.clock.advance(5_000);
    expect(waiting.result).toBeUndefined();
    expect(leader.isr).toEqual([1, 2, 3]);
    await until(c.clock, () => leader.isr.length === 2, 'the ISR to shrink', 500, 100);
    expect(c.node(1).alterPartitionCalls[0]).toMatchObject({ topicId: 'T', partition: 0, leaderEpoch: 0, partitionEpoch: 0, newIsr: [1, 2] });
    expect(c.registration('T', 0).isr).toEqual([1, 2]);
    await until(c.clock, () => waiting.result !== undefined, 'the acks=all produce to complete on the smaller ISR');
    expect(waiting.result!.errorCode).toBe(0);
    expect(leader.highWatermark).toBe(2);

    c.heal();
    await until(c.clock, () => leader.isr.length === 3, 'node 3 to rejoin the ISR');
    expect(c.node(1).alterPartitionCalls[1]).toMatchObject({ newIsr: [1, 2, 3], partitionEpoch: 1 });
    expect(part(c, 3).logEndOffset).toBe(2);
    expect(part(c, 2).isr).toEqual([1, 2, 3]);
  });

  it('a shrink the controller has not committed keeps counting the removed follower', async () => {
    const c = await start({ replicaLagTimeMaxMs: 10_000 });
    const leader = part(c, 1);
    c.link(1, 3, false);
    c.controllerUnreachable.add(1);
    const waiting = produce(c.node(1), ['a'], -1, 120_000);
    await c.clock.advance(30_000);
    // The leader proposed dropping node 3 (again and again: the controller is unreachable) ...
    expect(c.node(1).alterPartitionCalls.length).toBeGreaterThan(0);
    expect(c.node(1).alterPartitionCalls.every((call) => call.newIsr.join() === '1,2')).toBe(true);
    expect(leader.alterPartitionPending).toBe(true);
    expect(leader.maximalIsr).toEqual([1, 2, 3]);
    // ... but until it is committed node 3 still holds the high watermark back: nothing is acknowledged.
    expect(leader.isr).toEqual([1, 2, 3]);
    expect(leader.highWatermark).toBe(0);
    expect(waiting.result).toBeUndefined();

    c.controllerUnreachable.delete(1);
    await until(c.clock, () => waiting.result !== undefined, 'the produce once the shrink is committed');
    expect(waiting.result!.errorCode).toBe(0);
    expect(leader.isr).toEqual([1, 2]);
    expect(leader.highWatermark).toBe(1);
  });

  it('an expansion waits for the follower to reach the high watermark and the current leader epoch', async () => {
    const c = await start();
    await c.changePartition('T', 0, { isr: [1, 2] });
    const leader = part(c, 1);
    c.link(1, 3, false);
    produce(c.node(1), ['a', 'b', 'c']);
    await until(c.clock, () => leader.highWatermark === 3, 'the high watermark over nodes 1 and 2');
    expect(leader.isr).toEqual([1, 2]);
    c.heal();
    await until(c.clock, () => leader.isr.length === 3, 'node 3 to join');
    const state = leader.followerState(3)!;
    expect(state.logEndOffset).toBeGreaterThanOrEqual(3);
    expect(state.logEndOffset).toBeGreaterThanOrEqual(leader.leaderEpochStartOffset);
  });

  it('the leader\'s log start reaches the followers; a follower behind it starts over there', async () => {
    const c = await start({ replicaLagTimeMaxMs: 10_000 });
    const leader = part(c, 1);
    for (const v of ['a', 'b', 'c']) await produce(c.node(1), [v]).done;
    await until(c.clock, () => [1, 2, 3].every((id) => part(c, id).highWatermark === 3), 'every replica at 3');
    expect(await c.node(1).replicaManager.deleteRecords('t', 0, 2)).toEqual({ errorCode: 0, lowWatermark: 2 });
    await until(c.clock, () => part(c, 2).logStartOffset === 2 && part(c, 3).logStartOffset === 2, 'the followers to move their log start');

    // Node 3 is cut off, drops out of the ISR, and the leader deletes past its log end.
    c.link(1, 3, false);
    for (const v of ['d', 'e']) await produce(c.node(1), [v]).done;
    await until(c.clock, () => leader.isr.length === 2 && leader.highWatermark === 5, 'the ISR to shrink and the high watermark to reach 5', 500, 100);
    expect((await c.node(1).replicaManager.deleteRecords('t', 0, 5)).lowWatermark).toBe(5);
    await produce(c.node(1), ['f']).done;
    expect(part(c, 3).logEndOffset).toBe(3);

    c.heal();
    await until(c.clock, () => part(c, 3).logEndOffset === 6 && leader.isr.length === 3, 'node 3 to start over at 5 and rejoin');
    expect(part(c, 3).logStartOffset).toBe(5);
    const read = await part(c, 3).log.read(5, 1 << 20);
    const leaderRead = await leader.log.read(5, 1 << 20);
    expect(Buffer.from(concat(read.chunks)).equals(Buffer.from(concat(leaderRead.chunks)))).toBe(true);
  });

  it('consumers fetch from the leader only, up to the high watermark', async () => {
    const c = await start();
    c.link(1, 3, false);
    produce(c.node(1), ['a']);
    await until(c.clock, () => part(c, 2).logEndOffset === 1, 'node 2 to copy');
    const consumerFetch = (node: Node) => node.replicaManager.fetchRecords({ replicaId: -1, isolationLevel: 0, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, apiVersion: 12, byId: false, entries: [{ topic: 't', partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] });
    const fromLeader = await consumerFetch(c.node(1));
    expect(fromLeader[0]).toMatchObject({ errorCode: 0, highWatermark: 0, records: [] });
    const fromFollower = await consumerFetch(c.node(2));
    expect(fromFollower[0]).toMatchObject({ errorCode: 6, currentLeader: { leaderId: 1, leaderEpoch: 0 } });
    // A produce to a follower is refused the same way.
    const refused = produce(c.node(2), ['z']);
    await refused.done;
    expect(refused.result!.errorCode).toBe(6);
  });
});
