/**
 * What `npm pack` must contain: every file the package.json `exports` (and `bin`) point
 * at, under each condition, and every source file the Deno/Bun entries load. Shared by
 * `npm run check:pack` (a real pack, after the build) and test/package/pack.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { moduleGraph } from './module-graph.ts';

/** The package root. */
export const packageRoot = join(import.meta.dirname, '..', '..');

/** The source folders the build compiles into dist/. */
const BUILT_SOURCES = ['core', 'plugins', 'adapters', 'conformance', 'cli'];

function newestSource(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return path.endsWith('.ts') ? stat.mtimeMs : 0;
  let newest = 0;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestSource(join(path, name)));
  return newest;
}

/**
 * Whether dist/ holds a build of the sources as they are now. A build left over from an
 * older checkout would otherwise fail the dist checks for files it could not know of, so
 * those checks run only on a fresh build (`npm run build`, or `npm run check:pack`).
 */
export function distIsFresh(): boolean {
  const built = join(packageRoot, 'dist', 'mod.js');
  if (!existsSync(built)) return false;
  const sources = [join(packageRoot, 'mod.ts'), ...BUILT_SOURCES.map((d) => join(packageRoot, d)).filter(existsSync)];
  return Math.max(...sources.map(newestSource)) <= statSync(built).mtimeMs;
}

/** One file an export points at. */
export interface ExportTarget {
  readonly subpath: string;
  readonly condition: string;
  readonly file: string;
}

/** Every file `exports` points at, by subpath and condition, relative to the root. */
export function exportTargets(exportsField: Record<string, string | Record<string, string>>): ExportTarget[] {
  return Object.entries(exportsField).flatMap(([subpath, value]) =>
    typeof value === 'string' ? [{ subpath, condition: 'default', file: value.replace(/^\.\//, '') }] : Object.entries(value).map(([condition, file]) => ({ subpath, condition, file: file.replace(/^\.\//, '') })),
  );
}

/** The files `npm pack --dry-run` would put in the tarball (`ignoreScripts`: no build first). */
export function packedFiles(options: { ignoreScripts: boolean }): Set<string> {
  const args = ['pack', '--dry-run', '--json', ...(options.ignoreScripts ? ['--ignore-scripts'] : [])];
  const out = execFileSync('npm', args, { cwd: packageRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  // With scripts, the build's own output comes first; the JSON is the last thing printed.
  const json = JSON.parse(out.slice(out.lastIndexOf('\n[') + 1)) as Array<{ files: Array<{ path: string }> }>;
  return new Set(json[0]!.files.map((f) => f.path));
}

/**
 * What is wrong with a pack: a target or a loaded source file missing, or files that do
 * not belong (tests, benches, examples). Targets under dist/ are checked only when
 * `withDist` (a pack made after the build).
 */
export function packIssues(packed: ReadonlySet<string>, options: { withDist: boolean }): string[] {
  const pkg = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as {
    exports: Record<string, string | Record<string, string>>;
    bin: Record<string, string>;
  };
  const issues: string[] = [];
  const targets = exportTargets(pkg.exports);
  for (const { subpath, condition, file } of targets) {
    if (!options.withDist && file.startsWith('dist/')) continue;
    if (!packed.has(file)) issues.push(`exports["${subpath}"].${condition} → ${file} is not packed`);
  }
  for (const [name, file] of Object.entries(pkg.bin)) if (!packed.has(file.replace(/^\.\//, ''))) issues.push(`bin.${name} → ${file} is not packed`);
  const sources = new Set<string>();
  for (const { file } of targets) {
    if (!file.endsWith('.ts') || file.endsWith('.d.ts')) continue;
    for (const loaded of moduleGraph(join(packageRoot, file)).files) sources.add(relative(packageRoot, loaded));
  }
  for (const file of sources) if (!packed.has(file)) issues.push(`${file} is loaded by an entry but not packed`);
  for (const file of packed) {
    if (/^(bench|examples)\//.test(file) || /\.test\.ts$/.test(file) || (file.startsWith('test/') && !sources.has(file))) issues.push(`${file} is packed but does not belong in the package`);
  }
  if (options.withDist) {
    // Every source entry has its built twin.
    for (const file of sources) {
      const built = `dist/${file.replace(/\.ts$/, '.js')}`;
      if (!file.startsWith('cli/') && !packed.has(built)) issues.push(`${built} (the build of ${file}) is not packed`);
    }
  }
  return issues;
}
