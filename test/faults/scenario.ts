/**
 * One fault run from start to verdict: a process cluster, a replicated topic, producers of
 * three client libraries and a group consumer under load, the scenario's fault, healing,
 * the final read and the checker. The scenario tests differ only in their fault.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../cli/cli-helpers.ts';
import { type CheckResult, checkHistory } from './checker.ts';
import type { History, PartitionIsr } from './history.ts';
import { BrokerNode } from './broker-node.ts';
import { type ClusterTimeouts, type ProcessCluster, freePort, startProcessCluster } from './process-cluster.ts';
import { observeCommits, readFinalLog, startGroupConsumer, type WorkloadConsumer } from './workload-consumers.ts';
import { confluentAvailable, type ProducerKind, type ProducerSettings, startConfluentProducer, startKafkajsProducer, startOurProducer, type WorkloadProducer } from './workload-producers.ts';

/** How much longer and more often `npm run test:faults` runs (FAULTS_SCALE, default 1). */
export const SCALE = Math.max(1, Number(process.env.FAULTS_SCALE ?? 1) || 1);

/**
 * Why the scenarios cannot run here, or null when the broker runs as a cluster member: its
 * help must list the cluster flags, and a lone node 1 with `--controller-quorum` must start.
 */
export async function clusterUnsupportedReason(): Promise<string | null> {
  const help = spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'broker', '--help'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  const text = `${help.stdout ?? ''}${help.stderr ?? ''}`;
  if (!text.includes('--controller-quorum')) return 'the broker has no --controller-quorum (no cluster mode yet)';
  const missing = ['--advertised-port', '--controller-listen-port', '--broker-session-timeout-ms', '--replica-lag-time-max-ms'].filter((f) => !text.includes(f));
  if (missing.length > 0) return `the broker lacks ${missing.join(', ')}`;
  const dir = mkdtempSync(join(tmpdir(), 'tributary-faults-probe-'));
  const [port, controller] = [await freePort(), await freePort()];
  const node = new BrokerNode({ id: 1, port, dataDir: dir, logFile: join(dir, 'probe.log'), args: ['--node-id', '1', '--port', String(port), '--data-dir', dir, '--storage', 'filesystem', '--controller-quorum', `1@127.0.0.1:${controller}`, '--log-level', 'warn'] });
  try {
    await node.start(30_000);
    return null;
  } catch {
    const said = node.log().split('\n').find((l) => l.startsWith('tributary broker:'));
    return `a cluster member does not start${said ? ` (${said.trim()})` : ''}`;
  } finally {
    await node.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What a scenario's fault gets to work with. */
export interface FaultContext {
  readonly cluster: ProcessCluster;
  readonly topic: string;
  readonly producers: readonly WorkloadProducer[];
  /** Total values acknowledged so far, over all producers. */
  acked(): number;
  /** Waits until `n` more values are acknowledged than now (progress under the fault, or after it). */
  waitForMoreAcks(n: number, timeoutMs?: number): Promise<void>;
  /** A leader of the topic's partitions that is not the controller's node (node 1), else node 2. */
  victim(): Promise<number>;
  /** Waits until no partition of the topic is led by `node` any more (a new leader was elected). */
  waitForLeaderAway(node: number, timeoutMs?: number): Promise<PartitionIsr[]>;
  /** A line in the run's timeline (part of the report). */
  note(what: string): void;
}

/** A scenario: the topic's settings, the load, and the fault. */
export interface ScenarioOptions extends ClusterTimeouts {
  readonly name: string;
  /** Default -1 (acks=all, idempotent). */
  readonly acks?: -1 | 1;
  /** Default 2. */
  readonly minInsyncReplicas?: number;
  readonly uncleanLeaderElection?: boolean;
  /** Default 2: partition p is led first by node 2 + (p % 2), never by the controller's node. */
  readonly partitions?: number;
  /** Default: ours, kafkajs and (when installed) confluent. */
  readonly producers?: readonly ProducerKind[];
  /** With a group consumer (default true). */
  readonly groupConsumer?: boolean;
  /** Acknowledgements to wait for before the fault (default 30). */
  readonly warmupAcks?: number;
  /** Acknowledgements to wait for after the fault (default 30; 0 for none). */
  readonly afterAcks?: number;
  readonly fault: (ctx: FaultContext) => Promise<void>;
  /** Every node a broker and a voter of a Raft controller quorum (default: node 1 the single voter). */
  readonly raftVoters?: boolean;
}

/** What a run produced: the verdict, and where its record and logs are. */
export interface ScenarioRun {
  readonly result: CheckResult;
  readonly history: History;
  /** The timeline, the report and where the logs are, for assertion messages. */
  readonly report: string;
  readonly dir: string;
}

const RUNS_DIR = join(ROOT, 'test', 'faults', '.runs');

/** Waits for `check` every 100 ms until `timeoutMs`, failing with `what`. */
async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs one scenario and judges it. Leaves its cluster's logs and history under test/faults/.runs/<name>-<time>/ when it is not clean. */
export async function runScenario(options: ScenarioOptions): Promise<ScenarioRun> {
  const acks = options.acks ?? -1;
  const partitions = options.partitions ?? 2;
  const topic = `faults-${options.name}`;
  const timeline: string[] = [];
  const started = Date.now();
  const note = (what: string) => timeline.push(`+${((Date.now() - started) / 1000).toFixed(1)}s ${what}`);
  const cluster = await startProcessCluster({ ...options, extraArgs: ['--default-replication-factor', '3'] });
  note(`cluster up in ${cluster.root}`);
  const producers: WorkloadProducer[] = [];
  let consumer: WorkloadConsumer | undefined;
  let commits: ReturnType<typeof observeCommits> | undefined;
  let history: History | undefined;
  let failure: unknown;
  try {
    await createTopic(cluster, topic, partitions, options);
    await cluster.waitForFullIsr(topic);
    note('topic created, full ISR');

    const settings: ProducerSettings = { bootstrap: cluster.bootstrap, topic, partitions, acks, intervalMs: 20, deliveryTimeoutMs: 30_000 };
    const kinds = options.producers ?? (['ours', 'kafkajs', 'confluent'] as const).filter((k) => k !== 'confluent' || confluentAvailable());
    for (const kind of kinds) {
      if (kind === 'ours') producers.push(startOurProducer('ours', cluster.client('faults-ours'), settings));
      else if (kind === 'kafkajs') producers.push(await startKafkajsProducer('kafkajs', settings));
      else producers.push(startConfluentProducer('confluent', settings));
    }
    const group = `${topic}-group`;
    if (options.groupConsumer ?? true) {
      consumer = await startGroupConsumer('group', cluster.client('faults-group'), topic, group);
      commits = observeCommits(cluster.client('faults-commits'), topic, group);
    }
    const acked = () => producers.reduce((n, p) => n + p.acked(), 0);
    const ctx: FaultContext = {
      cluster,
      topic,
      producers,
      acked,
      async waitForMoreAcks(n, timeoutMs = 60_000) {
        const target = acked() + n;
        await until(`${n} more acknowledgements`, () => acked() >= target, timeoutMs);
      },
      async victim() {
        const ps = await cluster.describe(topic);
        return ps.map((p) => p.leader).find((l) => l > 1) ?? 2;
      },
      waitForLeaderAway(node, timeoutMs = 60_000) {
        return cluster.waitForTopic(topic, `leadership away from node ${node}`, (ps) => ps.every((p) => p.leader >= 0 && p.leader !== node), timeoutMs);
      },
      note,
    };
    // Every producer has to be working before the fault, or the fault proves nothing.
    await until('every producer acknowledged', () => producers.every((p) => p.acked() >= Math.ceil((options.warmupAcks ?? 30) / producers.length)), 60_000);
    note(`warm: ${acked()} acknowledged`);
    await options.fault(ctx);
    note(`fault done: ${acked()} acknowledged`);
    cluster.net.heal();
    if ((options.afterAcks ?? 30) > 0) {
      await ctx.waitForMoreAcks(options.afterAcks ?? 30, 90_000);
      note(`after the fault: ${acked()} acknowledged`);
    }
  } catch (error) {
    failure = error;
    note(`run failed: ${String(error)}`);
  } finally {
    cluster.net.heal();
    await Promise.allSettled(producers.map((p) => p.stop()));
    note('producers stopped');
    // A fault cut short (a failed wait) may leave a node down or paused: the final read is of the healed cluster.
    for (const node of cluster.nodes.values()) {
      if (node.state === 'paused') node.resume();
      if (node.state === 'down') await node.start().then(() => note(`started node ${node.id} left down`), (error: unknown) => note(`node ${node.id} does not start: ${String(error)}`));
    }
    // Let the group consumer catch up with the last writes before it stops.
    await new Promise((r) => setTimeout(r, 2_000));
    await consumer?.stop();
    await commits?.stop();
    let finalIsr: PartitionIsr[] = [];
    try {
      finalIsr = await cluster.waitForFullIsr(topic, 60_000);
      note('full ISR again');
    } catch (error) {
      note(String(error));
      finalIsr = await cluster.describe(topic).catch(() => []);
    }
    try {
      const finalLog = await readFinalLog(cluster.bootstrap, topic);
      note(`final log read: ${finalLog.length} records`);
      history = { topic, produced: producers.flatMap((p) => p.outcomes), consumed: consumer?.consumed ?? [], commits: commits?.commits ?? [], finalLog, finalIsr };
    } catch (error) {
      failure ??= error;
      note(`final read failed: ${String(error)}`);
    }
  }
  // Faults on links nobody uses prove nothing: replication and the controller channel must cross the proxies.
  const links = [...cluster.net.stats.forwarded].map(([link, n]) => `${link}:${n}`).join(' ');
  note(`requests forwarded per link: ${links}`);
  const peerLinks = [...cluster.net.stats.forwarded.keys()].filter((l) => !l.startsWith('client->'));
  // (A Raft quorum's controller ports are reached directly: only the broker links must have crossed.)
  if (!failure && ((!options.raftVoters && !peerLinks.some((l) => l.endsWith('->controller'))) || !peerLinks.some((l) => /^\d+->\d+$/.test(l)))) {
    failure = new Error(`no broker-to-broker or broker-to-controller request crossed the proxies (${links}): the faults did not touch the cluster's links`);
  }
  const dir = join(RUNS_DIR, `${options.name}-${new Date(started).toISOString().replace(/[:.]/g, '-')}`);
  const result = history ? checkHistory(history) : undefined;
  // Client errors repeat (one per retry): each distinct one once.
  const problems = [...new Set([...(consumer?.problems ?? []), ...producers.flatMap((p) => p.problems())])].slice(0, 50);
  const report = [`scenario ${options.name}`, ...timeline, ...problems, result?.report ?? 'no verdict (the run did not finish)', failure ? `run error: ${String(failure)}` : ''].join('\n');
  // Only a clean run removes its data; any other leaves its logs and history for the report.
  const clean = !failure && result !== undefined && result.ok;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'report.txt'), report);
  if (history) writeFileSync(join(dir, 'history.json'), JSON.stringify(history));
  writeFileSync(join(dir, 'cluster.log'), cluster.logs());
  await cluster.close(!clean);
  if (failure || !result || !history) throw new Error(`${report}\nlogs: ${dir}/cluster.log (data kept in ${cluster.root})`, { cause: failure });
  return { result, history, report: `${report}\nlogs: ${dir}/cluster.log`, dir };
}

/** Creates the topic with its leaders away from the controller's node, retrying while brokers are still registering. */
async function createTopic(cluster: ProcessCluster, topic: string, partitions: number, options: ScenarioOptions): Promise<void> {
  const admin = cluster.client('faults-admin').admin();
  const replicaAssignment = Array.from({ length: partitions }, (_, p) => ({ partition: p, replicas: p % 2 === 0 ? [2, 3, 1] : [3, 2, 1] }));
  const configs: Record<string, string> = { 'min.insync.replicas': String(options.minInsyncReplicas ?? 2) };
  if (options.uncleanLeaderElection) configs['unclean.leader.election.enable'] = 'true';
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await admin.createTopics({ topics: [{ topic, replicaAssignment, configs }], waitForLeaders: true });
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`creating ${topic}: ${String(error)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
