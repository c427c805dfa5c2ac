/** Appends only at the leader's epoch; leadership changes reach the listeners and fence the old epoch. */
import { expect, it } from 'vitest';
import type { QuorumLeader } from '../../core/broker/quorum/metadata-quorum.ts';
import { KafkaCode } from '../../core/errors.ts';
import { numbered } from './append-read.ts';
import type { QuorumSuiteContext } from './harness.ts';

export function leadershipTests(ctx: QuorumSuiteContext): void {
  it('refuses an append for another epoch with NOT_CONTROLLER, and commits nothing of it', async () => {
    const { under, leader } = await ctx.leading();
    const q = under.quorum;
    const before = (await q.read(0, 0)).highWatermark;
    await expect(q.append([numbered(1)], leader.epoch - 1)).rejects.toMatchObject({ kafkaCode: KafkaCode.NOT_CONTROLLER });
    await expect(q.append([numbered(1)], leader.epoch + 1)).rejects.toMatchObject({ kafkaCode: KafkaCode.NOT_CONTROLLER });
    expect((await q.read(0, 0)).highWatermark).toBe(before);
    expect(await q.append([numbered(2)], leader.epoch)).toBe(before);
  });

  it('names its leader with a positive epoch once leading', async () => {
    const { under, leader } = await ctx.leading();
    expect(under.quorum.leader()).toEqual(leader);
    expect(leader.nodeId).toBeGreaterThanOrEqual(0);
    expect(leader.epoch).toBeGreaterThan(0);
  });

  it('tells listeners when another node leads, at a higher epoch, and fences appends at the old one', async (test) => {
    const { under, leader } = await ctx.leading();
    if (!under.changeLeader) {
      test.skip();
      return;
    }
    const q = under.quorum;
    const committed = await q.append([numbered(1)], leader.epoch);
    const seen: QuorumLeader[] = [];
    const unsubscribe = q.onLeaderChange((l) => seen.push(l));
    const next = await under.changeLeader();
    expect(next.nodeId).not.toBe(leader.nodeId);
    expect(next.epoch).toBeGreaterThan(leader.epoch);
    expect(q.leader()).toEqual(next);
    expect(seen.at(-1)).toEqual(next);
    await expect(q.append([numbered(2)], leader.epoch)).rejects.toMatchObject({ kafkaCode: KafkaCode.NOT_CONTROLLER });
    // What was committed stays committed.
    expect((await q.read(committed, 0)).batches[0]!.records).toEqual([numbered(1)]);
    unsubscribe();
    const count = seen.length;
    await under.changeLeader();
    expect(seen.length).toBe(count);
  });
}
