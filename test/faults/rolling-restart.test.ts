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
