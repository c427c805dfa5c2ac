/**
 * Runs examples/same-program-three-runtimes.ts as a user would, under Node (through tsx),
 * Deno and Bun (from their npm packages, devDependencies), and checks each round trip.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const program = 'examples/same-program-three-runtimes.ts';
const bin = (name: string) => join(root, 'node_modules', '.bin', name);

const runtimes = [
  { name: 'node', cmd: process.execPath, args: ['--import', 'tsx', program] },
  { name: 'deno', cmd: bin('deno'), args: ['run', '-A', program] },
  { name: 'bun', cmd: bin('bun'), args: [program] },
] as const;

function run(cmd: string, args: readonly string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    child.stdout.on('data', (d) => (out += String(d)));
    child.stderr.on('data', (d) => (out += String(d)));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, out }));
  });
}

it.each(runtimes)('same-program-three-runtimes: round trip over TCP under $name', async ({ name, cmd, args }) => {
  const { code, out } = await run(cmd, args);
  expect(out, out).toContain(`Running under ${name} `);
  expect(out).toMatch(/broker listening on 127\.0\.0\.1:\d+/);
  expect(out).toContain(`consumed: hello from ${name}`);
  expect(out).toContain(`round trip OK under ${name}`);
  expect(code).toBe(0);
});
