/**
 * Runs every benchmark in bench/ (files named `*.bench.ts`), or those whose name
 * contains one of the words given: `npm run bench -- crc32c records`.
 * Each benchmark module runs when imported and prints its own table.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const files = readdirSync(import.meta.dirname)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((w) => f.includes(w)))
  .sort();
if (files.length === 0) {
  console.error(`no benchmark matches ${filters.join(', ')}`);
  process.exit(2);
}
for (const file of files) {
  await import(pathToFileURL(join(import.meta.dirname, file)).href);
}
