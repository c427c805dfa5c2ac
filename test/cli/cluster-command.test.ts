/**
 * `tributary cluster up` and `cluster describe` for real: three broker processes on free
 * ports with a temp data directory, described, used to create a replicated topic through
 * `topics create` / `topics describe`, and stopped with SIGINT (no broker process left).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from './cli-helpers.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'tributary-cluster-up-'));
let up: ChildProcess | undefined;

afterAll(() => {
  if (up && up.exitCode === null && up.signalCode === null) {
    for (const pid of childPids(up.pid!)) tryKill(pid);
    up.kill('SIGKILL');
  }
  rmSync(dataDir, { recursive: true, force: true });
});

function tryKill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Whether `port` on 127.0.0.1 can be bound right now. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A base port p (from the OS, by binding port 0) with p, p+1, p+2 and the controllers' p+100…p+102 all free. */
async function freeBasePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (port + 100 > 65535) continue;
    const free = await Promise.all([port, port + 1, port + 2, port + 100, port + 101, port + 102].map(portFree));
    if (free.every(Boolean)) return port;
  }
  throw new Error('no free base port');
}

/** Direct children of `pid` (Linux /proc). */
function childPids(pid: number): number[] {
  try {
    const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return text ? text.split(/\s+/).map(Number) : [];
  } catch {
    return [];
  }
}

/** Whether a process with `pid` exists (and is not a zombie). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z /.test(stat);
  } catch {
    return false;
  }
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 40_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms${last ? `; last: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('tributary cluster up / describe', () => {
  it('starts three brokers, describes them, hosts a replicated topic, and SIGINT stops every broker', async () => {
    const base = await freeBasePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'cluster', 'up', '--brokers', '3', '--base-port', String(base), '--data-dir', dataDir, '--', '--broker-heartbeat-interval-ms', '250', '--log-level', 'info'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TRIBUTARY_BROKERS: '' },
    });
    up = child;
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));

    const expected = [0, 1, 2].map((i) => `127.0.0.1:${base + i}`).join(',');
    await until('the bootstrap line', async () => (out.includes(`Bootstrap: ${expected}`) ? true : undefined));
    // Each broker's own startup line, relayed with its node prefix.
    await until(`three brokers listening:\n${out}`, async () => ([1, 2, 3].every((n) => new RegExp(`\\[node ${n}\\] .*listening on`).test(out)) ? true : undefined));
    const brokers = [...childPids(child.pid!)];
    expect(brokers, 'one child process per broker').toHaveLength(3);

    // All three registered with the controller, nothing offline.
    const described = await until('cluster describe to list 3 brokers', async () => {
      const r = await runCli(['cluster', 'describe', '-b', expected]);
      return r.code === 0 && /Brokers: 3\b/.test(r.stdout) ? r.stdout : undefined;
    });
    for (let n = 1; n <= 3; n++) expect(described).toMatch(new RegExp(`^${n}\\s+127\\.0\\.0\\.1\\s+${base + n - 1}\\b`, 'm'));
    expect(described).toMatch(/Controller: 1\b/);
    expect(described).toMatch(/Offline partitions: 0\b/);

    const created = await runCli(['topics', 'create', 'replicated', '--partitions', '3', '--replication-factor', '3', '--config', 'min.insync.replicas=2', '-b', expected]);
    expect(created.code, created.stderr).toBe(0);
    // Leaders, replicas and in-sync replicas of each partition once the followers caught up.
    const rows = await until('topics describe with every replica in the ISR', async () => {
      const r = await runCli(['topics', 'describe', 'replicated', '-b', expected]);
      if (r.code !== 0) return undefined;
      expect(r.stdout).toMatch(/Topic: replicated\b.*PartitionCount: 3\s+ReplicationFactor: 3\b/);
      expect(r.stdout).toMatch(/^\s*min\.insync\.replicas\s+2\s/m);
      const parsed = [...r.stdout.matchAll(/^\s*(\d+)\s+(-?\d+|none)\s+([\d,]+)\s+([\d,-]+)\s+[\d,-]+\s+\d+\s+\d+\s+\d+\s*$/gm)].map((m) => ({
        partition: Number(m[1]),
        leader: Number(m[2]),
        replicas: m[3]!.split(',').map(Number),
        isr: m[4] === '-' ? [] : m[4]!.split(',').map(Number),
      }));
      return parsed.length === 3 && parsed.every((p) => p.isr.length === 3) ? parsed : undefined;
    });
    expect(rows.map((p) => p.partition)).toEqual([0, 1, 2]);
    for (const p of rows) {
      expect([...p.replicas].sort()).toEqual([1, 2, 3]);
      expect([...p.isr].sort()).toEqual([1, 2, 3]);
      expect(p.replicas).toContain(p.leader);
    }
    // The placement spreads leadership over the brokers.
    expect(new Set(rows.map((p) => p.leader)).size).toBeGreaterThan(1);

    child.kill('SIGINT');
    const { code } = await exited;
    expect(code).toBe(0);
    for (const pid of brokers) expect(alive(pid), `broker process ${pid} after SIGINT`).toBe(false);
    for (let i = 0; i < 3; i++) expect(await portFree(base + i), `port ${base + i} released`).toBe(true);
    expect(await portFree(base + 100), 'controller port released').toBe(true);
  }, 120_000);

  it('with --controllers 3 every node is a Raft voter; describe --controller-quorum shows the quorum; SIGINT stops all', async () => {
    const base = await freeBasePort();
    const raftDir = mkdtempSync(join(tmpdir(), 'tributary-cluster-raft-'));
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'cluster', 'up', '--brokers', '3', '--controllers', '3', '--base-port', String(base), '--data-dir', raftDir, '--', '--broker-heartbeat-interval-ms', '250', '--log-level', 'info'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TRIBUTARY_BROKERS: '' },
    });
    up = child;
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<{ code: number | null }>((resolve) => child.on('exit', (code) => resolve({ code })));
    try {
      const quorum = [0, 1, 2].map((i) => `${i + 1}@127.0.0.1:${base + 100 + i}`).join(',');
      const bootstrap = [0, 1, 2].map((i) => `127.0.0.1:${base + i}`).join(',');
      await until('the quorum line', async () => (out.includes(`controller quorum of nodes 1-3 (${quorum})`) ? true : undefined));
      const described = await until('cluster describe with a quorum leader and 3 brokers', async () => {
        const r = await runCli(['cluster', 'describe', '-b', bootstrap, '--controller-quorum', quorum]);
        return r.code === 0 && /Brokers: 3\b/.test(r.stdout) && /Controller quorum: leader [123]\b/.test(r.stdout) ? r.stdout : undefined;
      });
      const leader = Number(/Controller quorum: leader (\d)/.exec(described)![1]);
      expect(described).toMatch(/epoch \d+\s+high watermark \d+/);
      expect(described).toMatch(new RegExp(`^${leader}\\s+leader\\s+\\d+\\s+0\\s`, 'm'));
      for (const n of [1, 2, 3].filter((id) => id !== leader)) expect(described).toMatch(new RegExp(`^${n}\\s+follower\\s+\\d+\\s+\\d+\\s`, 'm'));
      // The controller the brokers report is the quorum's leader.
      expect(described).toMatch(new RegExp(`Controller: ${leader}\\b`));
      const json = await runCli(['cluster', 'describe', '-b', bootstrap, '--controller-quorum', quorum, '--json']);
      expect(JSON.parse(json.stdout).quorum).toMatchObject({ leaderId: leader });
    } finally {
      child.kill('SIGINT');
    }
    const { code } = await exited;
    expect(code, out).toBe(0);
    for (let i = 0; i < 3; i++) expect(await portFree(base + 100 + i), `controller port ${base + 100 + i} released`).toBe(true);
    rmSync(raftDir, { recursive: true, force: true });
  }, 120_000);
});
