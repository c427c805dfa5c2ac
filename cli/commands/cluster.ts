/**
 * `tributary cluster`: `up` starts a local cluster of broker processes for trying things
 * (each broker its own process, node 1 also the controller — or nodes 1…n a Raft quorum with
 * `--controllers n`; Ctrl-C stops them all), and `describe` shows a running cluster: its
 * brokers and controller, the controller quorum, and the partitions that are
 * under-replicated or offline.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { brokersFrom, GLOBAL_HELP, noExtraPositionals, parseFlags, parseInteger, str, type Flags } from '../args.ts';
import { tcpTransport } from '../../adapters/transport/index.ts';
import { parseVoters } from '../../core/broker/cluster/cluster-options.ts';
import type { QuorumVoter } from '../../core/broker/quorum/metadata-quorum.ts';
import { describeQuorum, type QuorumDescription, type QuorumReplicaStatus } from '../../core/broker/quorum/quorum-description.ts';
import { withClient } from '../connect.ts';
import { EXIT, usageError } from '../exit-codes.ts';
import { withSubcommands, type Subcommand } from '../subcommands.ts';
import { table } from '../table.ts';
import { CLUSTER_OPERATION_SUBCOMMANDS } from './cluster-operations.ts';

/** An integer flag with a default. */
function intFlag(flags: Flags, name: string, fallback: number, min: number, max: number): number {
  const raw = str(flags, name);
  return raw === undefined ? fallback : parseInteger(raw, `--${name}`, min, max);
}

const up: Subcommand = {
  summary: 'start a local N-broker cluster (one process per broker; Ctrl-C stops all)',
  help: [
    'Usage: tributary cluster up [options]',
    '',
    'Starts N broker processes on 127.0.0.1 with filesystem storage, node 1 also serving the',
    'controller (nodes 1…n with --controllers n: a Raft quorum), and prints the bootstrap',
    'list and the controller quorum. Ctrl-C (or SIGTERM) stops every broker.',
    '',
    '  -n, --brokers <n>          how many brokers (default 3)',
    '      --base-port <port>     broker i listens on base-port + i - 1 (default 19092);',
    '                             the controller on base-port + 100',
    '      --data-dir <dir>       node i keeps its data in <dir>/node-<i> (default ./data/cluster)',
    '      --storage <kind>       filesystem | level | memory (default filesystem)',
    '      --replication-factor <n>  default.replication.factor of auto-created topics (default min(3, n))',
    '      --controllers <n>      nodes 1…n are also voters of the controller quorum (default 1;',
    '                             3 gives a Raft quorum that survives any one node), node i\'s',
    '                             controller on base-port + 100 + i - 1',
    '',
    'Other flags after `--` go to every broker (e.g. -- --log-level debug).',
  ].join('\n'),
  async run(argv) {
    const split = argv.indexOf('--');
    const own = split >= 0 ? argv.slice(0, split) : argv;
    const passThrough = split >= 0 ? argv.slice(split + 1) : [];
    const { flags, positionals } = parseFlags(own, {
      brokers: { type: 'string', short: 'n' },
      'base-port': { type: 'string' },
      'data-dir': { type: 'string' },
      storage: { type: 'string' },
      'replication-factor': { type: 'string' },
      controllers: { type: 'string' },
    });
    noExtraPositionals(positionals, 0, 'tributary cluster up');
    const count = intFlag(flags, 'brokers', 3, 1, 64);
    const basePort = intFlag(flags, 'base-port', 19092, 1, 65535);
    if (basePort < 1 || basePort + Math.max(count, 101) > 65535) throw usageError('--base-port leaves no room for the brokers and the controller');
    const dataDir = resolve(str(flags, 'data-dir') ?? './data/cluster');
    const storage = str(flags, 'storage') ?? 'filesystem';
    const replicationFactor = intFlag(flags, 'replication-factor', Math.min(3, count), 1, count);
    const controllers = intFlag(flags, 'controllers', 1, 1, count);
    const controllerPort = basePort + 100;
    const quorum = Array.from({ length: controllers }, (_, i) => `${i + 1}@127.0.0.1:${controllerPort + i}`).join(',');
    const children: ChildProcess[] = [];
    const bootstrap = Array.from({ length: count }, (_, i) => `127.0.0.1:${basePort + i}`).join(',');
    // The same entry point and loader as this process (tsx from source, or the built CLI).
    const entry = process.argv[1]!;
    for (let id = 1; id <= count; id++) {
      const dir = join(dataDir, `node-${id}`);
      mkdirSync(dir, { recursive: true });
      const args = [
        ...process.execArgv,
        entry,
        'broker',
        '--node-id', String(id),
        '--port', String(basePort + id - 1),
        '--data-dir', dir,
        '--storage', storage,
        '--controller-quorum', quorum,
        '--default-replication-factor', String(replicationFactor),
        ...passThrough,
      ];
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      const prefix = `[node ${id}] `;
      const relay = (stream: NodeJS.ReadableStream | null, out: NodeJS.WriteStream) => {
        let pending = '';
        stream?.setEncoding('utf8');
        stream?.on('data', (chunk: string) => {
          pending += chunk;
          const lines = pending.split('\n');
          pending = lines.pop() ?? '';
          for (const line of lines) out.write(prefix + line + '\n');
        });
      };
      relay(child.stdout, process.stdout);
      relay(child.stderr, process.stderr);
      children.push(child);
    }
    const where = controllers === 1 ? `controller on node 1 (127.0.0.1:${controllerPort})` : `controller quorum of nodes 1-${controllers} (${quorum})`;
    console.log(`Tributary cluster: ${count} broker(s), ${where}, data in ${dataDir}`);
    console.log(`Bootstrap: ${bootstrap}`);
    return await new Promise<number>((done) => {
      let stopping = false;
      let exited = 0;
      let failed = false;
      for (const child of children) {
        child.on('exit', (code) => {
          exited++;
          if (!stopping && code !== 0) {
            failed = true;
            console.error(`a broker exited with code ${code}; stopping the cluster`);
            stop();
          }
          if (exited === children.length) done(failed ? EXIT.FAILURE : EXIT.OK);
        });
      }
      function stop(): void {
        if (stopping) return;
        stopping = true;
        for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
      }
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
  },
};

const describe: Subcommand = {
  summary: 'brokers, controller, under-replicated and offline partitions',
  help: [
    'Usage: tributary cluster describe [options]',
    '',
    'Lists the live brokers and the controller id, then every partition whose in-sync',
    'replicas are fewer than its replicas (under-replicated) or that has no leader (offline).',
    'With --controller-quorum, also the quorum (DescribeQuorum, asked of its controller',
    'listeners): leader, epoch, high watermark, and each voter\'s log end, lag, last fetch',
    'and last caught-up time.',
    '',
    '      --controller-quorum <id@host:port,…>  the voters, as the brokers were given them',
    '      --json                   one JSON object',
    '',
    GLOBAL_HELP,
  ].join('\n'),
  async run(argv) {
    const { flags, positionals } = parseFlags(argv, { json: { type: 'boolean' }, 'controller-quorum': { type: 'string' } });
    noExtraPositionals(positionals, 0, 'tributary cluster describe');
    const quorumFlag = str(flags, 'controller-quorum');
    let voters: QuorumVoter[] | undefined;
    if (quorumFlag !== undefined) {
      try {
        voters = parseVoters(quorumFlag);
      } catch (error) {
        throw usageError(`--controller-quorum: ${(error as Error).message}`);
      }
    }
    const quorum = voters ? await describeQuorum({ voters, transport: tcpTransport(), requestTimeoutMs: 3_000, connectTimeoutMs: 3_000, retryTimeoutMs: 10_000 }) : undefined;
    if (voters && !flags.json) printQuorum(quorum!);
    return withClient(brokersFrom(flags), {}, async (client) => {
      const admin = client.admin();
      const cluster = await admin.describeCluster();
      const { topics } = await admin.fetchTopicMetadata();
      const under: Array<{ topic: string; partition: number; leader: number; replicas: readonly number[]; isr: readonly number[]; offline: readonly number[] }> = [];
      const offline: typeof under = [];
      let partitions = 0;
      for (const t of topics) {
        for (const p of t.partitions) {
          partitions++;
          const row = { topic: t.name, partition: p.partitionId, leader: p.leader, replicas: p.replicas, isr: p.isr, offline: p.offlineReplicas };
          if (p.leader < 0) offline.push(row);
          else if (p.isr.length < p.replicas.length) under.push(row);
        }
      }
      if (flags.json) {
        console.log(JSON.stringify({ ...cluster, topics: topics.length, partitions, underReplicated: under, offline, ...(quorum ? { quorum } : {}) }));
        return EXIT.OK;
      }
      console.log(`Cluster: ${cluster.clusterId ?? '-'}  Controller: ${cluster.controller}  Brokers: ${cluster.brokers.length}  Topics: ${topics.length}  Partitions: ${partitions}`);
      console.log(table(['BROKER', 'HOST', 'PORT', 'RACK'], cluster.brokers.sort((a, b) => a.nodeId - b.nodeId).map((b) => [b.nodeId, b.host, b.port, b.rack ?? '-'])));
      const rows = (list: typeof under) => list.map((p) => [p.topic, p.partition, p.leader < 0 ? 'none' : p.leader, p.replicas.join(',') || '-', p.isr.join(',') || '-', p.offline.join(',') || '-']);
      const header = ['TOPIC', 'PARTITION', 'LEADER', 'REPLICAS', 'ISR', 'OFFLINE'];
      console.log(`Under-replicated partitions: ${under.length}`);
      if (under.length > 0) console.log(table(header, rows(under)));
      console.log(`Offline partitions: ${offline.length}`);
      if (offline.length > 0) console.log(table(header, rows(offline)));
      return EXIT.OK;
    });
  },
};

/** The quorum section of `cluster describe`. */
function printQuorum(quorum: QuorumDescription): void {
  if (quorum.leaderId < 0) {
    console.log(`Controller quorum: no leader answered (an election is under way, or a majority of voters is down); epoch ${quorum.epoch}`);
    return;
  }
  console.log(`Controller quorum: leader ${quorum.leaderId}  epoch ${quorum.epoch}  high watermark ${quorum.highWatermark}`);
  const now = Date.now();
  const ago = (ms: number) => (ms < 0 ? '-' : `${Math.max(0, (now - ms) / 1000).toFixed(1)} s ago`);
  const rows = (list: readonly QuorumReplicaStatus[], role: string) =>
    list.map((r) => [r.nodeId, r.nodeId === quorum.leaderId ? 'leader' : role, r.logEndOffset, r.lag, ago(r.lastFetchMs), ago(r.lastCaughtUpMs)]);
  console.log(table(['NODE', 'ROLE', 'LOG END', 'LAG', 'LAST FETCH', 'LAST CAUGHT UP'], [...rows(quorum.voters, 'follower'), ...rows(quorum.observers, 'observer')]));
}

/** `tributary cluster`. */
export const clusterCommand = withSubcommands('cluster', 'Start a local cluster, or describe a running one.', { up, describe, ...CLUSTER_OPERATION_SUBCOMMANDS });
