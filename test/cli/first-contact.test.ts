/**
 * What a first-time user of the command line hits (issue 13, "First contact"): global
 * flags before the command, broker refusals reported as such, and the small CLI gaps.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBroker } from '../../adapters/runtime/embedded-broker.ts';
import { ConfigResourceType } from '../../core/client/admin.ts';
import { createClient } from '../../mod.ts';
import { ROOT, runCli, startCliBroker, type CliBroker } from './cli-helpers.ts';

let broker: CliBroker;
let b: string[];

beforeAll(async () => {
  broker = await startCliBroker();
  b = ['-b', broker.address];
  const created = await Promise.all(['first-contact', 'refusals'].map((t) => runCli(['topics', 'create', t, '--partitions', '2', ...b])));
  for (const r of created) if (r.code !== 0) throw new Error(r.stderr);
});
afterAll(() => broker?.close());

const spawned: ChildProcess[] = [];
afterAll(() => {
  for (const c of spawned) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/**
 * `tributary broker <args>` (memory storage, port 0) as a child process, as a user starts
 * it; resolves once it listens. `command` may replace the command line (npm start).
 */
async function cliBroker(args: readonly string[], command: [string, string[]] = [process.execPath, ['--import', 'tsx', 'cli/main.ts', 'broker']], env: Record<string, string> = {}): Promise<{ address: string; output: () => string; stop: () => Promise<void> }> {
  const child = spawn(command[0], [...command[1], '--storage', 'memory', '--port', '0', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TRIBUTARY_BROKERS: '', ...env } });
  spawned.push(child);
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const address = await new Promise<string>((resolve, reject) => {
    const check = () => {
      const m = /listening on (127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]!);
    };
    child.stdout!.on('data', check);
    closed.then(() => reject(new Error(`the broker exited before listening:\n${out}`)));
  });
  return { address, output: () => out, stop: async () => { child.kill('SIGTERM'); await closed; } };
}

/** Polls `check` every 200 ms until it returns true or `ms` pass. */
async function eventually(check: () => Promise<boolean>, ms = 15_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

describe('global flags anywhere (#16)', () => {
  it('takes -b/--brokers and --help before the command and before the subcommand, as kcat and rpk do', async () => {
    const [before, beforeLong, beforeEquals, beforeSub, beforeTopic, help, subHelp] = await Promise.all([
      runCli([...b, 'topics', 'list']),
      runCli(['--brokers', broker.address, 'topics', 'list']),
      runCli([`--brokers=${broker.address}`, 'topics', 'ls']),
      runCli(['topics', ...b, 'list']),
      runCli([...b, 'consume', 'first-contact', '--exit']),
      runCli(['--help', 'topics']),
      runCli(['-h', 'topics', 'create']),
    ]);
    for (const r of [before, beforeLong, beforeEquals, beforeSub]) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.split('\n')).toContain('first-contact');
    }
    expect(beforeTopic.code, beforeTopic.stderr).toBe(0);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: tributary topics <subcommand>/);
    expect(subHelp.code).toBe(0);
    expect(subHelp.stdout).toMatch(/^Usage: tributary topics create/);
  });

  it('answers an unknown command or a misplaced flag in two lines, not the whole help', async () => {
    const [command, flag] = await Promise.all([runCli(['nonsense', ...b]), runCli(['--bogus', 'topics', 'list'])]);
    expect(command.code).toBe(2);
    expect(command.stderr.trim().split('\n')).toEqual([
      'tributary: unknown command "nonsense" (commands: broker, topics, produce, consume, groups, perf)',
      'Run `tributary --help` for usage.',
    ]);
    expect(flag.code).toBe(2);
    expect(flag.stderr.trim().split('\n')[0]).toBe('tributary: unknown option --bogus (commands: broker, topics, produce, consume, groups, perf)');
  });
});

describe('broker refusals (#17)', () => {
  it('exit 1 with the broker\'s reason and code, not 2 with a pointer to --help', async () => {
    const [replication, badValue, unknownConfig, shrink, badName] = await Promise.all([
      runCli(['topics', 'create', 'r1', '--replication-factor', '3', ...b]),
      runCli(['topics', 'create', 'r2', '--config', 'retention.ms=soon', ...b]),
      runCli(['topics', 'create', 'r3', '--config', 'no.such.config=1', ...b]),
      runCli(['topics', 'alter', 'refusals', '--partitions', '1', ...b]),
      runCli(['topics', 'create', 'bad name!', ...b]),
    ]);
    const cases: Array<[typeof replication, string]> = [
      [replication, 'INVALID_REPLICATION_FACTOR'],
      [badValue, 'INVALID_CONFIG'],
      [unknownConfig, 'INVALID_CONFIG'],
      [shrink, 'INVALID_PARTITIONS'],
      [badName, 'INVALID_TOPIC_EXCEPTION'],
    ];
    for (const [r, code] of cases) {
      expect(r.code, r.stderr).toBe(1);
      const lines = r.stderr.trim().split('\n');
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^tributary topics: the broker refused: .+ \\[${code}\\]$`));
      expect(r.stderr).not.toContain('--help');
    }
    expect(replication.stderr).toContain('Replication factor 3');
    expect(broker.broker.topics.get('r1')).toBeUndefined();
  });
});

describe('retention check interval (#20)', () => {
  it('tributary broker --retention-check-interval-ms makes retention visible in seconds', async () => {
    const running = await cliBroker(['--retention-check-interval-ms', '200', '--log-level', 'warn']);
    try {
      const at = ['-b', running.address];
      expect((await runCli(['topics', 'create', 'short-lived', ...at])).code).toBe(0);
      const produced = await runCli(['produce', 'short-lived', ...at], { input: 'a\nb\nc\n' });
      expect(produced.code, produced.stderr).toBe(0);
      expect((await runCli(['topics', 'alter', 'short-lived', '--config', 'retention.ms=1', ...at])).code).toBe(0);
      // Kafka's default interval is 5 minutes; at 200 ms the records go at once.
      const trimmed = await eventually(async () => {
        const d = await runCli(['topics', 'describe', 'short-lived', '--json', ...at]);
        return JSON.parse(d.stdout).partitions[0].earliest === 3;
      });
      expect(trimmed, running.output()).toBe(true);
    } finally {
      await running.stop();
    }
  });

  it('createBroker({ retentionCheckIntervalMs }) does the same for an embedded broker', async () => {
    const embedded = await createBroker({ retentionCheckIntervalMs: 100 });
    try {
      const client = embedded.client();
      await client.admin().createTopics({ topics: [{ topic: 'old', configs: { 'retention.ms': '60000' } }] });
      // Records an hour old: past retention.ms at the first check.
      await client.producer().send({ topic: 'old', messages: [{ value: 'x', timestamp: Date.now() - 3_600_000 }, { value: 'y', timestamp: Date.now() - 3_600_000 }] });
      const trimmed = await eventually(async () => (await client.admin().fetchTopicOffsets('old'))[0]!.low === 2, 5000);
      expect(trimmed).toBe(true);
      await client.close();
    } finally {
      await embedded.close();
    }
  });
});

/** The broker's own value and source of one config, through DescribeConfigs. */
async function brokerConfig(address: string, name: string): Promise<{ value: string | null; source: number }> {
  const client = createClient({ brokers: [address] });
  try {
    const { resources } = await client.admin().describeConfigs({ resources: [{ type: ConfigResourceType.BROKER, name: '0', configNames: [name] }] });
    const entry = resources[0]!.configEntries.find((e) => e.configName === name)!;
    return { value: entry.configValue, source: entry.configSource };
  } finally {
    await client.close();
  }
}

describe('group.initial.rebalance.delay.ms (#21)', () => {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const npmStart: [string, string[]] = [npm, ['start', '--silent', '--']];

  it('is 0 under npm start, as in Kafka\'s shipped server.properties, and Kafka\'s 3000 for tributary broker', async () => {
    const [dev, plain, devOverridden, devEnv] = await Promise.all([
      cliBroker(['--log-level', 'warn'], npmStart),
      cliBroker(['--log-level', 'warn']),
      cliBroker(['--log-level', 'warn', '--group-initial-rebalance-delay-ms', '3000'], npmStart),
      cliBroker(['--log-level', 'warn'], npmStart, { TRIBUTARY_GROUP_INITIAL_REBALANCE_DELAY_MS: '1000' }),
    ]);
    try {
      const name = 'group.initial.rebalance.delay.ms';
      // 4: STATIC_BROKER_CONFIG (set in the broker's configuration), 5: DEFAULT_CONFIG.
      expect(await brokerConfig(dev.address, name)).toEqual({ value: '0', source: 4 });
      expect(dev.output()).toContain('Development defaults (--dev): --group-initial-rebalance-delay-ms 0');
      expect(await brokerConfig(plain.address, name)).toEqual({ value: '3000', source: 5 });
      expect(plain.output()).not.toContain('Development defaults');
      expect(await brokerConfig(devOverridden.address, name)).toEqual({ value: '3000', source: 4 });
      // The environment wins over the development defaults too.
      expect(await brokerConfig(devEnv.address, name)).toEqual({ value: '1000', source: 4 });
    } finally {
      await Promise.all([dev, plain, devOverridden, devEnv].map((b) => b.stop()));
    }
  });
});
