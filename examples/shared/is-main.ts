/**
 * Lets an example run by itself (`node --import tsx examples/acks.ts`) as well as through
 * examples/run.ts and its test, which import it and call `main()`.
 */
import process from 'node:process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** True when the module at `moduleUrl` (pass `import.meta.url`) is the program being run. */
export function isMain(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  // Node 20 has no import.meta.main, so compare the started script with this module's path.
  return resolve(script) === fileURLToPath(moduleUrl);
}
