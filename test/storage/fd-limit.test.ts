/**
 * Issue 13 #2 under a real file limit: a process allowed 128 open files writes to 200
 * partitions of filesystem storage and opens them all again — the restart a broker could
 * not do when every partition kept its files open (EMFILE). Needs `sh` with `ulimit`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { transpileForNode } from './crash-transpile.ts';

let child: string;
const temp: string[] = [];
beforeAll(async () => {
  const out = mkdtempSync(join(tmpdir(), 'tributary-fd-child-'));
  temp.push(out);
  child = await transpileForNode(join(import.meta.dirname, 'fd-limit-child.ts'), resolve(import.meta.dirname, '../..'), out);
});
afterAll(() => {
  for (const d of temp) rmSync(d, { recursive: true, force: true });
});

function run(partitions: number, budget: number | 'default'): { ok: boolean; records?: number; code?: string; message?: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-fd-'));
  temp.push(dir);
  const proc = spawnSync('sh', ['-c', `ulimit -n 128 && exec "$0" "$@"`, process.execPath, child, dir, String(partitions), String(budget)], { encoding: 'utf8' });
  const line = proc.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line);
  } catch {
    return { ok: false, message: `${proc.stdout}\n${proc.stderr}` };
  }
}

it('200 partitions write and reopen within 128 open files, with a budget of 48', () => {
  if (process.platform === 'win32') return;
  expect(run(200, 48)).toEqual({ ok: true, records: 400 });
});

it('the default budget fits the process\'s limit (half of it when below 1024)', () => {
  if (process.platform !== 'linux') return;
  expect(run(200, 'default')).toEqual({ ok: true, records: 400 });
});

it('without a budget that fits the limit, the same data cannot be opened (the failure the budget prevents)', () => {
  if (process.platform === 'win32') return;
  const result = run(200, 100_000);
  expect(result.ok).toBe(false);
  expect(`${result.message}`).toMatch(/EMFILE|too many open files/i);
});
