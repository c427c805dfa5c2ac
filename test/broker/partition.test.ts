/**
 * The partition (partition/partition.ts) and the delayed-operation queue on their own:
 * leader appends assign offsets, the leader-epoch check, follower appends and truncation,
 * role changes, and acks=all waits on the high watermark.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { memoryStorage } from '../../adapters/memory/index.ts';
import type { PartitionLog, Storage } from '../../core/contracts/storage.ts';
import { PartitionProducers } from '../../core/broker/producer-state/partition-producers.ts';
import { DelayedOperations } from '../../core/broker/partition/delayed-operations.ts';
import { Partition } from '../../core/broker/partition/partition.ts';
import { checkBatches } from '../../core/broker/partition/produce-validation.ts';
import { batchOf, joined } from './helpers.ts';

const storages: Storage[] = [];
afterEach(async () => {
  for (const s of storages.splice(0)) await s.close();
});

async function partition(replicas = [1], nodeId = 1): Promise<Partition> {
  const storage = memoryStorage();
  storages.push(storage);
  await storage.open();
  return new Partition('t', 0, await storage.openPartition('t', 0), nodeId, replicas, 0);
}

function leaderAppend(p: Partition, values: string[]) {
  const records = batchOf(values);
  return p.appendAsLeader(records, checkBatches(records, { maxMessageBytes: 1 << 20, segmentBytes: 1 << 30, apiVersion: 9 }), undefined);
}

describe('partition', () => {
  it('assigns consecutive offsets as leader and moves the high watermark after the append', async () => {
    const p = await partition();
    const first = leaderAppend(p, ['a', 'b']);
    const second = leaderAppend(p, ['c']);
    expect(first.baseOffsets).toEqual([0]);
    expect(second.baseOffsets).toEqual([2]);
    await Promise.all([first.done, second.done]);
    expect(p.highWatermark).toBe(3);
    expect(p.logEndOffset).toBe(3);
  });

  it('checks a request\'s leader epoch in one place: absent, fenced, unknown', async () => {
    const p = await partition();
    p.makeLeader(3, [1], [1]);
    expect(p.checkLeaderEpoch(undefined)).toBe(0);
    expect(p.checkLeaderEpoch(-1)).toBe(0);
    expect(p.checkLeaderEpoch(3)).toBe(0);
    expect(p.checkLeaderEpoch(2)).toBe(74);
    expect(p.checkLeaderEpoch(4)).toBe(75);
  });

  it('as follower appends the leader\'s batches at its own log end and truncates on divergence', async () => {
    const leader = await partition([1, 2], 1);
    leader.updateFollowerEnd(2, 0);
    const a = leaderAppend(leader, ['a', 'b']);
    await a.done;
    // The follower has not caught up: the high watermark waits for it (min over the ISR).
    expect(leader.highWatermark).toBe(0);
    leader.updateFollowerEnd(2, 2);
    expect(leader.highWatermark).toBe(2);

    const follower = await partition([1, 2], 2);
    follower.makeFollower(1, 0, [1, 2], [1, 2]);
    expect(follower.isLeader).toBe(false);
    const read = await leader.read(0, 1 << 20, true);
    await follower.appendAsFollower(read.chunks[0]!, { baseOffset: 0, lastOffset: 1, maxTimestamp: 1_700_000_000_000, recordCount: 2 });
    expect(follower.logEndOffset).toBe(2);
    await expect(follower.appendAsFollower(read.chunks[0]!, { baseOffset: 0, lastOffset: 1, maxTimestamp: 1_700_000_000_000, recordCount: 2 })).rejects.toMatchObject({ kafkaCode: 1 });
    follower.updateHighWatermark(5);
    expect(follower.highWatermark).toBe(2);
    await follower.truncateTo(0);
    expect(follower.logEndOffset).toBe(0);
    expect(follower.highWatermark).toBe(0);
  });
});

/** A log whose next `failures` appends fail as a full disk would (nothing written). */
function failingLog(inner: PartitionLog): { log: PartitionLog; fail(count: number): void } {
  let failures = 0;
  const log = new Proxy(inner, {
    get(target, key) {
      if (key === 'append') {
        return (...args: Parameters<PartitionLog['append']>) => {
          if (failures > 0) {
            failures--;
            return Promise.reject(Object.assign(new Error('No space left on device'), { code: 'ERR_STORAGE_FULL', kafkaCode: 56 }));
          }
          return target.append(...args);
        };
      }
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { log, fail: (count) => (failures = count) };
}

describe('failed appends leave no offset gap', () => {
  it('appends queued behind a failed one fail too, and the next append takes the failed one\'s offset', async () => {
    const storage = memoryStorage();
    storages.push(storage);
    await storage.open();
    const { log, fail } = failingLog(await storage.openPartition('t', 0));
    const p = new Partition('t', 0, log, 1, [1], 0);
    await leaderAppend(p, ['a', 'b']).done;
    fail(1);
    const failed = leaderAppend(p, ['c']);
    const behind = leaderAppend(p, ['d', 'e']);
    expect(failed.baseOffsets).toEqual([2]);
    await expect(failed.done).rejects.toMatchObject({ code: 'ERR_STORAGE_FULL' });
    await expect(behind.done).rejects.toMatchObject({ kafkaCode: 56 });
    expect(p.logEndOffset).toBe(2);
    const next = leaderAppend(p, ['f']);
    expect(next.baseOffsets).toEqual([2]);
    await next.done;
    expect(p.logEndOffset).toBe(3);
    expect(p.highWatermark).toBe(3);
    // The log holds offsets 0..2 with no hole: batches at 0 and 2.
    const read = await log.read(0, 1 << 20);
    const bases: number[] = [];
    for (const chunk of read.chunks) {
      const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      for (let at = 0; at < chunk.byteLength; at += 12 + view.getInt32(at + 8)) bases.push(Number(view.getBigInt64(at)));
    }
    expect(bases).toEqual([0, 2]);
  });

  it('a follower append that fails leaves the next one at the same offset', async () => {
    const storage = memoryStorage();
    storages.push(storage);
    await storage.open();
    const leader = await partition();
    const a = leaderAppend(leader, ['a']);
    const b = leaderAppend(leader, ['b']);
    await Promise.all([a.done, b.done]);
    const { log, fail } = failingLog(await storage.openPartition('t', 0));
    const follower = new Partition('t', 0, log, 2, [1, 2], 0);
    follower.makeFollower(1, 0, [1, 2], [1, 2]);
    const stored = await leader.log.read(0, 1 << 20);
    const bytes = joined(stored.chunks);
    const size = 12 + new DataView(bytes.buffer, bytes.byteOffset).getInt32(8);
    const first = bytes.subarray(0, size);
    const second = bytes.subarray(size, 2 * size);
    const info = (baseOffset: number) => ({ baseOffset, lastOffset: baseOffset, maxTimestamp: -1, recordCount: 1 });
    fail(1);
    await expect(follower.appendAsFollower(first, info(0))).rejects.toMatchObject({ code: 'ERR_STORAGE_FULL' });
    await follower.appendAsFollower(first, info(0));
    await follower.appendAsFollower(second, info(1));
    expect(follower.logEndOffset).toBe(2);
  });

  it('idempotent state forgets a failed batch and the batches recorded after it, in any order', () => {
    const table = new PartitionProducers();
    const header = (baseSequence: number) => ({ producerId: 7, producerEpoch: 0, baseSequence, lastOffsetDelta: 0 });
    table.record(header(0), 0);
    table.record(header(1), 1);
    table.record(header(2), 2);
    // The append at offset 1 failed, and the one at 2 queued behind it: their failures arrive in order.
    table.forget(7, 1);
    table.forget(7, 2);
    expect(table.entry(7)!.batches.map((b) => b.baseOffset)).toEqual([0]);
    // A retry of sequence 1 is appended again, not answered as a duplicate.
    expect(table.check(header(1))).toBeNull();
  });
});

describe('delayed operations', () => {
  it('an acks=all wait completes when the high watermark passes its offset, or times out', async () => {
    const p = await partition([1, 2], 1);
    const delayed = new DelayedOperations();
    await leaderAppend(p, ['a']).done;
    const waiting = delayed.waitForHighWatermark(p, 1, 10_000);
    expect(delayed.size).toBe(1);
    p.updateFollowerEnd(2, 1);
    expect(await waiting).toBe('data');
    expect(delayed.size).toBe(0);
    expect(await delayed.waitForHighWatermark(p, 5, 20)).toBe('timeout');
    expect(delayed.size).toBe(0);
  });

  it('a data wait ends on shutdown', async () => {
    const p = await partition();
    const listeners = new Set<() => void>();
    let aborted = false;
    const delayed = new DelayedOperations({ aborted: () => aborted, onAbort: (l) => (listeners.add(l), () => listeners.delete(l)) });
    const waits = [delayed.waitForData([p], 10_000), delayed.waitForData([p], 10_000)];
    expect(listeners.size).toBe(1);
    aborted = true;
    for (const l of [...listeners]) l();
    expect(await Promise.all(waits)).toEqual(['shutdown', 'shutdown']);
    expect(listeners.size).toBe(0);
    expect(await delayed.waitForData([p], 10_000)).toBe('shutdown');
  });
});
