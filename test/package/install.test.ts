/**
 * The package as a user gets it (issue 13, #14 and #15): a fresh copy of the sources (no
 * dist/, as a clone has) is packed — `prepare` builds dist/ — and the tarball is installed
 * into a new project outside the checkout. There, under plain Node (no tsx), Bun and Deno,
 * the package is imported by name and runs an embedded broker, the README's quick start runs as
 * written, and the `tributary` command runs from node_modules/.bin as npm links it.
 *
 * Installing: `npm install <tarball> --offline` needs every dependency in npm's cache,
 * which these machines do not have (ENOTCACHED), and the tests must not use the network.
 * So the tarball is unpacked into node_modules/tributary as npm would unpack it, its
 * dependencies (and theirs) are linked from this checkout's node_modules, and the bin is
 * linked into node_modules/.bin as npm links a package's `bin`.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from './pack-contents.ts';

const work = mkdtempSync(join(tmpdir(), 'tributary-install-'));
const project = join(work, 'project');
const pkg = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8'));
let packed: Set<string>;

/** The sources a clone has (what `npm pack --ignore-scripts` takes, without any dist/), plus the build's tsconfigs. */
function cloneLike(into: string): void {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: packageRoot, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const files = (JSON.parse(out) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path).filter((f) => !f.startsWith('dist/'));
  for (const file of [...files, 'tsconfig.json', 'tsconfig.build.json']) {
    mkdirSync(dirname(join(into, file)), { recursive: true });
    cpSync(join(packageRoot, file), join(into, file));
  }
  symlinkSync(join(packageRoot, 'node_modules'), join(into, 'node_modules'), 'dir');
}

/** `names` and everything they depend on, as installed (hoisted) in this checkout's node_modules. */
function dependencyClosure(names: readonly string[]): Set<string> {
  const seen = new Set<string>();
  const queue = [...names];
  while (queue.length > 0) {
    const name = queue.shift()!;
    if (seen.has(name)) continue;
    const manifest = join(packageRoot, 'node_modules', name, 'package.json');
    if (!existsSync(manifest)) continue; // an optional dependency not installed here
    seen.add(name);
    const m = JSON.parse(readFileSync(manifest, 'utf8'));
    queue.push(...Object.keys(m.dependencies ?? {}), ...Object.keys(m.optionalDependencies ?? {}));
  }
  return seen;
}

function run(command: string, args: readonly string[], options: { cwd?: string; timeout?: number; env?: Record<string, string> } = {}) {
  return spawnSync(command, [...args], { cwd: options.cwd ?? project, encoding: 'utf8', timeout: options.timeout ?? 60_000, env: { ...process.env, NODE_OPTIONS: '', ...options.env } });
}

beforeAll(() => {
  const clone = join(work, 'clone');
  mkdirSync(clone);
  cloneLike(clone);
  expect(existsSync(join(clone, 'dist'))).toBe(false);
  // `npm pack` runs `prepare`, which builds dist/ — as `npm install` in a fresh clone does.
  const tarballs = join(work, 'tarballs');
  mkdirSync(tarballs);
  const pack = run('npm', ['pack', '--pack-destination', tarballs, '--json'], { cwd: clone, timeout: 180_000 });
  if (pack.status !== 0) throw new Error(`npm pack failed:\n${pack.stderr}`);
  const tarball = join(tarballs, readdirSync(tarballs).find((f) => f.endsWith('.tgz'))!);
  packed = new Set(execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean).map((f) => f.replace(/^package\//, '')));

  // The project: unpack as npm does, link the dependencies, link the bin.
  const modules = join(project, 'node_modules');
  const installed = join(modules, pkg.name);
  mkdirSync(installed, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1']);
  for (const dep of dependencyClosure([...Object.keys(pkg.dependencies), ...Object.keys(pkg.optionalDependencies ?? {})])) {
    mkdirSync(dirname(join(modules, dep)), { recursive: true });
    symlinkSync(join(packageRoot, 'node_modules', dep), join(modules, dep), 'dir');
  }
  mkdirSync(join(modules, '.bin'));
  for (const [name, target] of Object.entries(pkg.bin as Record<string, string>)) {
    symlinkSync(join('..', pkg.name, target), join(modules, '.bin', name));
    chmodSync(join(installed, target), 0o755);
  }
  writeFileSync(join(project, 'package.json'), JSON.stringify({
    name: 'first-contact', version: '1.0.0', private: true, type: 'module',
    dependencies: { [pkg.name]: `file:${tarball}` },
    scripts: { topics: 'tributary topics --help' },
  }, null, 2));
}, 240_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A program that imports the package by name, runs an embedded broker and prints what it resolved and read. */
function writeApp(): void {
  writeFileSync(join(project, 'app.mjs'), `
import { createBroker } from ${JSON.stringify(pkg.name)};
const resolved = import.meta.resolve(${JSON.stringify(pkg.name)});
const broker = await createBroker();
const client = broker.client({ serializers: { value: 'json' } });
await client.admin().createTopics({ topics: [{ topic: 'installed', numPartitions: 2 }] });
await client.producer().send({ topic: 'installed', messages: [{ key: 'k', value: { ok: true } }] });
const consumer = client.consumer({ fromBeginning: true });
await consumer.assign([{ topic: 'installed', partition: 0, offset: 0 }, { topic: 'installed', partition: 1, offset: 0 }]);
const value = await new Promise((done) => consumer.run({ eachMessage: async ({ message }) => done(message.value) }));
await client.close();
await broker.close();
const tsx = Object.keys(process.env).some((k) => k.startsWith('TSX')) || process.execArgv.some((a) => a.includes('tsx'));
console.log(JSON.stringify({ resolved, value, tsx }));
`);
}

describe('the packed package, installed in a new project (#14, #15)', () => {
  it('ships the build: `prepare` made dist/ from a clone that had none', () => {
    expect(pkg.scripts.prepare).toBe('npm run build');
    for (const file of ['dist/mod.js', 'dist/mod.d.ts', 'dist/adapters/filesystem/index.js', 'cli/bin.js', 'cli/main.ts']) expect(packed.has(file), file).toBe(true);
  });

  it('imports by name under plain Node (the built dist/, no tsx) and runs an embedded broker', () => {
    writeApp();
    const r = run(process.execPath, ['app.mjs']);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out.resolved).toMatch(new RegExp(`/node_modules/${pkg.name}/dist/mod\\.js$`));
    expect(out.value).toEqual({ ok: true });
    expect(out.tsx).toBe(false);
  });

  it('imports by name under Bun (the sources) and Deno (the build: Deno strips no types under node_modules)', () => {
    writeApp();
    const runtimes: Array<[string, string[], RegExp]> = [
      [join(packageRoot, 'node_modules/.bin/bun'), ['app.mjs'], new RegExp(`/node_modules/${pkg.name}/mod\\.ts$`)],
      [join(packageRoot, 'node_modules/.bin/deno'), ['run', '-A', '--no-lock', 'app.mjs'], new RegExp(`/node_modules/${pkg.name}/dist/mod\\.js$`)],
    ];
    for (const [runtime, args, resolved] of runtimes) {
      if (!existsSync(runtime)) continue; // bun and deno are devDependencies; absent on a slim install
      const r = run(runtime, args, { timeout: 120_000, env: { NO_COLOR: '1' } });
      expect(r.status, `${runtime}: ${r.stderr}`).toBe(0);
      const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
      expect(out.resolved, runtime).toMatch(resolved);
      expect(out.value, runtime).toEqual({ ok: true });
    }
  });

  it('runs the README quick start as written', async () => {
    const readme = readFileSync(join(packageRoot, 'README.md'), 'utf8');
    const code = /```ts\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('## Quick start')))![1]!;
    expect(code).toContain(`from '${pkg.name}'`);
    writeFileSync(join(project, 'quick-start.mjs'), code);
    const child = spawn(process.execPath, ['quick-start.mjs'], { cwd: project, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const printed = await new Promise<boolean>((done) => {
      const timer = setTimeout(() => done(false), 30_000);
      const check = (chunk: Buffer) => {
        out += chunk;
        if (out.includes('T-1')) {
          clearTimeout(timer);
          done(true);
        }
      };
      child.stdout.on('data', check);
      child.stderr.on('data', check);
      child.on('exit', () => {
        clearTimeout(timer);
        done(out.includes('T-1'));
      });
    });
    child.kill('SIGKILL');
    expect(printed, out).toBe(true);
    expect(out).toMatch(/^\d T-1 \{ lat: 52\.1, lon: 4\.3 \}$/m);
  });

  it('runs the tributary command from node_modules/.bin: npx in the project, and plain in its npm scripts', () => {
    const npx = run('npx', ['--no', 'tributary', 'topics', 'create', '--help']);
    expect(npx.status, npx.stderr).toBe(0);
    expect(npx.stdout).toMatch(/^Usage: tributary topics create/);
    const script = run('npm', ['run', '--silent', 'topics']);
    expect(script.status, script.stderr).toBe(0);
    expect(script.stdout).toMatch(/^Usage: tributary topics <subcommand>/);
    // Not on the shell's PATH: that takes a global install.
    const bare = run('sh', ['-c', 'command -v tributary'], { env: { PATH: dirname(process.execPath) + ':/usr/bin:/bin' } });
    expect(bare.status).not.toBe(0);
  });
});
