/**
 * Isolate the leader from the controller and its followers while its application clients
 * stay connected: it cannot shrink the ISR without the controller, so it must not
 * acknowledge acks=all writes alone; the others elect a new leader; after healing it
 * rejoins as a follower and nothing acknowledged is lost.
 */
import { describe, expect, it } from 'vitest';
import { SCALE, clusterUnsupportedReason, runScenario } from './scenario.ts';

const unsupported = await clusterUnsupportedReason();

describe.skipIf(unsupported !== null)(`isolate the leader, clients still connected${unsupported ? ` (skipped: ${unsupported})` : ''}`, () => {
  it('loses no acknowledged value', async () => {
    const run = await runScenario({
      name: 'isolate-leader',
      brokerSessionTimeoutMs: 3_000,
      brokerHeartbeatIntervalMs: 500,
      replicaLagTimeMaxMs: 3_000,
      async fault(ctx) {
        for (let round = 0; round < SCALE; round++) {
          const victim = await ctx.victim();
          ctx.cluster.net.isolate(victim);
          ctx.note(`isolated node ${victim}`);
          await ctx.waitForLeaderAway(victim);
          ctx.note(`new leaders: ${JSON.stringify(await ctx.cluster.describe(ctx.topic))}`);
          await ctx.waitForMoreAcks(30);
          // Long enough for the isolated leader's replica.lag.time.max.ms to pass: it must still not acknowledge alone.
          await new Promise((r) => setTimeout(r, 4_000));
          ctx.cluster.net.heal();
          ctx.note(`healed node ${victim}`);
          await ctx.cluster.waitForFullIsr(ctx.topic);
          ctx.note('full ISR');
        }
      },
    });
    expect(run.result.violations, run.report).toEqual([]);
  }, 300_000 * SCALE);
});
