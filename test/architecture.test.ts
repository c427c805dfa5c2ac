/**
 * The layering rule of ARCHITECTURE.md, read from import lines: core imports neither
 * plugins, adapters nor cli; plugins import neither adapters nor cli; the conformance
 * suites import only core (and vitest); core, plugins and conformance use web-standard
 * APIs only (no node:*, no Deno or Bun globals).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
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

/** Every Node built-in, bare (`fs`) as well as prefixed, from Node's own list. */
const NODE_BUILTINS = new Set(builtinModules);

/**
 * Runtime-specific globals: Deno, Bun, process and Buffer, used directly or through
 * globalThis, and CommonJS. Comments are stripped first so that prose may name them.
 */
const RUNTIME_GLOBAL = /\b(?:Deno|Bun|process)\s*[.[]|\.\s*(?:Deno|Bun)\b|\bglobalThis\b[^;\n]*\b(?:Deno|Bun|process|Buffer)\b|\bBuffer\b|\brequire\s*\(|__dirname|__filename/g;

/** What is wrong with one file of `layer` (a path relative to the root). */
function fileViolations(rel: string, source: string, forbiddenLayers: string[]): string[] {
  const problems: string[] = [];
  for (const spec of specifiers(source)) {
    if (spec.startsWith('node:') || NODE_BUILTINS.has(spec)) problems.push(`${rel} imports ${spec}`);
    if (spec.startsWith('.')) {
      const target = relative(root, resolve(root, dirname(rel), spec)).split(/[\\/]/)[0]!;
      if (forbiddenLayers.includes(target)) problems.push(`${rel} imports ${spec} (layer ${target})`);
    }
  }
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
  for (const m of code.matchAll(RUNTIME_GLOBAL)) problems.push(`${rel} uses ${m[0]} (not web-standard)`);
  return problems;
}

function violations(layer: string, forbiddenLayers: string[]): string[] {
  return tsFiles(join(root, layer)).flatMap((file) => fileViolations(relative(root, file), readFileSync(file, 'utf8'), forbiddenLayers));
}

describe('architecture', () => {
  it('core imports neither plugins, adapters nor cli, and is web-standard', () => {
    expect(violations('core', ['plugins', 'adapters', 'cli'])).toEqual([]);
  });
  it('plugins import neither adapters nor cli, and are web-standard', () => {
    expect(violations('plugins', ['adapters', 'cli'])).toEqual([]);
  });
  it('conformance suites import neither plugins, adapters nor cli, and are web-standard', () => {
    // A third-party plugin's tests import them from the package under any runtime.
    expect(violations('conformance', ['plugins', 'adapters', 'cli'])).toEqual([]);
  });
  it('the checker itself catches a violation', () => {
    expect(specifiers("import { x } from '../adapters/a.ts';\nimport 'node:fs';\nexport * from \"./b.ts\";")).toEqual(['../adapters/a.ts', './b.ts', 'node:fs']);
    const bad = [
      "import { x } from '../../adapters/memory/index.ts';",
      "import { readFile } from 'fs';",
      "import { performance } from 'perf_hooks';",
      'const env = globalThis.process?.env;',
      'const b = Buffer.from(x);',
      'if (bytes instanceof Buffer) {}',
      "const d = (globalThis as any).Deno;",
      'Deno.readFile(p);',
      "const { x } = require('y');",
    ];
    for (const line of bad) expect(fileViolations('core/records/x.ts', line, ['adapters']), line).not.toEqual([]);
    // Prose may name them; web-standard code passes.
    const good = ['// Buffer.from would allocate from the pool', '/* process.env */ const v = new DataView(b.buffer);', "import type { Logger } from '../contracts/logger.ts';"];
    for (const line of good) expect(fileViolations('core/records/x.ts', line, ['adapters']), line).toEqual([]);
  });
});
