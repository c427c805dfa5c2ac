/**
 * `tributary topics reassign | reassignments | elect-leaders` and `cluster drain | unregister`
 * against an in-process three-broker cluster (the CLI runs as its own process over TCP), and
 * the drain planner and plan-file parser on their own.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCluster, type EmbeddedCluster } from '../../adapters/runtime/embedded-cluster.ts';
import { planDrain } from '../../cli/commands/cluster-operations.ts';
import { parsePlan } from '../../cli/commands/topics-operations.ts';
import { runCli } from './cli-helpers.ts';

describe('planDrain', () => {
  it('replaces the node in place by the least-loaded live broker without a replica of the partition', () => {
    const moves = planDrain([
      { topic: 'a', partition: 0, replicas: [1, 2] },
      { topic: 'a', partition: 1, replicas: [2, 1] },
      { topic: 'b', partition: 0, replicas: [2, 3] },
    ], 1, [1, 2, 3, 4]);
    expect(moves).toEqual([
      { topic: 'a', partition: 0, replicas: [1, 2], target: [4, 2] },
      { topic: 'a', partition: 1, replicas: [2, 1], target: [2, 3] },
    ]);
  });

  it('refuses when a partition has nowhere to go', () => {
    expect(() => planDrain([{ topic: 'a', partition: 0, replicas: [1, 2, 3] }], 1, [1, 2, 3])).toThrow(/no broker can take the replica of a-0/);
  });
});

describe('parsePlan', () => {
  it('reads kafka-reassign-partitions plans, null replicas cancelling', () => {
    expect(parsePlan('{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[3,2]},{"topic":"t","partition":1,"replicas":null}]}', 'p.json')).toEqual([
      { topic: 't', partition: 0, replicas: [3, 2] },
      { topic: 't', partition: 1, replicas: null },
    ]);
    expect(() => parsePlan('{"partitions":[{"topic":"t"}]}', 'p.json')).toThrow(/needs a topic and a partition/);
    expect(() => parsePlan('nope', 'p.json')).toThrow(/not JSON/);
  });
});

describe('the reassignment and election commands', () => {
  let cluster: EmbeddedCluster;
  let brokers: string;
  const dir = mkdtempSync(join(tmpdir(), 'tributary-reassign-'));
  const cli = (...args: string[]) => runCli([...args, '--brokers', brokers]);
  const partition = (topic: string, p = 0) => cluster.controller.image.topic(topic)!.partitions[p]!;

  beforeAll(async () => {
    cluster = await createCluster({ brokers: 3, heartbeatIntervalMs: 100, sessionTimeoutMs: 2000, leaderRebalance: { enable: false } });
    brokers = cluster.bootstrap.join(',');
    await cluster.client().admin().createTopics({ topics: [{ topic: 't', replicaAssignment: [{ partition: 0, replicas: [1, 2] }] }] });
    await cluster.waitForFullIsr(['t']);
  }, 30_000);
  afterAll(async () => {
    await cluster?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reassign --dry-run shows the move and changes nothing', async () => {
    const r = await cli('topics', 'reassign', '--topic', 't', '--partition', '0', '--replicas', '3,2', '--dry-run');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/t\s+0\s+1,2\s+3,2/);
    expect(r.stdout).toContain('Dry run: nothing changed.');
    expect(partition('t').replicas).toEqual([1, 2]);
  }, 30_000);

  it('reassign --wait moves the replica; reassignments lists none afterwards; bad input exits 2', async () => {
    const r = await cli('topics', 'reassign', '-t', 't', '-p', '0', '--replicas', '3,2', '--wait');
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('Reassignment done.');
    expect(partition('t').replicas).toEqual([3, 2]);
    const listed = await cli('topics', 'reassignments');
    expect(listed.stdout.trim()).toBe('No reassignments in progress.');
    expect((await cli('topics', 'reassign', '-t', 't', '-p', '0', '--replicas', '3,3')).code).toBe(2);
    const unknown = await cli('topics', 'reassign', '-t', 't', '-p', '0', '--replicas', '3,9');
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('INVALID_REPLICA_ASSIGNMENT');
  }, 60_000);

  it('a plan file reorders the replicas, and elect-leaders makes the new preferred replica lead', async () => {
    const leader = partition('t').leader;
    const other = leader === 3 ? 2 : 3;
    const plan = join(dir, 'plan.json');
    writeFileSync(plan, JSON.stringify({ version: 1, partitions: [{ topic: 't', partition: 0, replicas: [other, leader] }] }));
    expect((await cli('topics', 'reassign', '--plan', plan, '--wait')).stdout).toContain('Reassignment done.');
    expect(partition('t')).toMatchObject({ replicas: [other, leader], leader });
    const elected = await cli('topics', 'elect-leaders', '--topic', 't');
    expect(elected.stderr).toBe('');
    expect(elected.stdout).toContain('Elected a leader for t-0.');
    expect(partition('t').leader).toBe(other);
    expect((await cli('topics', 'elect-leaders')).stdout).toContain('nothing to elect');
  }, 60_000);

  it('cluster log-dirs lists each broker\'s partitions with their sizes', async () => {
    const r = await cli('cluster', 'log-dirs', '--topic', 't', '--json');
    expect(r.stderr).toBe('');
    const brokers = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { broker: number; logDirs: Array<{ logDir: string; topics: Array<{ topic: string; partitions: Array<{ partition: number }> }> }> });
    expect(brokers.map((b) => b.broker)).toEqual([1, 2, 3]);
    const hosting = brokers.filter((b) => b.logDirs[0]!.topics.some((t) => t.topic === 't')).map((b) => b.broker);
    expect(hosting).toEqual([...partition('t').replicas].sort());
    expect(brokers[0]!.logDirs[0]!.logDir).toBe('memory');
    const table = await cli('cluster', 'log-dirs', '--node', '2');
    expect(table.stdout).toMatch(/BROKER\s+LOG DIR\s+TOPIC\s+PARTITION\s+SIZE\s+OFFSET LAG/);
  }, 30_000);

  it('cluster configs sets a cluster-wide default and one broker\'s value, and shows them with their sources', async () => {
    expect((await cli('cluster', 'configs', '--set', 'log.retention.ms=7200000')).stdout).toContain('Updated the cluster-wide default: log.retention.ms=7200000.');
    expect((await cli('cluster', 'configs', '--node', '3', '--set', 'log.retention.bytes=4096')).stderr).toBe('');
    const shown = await cli('cluster', 'configs', '--node', '3');
    expect(shown.stdout).toMatch(/log\.retention\.ms\s+7200000\s+DYNAMIC_DEFAULT_BROKER_CONFIG/);
    expect(shown.stdout).toMatch(/log\.retention\.bytes\s+4096\s+DYNAMIC_BROKER_CONFIG/);
    const refused = await cli('cluster', 'configs', '--set', 'num.partitions=5');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('Cannot update these configs dynamically');
    expect((await cli('cluster', 'configs', '--delete', 'log.retention.ms')).code).toBe(0);
    expect(cluster.controller.image.brokerConfigs('').size).toBe(0);
  }, 60_000);

  it('cluster drain moves every replica off a broker; once stopped, cluster unregister removes it', async () => {
    await cluster.client().admin().createTopics({ topics: [{ topic: 'd', replicaAssignment: [{ partition: 0, replicas: [2, 1] }, { partition: 1, replicas: [1, 3] }] }] });
    await cluster.waitForFullIsr(['d']);
    const r = await cli('cluster', 'drain', '--node', '1');
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('Broker 1 is drained.');
    const image = cluster.controller.image;
    expect(image.partitionsReplicatedOn(1)).toEqual([]);
    await cluster.stop(1);
    const u = await cli('cluster', 'unregister', '--node', '1');
    expect(u.stderr).toBe('');
    expect(u.stdout).toContain('Broker 1 unregistered.');
    expect(cluster.controller.image.registration(1)).toBeUndefined();
  }, 60_000);
});
