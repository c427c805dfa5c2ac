/**
 * kill -9 the controller's node (node 1, the single voter, a follower of every partition)
 * and keep it down under acks=all load: no ISR change can be committed, so the leaders must
 * stop acknowledging (node 1 stays in the ISR and fetches nothing) — and nothing
 * acknowledged may be lost when it returns.
 */
import { describe, expect, it } from 'vitest';
import { SCALE, clusterUnsupportedReason, runScenario } from './scenario.ts';

const unsupported = await clusterUnsupportedReason();

describe.skipIf(unsupported !== null)(`controller's node down under load${unsupported ? ` (skipped: ${unsupported})` : ''}`, () => {
  it('loses no acknowledged value', async () => {
    const run = await runScenario({
      name: 'controller-down',
      brokerSessionTimeoutMs: 3_000,
      brokerHeartbeatIntervalMs: 500,
      replicaLagTimeMaxMs: 3_000,
      async fault(ctx) {
        for (let round = 0; round < SCALE; round++) {
          await ctx.cluster.node(1).kill();
          ctx.note(`killed node 1 at ${ctx.acked()} acknowledged`);
          // Past replica.lag.time.max.ms several times: the leaders want to shrink the ISR and cannot.
          await new Promise((r) => setTimeout(r, 15_000));
          ctx.note(`node 1 still down at ${ctx.acked()} acknowledged`);
          await ctx.cluster.node(1).restart();
          ctx.note('restarted node 1');
          await ctx.cluster.waitForFullIsr(ctx.topic);
          ctx.note('full ISR');
        }
      },
    });
    expect(run.result.violations, run.report).toEqual([]);
  }, 300_000 * SCALE);
});
