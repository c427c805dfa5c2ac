/**
 * `npm start` itself: a broker on filesystem storage in a temporary data directory on
 * port 0, used through the CLI, stopped with SIGTERM (exit 0), then reopened on the same
 * directory with the records still there.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from './cli-helpers.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'tributary-npm-start-'));
const children: ChildProcess[] = [];

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

/** The pid of the broker below npm (npm → sh → node), from /proc. */
function brokerPid(npmPid: number): number {
  const queue = [npmPid];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    // The shell's command line names cli/main.ts too: the broker is the node process.
    if (pid !== npmPid && cmdline.includes('cli/main.ts') && /(^|\/)node$/.test(cmdline.split('\0')[0]!)) return pid;
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    if (children) queue.push(...children.split(/\s+/).map(Number));
  }
  throw new Error(`no broker process below npm (pid ${npmPid})`);
}

/** Starts `npm start -- --port 0 --data-dir <dir> … --retention-ms -1` (a negative value after its flag) and resolves with the address from its startup line. */
async function npmStart(): Promise<{ child: ChildProcess; address: string; output: () => string; exited: Promise<number | null> }> {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const child = spawn(npm, ['start', '--silent', '--', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn', '--retention-ms', '-1'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  // 'close': npm has exited and every process holding its output pipes (the broker) too.
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const address = await new Promise<string>((resolve, reject) => {
    const check = () => {
      const m = /listening on (127\.0\.0\.1:(\d+))/.exec(out);
      if (m) {
        child.stdout!.off('data', check);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', check);
    exited.then((code) => reject(new Error(`npm start exited with ${code} before listening:\n${out}`)));
  });
  return { child, address, output: () => out, exited };
}

describe.runIf(process.platform === 'linux')('npm start', () => {
  it('listens on the real port for --port 0, serves the CLI, stops cleanly on SIGTERM and keeps its data', async () => {
    const first = await npmStart();
    expect(first.address).not.toMatch(/:0$/);
    expect(first.output()).toContain(`filesystem storage in ${dataDir}`);
    const b = ['-b', first.address];
    const produced = await runCli(['produce', 'kept', '-K', '=', ...b], { input: 'a=1\nb=2\nc=3\n' });
    expect(produced.code, produced.stderr).toBe(0);
    const read = await runCli(['consume', 'kept', '-e', '-F', '%k=%v\\n', ...b]);
    expect(read.stdout.trim().split('\n')).toEqual(['a=1', 'b=2', 'c=3']);

    // SIGTERM to the broker (what a terminal's Ctrl-C or a container stop delivers to
    // it): it answers what is in flight, syncs, closes and exits 0, and so does npm.
    process.kill(brokerPid(first.child.pid!), 'SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('stopped cleanly');

    const second = await npmStart();
    const again = await runCli(['consume', 'kept', '-e', '-F', '%o %k=%v\\n', '-b', second.address]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.trim().split('\n')).toEqual(['0 a=1', '1 b=2', '2 c=3']);
    // SIGTERM to npm itself: npm's shell dies without passing it on, and the broker,
    // orphaned, stops cleanly on its own rather than living on (npm reports the signal).
    second.child.kill('SIGTERM');
    await second.exited;
    expect(second.output()).toContain('stopped cleanly');
  });
});
