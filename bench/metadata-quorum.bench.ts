/**
 * The controller quorum's metadata throughput (issue 12's "Numbers"), as users run it:
 * three `tributary broker` processes, each a broker and a voter of a Raft quorum
 * (`--controller-quorum 1@…,2@…,3@…`), filesystem storage, every setting at its default.
 *
 * 1. Topic creations per second: our admin client creates topics of one partition,
 *    replication factor 3, one CreateTopics each — one at a time (each waits for its
 *    commit on a majority of voters and for the broker's image to show it), then 8 in
 *    flight. Every creation is a metadata batch the quorum commits.
 * 2. Partitions per cluster that still start in under 10 s (Kafka's KIP-500 measure): topics
 *    of 50 partitions (RF 3) up to each size, then all three processes are stopped with
 *    SIGTERM and started again; the figure is the time from the first start to the moment
 *    every partition has a leader in the Metadata answer (kcat -L -J). Sizes grow with
 *    BENCH_TIME_MS (1,000 and 4,000 partitions at the default 1000).
 *
 * Three brokers share this machine's cores; the load average is printed with the results.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '../mod.ts';
import type { Client } from '../core/client/client.ts';
import { type BenchRow, report } from './harness.ts';
import { freePort } from '../test/fixtures/free-port.ts';

const ROOT = join(import.meta.dirname, '..');
const scale = Number(process.env.BENCH_TIME_MS ?? 1000) / 1000;
const CREATIONS = Math.max(40, Math.round(200 * scale));
const SIZES = [1000, 4000].map((n) => Math.max(100, Math.round(n * scale)));
const PARTITIONS_PER_TOPIC = 50;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const load = () => loadavg().map((l) => l.toFixed(2)).join('/');

/** One broker + voter process; keeps the tail of its output for error messages. */
class Node {
  #child: ChildProcess | null = null;
  #exited: Promise<void> = Promise.resolve();
  #out = '';
  readonly id: number;
  readonly port: number;
  readonly dataDir: string;
  readonly quorum: string;
  constructor(id: number, port: number, dataDir: string, quorum: string) {
    this.id = id;
    this.port = port;
    this.dataDir = dataDir;
    this.quorum = quorum;
  }

  /** Spawns the process (does not wait: voters need each other to elect). */
  spawn(): void {
    this.#out = '';
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'broker', '--node-id', String(this.id), '--port', String(this.port), '--data-dir', this.dataDir, '--storage', 'filesystem', '--controller-quorum', this.quorum], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    const keep = (d: Buffer) => (this.#out = (this.#out + d.toString()).slice(-8192));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.#exited = new Promise((resolve) => child.on('exit', () => resolve()));
  }

  /** The tail of its output. */
  get output(): string {
    return this.#out;
  }

  /** Resolves once the process says it listens. */
  async listening(): Promise<void> {
    const started = Date.now();
    while (!/ listening on /.test(this.#out)) {
      if (this.#child?.exitCode !== null) throw new Error(`node ${this.id} exited: ${this.#out}`);
      if (Date.now() - started > 120_000) throw new Error(`node ${this.id} not listening after 120 s: ${this.#out}`);
      await sleep(20);
    }
  }

  /** SIGTERM (controlled shutdown), then waits for the exit; SIGKILL after 60 s. */
  async stop(): Promise<void> {
    if (!this.#child) return;
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child?.kill('SIGKILL'), 60_000);
    await this.#exited;
    clearTimeout(timer);
    this.#child = null;
  }
}

/** Partitions with a leader, and all partitions, in the Metadata answer of `bootstrap` (kcat). */
function leadersKnown(bootstrap: string): { led: number; total: number } {
  const out = spawnSync('kcat', ['-b', bootstrap, '-L', '-J', '-m', '5'], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (out.status !== 0) return { led: 0, total: 0 };
  const meta = JSON.parse(out.stdout) as { topics: Array<{ topic: string; partitions: Array<{ leader: number }> }> };
  let led = 0;
  let total = 0;
  for (const t of meta.topics) {
    if (t.topic.startsWith('__')) continue;
    for (const p of t.partitions) {
      total++;
      if (p.leader >= 0) led++;
    }
  }
  return { led, total };
}

const root = mkdtempSync(join(tmpdir(), 'tributary-bench-quorum-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));
const ids = [1, 2, 3];
const controllerPorts = await Promise.all(ids.map(() => freePort()));
const quorum = ids.map((id, i) => `${id}@127.0.0.1:${controllerPorts[i]}`).join(',');
const nodes = await Promise.all(ids.map(async (id) => new Node(id, await freePort(), join(root, `node-${id}`), quorum)));
const bootstrap = nodes.map((n) => `127.0.0.1:${n.port}`).join(',');
const loadAtStart = load();

/** Brokers the Metadata answer of `bootstrap` lists (registered and unfenced). */
function liveBrokers(bootstrap: string): number {
  const out = spawnSync('kcat', ['-b', bootstrap, '-L', '-J', '-m', '5', '-t', '__none__'], { encoding: 'utf8' });
  if (out.status !== 0) return 0;
  return (JSON.parse(out.stdout) as { brokers: unknown[] }).brokers.length;
}

/** Starts the three processes; resolves once all listen and Metadata lists all three brokers. */
async function startAll(): Promise<void> {
  for (const n of nodes) n.spawn();
  await Promise.all(nodes.map((n) => n.listening()));
  const started = Date.now();
  while (liveBrokers(bootstrap) < nodes.length) {
    if (Date.now() - started > 120_000) throw new Error('the three brokers are not all live after 120 s');
    await sleep(100);
  }
}

const rows: BenchRow[] = [];
await startAll();
const connect = (): Client => createClient({ brokers: bootstrap.split(','), clientId: 'bench-quorum', logLevel: 'error' });
let client = connect();
let admin = client.admin();
try {
  // 1. Creations, one at a time and 8 in flight.
  let t = performance.now();
  for (let i = 0; i < CREATIONS; i++) await admin.createTopics({ topics: [{ topic: `one-${i}`, numPartitions: 1, replicationFactor: 3 }] });
  let s = (performance.now() - t) / 1000;
  rows.push({ name: `topic creations, one at a time (${CREATIONS}, 1 partition, RF 3)`, opsPerSec: CREATIONS / s, extra: { 'ms per creation': ((s * 1000) / CREATIONS).toFixed(1) } });
  t = performance.now();
  const queue = Array.from({ length: CREATIONS }, (_, i) => i);
  await Promise.all(Array.from({ length: 8 }, async () => {
    for (let i = queue.shift(); i !== undefined; i = queue.shift()) await admin.createTopics({ topics: [{ topic: `eight-${i}`, numPartitions: 1, replicationFactor: 3 }] });
  }));
  s = (performance.now() - t) / 1000;
  rows.push({ name: `topic creations, 8 in flight (${CREATIONS}, 1 partition, RF 3)`, opsPerSec: CREATIONS / s });

  // 2. Restart time by partition count.
  let partitions = leadersKnown(bootstrap).total;
  let topic = 0;
  for (const size of SIZES) {
    while (partitions < size) {
      await admin.createTopics({ topics: [{ topic: `many-${topic++}`, numPartitions: PARTITIONS_PER_TOPIC, replicationFactor: 3 }] });
      partitions += PARTITIONS_PER_TOPIC;
    }
    await client.close();
    await Promise.all(nodes.map((n) => n.stop()));
    const started = performance.now();
    await startAll();
    const listening = performance.now() - started;
    let known = { led: 0, total: 0 };
    while (known.total < partitions || known.led < known.total) {
      if (performance.now() - started > 300_000) throw new Error(`after 300 s only ${known.led}/${known.total} partitions have leaders`);
      await sleep(100);
      known = leadersKnown(bootstrap);
    }
    const ready = performance.now() - started;
    client = connect();
    admin = client.admin();
    rows.push({ name: `restart of 3 voters with ${partitions} partitions (RF 3) until every partition has a leader`, extra: { 's to listening': (listening / 1000).toFixed(1), 's to all leaders': (ready / 1000).toFixed(1), 'under 10 s': ready < 10_000 ? 'yes' : 'no' } });
  }
} catch (error) {
  for (const n of nodes) console.error(`--- node ${n.id}\n${n.output.slice(-3000)}`);
  throw error;
} finally {
  await client.close().catch(() => undefined);
  await Promise.all(nodes.map((n) => n.stop()));
}
report('metadata-quorum', rows);
console.log(`3 broker+voter processes, filesystem storage, defaults; load average ${loadAtStart} at start, ${load()} at end`);
