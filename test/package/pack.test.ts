/**
 * The package as `npm pack` makes it: package.json `exports` point at files the tarball
 * holds (under every condition), each subpath has a source entry for Bun and a built one
 * with types for Node and Deno, and deno.json exports the same subpaths as sources. The dist
 * targets are checked here when a fresh build is present; `npm run check:pack` always builds.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { distIsFresh, exportTargets, packageRoot, packedFiles, packIssues } from './pack-contents.ts';

const pkg = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8'));
const deno = JSON.parse(readFileSync(join(packageRoot, 'deno.json'), 'utf8'));
const SUBPATHS = ['.', './storage/memory', './storage/filesystem', './storage/level', './serializers/avro', './serializers/protobuf', './conformance'];

describe('the package', () => {
  it('exports each subpath for Node (built, with types), Deno and Bun (source)', () => {
    expect(Object.keys(pkg.exports).filter((k) => k !== './package.json')).toEqual(SUBPATHS);
    for (const subpath of SUBPATHS) {
      const entry = pkg.exports[subpath];
      // Order matters: the first matching condition wins, and types must come first.
      // No `deno` condition: Deno refuses to strip types under node_modules
      // (ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING), so from npm it takes the build, as
      // Node does; in a checkout it takes the sources through deno.json.
      expect(Object.keys(entry), subpath).toEqual(['types', 'bun', 'default']);
      expect(existsSync(join(packageRoot, entry.bun)), entry.bun).toBe(true);
      expect(entry.default, subpath).toBe(`./dist/${entry.bun.slice(2).replace(/\.ts$/, '.js')}`);
      expect(entry.types, subpath).toBe(`./dist/${entry.bun.slice(2).replace(/\.ts$/, '.d.ts')}`);
    }
  });

  it('deno.json exports the same subpaths as the sources of the bun condition', () => {
    const fromPackage = Object.fromEntries(SUBPATHS.map((s) => [s, pkg.exports[s].bun]));
    expect(deno.exports).toEqual(fromPackage);
    for (const name of Object.keys(pkg.peerDependencies)) expect(deno.imports[name], name).toMatch(new RegExp(`^npm:${name}@`));
  });

  it('makes the heavy packages optional peers (and dev dependencies, for the tests)', () => {
    for (const name of ['level', 'avsc', 'protobufjs', 'vitest']) {
      expect(pkg.peerDependencies[name], name).toBeDefined();
      expect(pkg.peerDependenciesMeta[name], name).toEqual({ optional: true });
      expect(pkg.devDependencies[name], name).toBe(pkg.peerDependencies[name]);
      expect(pkg.dependencies[name], name).toBeUndefined();
    }
  });

  it('packs every file the exports point at and nothing of the tests', () => {
    const withDist = distIsFresh();
    const packed = packedFiles({ ignoreScripts: true });
    expect(packIssues(packed, { withDist })).toEqual([]);
    expect(packed.has('mod.ts')).toBe(true);
  });

  it('notices a missing target (the check checks)', () => {
    const packed = packedFiles({ ignoreScripts: true });
    const without = new Set([...packed].filter((f) => f !== 'plugins/serializers/avro.ts' && f !== 'core/errors.ts'));
    without.add('bench/main.ts');
    const issues = packIssues(without, { withDist: false }).join('\n');
    expect(issues).toContain('exports["./serializers/avro"].bun → plugins/serializers/avro.ts is not packed');
    expect(issues).toContain('core/errors.ts is loaded by an entry but not packed');
    expect(issues).toContain('bench/main.ts is packed but does not belong');
    expect(exportTargets({ '.': './a.js', './x': { deno: './x.ts' } })).toEqual([
      { subpath: '.', condition: 'default', file: 'a.js' },
      { subpath: './x', condition: 'deno', file: 'x.ts' },
    ]);
  });
});
