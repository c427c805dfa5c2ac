/**
 * Replicas moving under acks=all load lose nothing: each partition's leader is reassigned
 * away (the partition shrinks to its two followers, the removed leader's replica stops and
 * deletes its log, a follower takes over), then reassigned back as the preferred replica (it
 * copies the partition from scratch, joins the ISR, and a preferred election gives it the
 * leadership again) — while three client libraries produce and a group consumes.
 */
import { describe, expect, it } from 'vitest';
import { SCALE, clusterUnsupportedReason, runScenario } from './scenario.ts';

const unsupported = await clusterUnsupportedReason();

describe.skipIf(unsupported !== null)(`reassignment under load${unsupported ? ` (skipped: ${unsupported})` : ''}`, () => {
  it('loses no acknowledged value while leaders are moved away and back', async () => {
    const run = await runScenario({
      name: 'reassignment',
      brokerSessionTimeoutMs: 3_000,
      brokerHeartbeatIntervalMs: 500,
      replicaLagTimeMaxMs: 3_000,
      async fault(ctx) {
        const admin = ctx.cluster.client('faults-reassign').admin();
        for (let round = 0; round < SCALE; round++) {
          const before = await ctx.cluster.describe(ctx.topic);
          const moves = before.map((p) => ({ partition: p.partition, leader: p.leader, rest: p.replicas.filter((id) => id !== p.leader) }));
          await admin.alterPartitionReassignments({ topics: [{ topic: ctx.topic, partitionAssignment: moves.map((m) => ({ partition: m.partition, replicas: m.rest })) }] });
          ctx.note(`reassigned away from the leaders: ${JSON.stringify(moves)}`);
          await ctx.cluster.waitForTopic(ctx.topic, 'the leaders reassigned away', (ps) => ps.every((p) => { const m = moves.find((x) => x.partition === p.partition)!; return p.replicas.length === m.rest.length && !p.replicas.includes(m.leader) && p.leader !== m.leader; }), 60_000);
          ctx.note(`moved: ${JSON.stringify(await ctx.cluster.describe(ctx.topic))}`);
          await ctx.waitForMoreAcks(20);
          await admin.alterPartitionReassignments({ topics: [{ topic: ctx.topic, partitionAssignment: moves.map((m) => ({ partition: m.partition, replicas: [m.leader, ...m.rest] })) }] });
          ctx.note('reassigned back, the old leaders preferred');
          await ctx.cluster.waitForTopic(ctx.topic, 'the old leaders back in sync', (ps) => ps.every((p) => p.replicas.length === 3 && p.isr.length === 3), 60_000);
          const elected = await admin.electLeaders({ partitions: [{ topic: ctx.topic, partitions: moves.map((m) => m.partition) }] });
          ctx.note(`preferred election: ${JSON.stringify(elected)}`);
          await ctx.cluster.waitForTopic(ctx.topic, 'the preferred replicas leading', (ps) => ps.every((p) => p.leader === p.replicas[0]), 60_000);
          await ctx.waitForMoreAcks(20);
        }
      },
    });
    expect(run.result.violations, run.report).toEqual([]);
  }, 300_000 * SCALE);
});
