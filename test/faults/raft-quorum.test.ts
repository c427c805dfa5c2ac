/**
 * The Raft controller quorum under faults (issue 12): three nodes, each a broker and a voter
 * (`--controller-quorum 1@…,2@…,3@…`), acks=all load from our client, kafkajs and
 * librdkafka (confluent-kafka-python, when installed), a group consumer committing offsets.
 * - kill -9 the active controller, then every node in turn: a new controller is elected,
 *   partition leaders move off the dead node, writes go on;
 * - SIGSTOP the active controller past the broker session timeout: the others elect a
 *   controller, which fences the stopped node and moves its leaderships;
 * - a rolling restart with controlled shutdown (SIGTERM): no send fails.
 * Nothing acknowledged may be lost and committed group offsets may not go back (the checker).
 */
import { describe, expect, it } from 'vitest';
import { SCALE, clusterUnsupportedReason, runScenario, type FaultContext } from './scenario.ts';

const unsupported = await clusterUnsupportedReason();
const timeouts = { brokerSessionTimeoutMs: 3_000, brokerHeartbeatIntervalMs: 500, replicaLagTimeMaxMs: 3_000 } as const;

/** Waits until a voter other than `not` answers as the active controller; returns it. */
async function newController(ctx: FaultContext, not: number, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const leader = await ctx.cluster.activeController(2_000).catch(() => -1);
    if (leader >= 0 && leader !== not) return leader;
    if (Date.now() > deadline) throw new Error(`no controller other than node ${not} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(unsupported !== null)(`Raft controller quorum of three${unsupported ? ` (skipped: ${unsupported})` : ''}`, () => {
  it('kill -9 of the active controller, then of each node in turn, loses no acknowledged value', async () => {
    const run = await runScenario({
      name: 'raft-kill-each',
      raftVoters: true,
      ...timeouts,
      async fault(ctx) {
        for (let round = 0; round < SCALE; round++) {
          const controller = await ctx.cluster.activeController();
          ctx.note(`active controller: node ${controller}`);
          const order = [controller, ...[1, 2, 3].filter((id) => id !== controller)];
          for (const victim of order) {
            const wasController = (await ctx.cluster.activeController().catch(() => -1)) === victim;
            await ctx.cluster.node(victim).kill();
            ctx.note(`killed node ${victim}${wasController ? ' (the active controller)' : ''}`);
            if (wasController) ctx.note(`new active controller: node ${await newController(ctx, victim)}`);
            // Partition leaders move off the dead node: the controller of the two left elects them.
            await ctx.waitForLeaderAway(victim);
            ctx.note(`new leaders: ${JSON.stringify(await ctx.cluster.describe(ctx.topic))}`);
            await ctx.waitForMoreAcks(30);
            await ctx.cluster.node(victim).restart();
            ctx.note(`restarted node ${victim}`);
            await ctx.cluster.waitForFullIsr(ctx.topic);
            ctx.note('full ISR');
          }
        }
      },
    });
    expect(run.result.violations, run.report).toEqual([]);
  }, 600_000 * SCALE);

  it('SIGSTOP of the active controller past the session timeout loses no acknowledged value', async () => {
    const run = await runScenario({
      name: 'raft-pause-controller',
      raftVoters: true,
      ...timeouts,
      async fault(ctx) {
        for (let round = 0; round < SCALE; round++) {
          const controller = await ctx.cluster.activeController();
          ctx.cluster.node(controller).pause();
          ctx.note(`paused node ${controller} (the active controller)`);
          ctx.note(`new active controller: node ${await newController(ctx, controller)}`);
          await ctx.waitForLeaderAway(controller);
          ctx.note(`new leaders: ${JSON.stringify(await ctx.cluster.describe(ctx.topic))}`);
          await ctx.waitForMoreAcks(30);
          ctx.cluster.node(controller).resume();
          ctx.note(`resumed node ${controller}`);
          await ctx.cluster.waitForFullIsr(ctx.topic);
          ctx.note('full ISR');
        }
      },
    });
    expect(run.result.violations, run.report).toEqual([]);
  }, 300_000 * SCALE);

  it('a rolling restart with controlled shutdown, active controller last, fails no send', async () => {
    const run = await runScenario({
      name: 'raft-rolling-restart',
      raftVoters: true,
      ...timeouts,
      async fault(ctx) {
        for (let round = 0; round < SCALE; round++) {
          const controller = await ctx.cluster.activeController();
          for (const id of [...[1, 2, 3].filter((n) => n !== controller), controller]) {
            const node = ctx.cluster.node(id);
            await node.stop();
            ctx.note(`stopped node ${id} (SIGTERM)`);
            // Its leaderships moved and it left the ISR before it went (controlled shutdown).
            await ctx.cluster.waitForTopic(ctx.topic, `node ${id} out of the ISR after its controlled shutdown`, (ps) => ps.every((p) => p.leader !== id && !p.isr.includes(id)), 30_000);
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
    const failed = run.history.produced.filter((o) => o.kind === 'failed');
    expect(failed, run.report).toEqual([]);
  }, 400_000 * SCALE);
});
