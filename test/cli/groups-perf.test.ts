/** `tributary consume --group`, `tributary groups …` and `tributary perf …` through the real CLI. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../mod.ts';
import { lines, runCli, startCliBroker, type CliBroker } from './cli-helpers.ts';

let broker: CliBroker;
let b: string[];

beforeAll(async () => {
  broker = await startCliBroker();
  b = ['-b', broker.address];
});
afterAll(() => broker?.close());

describe('tributary groups', () => {
  it('consumes as a group, describes its lag, resets offsets (dry run, then --execute) and deletes it', async () => {
    expect((await runCli(['topics', 'create', 'events', '-p', '2', ...b])).code).toBe(0);
    const input = Array.from({ length: 10 }, (_, i) => `k${i}:v${i}`).join('\n');
    expect((await runCli(['produce', 'events', '-K', ':', '-q', ...b], { input })).code).toBe(0);

    const first = await runCli(['consume', 'events', '--group', 'billing', '--exit', ...b]);
    expect(first.code, first.stderr).toBe(0);
    expect(lines(first.stdout).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `v${i}`).sort());
    // The group committed its positions on the way out: a second run has nothing left.
    const second = await runCli(['consume', 'events', '--group', 'billing', '--exit', ...b]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toBe('');

    const [listed, describedRun] = await Promise.all([runCli(['groups', 'list', ...b]), runCli(['groups', 'describe', 'billing', '--json', ...b])]);
    expect(lines(listed.stdout)).toContain('billing');
    const described = JSON.parse(describedRun.stdout);
    expect(described.state).toBe('Empty');
    const totalLag = (d: { offsets: Array<{ lag: number }> }) => d.offsets.reduce((n, o) => n + o.lag, 0);
    expect(totalLag(described)).toBe(0);
    expect(described.offsets.reduce((n: number, o: { committed: number }) => n + o.committed, 0)).toBe(10);

    const [dry, badReset, unknownGroup] = await Promise.all([
      runCli(['groups', 'reset', 'billing', '--topic', 'events', '--to-earliest', ...b]),
      runCli(['groups', 'reset', 'billing', '--topic', 'events', ...b]),
      runCli(['groups', 'describe', 'nobody', ...b]),
    ]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('Dry run');
    expect(lines(dry.stdout).filter((l) => /^billing\s+events\s+\d\s+\d+\s+0$/.test(l))).toHaveLength(2);
    expect(badReset.code).toBe(2);
    expect(unknownGroup.code).toBe(3);
    // The dry run changed nothing.
    expect(totalLag(JSON.parse((await runCli(['groups', 'describe', 'billing', '--json', ...b])).stdout))).toBe(0);

    const applied = await runCli(['groups', 'reset', 'billing', '--topic', 'events', '--to-earliest', '--execute', ...b]);
    expect(applied.code, applied.stderr).toBe(0);
    const [afterRun, text] = await Promise.all([runCli(['groups', 'describe', 'billing', '--json', ...b]), runCli(['groups', 'describe', 'billing', ...b])]);
    expect(totalLag(JSON.parse(afterRun.stdout))).toBe(10);
    expect(text.stdout).toMatch(/Total lag: 10/);
    expect(text.stdout).toMatch(/events\s+0\s+0\s+\d+\s+\d+/);

    const toOffset = await runCli(['groups', 'reset', 'billing', '--all-topics', '--to-offset', '1', '--execute', ...b]);
    expect(toOffset.code, toOffset.stderr).toBe(0);
    expect(totalLag(JSON.parse((await runCli(['groups', 'describe', 'billing', '--json', ...b])).stdout))).toBe(8);

    // A negative value may follow its flag with a space (parseArgs alone refuses it).
    const shifted = await runCli(['groups', 'reset', 'billing', '--topic', 'events', '--shift-by', '-1', '--execute', ...b]);
    expect(shifted.code, shifted.stderr).toBe(0);
    expect(totalLag(JSON.parse((await runCli(['groups', 'describe', 'billing', '--json', ...b])).stdout))).toBe(10);

    const deleted = await runCli(['groups', 'delete', 'billing', ...b]);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(lines((await runCli(['groups', 'list', ...b])).stdout)).not.toContain('billing');
  });

  it('shows the log end offset of a partition assigned to a member that has not committed yet', async () => {
    expect((await runCli(['topics', 'create', 'fresh', '-p', '2', ...b])).code).toBe(0);
    expect((await runCli(['produce', 'fresh', '-p', '1', '-q', ...b], { input: 'a\nb\nc\n' })).code).toBe(0);
    const client = createClient({ brokers: [broker.address], clientId: 'watcher' });
    // From the end: nothing to read, so nothing is ever committed.
    const consumer = client.consumer({ groupId: 'watchers', fromBeginning: false });
    try {
      await consumer.subscribe({ topics: ['fresh'] });
      await consumer.run({ eachMessage: async () => {} });
      let offsets: Array<{ partition: number; committed: number; logEnd: number; memberId: string | null }> = [];
      // Poll until the member holds both partitions (the group forms asynchronously).
      while (offsets.length < 2 || offsets.some((o) => o.memberId === null)) {
        const r = await runCli(['groups', 'describe', 'watchers', '--json', ...b]);
        if (r.code === 0) offsets = JSON.parse(r.stdout).offsets;
      }
      expect(offsets.map((o) => [o.partition, o.committed, o.logEnd])).toEqual([[0, -1, 0], [1, -1, 3]]);
    } finally {
      await consumer.stop();
      await client.close();
    }
  });
});

describe('tributary perf', () => {
  it('runs a small producer, consumer and end-to-end load test', async () => {
    const produced = await runCli(['perf', 'produce', 'load', '--records', '2000', '--record-size', '50', '--partitions', '2', '--compression', 'lz4', '--acks', '1', ...b]);
    expect(produced.code, produced.stderr).toBe(0);
    expect(produced.stdout).toMatch(/^2000 records sent, [\d.]+ records\/sec \([\d.]+ MB\/sec\), [\d.]+ ms avg latency, [\d.]+ ms max latency, [\d.]+ ms 50th, [\d.]+ ms 95th, [\d.]+ ms 99th, [\d.]+ ms 99\.9th\./);
    const ends = broker.broker.topics.get('load')!.partitions.map((p) => p.log.endOffset());
    expect(ends.reduce((a, n) => a + n, 0)).toBe(2000);

    const consumed = await runCli(['perf', 'consume', 'load', ...b]);
    expect(consumed.code, consumed.stderr).toBe(0);
    expect(consumed.stdout).toMatch(/^2000 records consumed, [\d.]+ records\/sec \([\d.]+ MB\/sec\)/);

    const e2e = await runCli(['perf', 'e2e', 'load', '--records', '500', '--throughput', '2000', ...b]);
    expect(e2e.code, e2e.stderr).toBe(0);
    expect(e2e.stdout).toMatch(/500 records received end to end: [\d.]+ ms avg latency/);
  });
});
