/**
 * Controller failover on a Raft controller quorum (issue 12): three `tributary broker`
 * processes on 127.0.0.1, each a broker and a voter (`--controller-quorum
 * 1@…,2@…,3@…`), filesystem storage. A topic of RF 3 has its partition led by the node of
 * the active controller; that node is killed with SIGKILL, so the next partition leader
 * election needs the next controller. Figures, from the kill:
 * - `controller`: the first DescribeQuorum answer (asked of the voters every 20 ms) naming
 *   another leader — the Raft election (controller.quorum.fetch.timeout.ms 2000 to notice,
 *   then a vote) and the new leader's first commit;
 * - `election`: the first Metadata answer (asked every 20 ms by another client) naming
 *   another partition leader — the new controller also gives every broker a fresh session
 *   and fences the dead one only when that session runs out (broker.session.timeout.ms), as
 *   Kafka's does.
 * With Kafka's defaults (session 9000, heartbeat 2000) and with short timeouts (1000 / 250).
 * Median of BENCH_FAILOVER_RUNS runs (default 3), a fresh cluster each.
 */
import { loadavg } from 'node:os';
import { startProcessCluster, type ProcessCluster } from '../test/faults/process-cluster.ts';
import { type BenchRow, report } from './harness.ts';

const RUNS = Math.max(1, Number(process.env.BENCH_FAILOVER_RUNS ?? 3));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not after ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** One run: returns ms from the kill to a new controller and to a new partition leader. */
async function run(timeouts: { brokerSessionTimeoutMs?: number; brokerHeartbeatIntervalMs?: number }): Promise<{ controller: number; election: number }> {
  const cluster: ProcessCluster = await startProcessCluster({ raftVoters: true, ...timeouts, extraArgs: ['--default-replication-factor', '3', '--log-level', 'warn'] });
  try {
    const first = await waitFor('an active controller', async () => {
      const id = await cluster.activeController(2_000);
      return id >= 0 ? id : undefined;
    });
    const topic = 'failover';
    const admin = cluster.client('bench-admin').admin();
    const others = [1, 2, 3].filter((id) => id !== first);
    await waitFor('the topic', async () => {
      await admin.createTopics({ topics: [{ topic, replicaAssignment: [{ partition: 0, replicas: [first, ...others] }] }], waitForLeaders: true });
      return true;
    });
    await cluster.waitForFullIsr(topic);
    // Metadata from another client (its bootstrap list outlives the dead node).
    const survivor = cluster.client('bench-metadata').admin();
    const killedAt = performance.now();
    await cluster.node(first).kill();
    let controller = -1;
    let election = -1;
    await waitFor('a new controller and a new partition leader', async () => {
      if (controller < 0) {
        const id = await cluster.activeController(500).catch(() => -1);
        if (id >= 0 && id !== first) controller = performance.now() - killedAt;
      }
      if (election < 0) {
        const [described] = await survivor.describeTopics([topic]);
        const leader = described?.partitions[0]?.leader ?? -1;
        if (leader >= 0 && leader !== first) election = performance.now() - killedAt;
      }
      return controller >= 0 && election >= 0 ? true : undefined;
    });
    return { controller, election };
  } finally {
    await cluster.close();
  }
}

const rows: BenchRow[] = [];
const loadAtStart = loadavg().map((l) => l.toFixed(2)).join('/');
for (const [name, timeouts] of [
  ['Kafka defaults (session 9000, heartbeat 2000)', {}],
  ['short timeouts (session 1000, heartbeat 250)', { brokerSessionTimeoutMs: 1000, brokerHeartbeatIntervalMs: 250 }],
] as const) {
  const controllers: number[] = [];
  const elections: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await run(timeouts);
    controllers.push(r.controller);
    elections.push(r.election);
  }
  rows.push({
    name: `controller kill -9 → partition leader elected, ${name}`,
    extra: {
      electionMs: Math.round(median(elections)),
      controllerMs: Math.round(median(controllers)),
      runs: RUNS,
      load: `${loadAtStart}→${loadavg().map((l) => l.toFixed(2)).join('/')}`,
      all: elections.map((e, i) => `${Math.round(controllers[i]!)}/${Math.round(e)}`).join(','),
    },
  });
}
report('controller-failover', rows);
