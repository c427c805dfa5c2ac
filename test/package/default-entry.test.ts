/**
 * The default entry runs without the optional packages (level, avsc, protobufjs, vitest):
 * its import graph does not name them, and a process in which they cannot be resolved
 * still gets a broker on memory and filesystem storage, with `ERR_MISSING_PACKAGE` where
 * a user asks for level storage or Avro.
 */
import { spawn } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTimeSpecifiers, moduleGraph } from './module-graph.ts';
import { distIsFresh } from './pack-contents.ts';

const root = resolve(import.meta.dirname, '../..');
const OPTIONAL = ['level', 'classic-level', 'avsc', 'protobufjs', 'vitest'];

interface ChildResult {
  memory: string | null;
  filesystem: string | null;
  levelByName: string;
  avroByName: string;
  avroWithoutSchema: string;
  avroEntry: string;
}

function runChild(entry: string, avroEntry: string, hide: readonly string[]): Promise<ChildResult> {
  const args = ['--import', 'tsx', '--import', './test/package/hide-packages.mjs', 'test/package/default-entry-child.ts', entry, avroEntry];
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, TRIBUTARY_HIDE: hide.join(',') }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  child.stderr.on('data', (chunk) => (out += chunk));
  return new Promise((done, fail) => {
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (code !== 0 || !line) fail(new Error(`child exited ${code}:\n${out}`));
      else done(JSON.parse(line) as ChildResult);
    });
  });
}

const WITHOUT_OPTIONAL: ChildResult = {
  memory: 'hello',
  filesystem: 'hello',
  levelByName: 'ERR_MISSING_PACKAGE',
  avroByName: 'ERR_MISSING_PACKAGE',
  avroWithoutSchema: 'ERR_INVALID_OPTION',
  avroEntry: 'ERR_MODULE_NOT_FOUND',
};

describe('the default entry', () => {
  it('imports none of the optional packages at load time', () => {
    const { files, packages } = moduleGraph(join(root, 'mod.ts'));
    expect(files.size).toBeGreaterThan(50);
    expect([...packages].filter((p) => OPTIONAL.includes(p))).toEqual([]);
    // The subpath entries do import theirs: the check can see a package when there is one.
    expect(moduleGraph(join(root, 'plugins/serializers/avro.ts')).packages).toContain('avsc');
    expect(moduleGraph(join(root, 'conformance/index.ts')).packages).toContain('vitest');
  });

  it('reads load-time imports, not type imports or dynamic ones', () => {
    const source = [
      "import type { Level } from 'level';",
      "import { type Type, type Root } from 'protobufjs';",
      "export type { X } from 'avsc';",
      "const m = await import('level');",
      "import avsc from 'avsc';",
      "export { a, type B } from './a.ts';",
      "import 'side-effect';",
    ].join('\n');
    expect(loadTimeSpecifiers(source)).toEqual(['avsc', './a.ts', 'side-effect']);
  });

  it('works from source with the optional packages missing, and names what is missing', async () => {
    expect(await runChild('mod.ts', 'plugins/serializers/avro.ts', OPTIONAL)).toEqual(WITHOUT_OPTIONAL);
  });

  it.skipIf(!distIsFresh())('works from the build (dist/, npm run build) with the optional packages missing', async () => {
    expect(await runChild('dist/mod.js', 'dist/plugins/serializers/avro.js', OPTIONAL)).toEqual(WITHOUT_OPTIONAL);
  });

  it('uses level and avsc when they are installed (the control run)', async () => {
    expect(await runChild('mod.ts', 'plugins/serializers/avro.ts', [])).toEqual({
      ...WITHOUT_OPTIONAL,
      levelByName: 'no error',
      avroByName: 'no error',
      avroEntry: 'no error',
    });
  });

  it('the command line names the missing package for --serializer avro and protobuf', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-cli-'));
    try {
      writeFileSync(join(dir, 's.avsc'), '"string"');
      writeFileSync(join(dir, 'm.proto'), 'syntax = "proto3"; message M { string a = 1; }');
      for (const [serde, file, pkg] of [['avro', 's.avsc', 'avsc'], ['protobuf', 'm.proto', 'protobufjs']] as const) {
        const args = ['--import', 'tsx', '--import', './test/package/hide-packages.mjs', 'cli/main.ts', 'produce', 't', '--serializer', serde, '--schema', join(dir, file), '-b', '127.0.0.1:1'];
        const run = spawnSync(process.execPath, args, { cwd: root, input: '', encoding: 'utf8', env: { ...process.env, TRIBUTARY_HIDE: OPTIONAL.join(',') } });
        expect(run.status, run.stderr).not.toBe(0);
        expect(run.stderr).toContain('ERR_MISSING_PACKAGE');
        expect(run.stderr).toContain(`npm install ${pkg}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
