/**
 * The README's quick start is code users paste first: run it as written (only the
 * package import points at this checkout) and check that the record comes back.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');

function quickStart(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Quick start'));
  const block = /```ts\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error('README has no TypeScript block under "## Quick start"');
  return block[1]!;
}

describe('README', () => {
  it('quick start produces and consumes a record', async () => {
    const code = quickStart();
    expect(code).toContain("from 'tributary'");
    // Inside the checkout, so that tsx sees package.json's "type": "module" (top-level await).
    const dir = mkdtempSync(join(root, '.tmp-readme-'));
    const file = join(dir, 'quick-start.ts');
    // The program consumes forever, as a real consumer does; the test stops it once the
    // record is printed.
    writeFileSync(file, code.replace("from 'tributary'", `from ${JSON.stringify(join(root, 'mod.ts'))}`));
    const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const printed = await new Promise<boolean>((done) => {
      const timer = setTimeout(() => done(false), 30_000);
      child.stdout.on('data', (chunk) => {
        out += chunk;
        if (out.includes('T-1')) {
          clearTimeout(timer);
          done(true);
        }
      });
      child.stderr.on('data', (chunk) => (out += chunk));
      child.on('exit', () => {
        clearTimeout(timer);
        done(out.includes('T-1'));
      });
    });
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    expect(printed, out).toBe(true);
    expect(out).toMatch(/^\d T-1 \{ lat: 52\.1, lon: 4\.3 \}$/m);
  });
});
