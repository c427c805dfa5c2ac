/**
 * One run of the deterministic simulation: a seed decides everything — the network's
 * delays and losses, the faults and when they strike, the producers' choices — and the
 * whole cluster runs on virtual time (vitest's fake timers replace setTimeout, setInterval,
 * setImmediate and Date for every part of the process, so core code that calls the
 * globals directly is virtual too; Math.random and crypto.randomUUID draw from the seed).
 * Nothing in the simulated path does real I/O: memory storage under {@link SimDisk},
 * frames over {@link SimNetwork}. The same seed therefore replays the same run exactly —
 * the trace hash says so — and a failing seed can be run again alone with its trace.
 *
 * After every step the invariant checker looks at the cluster; at the end the faults
 * stop, the network heals, every node comes back, and once the cluster has settled the
 * final check wants every acknowledged record in place.
 */
import { vi } from 'vitest';
import type { Logger } from '../../core/contracts/logger.ts';
import { InvariantChecker, type Observation, type Violation } from './invariants.ts';
import { SeededRandom } from './seeded-random.ts';
import { CONTROLLER_ID, SimCluster, type SimNode, type SimTimings } from './sim-cluster.ts';
import type { NetworkFaults } from './sim-network.ts';
import { SimTrace } from './sim-trace.ts';
import { SimProducer } from './workload.ts';

/** Which faults a run injects. */
export interface FaultMix {
  /** Process crashes (kill -9: nothing written is lost) with a later restart. */
  readonly kill: boolean;
  /** Machine crashes (the unsynced tail is lost), within the budget that acks=all promises to survive. */
  readonly power: boolean;
  /** Link blocks, one-way and both ways, and node isolation. */
  readonly partitions: boolean;
  /** Lost messages and changing delays. */
  readonly lossy: boolean;
  /** Operator moves: replica reassignments (KIP-455), their cancellation, and preferred elections. */
  readonly reassign: boolean;
}

/** Options of {@link runSimulation}. */
export interface SimulationOptions {
  readonly seed: number;
  /** Brokers, 3 to 5. Default: 3 + seed % 3. */
  readonly brokers?: number;
  readonly partitions?: number;
  readonly producers?: number;
  /** Virtual time of the faulty phase. */
  readonly durationMs?: number;
  /** Virtual time between two checks (and fault draws). */
  readonly stepMs?: number;
  readonly faults?: Partial<FaultMix>;
  readonly timings?: Partial<SimTimings>;
  /** Topic configs of the simulated topic. Default: min.insync.replicas 2. */
  readonly topicConfigs?: ReadonlyArray<readonly [string, string]>;
  /** How long the end waits for the cluster to settle (full ISRs, high watermarks at the log ends). */
  readonly settleMs?: number;
  readonly logger?: Logger;
  /**
   * A scripted scenario instead of (or beside) random faults: called once the cluster
   * runs and the producers have started; it drives faults and time itself.
   */
  readonly script?: (sim: SimulationContext) => Promise<void>;
  /** The producers' acks: -1 (default) or 1 (to show that the checker catches loss). */
  readonly acks?: -1 | 1;
  /** Keep every trace line (for replaying one seed) instead of the last few hundred. */
  readonly fullTrace?: boolean;
  /** Stop at the first violation (default true). */
  readonly stopAtFirstViolation?: boolean;
}

/** What a script sees. */
export interface SimulationContext {
  readonly cluster: SimCluster;
  readonly trace: SimTrace;
  readonly random: SeededRandom;
  /** Advances virtual time, checking the invariants every step. */
  run(ms: number): Promise<void>;
  /** The current leader of a partition per the controller (-1: none). */
  leaderOf(partition: number): number;
}

/** The outcome of a run. */
export interface SimulationResult {
  readonly seed: number;
  readonly brokers: number;
  readonly violations: readonly Violation[];
  /** sha-256 over every trace line: equal for two runs of one seed. */
  readonly traceHash: string;
  readonly traceLines: number;
  /** The last lines of the trace (for a failure's report). */
  readonly traceTail: readonly string[];
  readonly acked: number;
  readonly retries: number;
  readonly faults: Readonly<Record<string, number>>;
  /** True when the cluster settled at the end (every ISR full, every high watermark at the log end). */
  readonly settled: boolean;
  readonly virtualMs: number;
}

export const SIM_TOPIC = 'sim';
const START_TIME = Date.UTC(2026, 0, 1);
const FAKED = ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate', 'Date'] as const;

const DEFAULT_TIMINGS: SimTimings = {
  heartbeatIntervalMs: 500,
  sessionTimeoutMs: 3000,
  replicaLagTimeMaxMs: 3000,
  replicaFetchWaitMaxMs: 200,
  replicaFetchBackoffMs: 200,
};

/** Runs one seed. Installs fake timers for its duration (the caller must not hold real timers across it). */
export async function runSimulation(options: SimulationOptions): Promise<SimulationResult> {
  vi.useFakeTimers({ now: START_TIME, toFake: [...FAKED] });
  const root = new SeededRandom(options.seed);
  const stray = root.fork();
  const randomSpy = vi.spyOn(Math, 'random').mockImplementation(() => stray.next());
  const uuidSpy = vi.spyOn(globalThis.crypto, 'randomUUID').mockImplementation(() => stray.uuid() as `${string}-${string}-${string}-${string}-${string}`);
  try {
    return await simulate(options, root);
  } finally {
    randomSpy.mockRestore();
    uuidSpy.mockRestore();
    vi.useRealTimers();
  }
}

/** Lets virtual time pass (timers fire in order; promises settle between them). */
function advance(ms: number): Promise<void> {
  return vi.advanceTimersByTimeAsync(ms).then(() => undefined);
}

/** Waits for `promise` while virtual time passes, up to `limitMs`. */
async function until<T>(promise: Promise<T>, limitMs: number, stepMs = 10): Promise<{ done: true; value: T } | { done: false }> {
  let outcome: { done: true; value: T } | { error: unknown } | undefined;
  promise.then((value) => (outcome = { done: true, value }), (error: unknown) => (outcome = { error }));
  for (let waited = 0; outcome === undefined && waited < limitMs; waited += stepMs) await advance(stepMs);
  await advance(0);
  if (outcome === undefined) return { done: false };
  if ('error' in outcome) throw outcome.error;
  return outcome;
}

async function simulate(options: SimulationOptions, root: SeededRandom): Promise<SimulationResult> {
  const brokers = options.brokers ?? 3 + (options.seed % 3);
  const partitions = options.partitions ?? 2;
  const durationMs = options.durationMs ?? 30_000;
  const stepMs = options.stepMs ?? 200;
  const mix: FaultMix = { kill: true, power: true, partitions: true, lossy: true, reassign: true, ...options.faults };
  const timings: SimTimings = { ...DEFAULT_TIMINGS, ...options.timings };
  const stopAtFirst = options.stopAtFirstViolation ?? true;
  const faultRandom = root.fork();
  const workloadRandom = root.fork();
  const faults: NetworkFaults = { dropRate: 0, minDelayMs: 1, maxDelayMs: 10 };
  const cluster = new SimCluster({ brokers, random: root.fork(), faults, timings, ...(options.logger ? { logger: options.logger } : {}) });
  // Forked after the others, so that adding operator moves left every other draw of a seed as it was.
  const opsRandom = root.fork();
  const trace = new SimTrace(() => Date.now() - START_TIME, options.fullTrace ? Number.MAX_SAFE_INTEGER : 400);
  // SIM_TRACE_EPOCHS=1: every saved leader-epoch cache goes to the trace (to follow an epoch-cache bug).
  if (process.env.SIM_TRACE_EPOCHS) {
    const text = new TextDecoder();
    for (const node of cluster.nodes) {
      node.disk.onMetadataPut = (key, value) => {
        if (key.startsWith('leader-epochs/')) trace.add(`epochs-saved node=${node.id}#${node.incarnation} ${key.slice(key.lastIndexOf(':'))} ${text.decode(value)}`);
      };
    }
  }
  const checker = new InvariantChecker();
  const violations: Violation[] = [];
  const counts: Record<string, number> = {};
  const count = (what: string) => (counts[what] = (counts[what] ?? 0) + 1);
  const restarts = new Map<number, number>(); // node id → virtual time of its restart
  const starting = new Map<number, Promise<void>>();
  let lastLayout = '';

  const report = (found: readonly Violation[]) => {
    for (const v of found) violations.push(v);
    for (const v of found.slice(0, 5)) trace.add(`VIOLATION ${v.rule}: ${v.detail}`);
    if (found.length > 5) trace.add(`VIOLATION … and ${found.length - 5} more`);
  };
  const layout = () =>
    cluster
      .controllerPartitions()
      .map((p) => {
        const reg = cluster.controller.image.topic(p.topic)?.partitions[p.partition];
        const moving = reg?.addingReplicas || reg?.removingReplicas ? `+[${reg.addingReplicas?.join(',') ?? ''}]-[${reg.removingReplicas?.join(',') ?? ''}]` : '';
        return `p${p.partition}:L${p.leader}e${p.leaderEpoch}pe${p.partitionEpoch}isr[${p.isr.join(',')}]r[${reg?.replicas.join(',') ?? ''}]${moving}`;
      })
      .join(' ');
  const checkNow = async (): Promise<Observation> => {
    const observation = await cluster.observe();
    const found = checker.check(observation);
    report(found);
    const now = layout();
    if (now !== lastLayout) {
      trace.add(`metadata ${now}`);
      lastLayout = now;
    }
    // A failure's report shows the replicas as they were when it was seen.
    if (found.length > 0) dump(observation);
    return observation;
  };
  const dump = (observation: Observation) => {
    trace.add(`  brokers ${cluster.nodes.map((n) => `${n.id}:${n.broker?.running ? 'up' : n.down ?? 'starting'}${n.broker?.cluster?.lifecycle.fenced ? '/fenced' : ''}`).join(' ')} controller ${layout()}`);
    for (const r of observation.replicas) trace.add(`  replica node=${r.node}#${r.incarnation} ${r.topic}-${r.partition} ${r.role} epoch=${r.leaderEpoch} hw=${r.highWatermark} start=${r.logStartOffset} end=${r.logEndOffset}${r.isr ? ` isr=[${r.isr.join(',')}]` : ''}${r.epochCache ? ` epochs=${r.epochCache}` : ''} batches=${epochRuns(r)}`);
  };
  const stopped = () => stopAtFirst && violations.length > 0;

  const startNode = (node: SimNode) => {
    const started = cluster.startBroker(node).then(
      () => trace.add(`started node=${node.id} incarnation=${node.incarnation}`),
      (error: unknown) => trace.add(`start-failed node=${node.id} ${String(error)}${process.env.SIM_STACKS ? (error as Error).stack : ''}`),
    );
    starting.set(node.id, started);
    void started.finally(() => starting.delete(node.id));
  };

  // ---- the cluster forms ----
  for (const node of cluster.nodes) startNode(node);
  const formed = await until(Promise.all([...starting.values()]), 60_000);
  if (!formed.done) throw new Error(`seed ${options.seed}: the cluster did not form within 60 s of virtual time`);
  // Every broker registered and unfenced before the topic is placed on all of them.
  for (let waited = 0; cluster.controller.image.brokers().length < brokers && waited < 30_000; waited += 100) await advance(100);
  const created = await until(
    cluster.controller.createTopic({ name: SIM_TOPIC, numPartitions: partitions, replicationFactor: 3, configs: options.topicConfigs ?? [['min.insync.replicas', '2']] }),
    10_000,
  );
  if (!created.done) throw new Error(`seed ${options.seed}: topic creation did not finish`);
  await advance(1000);
  trace.add(`formed brokers=${brokers} partitions=${partitions} ${layout()}`);

  const producers: SimProducer[] = [];
  const producerCount = options.producers ?? 2;
  for (let i = 0; i < producerCount; i++) {
    const all = Array.from({ length: partitions }, (_, p) => p);
    producers.push(
      new SimProducer(cluster, workloadRandom.fork(), trace, {
        clientId: 100 + i,
        topic: SIM_TOPIC,
        partitions: all,
        requestTimeoutMs: 3000,
        ackTimeoutMs: 2000,
        intervalMs: 20,
        acks: options.acks ?? -1,
        onAck: (ack) => report(checker.recordAck(ack)),
      }),
    );
  }
  for (const p of producers) p.start();

  const brokerIds = cluster.nodes.map((n) => n.id);
  const linkEnds = [CONTROLLER_ID, ...brokerIds];

  // A machine crash of `node` keeps acknowledged data only if every partition it hosts has
  // another running, untainted member in its committed ISR: the copy acks=all relies on.
  const powerCrashAllowed = (node: SimNode): boolean => {
    // Only into a healthy cluster: an ISR member cut off now would be fenced, leaving the crashed one last.
    if (cluster.nodes.some((n) => n.down !== undefined || starting.has(n.id)) || cluster.network.blockedLinks().length > 0) return false;
    return cluster.controllerPartitions().every((p) => !p.isr.includes(node.id) || p.isr.some((m) => m !== node.id && !cluster.node(m).down && !checker.isTainted(m, p.topic, p.partition)));
  };

  const injectFault = async () => {
    const r = faultRandom.next();
    const now = Date.now();
    // Restarts that are due.
    for (const [id, at] of [...restarts]) {
      if (at <= now) {
        restarts.delete(id);
        const node = cluster.node(id);
        trace.add(`restart node=${id} incarnation=${node.incarnation}`);
        count('restart');
        startNode(node);
      }
    }
    // One machine crash at a time is what acks=all survives: until the controller has taken
    // the crashed node (and its lost tail) out of every ISR, no other fault strikes — else a
    // blip could leave that node the last ISR member, and its empty log would lead (the case
    // Kafka's KIP-966 addresses, beyond the guarantee this simulation checks).
    if (cluster.controllerPartitions().some((p) => p.isr.some((m) => checker.isTainted(m, p.topic, p.partition)))) return;
    if (r < 0.03 && mix.kill) {
      const candidates = cluster.nodes.filter((n) => n.down === undefined && !starting.has(n.id));
      if (candidates.length === brokers) {
        const node = faultRandom.pick(candidates);
        await cluster.crash(node, 'kill');
        restarts.set(node.id, now + faultRandom.int(500, 8000));
        trace.add(`crash kill node=${node.id}`);
        count('kill');
      }
    } else if (r < 0.05 && mix.power) {
      const candidates = cluster.nodes.filter((n) => n.down === undefined && !starting.has(n.id) && powerCrashAllowed(n));
      if (candidates.length > 0) {
        const node = faultRandom.pick(candidates);
        // Tainted for every partition: where it is no replica the mark is never looked at.
        const hosted = cluster.controllerPartitions();
        const cut = await cluster.crash(node, 'power');
        checker.taint(node.id, hosted);
        restarts.set(node.id, now + faultRandom.int(500, 8000));
        trace.add(`crash power node=${node.id} lost=${cut.map((c) => `${c.topic}-${c.partition}:${c.from}->${c.to}`).join(',') || 'nothing'}`);
        count('power');
      }
    } else if (r < 0.11 && mix.partitions) {
      const from = faultRandom.pick(linkEnds);
      const to = faultRandom.pick(linkEnds.filter((x) => x !== from));
      const both = faultRandom.chance(0.4);
      cluster.network.block(from, to);
      if (both) cluster.network.block(to, from);
      trace.add(`block ${from}${both ? '<' : ''}->${to}`);
      count(both ? 'block-both' : 'block-one-way');
    } else if (r < 0.13 && mix.partitions) {
      const id = faultRandom.pick(brokerIds);
      for (const other of linkEnds) if (other !== id) (cluster.network.block(id, other), cluster.network.block(other, id));
      trace.add(`isolate node=${id}`);
      count('isolate');
    } else if (r < 0.2 && mix.partitions) {
      const blocked = cluster.network.blockedLinks();
      if (blocked.length > 0) {
        const [from, to] = faultRandom.pick(blocked).split('>').map(Number) as [number, number];
        cluster.network.unblock(from, to);
        trace.add(`unblock ${from}->${to}`);
      }
    } else if (r < 0.23 && mix.partitions) {
      cluster.network.heal();
      trace.add('heal');
      count('heal');
    } else if (r < 0.25 && mix.lossy) {
      faults.dropRate = faultRandom.pick([0, 0, 0.001, 0.01, 0.03]);
      faults.minDelayMs = faultRandom.int(0, 5);
      faults.maxDelayMs = faults.minDelayMs + faultRandom.pick([1, 10, 50, 300]);
      trace.add(`network drop=${faults.dropRate} delay=${faults.minDelayMs}..${faults.maxDelayMs}`);
      count('network');
    }
  };

  const context: SimulationContext = {
    cluster,
    trace,
    random: faultRandom,
    async run(ms) {
      for (let t = 0; t < ms && !stopped(); t += stepMs) {
        await advance(Math.min(stepMs, ms - t));
        await checkNow();
      }
    },
    leaderOf: (partition) => cluster.controllerPartitions().find((p) => p.partition === partition)?.leader ?? -1,
  };

  // An operator at work: now and then a partition's replicas move to a random set of brokers
  // (RF 3 kept), a move under way is cancelled, or preferred leaders are elected.
  const operate = async () => {
    if (!mix.reassign) return;
    const r = opsRandom.next();
    if (r >= 0.03) return;
    const partition = opsRandom.int(0, partitions - 1);
    let request: Promise<unknown>;
    if (r < 0.02) {
      const target = opsRandom.shuffle(brokerIds).slice(0, 3);
      trace.add(`reassign p${partition} -> [${target.join(',')}]`);
      count('reassign');
      request = cluster.controller.alterPartitionReassignments({ timeoutMs: 1000, topics: [{ name: SIM_TOPIC, partitions: [{ partitionIndex: partition, replicas: target }] }] });
    } else if (r < 0.025) {
      trace.add(`cancel reassignment p${partition}`);
      count('cancel-reassignment');
      request = cluster.controller.alterPartitionReassignments({ timeoutMs: 1000, topics: [{ name: SIM_TOPIC, partitions: [{ partitionIndex: partition, replicas: null }] }] });
    } else {
      trace.add('elect preferred leaders');
      count('elect-preferred');
      request = cluster.controller.electLeaders({ electionType: 0, topicPartitions: null, timeoutMs: 1000 });
    }
    const answered = await until(request, 5000);
    if (answered.done) trace.add(`  answer ${JSON.stringify(answered.value)}`);
  };

  if (options.script) await options.script(context);
  else {
    for (let t = 0; t < durationMs && !stopped(); t += stepMs) {
      await operate();
      await injectFault();
      await advance(stepMs);
      await checkNow();
    }
  }

  // ---- the end: no more faults; heal, bring every node back, let the cluster settle ----
  faults.dropRate = 0;
  faults.minDelayMs = 1;
  faults.maxDelayMs = 10;
  cluster.network.heal();
  trace.add('end: heal, restart every node, stop producers');
  for (const node of cluster.nodes) if (node.down !== undefined && !starting.has(node.id)) startNode(node);
  restarts.clear();
  await until(Promise.all(producers.map((p) => p.stop())), 30_000);
  await until(Promise.all([...starting.values()]), 30_000);
  const settleMs = options.settleMs ?? 60_000;
  let settled = false;
  let final: Observation | undefined;
  for (let waited = 0; waited < settleMs && !stopped(); waited += 500) {
    await advance(500);
    final = await checkNow();
    settled = isSettled(cluster, final, brokers);
    if (settled) break;
  }
  final ??= await cluster.observe();
  if (!settled) {
    trace.add('NOT SETTLED');
    dump(final);
  }
  if (!stopped()) report(checker.final(final));
  const acked = producers.reduce((n, p) => n + p.acked, 0);
  const retries = producers.reduce((n, p) => n + p.retries, 0);
  const s = cluster.network.stats;
  trace.add(`done settled=${settled} acked=${acked} retries=${retries} messages=${s.messages} dropped=${s.dropped} timeouts=${s.timeouts} resets=${s.resets} faults=${JSON.stringify(counts)}`);
  // Leave nothing running: close every broker (their timers are fake; they must not outlive the run).
  for (const node of cluster.nodes) {
    const b = node.broker;
    if (b) await until(b.close().catch(() => undefined), 60_000);
  }
  cluster.controller.close();
  await cluster.quorum.close();
  return {
    seed: options.seed,
    brokers,
    violations,
    traceHash: trace.digest(),
    traceLines: trace.length,
    traceTail: trace.tail(options.fullTrace ? Number.MAX_SAFE_INTEGER : 80),
    acked,
    retries,
    faults: counts,
    settled,
    virtualMs: Date.now() - START_TIME,
  };
}

/** The log as runs of batch epochs: `epoch@first-last,…` (for failure reports). */
function epochRuns(r: Observation['replicas'][number]): string {
  const runs: string[] = [];
  let current: { epoch: number; first: number; last: number } | undefined;
  for (let offset = r.logStartOffset; offset < r.logEndOffset; offset++) {
    const epoch = r.entry(offset)?.epoch ?? -1;
    if (current && current.epoch === epoch) current.last = offset;
    else {
      if (current) runs.push(`${current.epoch}@${current.first}-${current.last}`);
      current = { epoch, first: offset, last: offset };
    }
  }
  if (current) runs.push(`${current.epoch}@${current.first}-${current.last}`);
  return runs.join(',') || 'empty';
}

/** Every partition with a serving leader, a full ISR, and every replica at the leader's high watermark = log end. */
function isSettled(cluster: SimCluster, observation: Observation, brokers: number): boolean {
  if (cluster.running().length !== brokers) return false;
  for (const p of observation.controller) {
    if (p.leader < 0 || p.isr.length !== 3) return false;
    const replicas = observation.replicas.filter((r) => r.topic === p.topic && r.partition === p.partition);
    const leader = replicas.find((r) => r.node === p.leader && r.role === 'leader' && r.leaderEpoch === p.leaderEpoch);
    if (!leader || leader.highWatermark !== leader.logEndOffset) return false;
    if (!replicas.every((r) => r.logEndOffset === leader.logEndOffset)) return false;
  }
  return true;
}
