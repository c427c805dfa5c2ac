/**
 * The layering rule of ARCHITECTURE.md, read from import lines: core imports neither
 * plugins, adapters nor cli; plugins import neither adapters nor cli; core and plugins
 * use web-standard APIs only (no node:*, no Deno or Bun globals).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...tsFiles(path));
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

/** Module specifiers of static imports, re-exports and dynamic imports. */
function specifiers(source: string): string[] {
  const found: string[] = [];
  const patterns = [/\b(?:import|export)\s[^'"]*?\sfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g, /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const pattern of patterns) for (const m of source.matchAll(pattern)) found.push(m[1]!);
  return found;
}

const NODE_BUILTINS = new Set(['fs', 'net', 'path', 'os', 'crypto', 'zlib', 'child_process', 'worker_threads', 'stream', 'buffer', 'util', 'events', 'http', 'https', 'tls', 'dgram', 'process', 'url', 'readline', 'fs/promises']);

function violations(layer: string, forbiddenLayers: string[]): string[] {
  const problems: string[] = [];
  for (const file of tsFiles(join(root, layer))) {
    const source = readFileSync(file, 'utf8');
    const rel = relative(root, file);
    for (const spec of specifiers(source)) {
      if (spec.startsWith('node:') || NODE_BUILTINS.has(spec)) problems.push(`${rel} imports ${spec}`);
      if (spec.startsWith('.')) {
        const target = relative(root, resolve(dirname(file), spec)).split(/[\\/]/)[0]!;
        if (forbiddenLayers.includes(target)) problems.push(`${rel} imports ${spec} (layer ${target})`);
      }
    }
    // Runtime-specific globals; comments are stripped first so that prose may name them.
    const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
    for (const m of code.matchAll(/\b(Deno|Bun)\s*\.|\bprocess\s*\.|\bBuffer\s*\.|\brequire\s*\(|__dirname|__filename/g)) {
      problems.push(`${rel} uses ${m[0]} (not web-standard)`);
    }
  }
  return problems;
}

describe('architecture', () => {
  it('core imports neither plugins, adapters nor cli, and is web-standard', () => {
    expect(violations('core', ['plugins', 'adapters', 'cli'])).toEqual([]);
  });
  it('plugins import neither adapters nor cli, and are web-standard', () => {
    expect(violations('plugins', ['adapters', 'cli'])).toEqual([]);
  });
  it('the checker itself catches a violation', () => {
    expect(specifiers("import { x } from '../adapters/a.ts';\nimport 'node:fs';\nexport * from \"./b.ts\";")).toEqual(['../adapters/a.ts', './b.ts', 'node:fs']);
  });
});
