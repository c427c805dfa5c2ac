#!/usr/bin/env node
// Runs test/runtimes/smoke.ts under Node (through tsx), Deno and Bun — the three
// runtimes Tributary supports — and fails if any of them fails. Deno and Bun come from
// their npm packages (devDependencies), so nothing else needs installing.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const smoke = 'test/runtimes/smoke.ts';

const runtimes = [
  { name: 'node', cmd: process.execPath, args: ['--import', 'tsx', smoke] },
  { name: 'deno', cmd: bin('deno'), args: ['run', '--allow-all', '--node-modules-dir=manual', smoke] },
  { name: 'bun', cmd: bin('bun'), args: ['run', smoke] },
];

let passed = 0;
let failed = 0;
for (const runtime of runtimes) {
  if (runtime.name !== 'node' && !existsSync(runtime.cmd)) {
    console.error(`${runtime.name}: not installed (${runtime.cmd}); run npm install`);
    failed++;
    continue;
  }
  const started = Date.now();
  const result = spawnSync(runtime.cmd, runtime.args, { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  const ms = Date.now() - started;
  const out = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
  if (result.status === 0) {
    passed++;
    console.log(`ok   ${runtime.name} (${ms} ms)\n${indent(out)}`);
  } else {
    failed++;
    console.log(`FAIL ${runtime.name} (exit ${result.status}, ${ms} ms)\n${indent(out || String(result.error))}`);
  }
}
console.log(`\nruntimes: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);

function indent(text) {
  return text
    .split('\n')
    .map((line) => `     ${line}`)
    .join('\n');
}
