/** A rolling restart (SIGTERM, start, full ISR, next node; the controller's node last) under acks=all load loses nothing. */
import { describe, expect, it } from 'vitest';
import { SCALE, clusterUnsupportedReason, runScenario } from './scenario.ts';

const unsupported = await clusterUnsupportedReason();

describe.skipIf(unsupported !== null)(`rolling restart${unsupported ? ` (skipped: ${unsupported})` : ''}`, () => {
  it('loses no acknowledged value', async () => {
    const run = await runScenario({
      name: 'rolling-restart',
      brokerSessionTimeoutMs: 3_000,
      brokerHeartbeatIntervalMs: 500,
      replicaLagTimeMaxMs: 3_000,
      async fault(ctx) {
        for (let round = 0; round < SCALE; round++) {
          for (const id of [3, 2, 1]) {
            const node = ctx.cluster.node(id);
            await node.stop();
            ctx.note(`stopped node ${id} (SIGTERM)`);
            // Controlled shutdown moves its leaderships and takes it out of the ISR; waiting for
            // that also makes sure the full ISR awaited below is a new one, not the one before.
            // The controller's own node is the exception: with the single voter gone nothing changes the ISR.
            if (id !== 1) {
              await ctx.cluster.waitForTopic(ctx.topic, `node ${id} out of the ISR after its controlled shutdown`, (ps) => ps.every((p) => p.leader !== id && !p.isr.includes(id)), 30_000);
              ctx.note(`node ${id} out of the ISR: ${JSON.stringify(await ctx.cluster.describe(ctx.topic))}`);
            }
            await node.start();
            ctx.note(`started node ${id}`);
            await ctx.cluster.waitForFullIsr(ctx.topic);
            ctx.note('full ISR');
            await ctx.waitForMoreAcks(20);
          }
        }
      },
    });
    expect(run.result.violations, run.report).toEqual([]);
  }, 400_000 * SCALE);
});
