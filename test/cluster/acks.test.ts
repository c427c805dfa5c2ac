/**
 * acks=all on a replicated partition (ReplicaManager.appendRecords), as Kafka answers it:
 * NOT_ENOUGH_REPLICAS before the append when the committed ISR is below
 * min.insync.replicas; a wait for the high watermark after it; NOT_ENOUGH_REPLICAS_AFTER_APPEND
 * when the ISR shrank below it meanwhile; REQUEST_TIMED_OUT; NOT_LEADER_OR_FOLLOWER when
 * leadership moves during the wait. And idempotence across a failover: the new leader built
 * producer state from the batches it replicated, so a retried batch is still a duplicate.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AppendResult } from '../../core/broker/replica-manager.ts';
import { encodeBatchSync } from '../../core/records/record-batch.ts';
import { batchOf } from '../broker/helpers.ts';
import { type Node, ReplicationCluster, until } from './replication-harness.ts';

let cluster: ReplicationCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

async function start(configs: Record<string, string> = {}, replicaLagTimeMaxMs = 10_000): Promise<ReplicationCluster> {
  cluster = await new ReplicationCluster({ nodes: [1, 2, 3], replicaLagTimeMaxMs }).start();
  await cluster.createTopic('t', 'T', [[1, 2, 3]], configs);
  return cluster;
}

function produce(node: Node, records: Uint8Array, acks = -1, timeoutMs = 120_000): { result?: AppendResult } {
  const tracked: { result?: AppendResult } = {};
  void node.replicaManager.appendRecords({ acks, timeoutMs, apiVersion: 9, entries: [{ topic: 't', partition: 0, records }] }).then((r) => (tracked.result = r[0]!));
  return tracked;
}

const part = (c: ReplicationCluster, id: number) => c.node(id).replicaManager.partition('t', 0)!;

describe('acks=all', () => {
  it('refuses with NOT_ENOUGH_REPLICAS before the append when the ISR is below min.insync.replicas', async () => {
    const c = await start({ 'min.insync.replicas': '2' });
    await c.changePartition('T', 0, { isr: [1] });
    const refused = produce(c.node(1), batchOf(['a']));
    await until(c.clock, () => refused.result !== undefined, 'the answer');
    expect(refused.result!.errorCode).toBe(19);
    expect(part(c, 1).logEndOffset).toBe(0);
    // acks=1 does not look at the ISR.
    const one = produce(c.node(1), batchOf(['a']), 1);
    await until(c.clock, () => one.result !== undefined, 'the acks=1 answer');
    expect(one.result!.errorCode).toBe(0);
  });

  it('answers once every ISR member has the batch', async () => {
    const c = await start({ 'min.insync.replicas': '2' });
    const ok = produce(c.node(1), batchOf(['a', 'b']));
    await until(c.clock, () => ok.result !== undefined, 'the answer');
    expect(ok.result).toMatchObject({ errorCode: 0, baseOffset: 0 });
    expect(part(c, 2).logEndOffset).toBe(2);
    expect(part(c, 3).logEndOffset).toBe(2);
  });

  it('answers NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR shrank below min.insync.replicas during the wait', async () => {
    const c = await start({ 'min.insync.replicas': '2' });
    c.isolate(1);
    const waiting = produce(c.node(1), batchOf(['a']));
    await until(c.clock, () => waiting.result !== undefined, 'the answer', 500, 200);
    expect(waiting.result!.errorCode).toBe(20);
    expect(part(c, 1).isr).toEqual([1]);
    // The batch stays in the leader's log (as in Kafka): the producer may retry.
    expect(part(c, 1).logEndOffset).toBe(1);
  });

  it('times out with REQUEST_TIMED_OUT while a follower lags (within replica.lag.time.max.ms)', async () => {
    const c = await start({}, 60_000);
    c.link(1, 3, false);
    const waiting = produce(c.node(1), batchOf(['a']), -1, 2_000);
    await until(c.clock, () => waiting.result !== undefined, 'the answer');
    expect(waiting.result!.errorCode).toBe(7);
    expect(part(c, 1).highWatermark).toBe(0);
  });

  it('answers NOT_LEADER_OR_FOLLOWER when leadership moves during the wait', async () => {
    const c = await start({}, 60_000);
    c.isolate(1);
    const waiting = produce(c.node(1), batchOf(['a']));
    await c.clock.advance(1_000);
    expect(waiting.result).toBeUndefined();
    await c.changePartition('T', 0, { leader: 2, isr: [2, 3] });
    await until(c.clock, () => waiting.result !== undefined, 'the answer');
    expect(waiting.result!.errorCode).toBe(6);
    expect(part(c, 1).isLeader).toBe(false);
  });
});

describe('idempotence across a failover', () => {
  const idempotent = (value: string, sequence: number) =>
    encodeBatchSync({ records: [{ key: null, value: new TextEncoder().encode(value), headers: [] }], producerId: 42, producerEpoch: 0, baseSequence: sequence, now: 1_700_000_000_000 });

  it('the new leader recognises a retried batch it only ever replicated', async () => {
    const c = await start();
    const first = produce(c.node(1), idempotent('a', 0));
    await until(c.clock, () => first.result !== undefined, 'the first answer');
    expect(first.result!.errorCode).toBe(0);
    const second = produce(c.node(1), idempotent('b', 1));
    await until(c.clock, () => second.result !== undefined && part(c, 2).logEndOffset === 2, 'the second batch on node 2');

    await c.changePartition('T', 0, { leader: 2 });
    expect(part(c, 2).isLeader).toBe(true);
    // The producer never heard the answer to 'b' and retries it at the new leader.
    const retry = produce(c.node(2), idempotent('b', 1));
    await until(c.clock, () => retry.result !== undefined, 'the retry');
    expect(retry.result).toMatchObject({ errorCode: 0, baseOffset: 1 });
    expect(part(c, 2).logEndOffset).toBe(2);
    // The next sequence goes on normally; a gap is still an error.
    const next = produce(c.node(2), idempotent('c', 2));
    await until(c.clock, () => next.result !== undefined, 'the next batch');
    expect(next.result).toMatchObject({ errorCode: 0, baseOffset: 2 });
    const gap = produce(c.node(2), idempotent('e', 4));
    await until(c.clock, () => gap.result !== undefined, 'the gap');
    expect(gap.result!.errorCode).toBe(45);
  });

  it('a truncated follower forgets the sequences it truncated away', async () => {
    const c = await start();
    const first = produce(c.node(1), idempotent('a', 0), 1);
    await until(c.clock, () => first.result !== undefined && part(c, 2).logEndOffset === 1 && part(c, 3).logEndOffset === 1, 'the first batch everywhere');
    // Sequence 1 reaches only node 1; node 2 takes over and never had it.
    c.isolate(1);
    produce(c.node(1), idempotent('b', 1), 1);
    await c.clock.advance(100);
    expect(part(c, 1).logEndOffset).toBe(2);
    await c.changePartition('T', 0, { leader: 2, isr: [2, 3] }, [2, 3]);
    await c.node(2).replicaManager.appendRecords({ acks: 1, timeoutMs: 1000, apiVersion: 9, entries: [{ topic: 't', partition: 0, records: batchOf(['other']) }] });
    c.heal();
    await c.republish(1);
    await until(c.clock, () => part(c, 1).logEndOffset === 2 && !part(c, 1).isLeader && part(c, 1).highWatermark === 2, 'node 1 to converge on node 2');
    // Node 1 dropped its sequence 1: were it leader again, sequence 1 would be new, not a duplicate.
    await c.changePartition('T', 0, { leader: 1, isr: [1, 2, 3] });
    const resent = produce(c.node(1), idempotent('b', 1), 1);
    await until(c.clock, () => resent.result !== undefined, 'the resend');
    expect(resent.result).toMatchObject({ errorCode: 0, baseOffset: 2 });
  });

  it('makes a retry of a batch that timed out wait for replication too, rather than acknowledging what no follower has', async () => {
    const c = await start({}, 60_000);
    // The followers cannot fetch: the first try appends on the leader only and times out.
    c.link(1, 2, false);
    c.link(1, 3, false);
    const first = produce(c.node(1), idempotent('a', 0), -1, 1_000);
    await until(c.clock, () => first.result !== undefined, 'the first answer');
    expect(first.result!.errorCode).toBe(7);
    // The producer retries the same batch: a duplicate, answered only once replicated.
    const retry = produce(c.node(1), idempotent('a', 0), -1, 1_000);
    await until(c.clock, () => retry.result !== undefined, 'the retry answer');
    expect(retry.result!.errorCode).toBe(7);
    expect(part(c, 1).logEndOffset).toBe(1);
    c.link(1, 2, true);
    c.link(1, 3, true);
    const again = produce(c.node(1), idempotent('a', 0));
    await until(c.clock, () => again.result !== undefined, 'the answer once followers fetch');
    expect(again.result).toMatchObject({ errorCode: 0, baseOffset: 0 });
    expect(part(c, 2).logEndOffset).toBe(1);
  });
});
