/** Closing ends waiting reads and refuses later appends. */
import { expect, it } from 'vitest';
import { KafkaCode } from '../../core/errors.ts';
import { numbered } from './append-read.ts';
import type { QuorumSuiteContext } from './harness.ts';

export function closeTests(ctx: QuorumSuiteContext): void {
  it('close answers waiting reads with what there is, and refuses appends with NOT_CONTROLLER', async () => {
    const { under, leader } = await ctx.leading();
    const q = under.quorum;
    await q.append([numbered(1)], leader.epoch);
    const hw = (await q.read(0, 0)).highWatermark;
    const waiting = q.read(hw, 60_000);
    await q.close();
    const read = await waiting;
    expect(read.batches).toEqual([]);
    await expect(q.append([numbered(2)], leader.epoch)).rejects.toMatchObject({ kafkaCode: KafkaCode.NOT_CONTROLLER });
    // A later read does not wait.
    expect((await q.read(hw, 60_000)).batches).toEqual([]);
  });
}
