/**
 * What a first-time user of the command line hits (issue 13, "First contact"): global
 * flags before the command, broker refusals reported as such, and the small CLI gaps.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCliBroker, type CliBroker } from './cli-helpers.ts';

let broker: CliBroker;
let b: string[];

beforeAll(async () => {
  broker = await startCliBroker();
  b = ['-b', broker.address];
  const created = await Promise.all(['first-contact', 'refusals'].map((t) => runCli(['topics', 'create', t, '--partitions', '2', ...b])));
  for (const r of created) if (r.code !== 0) throw new Error(r.stderr);
});
afterAll(() => broker?.close());

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
