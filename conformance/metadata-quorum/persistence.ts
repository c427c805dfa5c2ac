/** A durable quorum gives back every committed batch after a restart, and appends on after them at a higher epoch. */
import { expect, it } from 'vitest';
import { numbered } from './append-read.ts';
import type { QuorumSuiteContext } from './harness.ts';

export function persistenceTests(ctx: QuorumSuiteContext): void {
  it('keeps committed batches across a restart; the next leader epoch is higher and appends follow them', async (test) => {
    const { under, leader } = await ctx.leading();
    if (!under.restart) {
      test.skip();
      return;
    }
    for (let i = 0; i < 3; i++) await under.quorum.append([numbered(i), numbered(i + 10)], leader.epoch);
    const before = await under.quorum.read(0, 0);
    const again = await under.restart();
    ctx.track(again);
    const next = await again.waitForLeader();
    expect(next.epoch).toBeGreaterThan(leader.epoch);
    const after = await again.quorum.read(0, 0);
    // Every batch committed before is there, at the same offset, with the same epoch and records.
    const kept = after.batches.slice(0, before.batches.length);
    expect(kept.map((b) => [b.baseOffset, b.epoch, b.records])).toEqual(before.batches.map((b) => [b.baseOffset, b.epoch, b.records]));
    const offset = await again.quorum.append([numbered(42)], next.epoch);
    expect(offset).toBeGreaterThanOrEqual(before.highWatermark);
    expect((await again.quorum.read(offset, 0)).batches[0]!.records).toEqual([numbered(42)]);
  });
}
