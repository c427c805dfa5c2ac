/** A read with nothing to return waits for the next commit, or for its wait to run out on the clock. */
import { expect, it } from 'vitest';
import { numbered } from './append-read.ts';
import type { QuorumSuiteContext } from './harness.ts';

export function longPollTests(ctx: QuorumSuiteContext): void {
  it('wakes a waiting read with the next committed batch', async () => {
    const { under, leader } = await ctx.leading();
    const q = under.quorum;
    const hw = (await q.read(0, 0)).highWatermark;
    const waiting = q.read(hw, 60_000);
    const offset = await q.append([numbered(7)], leader.epoch);
    const read = await waiting;
    expect(read.batches.map((b) => [b.baseOffset, b.records])).toEqual([[offset, [numbered(7)]]]);
    expect(read.highWatermark).toBe(offset + 1);
  });

  it('answers empty with the high watermark once the wait runs out on the clock', async () => {
    const { under } = await ctx.leading();
    const q = under.quorum;
    const hw = (await q.read(0, 0)).highWatermark;
    let done = false;
    const waiting = q.read(hw, 500).then((r) => {
      done = true;
      return r;
    });
    await under.advance(100);
    expect(done).toBe(false);
    await under.advance(500);
    expect(await waiting).toEqual({ batches: [], highWatermark: hw });
  });
}
