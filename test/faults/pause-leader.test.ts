/**
 * SIGSTOP the leader past the broker session timeout (the controller fences it and elects
 * another), then SIGCONT: the paused leader must not acknowledge anything on its own when it
 * wakes, and nothing acknowledged is lost.
 */
import { describe, expect, it } from 'vitest';
import { SCALE, clusterUnsupportedReason, runScenario } from './scenario.ts';

const unsupported = await clusterUnsupportedReason();

describe.skipIf(unsupported !== null)(`SIGSTOP the leader past the session timeout${unsupported ? ` (skipped: ${unsupported})` : ''}`, () => {
  it('loses no acknowledged value', async () => {
    const run = await runScenario({
      name: 'pause-leader',
      brokerSessionTimeoutMs: 3_000,
      brokerHeartbeatIntervalMs: 500,
      replicaLagTimeMaxMs: 3_000,
      async fault(ctx) {
        for (let round = 0; round < SCALE; round++) {
          const victim = await ctx.victim();
          ctx.cluster.node(victim).pause();
          ctx.note(`paused node ${victim}`);
          await ctx.waitForLeaderAway(victim);
          ctx.note(`new leaders: ${JSON.stringify(await ctx.cluster.describe(ctx.topic))}`);
          await ctx.waitForMoreAcks(30);
          ctx.cluster.node(victim).resume();
          ctx.note(`resumed node ${victim}`);
          await ctx.cluster.waitForFullIsr(ctx.topic);
          ctx.note('full ISR');
        }
      },
    });
    expect(run.result.violations, run.report).toEqual([]);
  }, 300_000 * SCALE);
});
