/**
 * Transpiles the crash test's child script and everything it imports to plain
 * JavaScript in a temp directory (TypeScript's transpileModule, no type check), so
 * that each of the 20 child processes starts with plain `node` in a fraction of the
 * second `node --import tsx` needs on a slow machine.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const RELATIVE_IMPORT = /(?:\bimport|\bexport)\s[^'";]*?\bfrom\s*['"](\.{1,2}\/[^'"]+)['"]|\bimport\s*\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)|\bimport\s*['"](\.{1,2}\/[^'"]+)['"]/g;

/** Writes `entry` and its relative imports under `outDir`; returns the entry's .js path. */
export async function transpileForNode(entry: string, root: string, outDir: string): Promise<string> {
  const seen = new Set<string>();
  const queue = [resolve(entry)];
  const target = (file: string) => join(outDir, relative(root, file)).replace(/\.ts$/, '.js');
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = await readFile(file, 'utf8');
    for (const m of source.matchAll(RELATIVE_IMPORT)) queue.push(resolve(dirname(file), (m[1] ?? m[2] ?? m[3])!));
    const output = ts.transpileModule(source, {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true, rewriteRelativeImportExtensions: true },
    });
    await mkdir(dirname(target(file)), { recursive: true });
    await writeFile(target(file), output.outputText);
  }
  await writeFile(join(outDir, 'package.json'), '{ "type": "module" }\n');
  return target(resolve(entry));
}
