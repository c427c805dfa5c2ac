/**
 * Broker throughput through the TCP server, measured with kcat (librdkafka, C — so the
 * client is not the bottleneck): produce and consume of 100-byte values at acks=1, on
 * memory and filesystem storage; Redis Streams in the same run as the peer (XADD pipelined
 * with redis-benchmark, XRANGE read back with redis-cli); and broker start-up time to the
 * first served request, both in-process (new Broker → answer) and as a user sees it (spawning
 * the CLI broker process → answer, which includes Node and TypeScript loading).
 *
 * Records per run scale with BENCH_TIME_MS (default 200k records at 1000 ms). Peer and
 * broker alternate over three rounds; each figure is the median of its rounds. kcat's
 * times include its process start and metadata round trips; redis-benchmark reports its
 * own rate without them, so the ratios lean in the peer's favour.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filesystemStorage } from '../adapters/filesystem/index.ts';
import { memoryStorage } from '../adapters/memory/index.ts';
import { startServer, type TributaryServer } from '../adapters/server/index.ts';
import { Broker } from '../core/broker/broker.ts';
import { DEFAULT_HANDLERS } from '../core/broker/api/preset.ts';
import type { Storage } from '../core/contracts/storage.ts';
import { encodeRequest } from '../core/protocol/index.ts';
import { type BenchRow, report } from './harness.ts';

const VALUE_BYTES = 100;
const scale = Number(process.env.BENCH_TIME_MS ?? 1000) / 1000;
const RECORDS = Math.max(20_000, Math.round(200_000 * scale));
const value = 'x'.repeat(VALUE_BYTES);
const input = Buffer.from(`${value}\n`.repeat(RECORDS));

function run(cmd: string, args: string[], stdin?: Uint8Array, discardOutput = false): Promise<{ ms: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    // Readers write to /dev/null so that the pipe into this process is not what is measured.
    const child = spawn(cmd, args, { stdio: ['pipe', discardOutput ? 'ignore' : 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let lines = 0;
    child.stdout?.on('data', (d: Buffer) => {
      // Consumers print one line per record; keep only a count and the tail to stay cheap.
      for (let i = d.indexOf(10); i !== -1; i = d.indexOf(10, i + 1)) lines++;
      stdout = (stdout + d.toString()).slice(-4096);
    });
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - start;
      if (code !== 0) reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr}`));
      else resolve({ ms, stdout: `${stdout}\nLINES=${lines}` });
    });
    // A child that exits without reading its input (redis-cli PING before the server is up)
    // makes this write fail with EPIPE; its exit code already tells what happened.
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(stdin ?? '');
  });
}

function linesOf(stdout: string): number {
  return Number(/LINES=(\d+)/.exec(stdout)?.[1] ?? 0);
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Milliseconds from `new Broker` to the first ApiVersions response on a fresh connection. */
async function startupMs(storage: () => Storage): Promise<{ ms: number; server: TributaryServer }> {
  const start = performance.now();
  const broker = new Broker({ handlers: DEFAULT_HANDLERS, storage: storage() });
  const server = await startServer(broker, { port: 0 });
  await firstAnswer(server.port);
  return { ms: performance.now() - start, server };
}

/** One ApiVersions round trip on a fresh connection; rejects when nothing listens yet. */
function firstAnswer(port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      for (const c of encodeRequest({ apiKey: 18, apiVersion: 3, correlationId: 1, clientId: 'bench' }, { clientSoftwareName: 'bench', clientSoftwareVersion: '1' })) socket.write(c);
    });
    socket.once('data', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', (error) => {
      socket.destroy();
      reject(error);
    });
  });
}

/** Milliseconds from spawning `tributary broker` (memory storage) to its first answer. */
async function processStartupMs(): Promise<number> {
  const port = await freePort();
  const start = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'broker', '--storage', 'memory', '--port', String(port), '--log-level', 'silent'], { stdio: 'ignore' });
  try {
    for (;;) {
      try {
        await firstAnswer(port);
        return performance.now() - start;
      } catch {
        if (child.exitCode !== null) throw new Error(`the CLI broker exited with ${child.exitCode}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  } finally {
    child.kill('SIGTERM');
  }
}

const rows: BenchRow[] = [];
const rps = (records: number, ms: number) => records / (ms / 1000);

// Machines running this are often busy: peer and broker alternate for ROUNDS rounds, and
// each figure is the median of its rounds, so a burst of load hits both sides alike.
const ROUNDS = 3;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// --- Redis Streams, the peer -------------------------------------------------------------
async function redisRound(port: number): Promise<{ produce: number; consume: number }> {
  await run('redis-cli', ['-p', String(port), 'DEL', 'bench']);
  const produced = await run('redis-benchmark', ['-p', String(port), '-P', '50', '-n', String(RECORDS), '--csv', 'XADD', 'bench', '*', 'v', value]);
  const csv = produced.stdout.split('\n').find((l) => l.startsWith('"XADD'));
  const produce = csv ? Number(csv.split(',')[1]!.replace(/"/g, '')) : rps(RECORDS, produced.ms);
  const length = Number((await run('redis-cli', ['-p', String(port), 'XLEN', 'bench'])).stdout.split('\n')[0]);
  if (length !== RECORDS) throw new Error(`redis holds ${length} entries, expected ${RECORDS}`);
  const consumed = await run('redis-cli', ['-p', String(port), 'XRANGE', 'bench', '-', '+'], undefined, true);
  return { produce, consume: rps(RECORDS, consumed.ms) };
}

// --- Tributary through TCP with kcat ------------------------------------------------------
async function tributaryRound(storage: () => Storage): Promise<{ produce: number; consume: number; startup: number }> {
  const { ms: startup, server } = await startupMs(storage);
  try {
    await server.broker.topics.create({ name: 'bench', numPartitions: 1, replicationFactor: 1 });
    const bootstrap = server.address;
    const produced = await run('kcat', ['-b', bootstrap, '-P', '-t', 'bench', '-p', '0', '-X', 'acks=1', '-X', 'linger.ms=5', '-X', 'queue.buffering.max.messages=1000000'], input);
    const end = server.broker.topics.get('bench')!.partitions[0]!.highWatermark;
    if (end !== RECORDS) throw new Error(`expected ${RECORDS} records stored, found ${end}`);
    // -c stops after exactly RECORDS records and fails if fewer arrive before the end (-e).
    const consumed = await run('kcat', ['-b', bootstrap, '-C', '-t', 'bench', '-p', '0', '-o', 'beginning', '-e', '-q', '-c', String(RECORDS), '-f', '%s\n'], undefined, true);
    const check = await run('kcat', ['-b', bootstrap, '-C', '-t', 'bench', '-p', '0', '-o', String(RECORDS - 5), '-e', '-q', '-f', '%o\n']);
    if (linesOf(check.stdout) !== 5) throw new Error('the last records are not readable');
    return { produce: rps(RECORDS, produced.ms), consume: rps(RECORDS, consumed.ms), startup };
  } finally {
    await server.close();
  }
}

const dirs: string[] = [];
const storages: Array<[string, () => Storage]> = [
  ['memory', () => memoryStorage()],
  [
    'filesystem',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'tributary-bench-'));
      dirs.push(dir);
      return filesystemStorage({ dir });
    },
  ],
];
/** Whether `command` is on the PATH. */
const installed = (command: string) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
if (!installed('kcat')) throw new Error('the broker benchmark drives the broker with kcat: install the Debian package kcat');
// Without Redis the broker is still measured; only the peer rows and ratios are missing.
const withPeer = ['redis-server', 'redis-cli', 'redis-benchmark'].every(installed);
if (!withPeer) console.warn('broker bench: redis-server/redis-cli/redis-benchmark not found (Debian package redis-server): no peer ratio this run');

const redisPort = await freePort();
const redis = withPeer ? spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' }) : undefined;
const redisRounds: Array<{ produce: number; consume: number }> = [];
const ours = new Map<string, Array<{ produce: number; consume: number; startup: number }>>(storages.map(([name]) => [name, []]));
try {
  for (let i = 0; withPeer && i < 50; i++) {
    try {
      await run('redis-cli', ['-p', String(redisPort), 'PING']);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  for (let round = 0; round < ROUNDS; round++) {
    if (withPeer) redisRounds.push(await redisRound(redisPort));
    for (const [name, storage] of storages) ours.get(name)!.push(await tributaryRound(storage));
  }
} finally {
  redis?.kill('SIGTERM');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}

const redisProduce = withPeer ? median(redisRounds.map((r) => r.produce)) : NaN;
const redisConsume = withPeer ? median(redisRounds.map((r) => r.consume)) : NaN;
if (withPeer) {
  rows.push({ name: `redis XADD (redis-benchmark -P 50, ${RECORDS} × ${VALUE_BYTES} B)`, recordsPerSec: redisProduce, mbPerSec: (redisProduce * VALUE_BYTES) / 1e6 });
  rows.push({ name: 'redis XRANGE all (redis-cli)', recordsPerSec: redisConsume, mbPerSec: (redisConsume * VALUE_BYTES) / 1e6 });
}
const versus = (peer: string, ours: number, theirs: number) => (withPeer ? { ratio: { peer, value: ours / theirs } } : {});
for (const [name, results] of ours) {
  const p = median(results.map((r) => r.produce));
  const c = median(results.map((r) => r.consume));
  rows.push({ name: `tributary produce, ${name} (kcat acks=1, ${RECORDS} × ${VALUE_BYTES} B)`, recordsPerSec: p, mbPerSec: (p * VALUE_BYTES) / 1e6, ...versus('redis XADD', p, redisProduce) });
  rows.push({ name: `tributary consume, ${name} (kcat -C -o beginning -e -c N)`, recordsPerSec: c, mbPerSec: (c * VALUE_BYTES) / 1e6, ...versus('redis XRANGE', c, redisConsume) });
  rows.push({ name: `tributary start-up to first served request, ${name}`, extra: { ms: Number(median(results.map((r) => r.startup)).toFixed(2)) } });
}

rows.push({ name: 'tributary start-up: spawn CLI broker process to first served request, memory', extra: { ms: Number((await processStartupMs()).toFixed(0)) } });

report('broker', rows);
