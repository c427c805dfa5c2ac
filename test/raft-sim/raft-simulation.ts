/**
 * One run of the deterministic Raft simulation (issue 12): a quorum of 3 or 5 voters on
 * virtual time, a seed deciding every fault — message loss, delay, duplication and
 * reordering, partitions, process and machine crashes — and a workload appending small
 * metadata batches through whichever node leads. After every step (and on every leader
 * change a node reports) the invariant checker looks at the quorum; at the end the faults
 * stop, every node comes back, and the quorum must converge: one leader every voter names,
 * one committed log on all of them, holding every acknowledged append, and a new append
 * must still commit.
 *
 * The same seed replays the same run exactly (the trace hash says so).
 */
import type { Logger } from '../../core/contracts/logger.ts';
import type { RaftTimings } from '../../core/broker/quorum/raft/raft-timings.ts';
import type { MetadataRecord } from '../../core/broker/metadata/records.ts';
import { SeededRandom } from '../sim/seeded-random.ts';
import { SimTrace } from '../sim/sim-trace.ts';
import { RaftSimCluster, type RaftSimNode } from './raft-cluster.ts';
import { epochRuns, type NodeView, RaftInvariantChecker, type RaftViolation } from './raft-invariants.ts';
import type { RaftNetworkFaults } from './raft-sim-network.ts';
import { RaftSimObserver } from './raft-observer.ts';
import { SimClock } from './sim-clock.ts';

/** Which faults a run injects. */
export interface RaftFaultMix {
  /** Process crashes (kill -9: what reached the OS survives), restarted later. */
  readonly kill: boolean;
  /** Machine crashes (only synced data survives), restarted later. */
  readonly power: boolean;
  /** Clean stops (SIGTERM: a leader resigns with EndQuorumEpoch), restarted later. */
  readonly stop: boolean;
  /** Isolating one node, splitting the quorum in two, one-way blocks, healing. */
  readonly partitions: boolean;
  /** Disk write faults: a node's next 1–3 writes (appends, syncs, election-state saves) fail. */
  readonly disk: boolean;
  /** Message loss, duplication (stale copies) and changing delays (reordering). */
  readonly lossy: boolean;
}

/** Options of {@link runRaftSimulation}. */
export interface RaftSimulationOptions {
  readonly seed: number;
  /** Voters, 3 or 5. Default: 3 for odd seeds, 5 for even ones. */
  readonly voters?: number;
  /** Observers fetching the committed log with replica id -1. Default: seed % 3. */
  readonly observers?: number;
  /** Virtual time of the faulty phase. Default 20 s. */
  readonly durationMs?: number;
  /** Virtual time between two checks (and fault draws). Default 100 ms. */
  readonly stepMs?: number;
  readonly faults?: Partial<RaftFaultMix>;
  readonly timings?: Partial<RaftTimings>;
  /** How long the end waits for the quorum to converge. Default 30 s. */
  readonly settleMs?: number;
  readonly logger?: Logger;
  /** A scripted scenario instead of random faults: it drives faults and time itself. */
  readonly script?: (sim: RaftSimulationContext) => Promise<void>;
  /** Keep every trace line (replaying one seed), and every message's fate. */
  readonly fullTrace?: boolean;
  /** Stop at the first violation (default true). */
  readonly stopAtFirstViolation?: boolean;
}

/** What a script sees. */
export interface RaftSimulationContext {
  readonly cluster: RaftSimCluster;
  readonly trace: SimTrace;
  readonly random: SeededRandom;
  /** Advances virtual time, checking the invariants every step. */
  run(ms: number): Promise<void>;
  /** Crashes a node and schedules nothing (the script restarts it). */
  crash(node: RaftSimNode, kind: 'kill' | 'power'): Promise<void>;
  /** Restarts a node. */
  restart(node: RaftSimNode): void;
  /** Appends acknowledged so far. */
  acked(): number;
  /** The running node whose leader() names itself, when exactly one does. */
  activeLeader(): RaftSimNode | undefined;
}

/** The outcome of a run. */
export interface RaftSimulationResult {
  readonly seed: number;
  readonly voters: number;
  readonly violations: readonly RaftViolation[];
  readonly traceHash: string;
  readonly traceLines: number;
  readonly traceTail: readonly string[];
  /** Appends acknowledged (committed), and tried. */
  readonly acked: number;
  readonly appends: number;
  /** The highest epoch any node reached. */
  readonly maxEpoch: number;
  /** The converged high watermark. */
  readonly highWatermark: number;
  readonly faults: Readonly<Record<string, number>>;
  readonly network: Readonly<Record<string, number>>;
  /** The first errors the nodes logged (`node=N message error`). */
  readonly loggedErrors: readonly string[];
  /** True when the quorum converged at the end (one leader, every voter at its log end). */
  readonly settled: boolean;
  readonly virtualMs: number;
}

const START_TIME = Date.UTC(2026, 0, 1);
const MAX_IN_FLIGHT = 6;

/** Runs one seed. */
export async function runRaftSimulation(options: RaftSimulationOptions): Promise<RaftSimulationResult> {
  const root = new SeededRandom(options.seed);
  const voters = options.voters ?? (options.seed % 2 === 0 ? 5 : 3);
  const durationMs = options.durationMs ?? 20_000;
  const stepMs = options.stepMs ?? 100;
  const mix: RaftFaultMix = { kill: true, power: true, stop: true, disk: true, partitions: true, lossy: true, ...options.faults };
  const stopAtFirst = options.stopAtFirstViolation ?? true;
  const faultRandom = root.fork();
  const workloadRandom = root.fork();
  const clock = new SimClock(START_TIME);
  const trace = new SimTrace(() => clock.now() - START_TIME, options.fullTrace ? Number.MAX_SAFE_INTEGER : 300);
  const checker = new RaftInvariantChecker(Array.from({ length: voters }, (_, i) => i + 1));
  const violations: RaftViolation[] = [];
  const counts: Record<string, number> = {};
  const count = (what: string) => (counts[what] = (counts[what] ?? 0) + 1);
  let lastViews: NodeView[] = [];
  const loggedErrors: string[] = [];

  const report = (found: readonly RaftViolation[]) => {
    if (found.length === 0) return;
    const first = violations.length === 0;
    for (const v of found) violations.push(v);
    for (const v of found.slice(0, 5)) trace.add(`VIOLATION ${v.rule}: ${v.detail}`);
    if (found.length > 5) trace.add(`VIOLATION … and ${found.length - 5} more`);
    if (first) dump(lastViews);
  };
  // Timings vary by seed too (unless given): short timeouts against long delays shake out other interleavings.
  const timingRandom = root.fork();
  const timings: Partial<RaftTimings> = options.timings ?? {
    electionTimeoutMs: timingRandom.pick([300, 1000, 1000]),
    fetchTimeoutMs: timingRandom.pick([600, 2000, 2000]),
    electionBackoffMaxMs: timingRandom.pick([200, 1000]),
    requestTimeoutMs: timingRandom.pick([300, 2000, 2000]),
  };
  const faults: RaftNetworkFaults = { dropRate: 0, duplicateRate: 0, minDelayMs: 1, maxDelayMs: 5, staleDelayMs: 0 };
  const cluster = new RaftSimCluster({
    voters,
    clock,
    random: root.fork(),
    faults,
    timings,
    ...(options.logger ? { logger: options.logger } : {}),
    onLeader: (nodeId, incarnation, leaderId, epoch) => {
      trace.add(`leader-change node=${nodeId}#${incarnation} names leader=${leaderId} epoch=${epoch}`);
      report(checker.leaderSeen(nodeId, incarnation, leaderId, epoch));
    },
    onEvent: (line) => trace.add(line),
    // A replay shows what each node logs; a sweep keeps only warnings and errors.
    log: (nodeId, incarnation, level, message, fields) => {
      if (level === 'error' && loggedErrors.length < 20) loggedErrors.push(`node=${nodeId}#${incarnation} ${message} ${String(fields?.error ?? '')}`);
      if (level === 'info' && !options.fullTrace) return;
      trace.add(`log ${level} node=${nodeId}#${incarnation} ${message}${fields ? ` ${JSON.stringify(fields)}` : ''}`);
    },
  });
  const observers = Array.from({ length: options.observers ?? options.seed % 3 }, (_, i) => new RaftSimObserver(100 + i, cluster.network, clock, root.fork(), cluster.ids, report));
  if (options.fullTrace) cluster.network.onMessage = (line) => trace.add(`msg ${line}`);
  const stopped = () => stopAtFirst && violations.length > 0;

  const status = (views: readonly NodeView[]) =>
    views
      .map((v) => {
        if (!v.voter) return `obs${v.nodeId}: e${v.epoch} L${v.leaderId} hw=${v.highWatermark}`;
        if (!v.running) return `${v.nodeId}:down(${cluster.node(v.nodeId).down}) end=${v.log[v.log.length - 1]?.nextOffset ?? 0}`;
        const q = cluster.node(v.nodeId).quorum;
        return `${v.nodeId}:${q?.role ?? '?'} e${v.epoch} L${v.leaderId} hw=${v.highWatermark} end=${q?.logEndOffset ?? '?'}`;
      })
      .join(' | ');
  const dump = (views: readonly NodeView[]) => {
    trace.add(`  links blocked: ${cluster.network.blockedLinks().join(' ') || 'none'}; faults ${JSON.stringify(faults)}`);
    for (const v of views) trace.add(`  node ${v.nodeId}#${v.incarnation} ${v.running ? 'up' : 'down'} epoch=${v.epoch} leader=${v.leaderId} hw=${v.highWatermark} disk=${epochRuns(v.log)}`);
  };
  let lastStatus = '';
  const checkNow = async (): Promise<NodeView[]> => {
    const views = [...(await cluster.observe()), ...observers.map((o) => o.view())];
    lastViews = views;
    const s = status(views);
    if (s !== lastStatus) {
      trace.add(`state ${s}`);
      lastStatus = s;
    }
    report(checker.check(views));
    return views;
  };

  // ---- the workload: small batches through whichever node leads ----
  let appends = 0;
  let acked = 0;
  let inFlight = 0;
  let nextRecord = 0;
  let workloadOn = true;
  const append = (leader: RaftSimNode): Promise<boolean> => {
    const q = leader.quorum!;
    const epoch = q.leader().epoch;
    const n = workloadRandom.int(1, 3);
    const records: MetadataRecord[] = Array.from({ length: n }, () => {
      const k = nextRecord++;
      return { type: 'config', resourceType: 'topic', resourceName: 'sim', name: `k${k % 17}`, value: `v${k}` };
    });
    const text = JSON.stringify(records);
    appends++;
    inFlight++;
    const incarnation = leader.incarnation;
    return q.append(records, epoch).then(
      (baseOffset) => {
        inFlight--;
        acked++;
        trace.add(`ack node=${leader.id}#${incarnation} epoch=${epoch} offset=${baseOffset} ${records.map((r) => (r as { value: string }).value).join(',')}`);
        report(checker.recordAck({ nodeId: leader.id, epoch, baseOffset, nextOffset: baseOffset + records.length, records: text }));
        return true;
      },
      (error: unknown) => {
        inFlight--;
        trace.add(`append-failed node=${leader.id}#${incarnation} epoch=${epoch} ${records.map((r) => (r as { value: string }).value).join(',')}: ${(error as Error).message}`);
        return false;
      },
    );
  };
  const workloadStep = () => {
    if (!workloadOn) return;
    const leaders = cluster.activeLeaders();
    if (leaders.length === 0) return;
    // More than one node may think it leads (a stale leader in a partition): try any of them.
    const leader = workloadRandom.pick(leaders);
    for (let i = workloadRandom.int(0, 2); i > 0 && inFlight < MAX_IN_FLIGHT; i--) void append(leader);
  };

  // ---- faults ----
  const restarts = new Map<number, number>();
  const ids = cluster.ids;
  const restart = (node: RaftSimNode) => {
    trace.add(`restart node=${node.id} incarnation=${node.incarnation}`);
    count('restart');
    void cluster.start(node);
  };
  const crash = async (node: RaftSimNode, kind: 'kill' | 'power') => {
    const lost = await cluster.crash(node, kind);
    trace.add(`crash ${kind} node=${node.id} lost=${lost}`);
    count(kind);
  };
  const injectFault = async () => {
    const now = clock.now();
    for (const [id, at] of [...restarts]) {
      if (at <= now) {
        restarts.delete(id);
        restart(cluster.node(id));
      }
    }
    const r = faultRandom.next();
    const up = cluster.nodes.filter((n) => n.running);
    if (r < 0.02 && mix.kill) {
      if (up.length === 0) return;
      const node = faultRandom.pick(up);
      await crash(node, 'kill');
      restarts.set(node.id, now + faultRandom.int(200, 6000));
    } else if (r < 0.03 && mix.power) {
      if (up.length === 0) return;
      const node = faultRandom.pick(up);
      await crash(node, 'power');
      restarts.set(node.id, now + faultRandom.int(200, 6000));
    } else if (r < 0.04 && mix.stop) {
      if (up.length === 0) return;
      const node = faultRandom.pick(up);
      cluster.stop(node);
      trace.add(`stop node=${node.id} (clean)`);
      count('stop');
      restarts.set(node.id, now + faultRandom.int(200, 6000));
    } else if (r < 0.06 && mix.partitions) {
      const id = faultRandom.pick(ids);
      cluster.network.isolate(id, ids);
      trace.add(`isolate node=${id}`);
      count('isolate');
    } else if (r < 0.08 && mix.partitions) {
      const order = faultRandom.shuffle(ids);
      const k = faultRandom.int(1, Math.floor(ids.length / 2));
      const groups = [order.slice(0, k).sort(), order.slice(k).sort()];
      cluster.network.split(groups);
      trace.add(`split ${groups.map((g) => g.join(',')).join(' | ')}`);
      count('split');
    } else if (r < 0.1 && mix.partitions) {
      const from = faultRandom.pick(ids);
      const to = faultRandom.pick(ids.filter((x) => x !== from));
      cluster.network.block(from, to);
      trace.add(`block ${from}->${to}`);
      count('block-one-way');
    } else if (r < 0.15 && mix.partitions) {
      cluster.network.heal();
      trace.add('heal');
      count('heal');
    } else if (r < 0.17 && mix.lossy) {
      faults.dropRate = faultRandom.pick([0, 0, 0.01, 0.05, 0.2]);
      faults.duplicateRate = faultRandom.pick([0, 0, 0.01, 0.05, 0.2]);
      faults.minDelayMs = faultRandom.int(0, 5);
      faults.maxDelayMs = faults.minDelayMs + faultRandom.pick([1, 10, 50, 500]);
      faults.staleDelayMs = faultRandom.pick([0, 100, 1000, 5000]);
      trace.add(`network drop=${faults.dropRate} dup=${faults.duplicateRate} delay=${faults.minDelayMs}..${faults.maxDelayMs} stale<=${faults.staleDelayMs}`);
      count('network');
    } else if (r < 0.18 && mix.disk) {
      if (up.length === 0) return;
      const node = faultRandom.pick(up);
      node.disk.failWrites = faultRandom.int(1, 3);
      trace.add(`disk-fault node=${node.id} next ${node.disk.failWrites} writes fail`);
      count('disk-fault');
    }
  };

  const context: RaftSimulationContext = {
    cluster,
    trace,
    random: faultRandom,
    async run(ms) {
      for (let t = 0; t < ms && !stopped(); t += stepMs) {
        workloadStep();
        await clock.advance(Math.min(stepMs, ms - t));
        await checkNow();
      }
    },
    crash,
    restart,
    acked: () => acked,
    activeLeader: () => {
      const leaders = cluster.activeLeaders();
      return leaders.length === 1 ? leaders[0] : undefined;
    },
  };

  // ---- the quorum forms ----
  trace.add(`seed ${options.seed}: ${voters} voters, ${observers.length} observers, timings ${JSON.stringify(timings)}`);
  for (const node of cluster.nodes) void cluster.start(node);
  for (const o of observers) o.start();
  await context.run(3000);

  if (options.script) await options.script(context);
  else {
    for (let t = 0; t < durationMs && !stopped(); t += stepMs) {
      await injectFault();
      workloadStep();
      await clock.advance(stepMs);
      await checkNow();
    }
  }

  // ---- the end: no more faults; heal, bring every node back, converge, one more append ----
  Object.assign(faults, { dropRate: 0, duplicateRate: 0, minDelayMs: 1, maxDelayMs: 5, staleDelayMs: 0 });
  cluster.network.heal();
  for (const node of cluster.nodes) node.disk.failWrites = 0;
  restarts.clear();
  workloadOn = false;
  trace.add('end: heal, restart every node, stop the workload');
  for (const node of cluster.nodes) if (!node.running && !node.starting) restart(node);
  const settleMs = options.settleMs ?? 30_000;
  const converged = (views: readonly NodeView[]) => {
    if (views.some((v) => !v.running)) return false;
    const voterViews = views.filter((v) => v.voter);
    const leaders = cluster.activeLeaders();
    if (leaders.length !== 1) return false;
    const leader = leaders[0]!;
    const end = leader.quorum!.logEndOffset;
    return (
      voterViews.every((v) => v.leaderId === leader.id && v.epoch === leader.quorum!.epoch && v.highWatermark === end && cluster.node(v.nodeId).quorum!.logEndOffset === end) &&
      views.every((v) => v.highWatermark === end)
    );
  };
  let settled = false;
  let views = lastViews;
  for (let waited = 0; waited < settleMs && !stopped(); waited += 250) {
    await clock.advance(250);
    views = await checkNow();
    if ((settled = converged(views))) break;
  }
  if (settled && !stopped()) {
    // Liveness: the converged quorum still commits.
    const leader = cluster.activeLeaders()[0]!;
    let ok: boolean | undefined;
    void append(leader).then((r) => (ok = r));
    await clock.until(() => ok !== undefined, 10_000);
    if (ok !== true) report([{ rule: 'liveness', detail: `the converged leader ${leader.id} did not commit a last append (${ok === false ? 'it failed' : 'no answer in 10 s'})` }]);
    settled = false;
    for (let waited = 0; waited < 5_000 && !stopped(); waited += 250) {
      await clock.advance(250);
      views = await checkNow();
      if ((settled = converged(views))) break;
    }
  }
  if (!settled) {
    trace.add('NOT CONVERGED');
    dump(views);
  }
  if (!stopped()) report(checker.final(views));
  const s = cluster.network.stats;
  const maxEpoch = Math.max(0, ...cluster.nodes.map((n) => n.quorum?.epoch ?? 0));
  trace.add(`done settled=${settled} appends=${appends} acked=${acked} epoch=${maxEpoch} hw=${checker.maxHighWatermark} network=${JSON.stringify(s)} faults=${JSON.stringify(counts)} timers=${clock.fired}`);
  for (const o of observers) o.stop();
  await cluster.stopAll();
  return {
    seed: options.seed,
    voters,
    violations,
    traceHash: trace.digest(),
    traceLines: trace.length,
    traceTail: trace.tail(options.fullTrace ? Number.MAX_SAFE_INTEGER : 60),
    acked,
    appends,
    maxEpoch,
    highWatermark: checker.maxHighWatermark,
    faults: counts,
    network: { ...s },
    settled,
    loggedErrors,
    virtualMs: clock.now() - START_TIME,
  };
}
