/**
 * The runner and the README: every example in the catalog exists, exports main() (or is
 * a test file), is listed in the README with its one command, and `npm run example` runs
 * one to completion.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { examples } from './catalog.ts';

const here = dirname(fileURLToPath(import.meta.url));

function runner(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'run.ts'), ...args], { cwd: join(here, '..') });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

it('every example in the catalog exists, has a test, and is in the README with its command', () => {
  const readme = readFileSync(join(here, 'README.md'), 'utf8');
  expect(examples).toHaveLength(10);
  for (const e of examples) {
    expect(existsSync(join(here, e.path)), e.path).toBe(true);
    expect(readme).toContain(`\`npm run example -- ${e.name}\``);
    if (e.isTest) continue;
    // What run.ts calls (each example's own test imports and runs it).
    expect(readFileSync(join(here, e.path), 'utf8'), e.name).toMatch(/^export async function main\(/m);
    // A test of its own, next to it (a folder's test lives in the folder).
    const tests = e.path.includes('/')
      ? readdirSync(dirname(join(here, e.path))).filter((f) => f.endsWith('.test.ts'))
      : [e.path.replace(/\.ts$/, '.test.ts')].filter((f) => existsSync(join(here, f)));
    expect(tests, `${e.name} has a test`).not.toHaveLength(0);
  }
});

it('npm run example -- <name> runs an example to completion', async () => {
  const { code, stdout } = await runner(['partitions-and-ordering']);
  expect(stdout).toContain('Order within every key kept: true');
  expect(code).toBe(0);
});

it('fails clearly on an unknown name, listing the examples', async () => {
  // (Without a name it prints the same list and exits 0.)
  const unknown = await runner(['no-such-example']);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toContain('No example named "no-such-example"');
  for (const e of examples) expect(unknown.stdout).toContain(e.name);
});
