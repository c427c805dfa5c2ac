/**
 * Scripted scenarios of the Raft simulation, after the properties of Kafka's
 * RaftEventSimulationTest (canElectInitialLeader, canElectNewLeaderAfterOldLeaderFailure,
 * canRecoverAfterAllNodesKilled, canElectNewLeaderAfterOldLeaderPartitionedAway,
 * canMakeProgressIfMajorityIsReachable, canMakeProgressAfterBackToBackLeaderFailures): each
 * runs on a few seeds (3 and 5 voters), with every invariant checked after every step and the
 * final convergence, and asserts the progress the scenario promises on top.
 */
import { describe, expect, it } from 'vitest';
import { runRaftSimulation, type RaftSimulationContext, type RaftSimulationResult } from './raft-simulation.ts';

function explain(r: RaftSimulationResult): string {
  return [`seed ${r.seed} (${r.voters} voters): settled=${r.settled}, acked=${r.acked}/${r.appends}, epoch=${r.maxEpoch}`, ...r.violations.slice(0, 5).map((v) => `  ${v.rule}: ${v.detail}`), 'trace tail:', ...r.traceTail].join('\n');
}

/** Runs a scenario on one seed with the network clean (no random faults) and checks the outcome. */
async function scenario(seed: number, voters: number, script: (sim: RaftSimulationContext) => Promise<void>): Promise<RaftSimulationResult> {
  const r = await runRaftSimulation({ seed, voters, observers: 1, script });
  expect(r.violations, explain(r)).toEqual([]);
  expect(r.settled, explain(r)).toBe(true);
  expect(r.acked, explain(r)).toBeGreaterThan(0);
  return r;
}

/** Advances until a single active leader exists (or fails the scenario). */
async function leaderOf(sim: RaftSimulationContext, limitMs = 15_000) {
  for (let waited = 0; waited < limitMs; waited += 100) {
    const leader = sim.activeLeader();
    if (leader) return leader;
    await sim.run(100);
  }
  throw new Error(`no leader within ${limitMs} ms`);
}

const cases = [
  [11, 3],
  [12, 5],
  [13, 3],
] as const;

describe('Raft scenarios (after Kafka\'s RaftEventSimulationTest)', () => {
  it.each(cases)('seed %i, %i voters: elects a new leader after the old one crashes, and again back to back', async (seed, voters) => {
    await scenario(seed, voters, async (sim) => {
      for (let round = 0; round < 2; round++) {
        const old = await leaderOf(sim);
        const before = sim.acked();
        await sim.crash(old, round === 0 ? 'kill' : 'power');
        const next = await leaderOf(sim);
        expect(next.id).not.toBe(old.id);
        await sim.run(1000);
        expect(sim.acked()).toBeGreaterThan(before);
        sim.restart(old);
        await sim.run(1000);
      }
    });
  });

  it.each(cases)('seed %i, %i voters: recovers after every node is killed at once', async (seed, voters) => {
    await scenario(seed, voters, async (sim) => {
      await leaderOf(sim);
      await sim.run(1000);
      for (const node of sim.cluster.nodes) await sim.crash(node, seed % 2 === 0 ? 'power' : 'kill');
      await sim.run(2000);
      for (const node of sim.cluster.nodes) sim.restart(node);
      const before = sim.acked();
      await leaderOf(sim);
      await sim.run(2000);
      expect(sim.acked()).toBeGreaterThan(before);
    });
  });

  it.each(cases)('seed %i, %i voters: elects a new leader when the old one is partitioned away, and keeps committing', async (seed, voters) => {
    await scenario(seed, voters, async (sim) => {
      const old = await leaderOf(sim);
      sim.cluster.network.isolate(old.id, sim.cluster.ids);
      sim.trace.add(`script: isolate leader ${old.id}`);
      // The isolated leader resigns (check-quorum); the others elect among themselves.
      let next = sim.activeLeader();
      for (let waited = 0; (!next || next.id === old.id) && waited < 15_000; waited += 100) {
        await sim.run(100);
        next = sim.activeLeader();
      }
      expect(next && next.id !== old.id).toBe(true);
      const before = sim.acked();
      await sim.run(2000);
      expect(sim.acked()).toBeGreaterThan(before);
      sim.cluster.network.heal();
      await sim.run(2000);
    });
  });

  it.each([
    [21, 5],
    [22, 5],
    [23, 3],
  ] as const)('seed %i, %i voters: makes progress while a majority is reachable (leader in the minority)', async (seed, voters) => {
    await scenario(seed, voters, async (sim) => {
      const old = await leaderOf(sim);
      const others = sim.cluster.ids.filter((id) => id !== old.id);
      const minoritySize = Math.floor(voters / 2);
      const minority = [old.id, ...others.slice(0, minoritySize - 1)];
      const majority = sim.cluster.ids.filter((id) => !minority.includes(id));
      sim.cluster.network.split([minority, majority]);
      sim.trace.add(`script: split ${minority.join(',')} | ${majority.join(',')}`);
      let next = sim.activeLeader();
      for (let waited = 0; (!next || !majority.includes(next.id)) && waited < 15_000; waited += 100) {
        await sim.run(100);
        next = sim.activeLeader();
      }
      expect(next && majority.includes(next.id)).toBe(true);
      const before = sim.acked();
      await sim.run(2000);
      expect(sim.acked()).toBeGreaterThan(before);
      sim.cluster.network.heal();
      await sim.run(2000);
    });
  });
});
