/** kill -9 the leader under acks=all load, restart it on the same data: nothing acknowledged is lost. */
import { describe, expect, it } from 'vitest';
import { SCALE, clusterUnsupportedReason, runScenario } from './scenario.ts';

const unsupported = await clusterUnsupportedReason();

describe.skipIf(unsupported !== null)(`kill -9 the leader${unsupported ? ` (skipped: ${unsupported})` : ''}`, () => {
  it('loses no acknowledged value', async () => {
    const run = await runScenario({
      name: 'kill-leader',
      brokerSessionTimeoutMs: 3_000,
      brokerHeartbeatIntervalMs: 500,
      replicaLagTimeMaxMs: 3_000,
      async fault(ctx) {
        for (let round = 0; round < SCALE; round++) {
          const victim = await ctx.victim();
          await ctx.cluster.node(victim).kill();
          ctx.note(`killed node ${victim}`);
          await ctx.waitForLeaderAway(victim);
          ctx.note(`new leaders: ${JSON.stringify(await ctx.cluster.describe(ctx.topic))}`);
          await ctx.waitForMoreAcks(30);
          await ctx.cluster.node(victim).restart();
          ctx.note(`restarted node ${victim}`);
          await ctx.cluster.waitForFullIsr(ctx.topic);
          ctx.note('full ISR');
        }
      },
    });
    expect(run.result.violations, run.report).toEqual([]);
  }, 300_000 * SCALE);
});
