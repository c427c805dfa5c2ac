/**
 * A real broker in a child process (`tributary broker`, filesystem storage) that a test
 * can kill -9 and start again on the same port and data directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../cli/cli-helpers.ts';

/** A broker process that can be killed and restarted in place. */
export interface BrokerProcess {
  /** `127.0.0.1:port` (the same across restarts). */
  readonly address: string;
  readonly dataDir: string;
  /** kill -9, and wait until the process is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data directory. */
  restart(): Promise<void>;
  /** Kills it (if running) and removes its data. */
  dispose(): Promise<void>;
  /** Everything the broker printed (all its lives). */
  output(): string;
}

function startChild(dataDir: string, port: number, log: { text: string }): Promise<{ child: ChildProcess; port: number; exited: Promise<void> }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'cli/main.ts', 'broker', '--port', String(port), '--data-dir', dataDir, '--storage', 'filesystem', '--log-level', 'warn', '--group-initial-rebalance-delay-ms', '0', '--num-partitions', '1'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TRIBUTARY_BROKERS: '' } },
  );
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => ((out += d), (log.text += d)));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (log.text += d));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const check = () => {
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        child.stdout!.off('data', check);
        resolve({ child, port: Number(m[1]), exited });
      }
    };
    child.stdout!.on('data', check);
    void exited.then(() => reject(new Error(`broker exited before listening:\n${log.text}`)));
  });
}

/** Starts a broker process on a free port with a fresh data directory. */
export async function startBrokerProcess(): Promise<BrokerProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tributary-restart-'));
  const log = { text: '' };
  let current = await startChild(dataDir, 0, log);
  const port = current.port;
  let alive = true;
  const kill = async () => {
    if (!alive) return;
    alive = false;
    current.child.kill('SIGKILL');
    await current.exited;
  };
  return {
    address: `127.0.0.1:${port}`,
    dataDir,
    kill,
    async restart() {
      await kill();
      // The port may linger briefly after the kill: try again until it binds.
      for (let attempt = 0; ; attempt++) {
        try {
          current = await startChild(dataDir, port, log);
          alive = true;
          return;
        } catch (error) {
          if (attempt >= 20) throw error;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    },
    async dispose() {
      await kill();
      rmSync(dataDir, { recursive: true, force: true });
    },
    output: () => log.text,
  };
}
