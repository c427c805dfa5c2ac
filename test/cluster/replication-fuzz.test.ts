/**
 * A seeded random walk over three replica managers (test/cluster/replication-harness.ts):
 * acks=all produces with min.insync.replicas 2 or 1, leaders isolated from everyone (controller
 * included) and failed over to an ISR member, links healed, time passing. After the walk
 * every link heals and the replicas converge; then every acknowledged record must sit at
 * its acknowledged offset, and every replica's log must be byte-identical to the leader's.
 * A failing seed replays exactly (all time is the manual clock's).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AppendResult } from '../../core/broker/replica-manager.ts';
import { concat } from '../../core/protocol/index.ts';
import { batchSizeAt } from '../../core/records/batch-header.ts';
import { decodeBatchSync } from '../../core/records/record-batch.ts';
import { batchOf } from '../broker/helpers.ts';
import { ReplicationCluster, until } from './replication-harness.ts';

let cluster: ReplicationCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

/** mulberry32: a small seeded generator. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function walk(seed: number, minInsync: number): Promise<void> {
  const rand = random(seed);
  const nodes = [1, 2, 3];
  const c = (cluster = await new ReplicationCluster({ nodes, replicaLagTimeMaxMs: 3_000 }).start());
  await c.createTopic('t', 'T', [nodes], { 'min.insync.replicas': String(minInsync) });
  const acked = new Map<number, string>();
  const outcomes: Array<{ value: string; result?: AppendResult }> = [];
  let isolated: number | undefined;
  let counter = 0;

  for (let step = 0; step < 120; step++) {
    const r = rand();
    const reg = c.registration('T', 0);
    if (r < 0.5) {
      // A producer sends to whoever it believes leads: the controller's leader, or now and then a stale one.
      const target = rand() < 0.8 ? reg.leader : nodes[Math.floor(rand() * 3)]!;
      const value = `v${seed}-${counter++}`;
      const outcome: { value: string; result?: AppendResult } = { value };
      outcomes.push(outcome);
      void c.node(target).replicaManager
        .appendRecords({ acks: -1, timeoutMs: 5_000, apiVersion: 9, entries: [{ topic: 't', partition: 0, records: batchOf([value]) }] })
        .then((res) => (outcome.result = res[0]!));
    } else if (r < 0.62 && isolated === undefined) {
      // A node is cut off from everyone, the controller included.
      isolated = nodes[Math.floor(rand() * 3)]!;
      c.isolate(isolated);
      c.controllerUnreachable.add(isolated);
      const others = nodes.filter((n) => n !== isolated);
      if (reg.leader === isolated) {
        // Clean election only: the next leader comes from the ISR.
        const next = reg.isr.find((n) => n !== isolated);
        if (next !== undefined) await c.changePartition('T', 0, { leader: next, isr: reg.isr.filter((n) => n !== isolated) }, others);
      } else if (reg.isr.includes(isolated)) {
        // The controller fences the lost broker: it leaves the ISR.
        await c.changePartition('T', 0, { isr: reg.isr.filter((n) => n !== isolated) }, others);
      }
    } else if (r < 0.72 && isolated !== undefined) {
      const back = isolated;
      isolated = undefined;
      c.heal();
      c.controllerUnreachable.clear();
      await c.republish(back);
    } else {
      await c.clock.advance(Math.floor(rand() * 2_000));
    }
    for (const o of outcomes) {
      if (o.result && o.result.errorCode === 0 && !acked.has(o.result.baseOffset)) acked.set(o.result.baseOffset, o.value);
    }
  }

  // Heal and let everything settle: every replica back in the ISR, logs identical.
  c.heal();
  c.controllerUnreachable.clear();
  for (const n of nodes) await c.republish(n);
  const leaderId = () => c.registration('T', 0).leader;
  const part = (id: number) => c.node(id).replicaManager.partition('t', 0)!;
  await until(c.clock, () => part(leaderId()).isr.length === 3 && nodes.every((n) => part(n).logEndOffset === part(leaderId()).logEndOffset), `seed ${seed}: replicas to converge`, 500, 400);
  await c.clock.advance(10_000);
  for (const o of outcomes) if (o.result && o.result.errorCode === 0 && !acked.has(o.result.baseOffset)) acked.set(o.result.baseOffset, o.value);

  const leader = part(leaderId());
  const bytes = concat((await leader.log.read(leader.logStartOffset, 1 << 30)).chunks);
  const byOffset = new Map<number, string>();
  for (let pos = 0; pos < bytes.length; pos += batchSizeAt(bytes, pos)) {
    const batch = decodeBatchSync(bytes, pos);
    byOffset.set(batch.baseOffset, new TextDecoder().decode(batch.records[0]!.value!));
  }
  for (const [offset, value] of acked) expect(byOffset.get(offset), `seed ${seed}: acknowledged ${value} at ${offset}`).toBe(value);
  for (const n of nodes) {
    const p = part(n);
    const theirs = concat((await p.log.read(p.logStartOffset, 1 << 30)).chunks);
    expect(Buffer.from(theirs).equals(Buffer.from(bytes)), `seed ${seed}: node ${n}'s log`).toBe(true);
  }
  // The walk must have exercised something: some records were acknowledged.
  expect(acked.size).toBeGreaterThan(0);
}

describe('replication random walk', () => {
  // REPL_SEEDS=1,2,… runs others (150 seeds pass; 26 and 52 catch an HW that ignores an uncommitted shrink).
  const seeds = process.env.REPL_SEEDS ? process.env.REPL_SEEDS.split(',').map(Number) : [...Array.from({ length: 30 }, (_, i) => i + 1), 52];
  it.each(seeds)('seed %i, min.insync.replicas 2: no acknowledged record lost, replicas identical', async (seed) => {
    await walk(seed, 2);
  });
  // With 1, only the rule that an uncommitted shrink still counts keeps an isolated leader from acknowledging alone.
  it.each(seeds)('seed %i, min.insync.replicas 1: no acknowledged record lost, replicas identical', async (seed) => {
    await walk(seed, 1);
  });
});
