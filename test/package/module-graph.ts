/**
 * The static import graph of a source entry: every .ts file it loads when imported, and
 * the packages those files import at load time (`import type` and `import()` excluded —
 * the first is erased, the second runs only when called).
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Specifiers a file loads when it is imported: static imports and re-exports that carry values. */
export function loadTimeSpecifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
  const found: string[] = [];
  for (const m of code.matchAll(/\b(import|export)\s+(type\s+)?([^'";]*?)\s*from\s*['"]([^'"]+)['"]/g)) {
    if (m[2]) continue;
    const names = /^\{([\s\S]*)\}$/.exec(m[3]!.trim());
    // `import { type A, type B } from 'x'` is erased too (verbatimModuleSyntax drops it).
    if (names && names[1]!.split(',').map((n) => n.trim()).filter(Boolean).every((n) => n.startsWith('type '))) continue;
    found.push(m[4]!);
  }
  for (const m of code.matchAll(/\bimport\s*['"]([^'"]+)['"]/g)) found.push(m[1]!);
  return found;
}

/** The files and packages `entry` (a .ts path) loads, following relative imports. */
export function moduleGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    for (const spec of loadTimeSpecifiers(readFileSync(file, 'utf8'))) {
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
      else if (!spec.startsWith('node:')) packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
  };
  visit(resolve(entry));
  return { files, packages };
}
