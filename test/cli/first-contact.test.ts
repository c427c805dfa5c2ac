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
      'tributary: unknown command "nonsense" (commands: broker, topics, produce, consume, groups, cluster, perf, users, acls)',
      'Run `tributary --help` for usage.',
    ]);
    expect(flag.code).toBe(2);
    expect(flag.stderr.trim().split('\n')[0]).toBe('tributary: unknown option --bogus (commands: broker, topics, produce, consume, groups, cluster, perf, users, acls)');
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

describe('CLI gaps (#22)', () => {
  it('produces and consumes int32, int64 and float64 values (big-endian, as Kafka\'s Java serializers) and int keys', async () => {
    const t = 'numbers';
    expect((await runCli(['topics', 'create', t, ...b])).code).toBe(0);
    const cases: Array<[string, string, string[], number]> = [
      ['int32', '7:-2147483648\n8:2147483647\n', ['7 -2147483648', '8 2147483647'], 4],
      ['int64', '7:-9223372036854775808\n8:9007199254740993\n', ['7 -9223372036854775808', '8 9007199254740993'], 8],
      ['float64', '7:3.25\n8:-1e-3\n', ['7 3.25', '8 -0.001'], 8],
    ];
    let offset = 0;
    for (const [serde, input, expected, width] of cases) {
      const produced = await runCli(['produce', t, '-s', serde, '--key-serializer', 'int32', '-K', ':', ...b], { input });
      expect(produced.code, produced.stderr).toBe(0);
      const read = await runCli(['consume', t, '--from', String(offset), '-c', '2', '-s', serde, '--key-deserializer', 'int32', '-F', '%k %v %K %S\\n', ...b]);
      expect(read.code, read.stderr).toBe(0);
      expect(read.stdout.trim().split('\n')).toEqual(expected.map((e) => `${e} 4 ${width}`));
      offset += 2;
    }
    const bad = await runCli(['produce', t, '-s', 'int32', ...b], { input: '1\n2.5\n' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('line 2: not an integer: 2.5');
    const outOfRange = await runCli(['produce', t, '-s', 'int32', ...b], { input: '3000000000\n' });
    expect(outOfRange.code).toBe(1);
    expect(outOfRange.stderr).toContain('int32: expected an integer in [-2^31, 2^31)');
  });

  it('picks a partitioner with --partitioner', async () => {
    const t = 'spread';
    expect((await runCli(['topics', 'create', t, '--partitions', '3', ...b])).code).toBe(0);
    // Six keyless records: round-robin puts two on each partition, where the default
    // (sticky per batch) would put all six in one batch on one partition.
    const rr = await runCli(['produce', t, '--partitioner', 'round-robin', ...b], { input: 'a\nb\nc\nd\ne\nf\n' });
    expect(rr.code, rr.stderr).toBe(0);
    const read = await runCli(['consume', t, '--exit', '-F', '%p\\n', ...b]);
    const counts = [0, 0, 0];
    for (const p of read.stdout.trim().split('\n')) counts[Number(p)]!++;
    expect(counts).toEqual([2, 2, 2]);
    const [bad, both] = await Promise.all([
      runCli(['produce', t, '--partitioner', 'random', ...b], { input: 'x\n' }),
      runCli(['produce', t, '--partitioner', 'murmur2', '--partition', '1', ...b], { input: 'x\n' }),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--partitioner: expected one of default, murmur2, sticky, round-robin');
    expect(both.code).toBe(2);
  });

  it('describe: a config nobody set is DEFAULT_CONFIG, one the broker was given STATIC_BROKER_CONFIG, a topic\'s own DYNAMIC_TOPIC_CONFIG', async () => {
    const [plain, configured] = await Promise.all([cliBroker(['--log-level', 'warn']), cliBroker(['--log-level', 'warn', '--retention-ms', '86400000'])]);
    try {
      const source = async (address: string, topic: string, configs: string[] = []) => {
        expect((await runCli(['topics', 'create', topic, ...configs.flatMap((c) => ['--config', c]), '-b', address])).code).toBe(0);
        const d = await runCli(['topics', 'describe', topic, '--all-configs', '-b', address]);
        expect(d.code, d.stderr).toBe(0);
        return /retention\.ms\s+(\S+)\s+(\S+)/.exec(d.stdout)?.slice(1);
      };
      expect(await source(plain.address, 'unset')).toEqual(['604800000', 'DEFAULT_CONFIG']);
      expect(await source(configured.address, 'from-broker')).toEqual(['86400000', 'STATIC_BROKER_CONFIG']);
      expect(await source(plain.address, 'own', ['retention.ms=1000'])).toEqual(['1000', 'DYNAMIC_TOPIC_CONFIG']);
    } finally {
      await Promise.all([plain.stop(), configured.stop()]);
    }
  });

  it('consume --from N says so when N is below the log start or past the end', async () => {
    const running = await cliBroker(['--retention-check-interval-ms', '100', '--log-level', 'warn']);
    try {
      const at = ['-b', running.address];
      expect((await runCli(['topics', 'create', 'trimmed', ...at])).code).toBe(0);
      expect((await runCli(['produce', 'trimmed', ...at], { input: 'a\nb\nc\n' })).code).toBe(0);
      expect((await runCli(['topics', 'alter', 'trimmed', '--config', 'retention.ms=1', ...at])).code).toBe(0);
      expect(await eventually(async () => JSON.parse((await runCli(['topics', 'describe', 'trimmed', '--json', ...at])).stdout).partitions[0].earliest === 3)).toBe(true);
      expect((await runCli(['topics', 'alter', 'trimmed', '--delete-config', 'retention.ms', ...at])).code).toBe(0);
      expect((await runCli(['produce', 'trimmed', ...at], { input: 'd\n' })).code).toBe(0);
      const [below, past] = await Promise.all([
        runCli(['consume', 'trimmed', '--from', '1', '--exit', ...at]),
        runCli(['consume', 'trimmed', '--from', '9', '--exit', ...at]),
      ]);
      expect(below.code, below.stderr).toBe(0);
      expect(below.stdout).toBe('d\n');
      expect(below.stderr).toContain('trimmed [0]: offset 1 is before the log start 3 (older records are gone: retention or deleted records); starting at 3');
      expect(past.code, past.stderr).toBe(0);
      expect(past.stdout).toBe('');
      expect(past.stderr).toContain('trimmed [0]: offset 9 is past the log end 4; starting at 4');
    } finally {
      await running.stop();
    }
  });

  it('names the Avro field that does not fit the schema, and the input line', async () => {
    const schema = 'test/cli/fixtures/truck.avsc';
    expect((await runCli(['topics', 'create', 'trucks-avro', ...b])).code).toBe(0);
    const [wrongType, missing] = await Promise.all([
      runCli(['produce', 'trucks-avro', '-s', 'avro', '--schema', schema, ...b], { input: '{"id":"T1","lat":1.5,"speed":3}\n{"id":"T2","lat":"north","speed":3}\n' }),
      runCli(['produce', 'trucks-avro', '-s', 'avro', '--schema', schema, ...b], { input: '{"id":"T3","lat":1.5}\n' }),
    ]);
    expect(wrongType.code).toBe(1);
    expect(wrongType.stderr).toContain('line 2: avro: the value does not match the schema: field "lat": expected double, got "north"');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('line 1: avro: the value does not match the schema: field "speed" is missing (expected int)');
  });
});
