/**
 * Issue 13, item 1: `tributary consume --group` keeps running across a broker restart
 * (kill -9, started again on the same port and data directory) and prints what is
 * produced after it. It used to exit 1 some seconds after the broker went away.
 */
import { spawn } from 'node:child_process';
import { afterEach, expect, it } from 'vitest';
import { ROOT } from './cli-helpers.ts';
import { tcpTransport } from '../../adapters/transport/index.ts';
import { createClient } from '../../core/client/client.ts';
import { fullRegistry } from '../client/helpers.ts';
import { startBrokerProcess, type BrokerProcess } from '../client/restart/broker-process.ts';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c().catch(() => undefined);
});

async function until(check: () => boolean, what: string, timeoutMs = 40_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function produce(b: BrokerProcess, values: readonly string[]): Promise<void> {
  const client = createClient({ brokers: [b.address], transport: tcpTransport(), registry: fullRegistry(), logLevel: 'silent' });
  try {
    const producer = client.producer({ lingerMs: 0 });
    for (const value of values) await producer.send({ topic: 'cli-restart', messages: [{ value }] });
  } finally {
    await client.close();
  }
}

it.runIf(process.platform !== 'win32')('consume --group survives a kill -9 and restart of its broker', async () => {
  const b = await startBrokerProcess();
  cleanup.push(() => b.dispose());
  await produce(b, ['a', 'b', 'c']);

  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'consume', 'cli-restart', '--group', 'cli-g', '-b', b.address, '-F', '%s\\n'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TRIBUTARY_BROKERS: '' },
  });
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) => child.on('exit', (code) => ((exitCode = code), resolve())));
  cleanup.push(async () => {
    if (exitCode === undefined) child.kill('SIGKILL');
    await exited;
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const printed = () => out.split('\n').filter((l) => l.length > 0);

  await until(() => printed().length >= 3, `the first records (stderr: ${err})`);
  await b.kill();
  // Longer than the CLI's retries (3, up to 2 s) used to last: it exited 1 after about 8 s.
  await new Promise((r) => setTimeout(r, 9000));
  expect(exitCode, err).toBeUndefined();
  await b.restart();
  await produce(b, ['d', 'e']);
  await until(() => printed().includes('e'), `the records produced after the restart (stderr: ${err})`);
  expect(exitCode, err).toBeUndefined();
  expect(new Set(printed())).toEqual(new Set(['a', 'b', 'c', 'd', 'e']));

  // Ctrl-C still ends it cleanly.
  child.kill('SIGINT');
  await exited;
  expect(exitCode).toBe(0);
}, 90_000);
