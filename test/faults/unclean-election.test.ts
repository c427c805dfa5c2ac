/**
 * The checker must catch loss: with min.insync.replicas 1 and unclean leader election on,
 * a leader whose followers fell out of the ISR acknowledges acks=all writes alone; killed,
 * an out-of-sync follower is elected without them. The checker has to report them as lost.
 */
import { describe, expect, it } from 'vitest';
import { clusterUnsupportedReason, runScenario } from './scenario.ts';

const unsupported = await clusterUnsupportedReason();

describe.skipIf(unsupported !== null)(`unclean election with min.insync.replicas 1${unsupported ? ` (skipped: ${unsupported})` : ''}`, () => {
  it('is reported as loss by the checker', async () => {
    const run = await runScenario({
      name: 'unclean-election',
      minInsyncReplicas: 1,
      uncleanLeaderElection: true,
      partitions: 1,
      brokerSessionTimeoutMs: 3_000,
      brokerHeartbeatIntervalMs: 500,
      replicaLagTimeMaxMs: 2_000,
      async fault(ctx) {
        const victim = await ctx.cluster.leaderOf(ctx.topic, 0);
        for (const other of ctx.cluster.nodes.keys()) if (other !== victim) ctx.cluster.net.blackhole(other, victim);
        ctx.note(`followers of node ${victim} blackholed`);
        await ctx.cluster.waitForTopic(ctx.topic, `ISR shrunk to node ${victim}`, (ps) => ps[0]!.isr.length === 1 && ps[0]!.isr[0] === victim);
        ctx.note(`ISR shrunk: ${JSON.stringify(await ctx.cluster.describe(ctx.topic))}`);
        await ctx.waitForMoreAcks(40);
        await ctx.cluster.node(victim).kill();
        ctx.note(`killed node ${victim} after ${ctx.acked()} acknowledgements`);
        ctx.cluster.net.heal();
        await ctx.waitForLeaderAway(victim);
        ctx.note(`unclean leader: ${JSON.stringify(await ctx.cluster.describe(ctx.topic))}`);
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
