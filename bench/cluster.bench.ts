/**
 * The replicated cluster as users run it: `tributary broker` processes with filesystem
 * storage on 127.0.0.1, node 1 also the (single) controller voter, Kafka's default settings
 * unless a row says otherwise.
 *
 * 1. Throughput with kcat (librdkafka, C — so the client is not the bottleneck), 100-byte
 *    values, `kcat -P` reading N lines (200k at BENCH_TIME_MS=1000) with the broker suite's
 *    settings (linger.ms=5, queue.buffering.max.messages=1000000): acks=1 on RF 1 in one
 *    standalone broker process (the denominator), then on the 3-broker cluster acks=1 on
 *    RF 1 (Kafka's 2014 "no replication" row), acks=1 on RF 3 and acks=all on RF 3
 *    (min.insync.replicas at its default, 1). The issue's goal: acks=all RF 3 ÷ acks=1 RF 1
 *    ≥ 0.6 (Kafka's 2014 measure: 421,823 ÷ 821,557 = 0.51). BENCH_ROUNDS rounds (default 5),
 *    odd ones in reverse order; each figure is the median; the leader of the round's topics moves from node to node;
 *    one warm-up produce per process start (acks=1 single, acks=all RF 3) is not counted.
 *    Each row also gives the CPU time all broker processes spent per record (user + system
 *    from /proc, kcat's start to the high watermark at the end): a cost that does not
 *    depend on how busy the machine is, where records/s does.
 * 2. Replication lag under load, taken during the acks=1 RF 3 runs: every 20 ms the size of
 *    each replica's partition log files (`<data-dir>/<topic>-0/*.log`) — bytes the broker has
 *    written to its log, which is what a follower fetches — gives each follower's distance
 *    behind the leader, in records (bytes ÷ the leader's bytes per record) and in time (how
 *    long ago the leader's log was as long as the follower's is now). After kcat exits: the
 *    time until every follower's log is as long as the leader's.
 * 3. Failover: our client's producer with its defaults (acks=all, idempotent) sends a
 *    100-byte record every 5 ms; the partition leader (never node 1: with a single
 *    controller voter, killing it leaves no controller) is killed with SIGKILL; the figure
 *    is the time from the kill to the first acknowledgement of a record sent after it. With
 *    Kafka's defaults (broker.session.timeout.ms 9000, broker.heartbeat.interval.ms 2000)
 *    and with short timeouts (1000 / 250). Median of BENCH_FAILOVER_RUNS runs (default 3).
 *    Each run also gives when Metadata, asked of node 1 every 10 ms by another client,
 *    first names a new leader: the cluster's part of the failover, the rest is the
 *    producer's (retry backoff, metadata refresh).
 *
 * Every process shares this machine's cores: three brokers and kcat compete for CPU where
 * Kafka's 2014 measure had a machine per broker. The load average at start and end is
 * printed with the results.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '../mod.ts';
import type { Client } from '../core/client/client.ts';
import { type BenchRow, report } from './harness.ts';

const ROOT = join(import.meta.dirname, '..');
const VALUE_BYTES = 100;
const scale = Number(process.env.BENCH_TIME_MS ?? 1000) / 1000;
const RECORDS = Math.max(20_000, Math.round(200_000 * scale));
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 5));
const FAILOVER_RUNS = Math.max(1, Number(process.env.BENCH_FAILOVER_RUNS ?? 3));
const value = 'x'.repeat(VALUE_BYTES);
const input = Buffer.from(`${value}\n`.repeat(RECORDS));
const SAMPLE_MS = 20;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const load = () => loadavg().map((l) => l.toFixed(2)).join('/');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** One `tributary broker` process; its output is kept (the tail) for error messages. */
class BrokerProcess {
  #child: ChildProcess | null = null;
  #exited: Promise<void> = Promise.resolve();
  #out = '';

  readonly id: number;
  readonly port: number;
  readonly dataDir: string;
  /** Flags after the node id, port, data dir and storage. */
  readonly args: readonly string[];

  constructor(id: number, port: number, dataDir: string, args: readonly string[]) {
    this.id = id;
    this.port = port;
    this.dataDir = dataDir;
    this.args = args;
  }

  /** Starts the process; resolves once it prints that it listens. */
  async start(): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'broker', '--node-id', String(this.id), '--port', String(this.port), '--data-dir', this.dataDir, '--storage', 'filesystem', ...this.args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    const keep = (d: Buffer) => (this.#out = (this.#out + d.toString()).slice(-8192));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.#exited = new Promise((resolve) => child.on('exit', () => resolve()));
    const started = Date.now();
    for (;;) {
      if (/ listening on /.test(this.#out) && /Tributary broker/.test(this.#out)) return;
      if (child.exitCode !== null) throw new Error(`broker ${this.id} exited: ${this.#out}`);
      if (Date.now() - started > 60_000) throw new Error(`broker ${this.id} not listening after 60 s: ${this.#out}`);
      await sleep(20);
    }
  }

  /**
   * CPU time the process has used so far (user + system), in ms, from /proc (Linux; NaN
   * elsewhere). Clock ticks are taken as 100 per second, Linux's USER_HZ.
   */
  cpuMs(): number {
    try {
      const stat = readFileSync(`/proc/${this.#child!.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) * 10;
    } catch {
      return NaN;
    }
  }

  /** kill -9, and waits until the process is gone. */
  async kill(): Promise<void> {
    this.#child?.kill('SIGKILL');
    await this.#exited;
    this.#child = null;
  }

  /** kill -9, then start again on the same port and data directory. */
  async restart(): Promise<void> {
    await this.kill();
    this.#out = '';
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.start();
      } catch (error) {
        if (attempt >= 20 || !/EADDRINUSE/.test(String(error))) throw error;
        await sleep(250);
      }
    }
  }

  /** Bytes in the partition's log segment files (0 while the partition has no directory). */
  logBytes(topic: string, partition = 0): number {
    const dir = join(this.dataDir, `${topic}-${partition}`);
    let bytes = 0;
    try {
      for (const f of readdirSync(dir)) if (f.endsWith('.log')) bytes += statSync(join(dir, f)).size;
    } catch {
      return 0;
    }
    return bytes;
  }
}

/** Brokers started under one directory, with a client of ours for admin work. */
interface Brokers {
  readonly nodes: Map<number, BrokerProcess>;
  readonly bootstrap: string;
  readonly client: Client;
  close(): Promise<void>;
}

const roots: string[] = [];
// Data directories go when the benchmark ends, failed or not.
process.on('exit', () => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

/** One standalone broker (no --controller-quorum): what a single-node user runs. */
async function startSingle(): Promise<Brokers> {
  const root = mkdtempSync(join(tmpdir(), 'tributary-bench-cluster-'));
  roots.push(root);
  const node = new BrokerProcess(1, await freePort(), join(root, 'node-1'), []);
  mkdirSync(node.dataDir);
  await node.start();
  return finish(new Map([[1, node]]));
}

/** Three cluster members, node 1 the controller voter; `extra` are more flags for each. */
async function startCluster(extra: readonly string[] = []): Promise<Brokers> {
  const root = mkdtempSync(join(tmpdir(), 'tributary-bench-cluster-'));
  roots.push(root);
  const controllerPort = await freePort();
  const nodes = new Map<number, BrokerProcess>();
  for (let id = 1; id <= 3; id++) {
    const node = new BrokerProcess(id, await freePort(), join(root, `node-${id}`), ['--controller-quorum', `1@127.0.0.1:${controllerPort}`, ...extra]);
    mkdirSync(node.dataDir);
    nodes.set(id, node);
  }
  // The controller's node first: the others register with it.
  await nodes.get(1)!.start();
  await Promise.all([2, 3].map((id) => nodes.get(id)!.start()));
  const brokers = finish(nodes);
  const admin = brokers.client.admin();
  for (const started = Date.now(); ; await sleep(100)) {
    const cluster = await admin.describeCluster().catch(() => ({ brokers: [] }));
    if (cluster.brokers.length === 3) break;
    if (Date.now() - started > 60_000) throw new Error('the cluster did not list 3 brokers within 60 s');
  }
  return brokers;
}

function finish(nodes: Map<number, BrokerProcess>): Brokers {
  const bootstrap = [...nodes.values()].map((n) => `127.0.0.1:${n.port}`).join(',');
  const client = createClient({ brokers: bootstrap.split(','), clientId: 'bench-admin', logLevel: 'silent' });
  return {
    nodes,
    bootstrap,
    client,
    async close() {
      await client.close().catch(() => undefined);
      await Promise.all([...nodes.values()].map((n) => n.kill()));
    },
  };
}

/** Creates a one-partition topic on `replicas` (the first is the preferred leader) and waits for its full ISR. */
async function createTopic(brokers: Brokers, topic: string, replicas: number[]): Promise<void> {
  const admin = brokers.client.admin();
  for (let attempt = 0; ; attempt++) {
    try {
      await admin.createTopics({ topics: [{ topic, replicaAssignment: [{ partition: 0, replicas }] }], waitForLeaders: true });
      break;
    } catch (error) {
      // A member that has just started may not be unfenced yet (INVALID_REPLICATION_FACTOR / broker not available).
      if (attempt >= 50) throw error;
      await sleep(200);
    }
  }
  await waitForIsr(brokers, topic, replicas.length);
}

/** The partition's leader and ISR, as Metadata reports them. */
async function describe(client: Client, topic: string): Promise<{ leader: number; isr: number[] }> {
  const [t] = await client.admin().describeTopics([topic]);
  const p = t!.partitions.find((x) => x.partitionId === 0)!;
  return { leader: p.leader, isr: [...p.isr] };
}

async function waitForIsr(brokers: Brokers, topic: string, size: number, timeoutMs = 120_000): Promise<void> {
  const started = Date.now();
  let last: unknown = 'nothing';
  for (;;) {
    try {
      const d = await describe(brokers.client, topic);
      last = d;
      if (d.leader >= 0 && d.isr.length === size) return;
    } catch (error) {
      last = error;
    }
    if (Date.now() - started > timeoutMs) throw new Error(`${topic}: ISR not ${size} within ${timeoutMs} ms; last ${JSON.stringify(last)}`);
    await sleep(200);
  }
}

/** The partition's high watermark (ListOffsets latest, to the leader). */
async function highWatermark(brokers: Brokers, topic: string): Promise<number> {
  const [p] = await brokers.client.admin().fetchTopicOffsets(topic);
  return p!.high;
}

/** Runs kcat with `stdin`; resolves its wall time in ms (process start and metadata included). */
function kcat(args: string[], stdin: Uint8Array): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn('kcat', args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(performance.now() - start) : reject(new Error(`kcat ${args.join(' ')} exited ${code}: ${stderr}`))));
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(stdin);
  });
}

/**
 * Produces RECORDS values with kcat at `acks` (calling `sent` when kcat exits) and checks
 * that the high watermark reaches them; records/s over kcat's run.
 */
async function produce(brokers: Brokers, topic: string, acks: '1' | 'all', sent?: () => void): Promise<number> {
  const cpuBefore = brokerCpuMs(brokers);
  const ms = await kcat(['-b', brokers.bootstrap, '-P', '-t', topic, '-p', '0', '-X', `acks=${acks}`, '-X', 'linger.ms=5', '-X', 'queue.buffering.max.messages=1000000'], input);
  sent?.();
  // acks=1 answers before the followers have the records: the high watermark follows shortly.
  for (const started = Date.now(); ; await sleep(50)) {
    const hw = await highWatermark(brokers, topic);
    if (hw === RECORDS) break;
    if (Date.now() - started > 60_000) throw new Error(`${topic}: high watermark ${hw}, expected ${RECORDS}`);
  }
  lastCpuMs = brokerCpuMs(brokers) - cpuBefore;
  return RECORDS / (ms / 1000);
}

/** CPU ms of every broker process of `brokers` together. */
function brokerCpuMs(brokers: Brokers): number {
  return [...brokers.nodes.values()].reduce((sum, n) => sum + n.cpuMs(), 0);
}

/** Broker CPU (all processes) spent by the last {@link produce}, from kcat's start until the high watermark reached the end. */
let lastCpuMs = NaN;

/** Follower lag while acks=1 records flow into `topic` on a 3-replica partition led by `leader`. */
interface LagResult {
  records: number[];
  ms: number[];
  catchUpMs: number;
}

/**
 * Produces RECORDS values at acks=1 into `topic` (3 replicas, led by `leader`) while
 * sampling every replica's log size; once kcat has exited, waits until every follower's
 * log is as long as the leader's.
 */
async function produceSamplingLag(brokers: Brokers, topic: string, leader: number): Promise<{ rate: number; lag: LagResult }> {
  const leaderNode = brokers.nodes.get(leader)!;
  const followers = [...brokers.nodes.values()].filter((n) => n.id !== leader);
  const history: Array<{ t: number; bytes: number }> = [];
  const samples: Array<{ t: number; leader: number; follower: number }> = [];
  let sentAt = 0;
  const rate = produce(brokers, topic, '1', () => (sentAt = performance.now()));
  while (sentAt === 0) {
    const t = performance.now();
    const lead = leaderNode.logBytes(topic);
    history.push({ t, bytes: lead });
    for (const f of followers) samples.push({ t, leader: lead, follower: f.logBytes(topic) });
    await sleep(SAMPLE_MS);
  }
  const finalLeader = leaderNode.logBytes(topic);
  let catchUpMs = NaN;
  for (const started = performance.now(); performance.now() - started < 60_000; await sleep(2)) {
    if (followers.every((f) => f.logBytes(topic) >= finalLeader)) {
      catchUpMs = performance.now() - sentAt;
      break;
    }
  }
  const bytesPerRecord = finalLeader / RECORDS;
  const records: number[] = [];
  const ms: number[] = [];
  for (const s of samples) {
    if (s.leader === 0) continue; // nothing written yet
    records.push(Math.max(0, s.leader - s.follower) / bytesPerRecord);
    // How long ago was the leader's log as long as the follower's is now? (The sampling step bounds the resolution.)
    const reached = history.find((x) => x.bytes >= s.follower) ?? history[history.length - 1]!;
    ms.push(Math.max(0, s.t - reached.t));
  }
  return { rate: await rate, lag: { records, ms, catchUpMs } };
}

const installed = (command: string) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
if (!installed('kcat')) throw new Error('the cluster benchmark drives the brokers with kcat: install the Debian package kcat');

const rows: BenchRow[] = [];
const loadAtStart = load();

// --- 1 and 2: throughput and replication lag ---------------------------------------------
const single: number[] = [];
const rf1: number[] = [];
const rf3acks1: number[] = [];
const rf3acksAll: number[] = [];
/** Broker CPU µs per record, per configuration. */
const cpu = new Map<number[], number[]>([single, rf1, rf3acks1, rf3acksAll].map((xs) => [xs, []]));
const record = (xs: number[], rate: number) => {
  xs.push(rate);
  cpu.get(xs)!.push((lastCpuMs * 1000) / RECORDS);
};
const lags: LagResult[] = [];
let isrShrank = 0;
{
  const one = await startSingle();
  const three = await startCluster();
  try {
    // Warm-up, not counted: the first run through freshly started Node processes is slower (JIT).
    await createTopic(one, 'warm-up', [1]);
    await createTopic(three, 'warm-up', [1, 2, 3]);
    await produce(one, 'warm-up', '1');
    await produce(three, 'warm-up', 'all');
    for (let round = 0; round < ROUNDS; round++) {
      const leader = (round % 3) + 1;
      const replicas = [leader, ...[1, 2, 3].filter((id) => id !== leader)];
      await createTopic(one, `single-${round}`, [1]);
      await createTopic(three, `rf1-${round}`, [leader]);
      await createTopic(three, `rf3-acks1-${round}`, replicas);
      await createTopic(three, `rf3-acksall-${round}`, replicas);
      const runs = [
        async () => record(single, await produce(one, `single-${round}`, '1')),
        async () => record(rf1, await produce(three, `rf1-${round}`, '1')),
        async () => {
          const sampled = await produceSamplingLag(three, `rf3-acks1-${round}`, leader);
          record(rf3acks1, sampled.rate);
          lags.push(sampled.lag);
        },
        async () => record(rf3acksAll, await produce(three, `rf3-acksall-${round}`, 'all')),
      ];
      // Odd rounds run in reverse order, so that no configuration always follows the same one.
      for (const run of round % 2 === 0 ? runs : runs.reverse()) await run();
      for (const topic of [`rf3-acks1-${round}`, `rf3-acksall-${round}`]) if ((await describe(three.client, topic)).isr.length < 3) isrShrank++;
    }
  } finally {
    await one.close();
    await three.close();
  }
}

const base = median(single);
const throughputRow = (name: string, rates: number[], ratio = true): BenchRow => {
  const r = median(rates);
  return {
    name,
    recordsPerSec: r,
    mbPerSec: (r * VALUE_BYTES) / 1e6,
    ...(ratio ? { ratio: { peer: 'single broker acks=1', value: r / base } } : {}),
    extra: { rounds: rates.map((x) => (x / 1000).toFixed(0) + 'k').join(','), brokerCpuUsPerRecord: median(cpu.get(rates)!).toFixed(1) },
  };
};
const what = `kcat, ${RECORDS} × ${VALUE_BYTES} B, filesystem`;
rows.push(throughputRow(`single broker process, RF 1, acks=1 (${what})`, single, false));
rows.push(throughputRow('3-broker cluster, RF 1, acks=1', rf1));
rows.push(throughputRow('3-broker cluster, RF 3, acks=1', rf3acks1));
const allRow = throughputRow('3-broker cluster, RF 3, acks=all (goal ≥ 0.6; Kafka 2014: 0.51)', rf3acksAll);
rows.push({ ...allRow, extra: { ...allRow.extra, vsClusterRf1: (median(rf3acksAll) / median(rf1)).toFixed(2), isrShrinks: String(isrShrank) } });
const allRecords = lags.flatMap((l) => l.records);
const allMs = lags.flatMap((l) => l.ms);
rows.push({
  name: `follower lag under acks=1 load (RF 3, log bytes sampled every ${SAMPLE_MS} ms)`,
  extra: {
    p50Records: Math.round(quantile(allRecords, 0.5)),
    p99Records: Math.round(quantile(allRecords, 0.99)),
    maxRecords: Math.round(Math.max(...allRecords)),
    p50Ms: Math.round(quantile(allMs, 0.5)),
    p99Ms: Math.round(quantile(allMs, 0.99)),
    maxMs: Math.round(Math.max(...allMs)),
    catchUpMs: Math.round(median(lags.map((l) => l.catchUpMs))),
  },
});

// --- 3: failover ---------------------------------------------------------------------------
/** One failover: kill -9 the leader of a fresh topic under acks=all load; ms to the next acknowledgement. */
async function failover(brokers: Brokers, run: number): Promise<{ ack: number; elected: number }> {
  const leader = run % 2 === 0 ? 2 : 3; // never node 1, the only controller voter
  const topic = `failover-${run}`;
  await createTopic(brokers, topic, [leader, ...[1, 2, 3].filter((id) => id !== leader)]);
  const client = createClient({ brokers: brokers.bootstrap.split(','), clientId: `bench-failover-${run}`, logLevel: 'silent' });
  const producer = client.producer({ acks: -1 });
  const observer = createClient({ brokers: [`127.0.0.1:${brokers.nodes.get(1)!.port}`], clientId: `bench-observer-${run}`, logLevel: 'silent' });
  let killedAt = Infinity;
  let firstAckAfter = Infinity;
  let running = true;
  let acked = 0;
  const inFlight = new Set<Promise<void>>();
  const loop = (async () => {
    while (running) {
      const sentAt = performance.now();
      const p = producer
        .send({ topic, messages: [{ value, partition: 0 }] })
        .then(
          () => {
            acked++;
            const now = performance.now();
            if (sentAt > killedAt && now < firstAckAfter) firstAckAfter = now;
          },
          () => undefined, // a send that gives up is not an acknowledgement; the loop goes on
        );
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
      while (running && inFlight.size >= 1000) await Promise.race(inFlight);
      await sleep(5);
    }
  })();
  try {
    for (const started = Date.now(); acked < 100; await sleep(50)) if (Date.now() - started > 30_000) throw new Error(`${topic}: fewer than 100 acknowledgements before the kill`);
    const node = brokers.nodes.get(leader)!;
    killedAt = performance.now();
    await node.kill();
    // Meanwhile, when does Metadata (asked of node 1, which stays up) name another leader?
    let electedAt = NaN;
    const watch = (async () => {
      while (Number.isNaN(electedAt) && performance.now() - killedAt < 120_000) {
        const d = await describe(observer, topic).catch(() => undefined);
        if (d && d.leader >= 0 && d.leader !== leader) electedAt = performance.now();
        else await sleep(10);
      }
    })();
    for (const started = Date.now(); firstAckAfter === Infinity; await sleep(5)) if (Date.now() - started > 120_000) throw new Error(`${topic}: no acknowledgement within 120 s of killing node ${leader}`);
    await watch;
    const ms = { ack: firstAckAfter - killedAt, elected: electedAt - killedAt };
    running = false;
    await loop;
    await Promise.race([Promise.allSettled(inFlight), sleep(10_000)]);
    await producer.disconnect().catch(() => undefined);
    await client.close().catch(() => undefined);
    await observer.close().catch(() => undefined);
    await node.restart();
    await waitForIsr(brokers, topic, 3);
    return ms;
  } finally {
    running = false;
  }
}

const failoverSettings: Array<[string, string[]]> = [
  ['Kafka defaults: broker.session.timeout.ms 9000, broker.heartbeat.interval.ms 2000', []],
  ['short: broker.session.timeout.ms 1000, broker.heartbeat.interval.ms 250', ['--broker-session-timeout-ms', '1000', '--broker-heartbeat-interval-ms', '250']],
];
for (const [name, flags] of failoverSettings) {
  const brokers = await startCluster(flags);
  const times: Array<{ ack: number; elected: number }> = [];
  try {
    for (let run = 0; run < FAILOVER_RUNS; run++) times.push(await failover(brokers, run));
  } finally {
    await brokers.close();
  }
  const acks = times.map((t) => t.ack);
  const elected = times.map((t) => t.elected);
  rows.push({
    name: `failover, kill -9 leader → next acks=all ack (our producer), ${name}`,
    extra: { medianMs: Math.round(median(acks)), runs: acks.map((t) => t.toFixed(0)).join(','), newLeaderInMetadataMs: elected.map((t) => t.toFixed(0)).join(',') },
  });
}

rows.push({ name: 'machine load (1/5/15-min load average)', extra: { start: loadAtStart, end: load(), cores: String(cpus().length) } });
report('cluster', rows);
