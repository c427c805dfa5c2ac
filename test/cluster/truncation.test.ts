/**
 * Leader epochs and truncation: the double-failover cases of KIP-101 and KIP-279, played
 * on two replica managers (test/cluster/replication-harness.ts) with links cut and nodes
 * restarted over their storage. A returning replica truncates where its log left the
 * leader's by the epoch caches — never to its high watermark — so nothing the leader
 * has is lost and the logs end byte-identical.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { concat } from '../../core/protocol/index.ts';
import { batchSizeAt } from '../../core/records/batch-header.ts';
import { decodeBatchSync } from '../../core/records/record-batch.ts';
import { batchOf } from '../broker/helpers.ts';
import { type Node, ReplicationCluster, settle, until } from './replication-harness.ts';

let cluster: ReplicationCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

const A = 1;
const B = 2;

async function twoNodes(): Promise<ReplicationCluster> {
  cluster = await new ReplicationCluster({ nodes: [A, B], replicaLagTimeMaxMs: 1_000_000 }).start();
  await cluster.createTopic('t', 'T', [[A, B]]);
  return cluster;
}

const part = (c: ReplicationCluster, id: number) => c.node(id).replicaManager.partition('t', 0)!;

async function write(node: Node, value: string): Promise<number> {
  const [r] = await node.replicaManager.appendRecords({ acks: 1, timeoutMs: 1000, apiVersion: 9, entries: [{ topic: 't', partition: 0, records: batchOf([value]) }] });
  expect(r!.errorCode).toBe(0);
  return r!.baseOffset;
}

/** The log as [offset, leader epoch, value] per batch (one record per batch here). */
async function contents(node: Node): Promise<Array<[number, number, string]>> {
  const p = part(cluster!, node.id);
  const bytes = concat((await p.log.read(p.logStartOffset, 1 << 30)).chunks);
  const out: Array<[number, number, string]> = [];
  for (let pos = 0; pos < bytes.length; ) {
    const batch = decodeBatchSync(bytes, pos);
    out.push([batch.baseOffset, batch.partitionLeaderEpoch, new TextDecoder().decode(batch.records[0]!.value!)]);
    pos += batchSizeAt(bytes, pos);
  }
  return out;
}

async function bytesOf(node: Node): Promise<Buffer> {
  const p = part(cluster!, node.id);
  return Buffer.from(concat((await p.log.read(p.logStartOffset, 1 << 30)).chunks));
}

describe('truncation by leader epoch', () => {
  it('KIP-101 case 1: a follower whose high watermark lags keeps its log when it becomes leader; the old leader keeps it too', async () => {
    const c = await twoNodes();
    await write(c.node(A), 'a');
    await until(c.clock, () => part(c, B).highWatermark === 1, 'B to learn the first record is committed');
    await c.clock.advance(100); // B's next fetch is parked at A
    await write(c.node(A), 'b');
    await settle(40); // B copies 'b' but has not yet heard that it is committed
    expect(part(c, B).logEndOffset).toBe(2);
    expect(part(c, B).highWatermark).toBe(1);
    expect(part(c, A).highWatermark).toBe(2); // 'b' is acknowledged to acks=all producers now

    // A fails; B restarts (pre-KIP-101 it would truncate to its high watermark 1 here and lose 'b').
    c.isolate(A);
    await c.restart(B, false);
    await c.changePartition('T', 0, { leader: B, isr: [B] }, [B]);
    await c.republish(B);
    expect(part(c, B).isLeader).toBe(true);
    expect(part(c, B).logEndOffset).toBe(2);
    await write(c.node(B), 'c');

    // A comes back as a follower of B.
    c.heal();
    await c.restart(A);
    await until(c.clock, () => part(c, A).logEndOffset === 3, 'A to catch up with B');
    expect(await contents(c.node(A))).toEqual([[0, 0, 'a'], [1, 0, 'b'], [2, 1, 'c']]);
    expect((await bytesOf(c.node(A))).equals(await bytesOf(c.node(B)))).toBe(true);
    expect(part(c, A).epochs.toJSON()).toEqual([{ epoch: 0, startOffset: 0 }, { epoch: 1, startOffset: 2 }]);
  });

  it('KIP-101 case 2: the old leader\'s unreplicated tail is truncated at the new leader\'s epoch boundary, not at its high watermark', async () => {
    const c = await twoNodes();
    await write(c.node(A), 'a');
    await until(c.clock, () => part(c, B).logEndOffset === 1 && part(c, A).highWatermark === 1, 'B to copy the first record');
    // 'b' reaches only A.
    c.link(A, B, false);
    await write(c.node(A), 'b');
    expect(part(c, A).logEndOffset).toBe(2);
    // Both crash; B comes back first and is elected (epoch 1); it writes 'c' at offset 1.
    await c.restart(B, false);
    await c.changePartition('T', 0, { leader: B, isr: [B] }, [B]);
    await c.republish(B);
    await write(c.node(B), 'c');
    // A comes back as a follower: 'b' at offset 1 (epoch 0) diverges from 'c' (epoch 1).
    c.heal();
    await c.restart(A);
    await until(c.clock, () => part(c, A).logEndOffset === 2 && part(c, A).highWatermark === 2, 'A to converge on B');
    expect(await contents(c.node(A))).toEqual([[0, 0, 'a'], [1, 1, 'c']]);
    expect((await bytesOf(c.node(A))).equals(await bytesOf(c.node(B)))).toBe(true);
    expect(await contents(c.node(B))).toEqual([[0, 0, 'a'], [1, 1, 'c']]);
  });

  it('KIP-279: a follower with an epoch the leader never saw truncates to the epoch they share, then to where it ends', async () => {
    const c = await twoNodes();
    await write(c.node(A), 'a');
    await until(c.clock, () => part(c, B).logEndOffset === 1, 'B to copy the first record');
    c.link(A, B, false);
    // Epoch 0: 'b' only on A.
    await write(c.node(A), 'b');
    // A is cut off; B leads epoch 1 and writes 'x' at offset 1, which reaches nobody.
    await c.changePartition('T', 0, { leader: B, isr: [B] }, [B]);
    await write(c.node(B), 'x');
    expect(part(c, B).epochs.toJSON()).toEqual([{ epoch: 0, startOffset: 0 }, { epoch: 1, startOffset: 1 }]);
    // Both crash. A comes back first and leads epoch 2 (an unclean choice, as in KIP-279's case), writing 'c' at 2.
    await c.restart(A, false);
    await c.restart(B, false);
    await c.changePartition('T', 0, { leader: A, isr: [A] }, [A]);
    await c.republish(A);
    expect(part(c, A).leaderEpoch).toBe(2);
    await write(c.node(A), 'c');
    expect(part(c, A).epochs.toJSON()).toEqual([{ epoch: 0, startOffset: 0 }, { epoch: 2, startOffset: 2 }]);
    // B comes back as a follower of A. Its epoch 1 is unknown to A: A answers "epoch 0 ends at 2";
    // B's own epoch 0 ends at 1, so it truncates to 1 (dropping 'x'), then copies 'b' and 'c'.
    // (Truncating to min(2, its log end) as before KIP-279 would keep 'x' where A has 'b'.)
    c.heal();
    await c.republish(B);
    await until(c.clock, () => part(c, B).logEndOffset === 3, 'B to converge on A');
    expect(await contents(c.node(B))).toEqual([[0, 0, 'a'], [1, 0, 'b'], [2, 2, 'c']]);
    expect((await bytesOf(c.node(B))).equals(await bytesOf(c.node(A)))).toBe(true);
    expect(part(c, B).epochs.toJSON()).toEqual(part(c, A).epochs.toJSON());
  });

  it('a replica that led an epoch without writing in it drops that epoch when it follows again', async () => {
    const c = await twoNodes();
    await write(c.node(A), 'a');
    await until(c.clock, () => part(c, B).logEndOffset === 1, 'B to copy the first record');
    c.link(A, B, false);
    await c.changePartition('T', 0, { leader: B, isr: [B] }, [B]);
    expect(part(c, B).epochs.toJSON()).toEqual([{ epoch: 0, startOffset: 0 }, { epoch: 1, startOffset: 1 }]);
    await c.changePartition('T', 0, { leader: A, isr: [A] }, [A]);
    await write(c.node(A), 'b');
    c.heal();
    await c.republish(B);
    await until(c.clock, () => part(c, B).logEndOffset === 2, 'B to converge on A');
    expect(part(c, B).epochs.toJSON()).toEqual([{ epoch: 0, startOffset: 0 }, { epoch: 2, startOffset: 1 }]);
    expect((await bytesOf(c.node(B))).equals(await bytesOf(c.node(A)))).toBe(true);
  });

  it('answers OffsetForLeaderEpoch from the leader\'s cache, with the epoch checks', async () => {
    const c = await twoNodes();
    await write(c.node(A), 'a');
    await c.changePartition('T', 0, { leader: A, isr: [A] });
    await c.changePartition('T', 0, { leader: B }, [B]);
    await c.changePartition('T', 0, { leader: A }, [A]);
    // A led epochs 0 and 2 (it never heard of epoch 1); epoch 2 starts at 1.
    await write(c.node(A), 'b');
    const rm = c.node(A).replicaManager;
    expect(part(c, A).leaderEpoch).toBe(2);
    expect(rm.lastOffsetForLeaderEpoch('t', 0, 2, 0)).toEqual({ errorCode: 0, leaderEpoch: 0, endOffset: 1 });
    expect(rm.lastOffsetForLeaderEpoch('t', 0, 2, 1)).toEqual({ errorCode: 0, leaderEpoch: 0, endOffset: 1 });
    expect(rm.lastOffsetForLeaderEpoch('t', 0, 2, 2)).toEqual({ errorCode: 0, leaderEpoch: 2, endOffset: 2 });
    expect(rm.lastOffsetForLeaderEpoch('t', 0, 2, 3)).toEqual({ errorCode: 0, leaderEpoch: -1, endOffset: -1 });
    expect(rm.lastOffsetForLeaderEpoch('t', 0, 1, 0).errorCode).toBe(74);
    expect(rm.lastOffsetForLeaderEpoch('t', 0, 3, 0).errorCode).toBe(75);
    expect(rm.lastOffsetForLeaderEpoch('t', 0, -1, 0).errorCode).toBe(0);
    expect(rm.lastOffsetForLeaderEpoch('nope', 0, -1, 0).errorCode).toBe(3);
    // B is not the leader (in its view, it leads epoch 1: ask it as a consumer after it hears of epoch 2).
    await c.republish(B);
    expect(c.node(B).replicaManager.lastOffsetForLeaderEpoch('t', 0, -1, 0).errorCode).toBe(6);
    expect(c.node(B).replicaManager.lastOffsetForLeaderEpoch('t', 0, -1, 0, -2).errorCode).toBe(0);
  });

  it('answers a diverged follower fetch at once with DivergingEpoch and no records (Kafka\'s rule)', async () => {
    const c = await twoNodes();
    await write(c.node(A), 'a');
    await c.changePartition('T', 0, { leader: B }, [B]);
    await c.changePartition('T', 0, { leader: A }, [A]);
    await write(c.node(A), 'b');
    // A: epoch 0 at 0, epoch 2 at 1. A follower that wrote epoch 1 up to offset 2 diverged at 1.
    const fetch = (fetchOffset: number, lastFetchedEpoch: number) => {
      const answer: { value?: Awaited<ReturnType<Node['replicaManager']['fetchRecords']>> } = {};
      void c.node(A).replicaManager
        .fetchRecords({ replicaId: B, isolationLevel: 0, maxWaitMs: 500, minBytes: 1, maxBytes: 1 << 20, apiVersion: 12, byId: false, entries: [{ topic: 't', partition: 0, fetchOffset, partitionMaxBytes: 1 << 20, currentLeaderEpoch: 2, lastFetchedEpoch }] })
        .then((v) => (answer.value = v));
      return answer;
    };
    const diverged = fetch(2, 1);
    await settle(); // no time passes: the answer must not wait for maxWaitMs
    expect(diverged.value![0]).toMatchObject({ errorCode: 0, divergingEpoch: { epoch: 0, endOffset: 1 }, records: [] });
    // Past the leader's end within the same epoch: diverged too (the follower is ahead).
    const ahead = fetch(5, 2);
    await settle();
    expect(ahead.value![0]).toMatchObject({ divergingEpoch: { epoch: 2, endOffset: 2 } });
    // In step: records, no divergence.
    const inStep = fetch(1, 0);
    await settle();
    expect(inStep.value![0]!.divergingEpoch).toBeUndefined();
    expect(inStep.value![0]!.records.length).toBe(1);
  });

  it('a stale-epoch replica fetch is FENCED_LEADER_EPOCH, a newer one UNKNOWN_LEADER_EPOCH', async () => {
    const c = await twoNodes();
    await c.changePartition('T', 0, { leader: A, isr: [A, B] });
    await c.changePartition('T', 0, { leader: B }, [A]);
    await c.changePartition('T', 0, { leader: A }, [A]);
    const fetch = (epoch: number) => c.node(A).replicaManager.fetchRecords({ replicaId: B, isolationLevel: 0, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, apiVersion: 12, byId: false, entries: [{ topic: 't', partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20, currentLeaderEpoch: epoch, lastFetchedEpoch: -1 }] });
    expect((await fetch(1))[0]!.errorCode).toBe(74);
    expect((await fetch(5))[0]!.errorCode).toBe(75);
    expect((await fetch(2))[0]!.errorCode).toBe(0);
    // A broker that is no replica of the partition.
    const stranger = await c.node(A).replicaManager.fetchRecords({ replicaId: 9, isolationLevel: 0, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, apiVersion: 12, byId: false, entries: [{ topic: 't', partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20, currentLeaderEpoch: 2 }] });
    expect(stranger[0]!.errorCode).toBe(75);
  });
});
