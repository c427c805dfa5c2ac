/** `tributary topics …`, `--help` and the error exits, through the real CLI against a real broker. */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROKER_SETTINGS, envName } from '../../cli/broker-config.ts';
import { runCli, startCliBroker, type CliBroker } from './cli-helpers.ts';

let broker: CliBroker;
let b: string[];

beforeAll(async () => {
  broker = await startCliBroker();
  b = ['-b', broker.address];
});
afterAll(() => broker?.close());

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('tributary topics', () => {
  it('creates, lists, describes, alters and deletes a topic', async () => {
    const created = await runCli(['topics', 'create', 'orders', '--partitions', '3', '--config', 'retention.ms=3600000', ...b]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain('Created topic "orders" with 3 partition(s)');
    expect(broker.broker.topics.get('orders')?.partitions.length).toBe(3);

    const again = await runCli(['topics', 'create', 'orders', ...b]);
    expect(again.code).toBe(4);
    expect(again.stderr).toContain('TOPIC_ALREADY_EXISTS');
    expect((await runCli(['topics', 'create', 'orders', '--if-not-exists', ...b])).code).toBe(0);

    const [listed, described, text] = await Promise.all([
      runCli(['topics', 'list', ...b]),
      runCli(['topics', 'describe', 'orders', '--json', ...b]),
      runCli(['topics', 'describe', 'orders', ...b]),
    ]);
    expect(listed.code).toBe(0);
    expect(listed.stdout.split('\n')).toContain('orders');

    expect(described.code, described.stderr).toBe(0);
    const d = JSON.parse(described.stdout);
    expect(d.topic).toBe('orders');
    expect(d.partitions.map((p: { partition: number }) => p.partition)).toEqual([0, 1, 2]);
    const node = broker.broker.nodeId;
    expect(d.partitions[0]).toMatchObject({ leader: node, replicas: [node], isr: [node], earliest: 0, latest: 0 });
    expect(d.configs).toEqual({ 'retention.ms': '3600000' });

    expect(text.stdout).toMatch(/PartitionCount: 3\s+ReplicationFactor: 1/);
    expect(text.stdout).toMatch(/retention\.ms\s+3600000\s+DYNAMIC_TOPIC_CONFIG/);

    // Alter changes only what it names: retention.ms stays while max.message.bytes is added.
    const altered = await runCli(['topics', 'alter', 'orders', '--config', 'max.message.bytes=2000000', ...b]);
    expect(altered.code, altered.stderr).toBe(0);
    let configs = JSON.parse((await runCli(['topics', 'describe', 'orders', '--json', ...b])).stdout).configs;
    expect(configs).toEqual({ 'retention.ms': '3600000', 'max.message.bytes': '2000000' });
    expect((await runCli(['topics', 'alter', 'orders', '--delete-config', 'retention.ms', ...b])).code).toBe(0);
    configs = JSON.parse((await runCli(['topics', 'describe', 'orders', '--json', ...b])).stdout).configs;
    expect(configs).toEqual({ 'max.message.bytes': '2000000' });

    const deleted = await runCli(['topics', 'delete', 'orders', ...b]);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(broker.broker.topics.get('orders')).toBeUndefined();
    const gone = await runCli(['topics', 'describe', 'orders', ...b]);
    expect(gone.code).toBe(3);
    expect(gone.stderr.trim()).toBe('tributary topics: unknown topic "orders"');
  });
});

describe('help and errors', () => {
  it('documents commands, global flags and exit codes in --help', async () => {
    const [r, sub, none] = await Promise.all([runCli(['--help']), runCli(['topics', 'create', '--help']), runCli([])]);
    expect(r.code).toBe(0);
    for (const word of ['broker', 'topics', 'produce', 'consume', 'groups', 'perf', '--brokers', 'TRIBUTARY_BROKERS', 'Exit codes:']) expect(r.stdout).toContain(word);
    expect(sub.code).toBe(0);
    expect(sub.stdout).toContain('--replication-factor');
    expect(sub.stdout).toContain('--brokers');
    expect(none.code).toBe(2);
  });

  it('answers --help on every command and subcommand, without a broker', async () => {
    const commands = [
      ['broker'], ['topics'], ['produce'], ['consume'], ['groups'], ['perf'],
      ...['create', 'list', 'describe', 'alter', 'delete'].map((s) => ['topics', s]),
      ...['list', 'describe', 'reset', 'delete'].map((s) => ['groups', s]),
      ...['produce', 'consume', 'e2e'].map((s) => ['perf', s]),
    ];
    const results = await Promise.all(commands.map((c) => runCli([...c, '--help'])));
    results.forEach((r, i) => {
      expect(r.code, `${commands[i]!.join(' ')} --help: ${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(/^Usage: tributary /);
    });
    // The broker's help names every setting with its environment variable.
    const broker = results[0]!.stdout;
    for (const s of BROKER_SETTINGS) {
      expect(broker).toContain(`--${s.flag} ${s.arg}`);
      expect(broker).toContain(envName(s.flag));
    }
    expect(broker).toContain('TRIBUTARY_CONFIG');
  });

  it('exits 1 with one clear line when no broker answers', async () => {
    const port = await closedPort();
    const r = await runCli(['topics', 'list', '--brokers', `127.0.0.1:${port}`]);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`127.0.0.1:${port}`);
    expect(lines[0]).toContain('npm start');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('broker: a port in use is one line and exit 1, not a process left hanging', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    try {
      const port = (busy.address() as { port: number }).port;
      const r = await runCli(['broker', '--port', String(port), '--storage', 'memory', '--log-level', 'error']);
      expect(r.signal, 'the broker hung after the listen failure').toBeNull();
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('ERR_ADDRESS_IN_USE');
    } finally {
      await new Promise<void>((resolve) => busy.close(() => resolve()));
    }
  });

  it('reads the brokers from TRIBUTARY_BROKERS', async () => {
    const r = await runCli(['topics', 'list'], { env: { TRIBUTARY_BROKERS: broker.address } });
    expect(r.code, r.stderr).toBe(0);
  });

  it('exits 2 on bad flags and bad values, 3 on unknown topics', async () => {
    const [badFlag, badValue, badSub, badCommand, badBrokers, unknown, deleteUnknown, deleteIfExists] = await Promise.all([
      runCli(['topics', 'list', '--bogus', ...b]),
      runCli(['topics', 'create', 'x', '--partitions', 'many', ...b]),
      runCli(['topics', 'frobnicate', ...b]),
      runCli(['nonsense']),
      runCli(['topics', 'list', '--brokers', 'no-port']),
      runCli(['consume', 'no-such-topic', '--exit', ...b]),
      runCli(['topics', 'delete', 'no-such-topic', ...b]),
      runCli(['topics', 'delete', 'no-such-topic', '--if-exists', ...b]),
    ]);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain('--bogus');
    // One line naming the flag, not parseArgs' advice about positionals starting with '-'.
    expect(badFlag.stderr).not.toContain('positional');
    expect(badValue.code).toBe(2);
    expect(badValue.stderr).toContain('--partitions');
    expect(badSub.code).toBe(2);
    expect(badCommand.code).toBe(2);
    expect(badBrokers.code).toBe(2);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain('unknown topic "no-such-topic"');
    expect(deleteUnknown.code).toBe(3);
    expect(deleteIfExists.code).toBe(0);
  });
});
