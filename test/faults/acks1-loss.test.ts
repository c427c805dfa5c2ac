/**
 * The checker must catch loss: with acks=1 the leader acknowledges alone. Its followers are
 * blackholed (still in the ISR: replica.lag.time.max.ms is long), so what it acknowledges
 * exists only on it; then it is killed, a follower takes over without those records, and the
 * old leader truncates them when it returns. The checker has to report them as lost.
 */
import { describe, expect, it } from 'vitest';
import { clusterUnsupportedReason, runScenario } from './scenario.ts';

const unsupported = await clusterUnsupportedReason();

describe.skipIf(unsupported !== null)(`acks=1, leader killed after acknowledging alone${unsupported ? ` (skipped: ${unsupported})` : ''}`, () => {
  it('is reported as loss by the checker', async () => {
    const run = await runScenario({
      name: 'acks1-loss',
      acks: 1,
      partitions: 1,
      brokerSessionTimeoutMs: 3_000,
      brokerHeartbeatIntervalMs: 500,
      replicaLagTimeMaxMs: 60_000,
      async fault(ctx) {
        const victim = await ctx.cluster.leaderOf(ctx.topic, 0);
        for (const other of ctx.cluster.nodes.keys()) if (other !== victim) ctx.cluster.net.blackhole(other, victim);
        ctx.note(`followers of node ${victim} blackholed`);
        await ctx.waitForMoreAcks(40);
        await ctx.cluster.node(victim).kill();
        ctx.note(`killed node ${victim} after ${ctx.acked()} acknowledgements`);
        ctx.cluster.net.heal();
        await ctx.waitForLeaderAway(victim);
        ctx.note(`new leader: ${JSON.stringify(await ctx.cluster.describe(ctx.topic))}`);
        await ctx.waitForMoreAcks(20);
        await ctx.cluster.node(victim).restart();
        ctx.note(`restarted node ${victim}`);
        await ctx.cluster.waitForFullIsr(ctx.topic);
      },
    });
    const lost = run.result.violations.filter((v) => v.kind === 'lost');
    expect(lost.length, run.report).toBeGreaterThanOrEqual(40);
  }, 300_000);
});
