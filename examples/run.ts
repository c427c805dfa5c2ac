/**
 * Runs one example: `npm run example -- <name>` (that is, `node --import tsx
 * examples/run.ts <name>`). Without a name, lists them.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { examples } from './catalog.ts';

const here = dirname(fileURLToPath(import.meta.url));
const name = process.argv[2];
const entry = examples.find((e) => e.name === name);

if (!entry) {
  if (name !== undefined) console.error(`No example named "${name}".\n`);
  console.log('Usage: npm run example -- <name>\n');
  for (const e of examples) console.log(`  ${e.name.padEnd(28)} ${e.shows}`);
  process.exitCode = name === undefined ? 0 : 2;
} else if (entry.isTest) {
  // A test file is the example: vitest runs it (and prints each test as it passes).
  const vitest = join(here, '..', 'node_modules', 'vitest', 'vitest.mjs');
  const result = spawnSync(process.execPath, [vitest, 'run', join('examples', entry.path)], { cwd: join(here, '..'), stdio: 'inherit' });
  process.exitCode = result.status ?? 1;
} else {
  const module = (await import(pathToFileURL(join(here, entry.path)).href)) as { main(): Promise<unknown> };
  await module.main();
}
