/**
 * A fresh `npm install` must leave package-lock.json as committed (issue 13 item 23): a
 * clone that changes its own lockfile on first install shows a dirty tree to every new
 * user and hides real dependency changes in review. The lockfile is recomputed from
 * package.json alone in a scratch directory — npm resolves the whole tree, including the
 * optional per-platform packages of every OS it records, without installing anything — and
 * must come out byte for byte what is committed. Before the fix npm added ~410 lines of
 * other platforms' optional packages here.
 *
 * Uses the npm cache first (`--prefer-offline`): after the `npm install` that ran these
 * tests, every package document it needs is there, so this needs no network in practice.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const dirs: string[] = [];

afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** The lockfile npm computes for `root`'s package.json and lockfile, in a scratch directory. */
async function recomputedLockfile(packageJson: string, lockfile: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-lock-'));
  dirs.push(dir);
  await copyFile(packageJson, join(dir, 'package.json'));
  await copyFile(lockfile, join(dir, 'package-lock.json'));
  await run('npm', ['install', '--package-lock-only', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: dir, timeout: 120_000 });
  return readFile(join(dir, 'package-lock.json'), 'utf8');
}

describe('package-lock.json', () => {
  it('is what npm install computes from package.json: a fresh clone stays clean', async () => {
    const committed = await readFile(join(root, 'package-lock.json'), 'utf8');
    const recomputed = await recomputedLockfile(join(root, 'package.json'), join(root, 'package-lock.json'));
    expect(recomputed === committed, 'npm install would rewrite package-lock.json: run `npm install` and commit the lockfile').toBe(true);
  });

  it('names the version package.json pins for every direct dependency', async () => {
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
    const lock = JSON.parse(await readFile(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
    for (const field of ['dependencies', 'devDependencies', 'optionalDependencies']) {
      for (const [name, range] of Object.entries(pkg[field] ?? {})) {
        const locked = lock.packages[`node_modules/${name}`]?.version;
        expect(locked, `${name} is missing from package-lock.json`).toBeDefined();
        // Exact pins must match exactly; ranges are npm's to resolve.
        if (/^\d+\.\d+\.\d+$/.test(range)) expect(locked, name).toBe(range);
      }
    }
  });
});
