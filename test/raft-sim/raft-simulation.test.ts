/**
 * The deterministic simulation of the Raft controller quorum (issue 12; see
 * raft-simulation.ts and README.md). Many seeds run here in CI; more on demand:
 *
 *   RAFT_SIM_SEEDS=1000 npx vitest run test/raft-sim/raft-simulation.test.ts     1000 seeds (from RAFT_SIM_FIRST_SEED, default 1)
 *   RAFT_SIM_SEED=17 npx vitest run test/raft-sim/raft-simulation.test.ts        one seed, its whole trace printed
 *   RAFT_SIM_DURATION_MS=60000 …                                                 a longer faulty phase (virtual ms, default 20000)
 *
 * A failing seed is named in the failure with the command that replays it. A seed whose
 * every violation is one of the OPEN_FINDINGS (known, not yet fixed bugs; see README.md and
 * /work/notes/raft-sim-findings.md) is reported as skipped with the finding's id, so the
 * sweep stays useful — any other violation still fails — and the count of skips shows how
 * often each bug strikes. Each open finding also has a reproduction below that is EXPECTED
 * to fail (`it.fails`): once the bug is fixed that test fails, and the finding is taken
 * off the list.
 */
import { describe, expect, it, vi } from 'vitest';
import { RaftQuorum } from '../../core/broker/quorum/raft/raft-quorum.ts';
import type { RaftViolation } from './raft-invariants.ts';
import { runRaftSimulation, type RaftSimulationContext, type RaftSimulationResult } from './raft-simulation.ts';

const single = process.env.RAFT_SIM_SEED !== undefined ? Number(process.env.RAFT_SIM_SEED) : undefined;
const count = Number(process.env.RAFT_SIM_SEEDS ?? 100);
const first = Number(process.env.RAFT_SIM_FIRST_SEED ?? 1);
const durationMs = Number(process.env.RAFT_SIM_DURATION_MS ?? 20_000);
const seeds = single !== undefined ? [single] : Array.from({ length: count }, (_, i) => first + i);

/** Known, open bugs of the Raft quorum the simulation found (see the module comment). */
const OPEN_FINDINGS: ReadonlyArray<{ readonly id: string; readonly what: string; readonly matches: (v: RaftViolation, r: RaftSimulationResult) => boolean }> = [
  // None open now: R1, R2 and R3 (fixed) have regression tests below. An entry looks like:
  // { id: 'R3', what: 'a failed election-state save leaves the voter without a timer',
  //   matches: (v, r) => v.rule === 'liveness' && r.loggedErrors.some((e) => e.includes('a timed action failed')) },
];

/** The open findings that explain every violation of a run (none when any violation is new). */
function knownCause(r: RaftSimulationResult): string[] | undefined {
  if (r.violations.length === 0) return undefined;
  const ids = new Set<string>();
  for (const v of r.violations) {
    const finding = OPEN_FINDINGS.find((f) => f.matches(v, r));
    if (!finding) return undefined;
    ids.add(finding.id);
  }
  return [...ids].sort();
}

function explain(r: RaftSimulationResult): string {
  return [
    `seed ${r.seed} (${r.voters} voters): ${r.violations.length} violation(s), settled=${r.settled}, acked=${r.acked}/${r.appends}, epoch=${r.maxEpoch}, hw=${r.highWatermark}`,
    `replay: RAFT_SIM_SEED=${r.seed}${durationMs !== 20_000 ? ` RAFT_SIM_DURATION_MS=${durationMs}` : ''} npx vitest run test/raft-sim/raft-simulation.test.ts`,
    ...r.violations.slice(0, 5).map((v) => `  ${v.rule}: ${v.detail}`),
    ...(r.loggedErrors.length > 0 ? ['errors the nodes logged:', ...r.loggedErrors.slice(0, 5).map((e) => `  ${e}`)] : []),
    'trace tail:',
    ...r.traceTail,
  ].join('\n');
}

/** Kafka's canRecoverFromSingleNodeCommittedDataLoss, turned against us: a MAJORITY of disks wiped at once loses committed data. */
async function wipeMajority(sim: RaftSimulationContext): Promise<void> {
  await sim.run(3000);
  const victims = sim.cluster.nodes.slice(0, Math.floor(sim.cluster.nodes.length / 2) + 1);
  for (const node of victims) {
    await sim.crash(node, 'kill');
    await node.disk.wipe();
    sim.trace.add(`script: node ${node.id}'s disk wiped`);
  }
  for (const node of victims) sim.restart(node);
  await sim.run(5000);
}

describe('Raft quorum simulation', () => {
  it('replays a seed exactly: two runs of one seed give the same trace', async () => {
    const a = await runRaftSimulation({ seed: 7, durationMs: 8000 });
    const b = await runRaftSimulation({ seed: 7, durationMs: 8000 });
    const c = await runRaftSimulation({ seed: 9, durationMs: 8000 });
    expect(a.traceLines).toBeGreaterThan(20);
    expect(a.acked).toBeGreaterThan(0);
    expect(b.traceHash).toBe(a.traceHash);
    expect(b.traceLines).toBe(a.traceLines);
    expect(c.traceHash).not.toBe(a.traceHash);
  });

  it('catches a planted violation: voters that grant every vote elect two leaders in one epoch', async () => {
    const real = RaftQuorum.prototype.handleVote;
    const sabotage = vi.spyOn(RaftQuorum.prototype, 'handleVote').mockImplementation(async function (this: RaftQuorum, request, version) {
      const answer = await real.call(this, request, version);
      const p = answer.topics?.[0]?.partitions?.[0] as { voteGranted?: boolean; errorCode?: number } | undefined;
      if (p && !p.errorCode) p.voteGranted = true;
      return answer;
    });
    try {
      const found = new Set<string>();
      for (let seed = 1; seed <= 20 && !found.has('one-leader-per-epoch'); seed++) {
        const r = await runRaftSimulation({ seed, voters: 3, durationMs: 10_000, stopAtFirstViolation: false });
        for (const v of r.violations) found.add(v.rule);
      }
      expect([...found]).toContain('one-leader-per-epoch');
    } finally {
      sabotage.mockRestore();
    }
  });

  it('catches a planted violation: wiping a majority of disks loses committed data', async () => {
    const r = await runRaftSimulation({ seed: 3, voters: 3, script: wipeMajority, stopAtFirstViolation: false });
    expect(r.acked).toBeGreaterThan(0);
    const rules = new Set(r.violations.map((v) => v.rule));
    expect([...rules], explain(r)).toEqual(expect.arrayContaining(['committed-durable']));
  });

  // R1 (fixed in c-raft 93cbc35), scripted: a voter that fell behind comes back isolated,
  // stands again and again (its epoch climbs), then the partition heals. Every refused Vote
  // moves the others to its higher epoch; when that restarted their election timers —
  // longer than its backoff — nobody else ever stood (36 of 100 seeds never converged).
  it('R1 (fixed): a lagging voter back from isolation does not keep the quorum from electing a leader', async () => {
    const r = await runRaftSimulation({
      seed: 5,
      voters: 3,
      observers: 0,
      settleMs: 20_000,
      script: async (sim) => {
        await sim.run(1000);
        const lagging = sim.cluster.nodes.find((n) => n.quorum && n.quorum.role !== 'leader')!;
        await sim.crash(lagging, 'kill');
        await sim.run(3000);
        sim.cluster.network.isolate(lagging.id, sim.cluster.ids);
        sim.restart(lagging);
        sim.trace.add(`script: node ${lagging.id} back, isolated`);
        await sim.run(8000);
      },
    });
    expect(r.acked).toBeGreaterThan(0);
    expect(r.violations, explain(r)).toEqual([]);
    expect(r.settled, explain(r)).toBe(true);
  });

  // R2 (fixed in c-raft 603da04) on the seeds that found it: a new leader answered Fetch with
  // its follower-time committed end (0 after a restart) before its own first batch committed.
  it('R2 (fixed): an observer never sees the high watermark go back (seeds 32, 38, 41, 88, 100)', async () => {
    for (const seed of [32, 38, 41, 88, 100]) {
      const r = await runRaftSimulation({ seed, durationMs: 20_000 });
      expect(r.violations.filter((v) => v.rule === 'hw-monotonic'), explain(r)).toEqual([]);
    }
  });

  // R3 (fixed in c-raft 9f5173d), scripted: every node restarts with a disk whose next write
  // fails. The first write is a voter's election-state save when its election timer fires;
  // the timed step threw, was logged, and no timer was set again: nobody ever stood.
  it('R3 (fixed): a voter whose election-state save failed once still stands later', async () => {
    const r = await runRaftSimulation({
      seed: 6,
      voters: 3,
      observers: 0,
      settleMs: 20_000,
      script: async (sim) => {
        await sim.run(1000);
        for (const node of sim.cluster.nodes) await sim.crash(node, 'kill');
        for (const node of sim.cluster.nodes) node.disk.failWrites = 1;
        sim.trace.add('script: every disk fails its next write');
        for (const node of sim.cluster.nodes) sim.restart(node);
        await sim.run(5000);
      },
    });
    expect(r.violations, explain(r)).toEqual([]);
    expect(r.settled, explain(r)).toBe(true);
  });

  it.for(seeds)('seed %i: Raft safety after every step, convergence at the end', async (seed, context) => {
    const r = await runRaftSimulation({ seed, durationMs, fullTrace: single !== undefined });
    if (single !== undefined) console.log(explain(r).replace('trace tail:', `trace hash ${r.traceHash}, faults ${JSON.stringify(r.faults)}, network ${JSON.stringify(r.network)}\ntrace:`));
    const known = single === undefined ? knownCause(r) : undefined;
    if (known) {
      context.skip(`known open finding ${known.join(', ')}: ${r.violations[0]!.rule}: ${r.violations[0]!.detail.slice(0, 120)}`);
      return;
    }
    expect(r.violations, explain(r)).toEqual([]);
    expect(r.settled, explain(r)).toBe(true);
  });
});
