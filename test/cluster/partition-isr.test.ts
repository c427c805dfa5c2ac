/**
 * A leader partition's ISR and high-watermark rules on their own (partition/partition.ts),
 * with a manual clock and an AlterPartition function the test answers: who joins, who
 * leaves after replica.lag.time.max.ms, one proposal at a time, what the high watermark
 * counts while a proposal is in flight, and what each refusal leads to.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { memoryStorage } from '../../adapters/memory/index.ts';
import type { AlterPartitionItem, AlterPartitionItemResult } from '../../core/broker/controller/broker-to-controller.ts';
import { Partition } from '../../core/broker/partition/partition.ts';
import { checkBatches } from '../../core/broker/partition/produce-validation.ts';
import type { Storage } from '../../core/contracts/storage.ts';
import { batchOf } from '../broker/helpers.ts';
import { ManualClock } from './replication-harness.ts';

const storages: Storage[] = [];
afterEach(async () => {
  for (const s of storages.splice(0)) await s.close();
});

interface Call {
  readonly item: AlterPartitionItem;
  resolve(result: Partial<AlterPartitionItemResult> & { errorCode: number }): void;
  reject(error: Error): void;
}

async function leader(isr = [1, 2, 3], lagMs = 10_000) {
  const storage = memoryStorage();
  storages.push(storage);
  await storage.open();
  const clock = new ManualClock();
  const calls: Call[] = [];
  const p = new Partition('t', 0, await storage.openPartition('t', 0), 1, [1, 2, 3], 0, 0, {
    clock,
    topicId: 'T',
    replicaLagTimeMaxMs: lagMs,
    alterPartition: (item) =>
      new Promise((resolve, reject) => {
        calls.push({
          item,
          resolve: (r) => resolve({ topicId: 'T', partition: 0, leader: 1, leaderEpoch: item.leaderEpoch, partitionEpoch: item.partitionEpoch + 1, isr: item.newIsr, ...r }),
          reject,
        });
      }),
  });
  p.makeLeader(0, [1, 2, 3], isr, 0);
  const append = async (n: number) => {
    const records = batchOf(Array.from({ length: n }, (_, i) => `v${i}`));
    await p.appendAsLeader(records, checkBatches(records, { maxMessageBytes: 1 << 20, segmentBytes: 1 << 30, apiVersion: 9 }), undefined).done;
  };
  return { p, clock, calls, append };
}

describe('leader ISR and high watermark', () => {
  it('the high watermark is the minimum log end over the ISR, and never goes back', async () => {
    const { p, append, clock } = await leader();
    await append(4);
    expect(p.highWatermark).toBe(0);
    p.updateFollowerFetch(2, 4, 4, clock.now());
    expect(p.highWatermark).toBe(0);
    p.updateFollowerFetch(3, 3, 4, clock.now());
    expect(p.highWatermark).toBe(3);
    p.updateFollowerFetch(3, 4, 4, clock.now());
    expect(p.highWatermark).toBe(4);
    // A follower that reports less (it truncated) does not move the high watermark back.
    p.updateFollowerFetch(3, 2, 4, clock.now());
    expect(p.highWatermark).toBe(4);
  });

  it('a follower joins once it reaches the high watermark and the current epoch, one proposal at a time', async () => {
    const { p, append, clock, calls } = await leader([1, 2]);
    await append(3);
    p.updateFollowerFetch(2, 3, 3, clock.now());
    expect(p.highWatermark).toBe(3);
    p.updateFollowerFetch(3, 2, 3, clock.now());
    expect(calls).toHaveLength(0); // behind the high watermark
    p.updateFollowerFetch(3, 3, 3, clock.now());
    expect(calls.map((c) => c.item.newIsr)).toEqual([[1, 2, 3]]);
    // While it is in flight the joiner already counts for the high watermark, and nothing else is proposed.
    expect(p.maximalIsr).toEqual([1, 2, 3]);
    p.updateFollowerFetch(3, 3, 3, clock.now());
    expect(calls).toHaveLength(1);
    calls[0]!.resolve({ errorCode: 0 });
    await clock.advance(0);
    expect(p.isr).toEqual([1, 2, 3]);
    expect(p.partitionEpoch).toBe(1);
    expect(p.alterPartitionPending).toBe(false);
  });

  it('a new leader epoch\'s follower must fetch from that epoch\'s start before it can join', async () => {
    const { p, append, clock, calls } = await leader([1, 2]);
    await append(2);
    p.updateFollowerFetch(2, 2, 2, clock.now());
    p.makeLeader(1, [1, 2, 3], [1, 2], 0);
    expect(p.leaderEpochStartOffset).toBe(2);
    expect(p.epochs.toJSON()).toEqual([{ epoch: 0, startOffset: 0 }, { epoch: 1, startOffset: 2 }]);
    p.updateFollowerFetch(3, 1, 2, clock.now());
    expect(calls).toHaveLength(0);
    p.updateFollowerFetch(2, 2, 2, clock.now());
    p.updateFollowerFetch(3, 2, 2, clock.now());
    expect(calls.map((c) => c.item)).toEqual([{ topicId: 'T', partition: 0, leaderEpoch: 1, partitionEpoch: 0, newIsr: [1, 2, 3] }]);
  });

  it('a follower not caught up for replica.lag.time.max.ms is proposed out; until committed it still counts', async () => {
    const { p, append, clock, calls } = await leader([1, 2, 3], 10_000);
    await append(2);
    p.updateFollowerFetch(2, 2, 2, clock.now());
    p.updateFollowerFetch(3, 0, 2, clock.now());
    expect(p.maybeShrinkIsr()).toEqual([]);
    await clock.advance(9_000);
    p.updateFollowerFetch(2, 2, 2, clock.now());
    expect(p.maybeShrinkIsr()).toEqual([]);
    await clock.advance(2_000);
    p.updateFollowerFetch(2, 2, 2, clock.now());
    expect(p.maybeShrinkIsr()).toEqual([3]);
    expect(calls.map((c) => c.item.newIsr)).toEqual([[1, 2]]);
    expect(p.maximalIsr).toEqual([1, 2, 3]);
    expect(p.highWatermark).toBe(0);
    calls[0]!.resolve({ errorCode: 0 });
    await clock.advance(0);
    expect(p.isr).toEqual([1, 2]);
    expect(p.highWatermark).toBe(2);
  });

  it('a follower that keeps fetching what the leader had at its previous fetch stays in sync', async () => {
    const { p, append, clock } = await leader([1, 2, 3], 10_000);
    p.updateFollowerFetch(3, 0, 0, clock.now());
    for (let i = 0; i < 10; i++) {
      await append(1);
      await clock.advance(5_000);
      // Always one behind, but never behind what the leader had at its previous fetch.
      p.updateFollowerFetch(3, p.logEndOffset - 1, p.logEndOffset, clock.now());
      p.updateFollowerFetch(2, p.logEndOffset, p.logEndOffset, clock.now());
    }
    expect(p.maybeShrinkIsr()).toEqual([]);
  });

  it('a refused proposal waits for metadata; an unreachable controller is asked again; an ineligible replica is retried later', async () => {
    const { p, append, clock, calls } = await leader([1, 2]);
    await append(1);
    p.updateFollowerFetch(2, 1, 1, clock.now());
    p.updateFollowerFetch(3, 1, 1, clock.now());
    expect(calls).toHaveLength(1);
    calls[0]!.resolve({ errorCode: 95 }); // INVALID_UPDATE_VERSION
    await clock.advance(5_000);
    p.updateFollowerFetch(3, 1, 1, clock.now());
    expect(calls).toHaveLength(1);
    expect(p.alterPartitionPending).toBe(true);
    // The controller's state arrives: the proposal is dropped and made again from it.
    p.makeLeader(0, [1, 2, 3], [1, 2], 3);
    expect(p.alterPartitionPending).toBe(false);
    p.updateFollowerFetch(3, 1, 1, clock.now());
    expect(calls.map((c) => c.item.partitionEpoch)).toEqual([0, 3]);

    calls[1]!.reject(new Error('connection lost'));
    await clock.advance(1_000);
    expect(calls.map((c) => c.item.partitionEpoch)).toEqual([0, 3, 3]);
    calls[2]!.resolve({ errorCode: 107 }); // INELIGIBLE_REPLICA
    await clock.advance(10);
    expect(p.alterPartitionPending).toBe(true);
    await clock.advance(1_000);
    expect(p.alterPartitionPending).toBe(false);
    expect(p.isr).toEqual([1, 2]);
  });

  it('without an AlterPartition function (a cluster of one) the ISR never changes', async () => {
    const storage = memoryStorage();
    storages.push(storage);
    await storage.open();
    const p = new Partition('t', 0, await storage.openPartition('t', 0), 1, [1, 2], 0);
    p.makeLeader(0, [1, 2], [1]);
    p.updateFollowerFetch(2, 0, 0);
    expect(p.maybeShrinkIsr()).toEqual([]);
    expect(p.isr).toEqual([1]);
  });
});
