/**
 * The README's quick start is code users paste first: run it as written (only the
 * package import points at this checkout) and check that the record comes back.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createBroker } from '../adapters/runtime/embedded-broker.ts';
import { DEFAULT_HANDLERS } from '../core/broker/api/preset.ts';
import { BROKER_SETTINGS } from '../cli/broker-config.ts';

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

/** The text of the README section `## <title>`, up to the next `## `. */
function section(title: string): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const start = readme.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`README has no section "${title}"`);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

/** The rows of the first table in `text`, as cells (header and rule dropped). */
function tableRows(text: string): string[][] {
  return text.split('\n').filter((l) => l.startsWith('|')).slice(2).map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
}

/** The version dpkg has installed of `pkg`, or undefined (not installed, or no dpkg). */
function debianVersion(pkg: string): string | undefined {
  const r = spawnSync('dpkg-query', ['-W', '-f', '${Version}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout ? r.stdout : undefined;
}

const hasDpkg = spawnSync('dpkg-query', ['--version']).status === 0;

describe('README: tested clients (#24)', () => {
  const rows = tableRows(section('Tested clients'));
  const row = (client: string) => {
    const found = rows.find((r) => r[0] === client);
    if (!found) throw new Error(`no row for ${client} under Tested clients`);
    return found;
  };

  it('names the npm clients at the versions installed and pinned', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    for (const name of ['kafkajs', '@platformatic/kafka']) {
      const installed = JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version;
      expect(row(name)[1], name).toBe(installed);
      expect(pkg.devDependencies[name], name).toBe(installed);
    }
  });

  it.runIf(hasDpkg)('names the Debian clients at the versions installed on this machine', () => {
    const debian: Array<[string, string, RegExp]> = [
      ['kcat (librdkafka)', 'kcat', /kcat ([\d.]+)/],
      ['kcat (librdkafka)', 'librdkafka1', /librdkafka ([\d.]+)/],
      ['confluent-kafka-python (librdkafka)', 'python3-confluent-kafka', /^([\d.]+)/],
      ['confluent-kafka-python (librdkafka)', 'librdkafka1', /librdkafka ([\d.]+)/],
      ['kafka-python', 'python3-kafka', /^([\d.]+)/],
    ];
    for (const [client, pkg, pattern] of debian) {
      const version = debianVersion(pkg);
      if (version === undefined) continue; // not installed here: the interop test skips too
      const claimed = pattern.exec(row(client)[1]!)?.[1];
      expect(claimed, `${client}: ${pkg}`).toBeDefined();
      expect(version.startsWith(`${claimed}-`) || version === claimed, `${client}: README says ${claimed}, dpkg has ${pkg} ${version}`).toBe(true);
    }
  });

  it('has an interop test for each client, and claims nothing of the Java client', () => {
    const tests: Record<string, string> = {
      kafkajs: 'kafkajs.test.ts',
      '@platformatic/kafka': 'platformatic.test.ts',
      'kcat (librdkafka)': 'kcat.test.ts',
      'confluent-kafka-python (librdkafka)': 'python-confluent-kafka.test.ts',
      'kafka-python': 'python-kafka-python.test.ts',
    };
    expect(rows.map((r) => r[0])).toEqual(Object.keys(tests));
    for (const file of Object.values(tests)) expect(existsSync(join(root, 'test/interop', file)), file).toBe(true);
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(section('Tested clients')).toMatch(/The Java client[\s\S]{0,80}is \*\*not tested here\*\*/);
    // Every mention of Java elsewhere is about byte formats (serializers, hashing), not a claim that it works.
    for (const line of readme.split('\n').filter((l) => /Java/.test(l) && !section('Tested clients').includes(l))) {
      expect(line, line).not.toMatch(/Java client (works|work)/);
    }
  });
});

describe('README: limits (#19)', () => {
  const limits = section('Limits');

  it('names each missing piece', () => {
    for (const word of ['Replication', 'Compaction', 'min.insync.replicas', 'Transactions', 'Security']) expect(limits).toContain(word);
  });

  it('is what the broker does: each limit refused with the error the README names', async () => {
    const broker = await createBroker();
    const client = broker.client();
    try {
      const admin = client.admin();
      const refusal = async (topic: object) => {
        try {
          await admin.createTopics({ topics: [{ topic: 'limit', ...topic }] });
          return 'created';
        } catch (error) {
          return (error as { code?: string }).code;
        }
      };
      const cases: Array<[object, string]> = [
        [{ replicationFactor: 2 }, 'INVALID_REPLICATION_FACTOR'],
        [{ configs: { 'cleanup.policy': 'compact' } }, 'INVALID_CONFIG'],
      ];
      for (const [topic, code] of cases) {
        expect(await refusal(topic), JSON.stringify(topic)).toBe(code);
        expect(limits).toContain(code);
      }
      // min.insync.replicas is a topic config now; one replica cannot meet 2 (acks=all: NOT_ENOUGH_REPLICAS).
      expect(await refusal({ configs: { 'min.insync.replicas': '2' } })).toBe('created');
      expect(limits).toContain('NOT_ENOUGH_REPLICAS');
      // A limit that went (issue 13 #27): a topic codec is accepted, and the list no longer names it.
      expect(await refusal({ configs: { 'compression.type': 'gzip' } })).toBe('created');
      expect(limits).not.toContain('compression.type');
      // No transaction API is served (AddPartitionsToTxn 24, AddOffsetsToTxn 25, EndTxn 26, TxnOffsetCommit 28).
      const served = new Set<number>(DEFAULT_HANDLERS.map((h) => h.apiKey));
      for (const key of [24, 25, 26, 28]) expect(served.has(key), `API key ${key}`).toBe(false);
      // No authentication, so the broker command listens on loopback unless told otherwise.
      expect(BROKER_SETTINGS.find((s) => s.key === 'host')!.default).toBe('127.0.0.1');
      expect(limits).toContain('127.0.0.1');
    } finally {
      await client.close();
      await broker.close();
    }
  });
});

describe('README: where the command runs (#15)', () => {
  it('npx tributary in this checkout runs the repository\'s own bin, without a download', async () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(pkg.bin).toEqual({ tributary: './cli/bin.js' });
    expect(section('The command line')).toContain('| in this checkout | `npx tributary …`');
    // --no: npx must find it here, never fetch a package of that name from the registry.
    const r = spawnSync('npx', ['--no', 'tributary', 'topics', '--help'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Usage: tributary topics/);
  });
});
