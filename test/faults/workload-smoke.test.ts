/**
 * The workload and the checker end to end on one real broker process (no cluster needed):
 * the three producers, the group consumer, the commit observer and the kcat final read
 * record a history the checker passes; then records deleted from the log's head (a real
 * loss of acknowledged values, made on purpose) are reported as lost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../mod.ts';
import type { Client } from '../../core/client/client.ts';
import { type BrokerProcess, startBrokerProcess } from '../client/restart/broker-process.ts';
import { checkHistory } from './checker.ts';
import type { History } from './history.ts';
import { observeCommits, readFinalLog, startGroupConsumer } from './workload-consumers.ts';
import { confluentAvailable, startConfluentProducer, startKafkajsProducer, startOurProducer, type WorkloadProducer } from './workload-producers.ts';

let broker: BrokerProcess;
let client: Client;
const topic = 'faults-smoke';

beforeAll(async () => {
  broker = await startBrokerProcess();
  client = createClient({ brokers: [broker.address], clientId: 'faults-smoke', logLevel: 'silent' });
  await client.admin().createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
});

afterAll(async () => {
  await client?.close();
  await broker?.dispose();
});

describe('workload on one broker process', () => {
  let history: History;

  it('records a history of every client that the checker passes', async () => {
    const settings = { bootstrap: [broker.address], topic, partitions: 2, acks: -1 as const, intervalMs: 10 };
    const consumer = await startGroupConsumer('group', client, topic, 'faults-smoke-group');
    const commits = observeCommits(client, topic, 'faults-smoke-group', 100);
    const producers: WorkloadProducer[] = [startOurProducer('ours', client, settings), await startKafkajsProducer('kafkajs', settings)];
    if (confluentAvailable()) producers.push(startConfluentProducer('confluent', settings, 60));
    const deadline = Date.now() + 60_000;
    while (producers.some((p) => p.acked() < 50) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await Promise.all(producers.map((p) => p.stop()));
    const produced = producers.flatMap((p) => p.outcomes);
    const acked = produced.filter((p) => p.kind === 'acked');
    for (const p of producers) expect(p.outcomes.filter((o) => o.kind === 'acked').length, p.name).toBeGreaterThanOrEqual(50);
    while (consumer.consumed.length < acked.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    // One more commit observation after the consumer caught up.
    await new Promise((r) => setTimeout(r, 1_000));
    await consumer.stop();
    await commits.stop();
    const finalLog = await readFinalLog([broker.address], topic);
    history = { topic, produced, consumed: consumer.consumed, commits: commits.commits, finalLog, finalIsr: [] };
    const result = checkHistory(history);
    expect(result.violations, result.report).toEqual([]);
    expect(finalLog.length).toBe(acked.length);
    expect(consumer.consumed.length).toBeGreaterThanOrEqual(acked.length);
    expect(commits.commits.some((c) => c.offset > 0), 'the group committed').toBe(true);
  }, 120_000);

  it('reports acknowledged values deleted from the log as lost', async () => {
    const admin = client.admin();
    await admin.deleteRecords({ topic, partitions: [{ partition: 0, offset: 10 }] });
    const finalLog = await readFinalLog([broker.address], topic);
    const result = checkHistory({ ...history, finalLog });
    const lost = result.violations.filter((v) => v.kind === 'lost');
    expect(lost, result.report).toHaveLength(10);
    expect(lost.every((v) => v.kind === 'lost' && v.partition === 0 && v.offset < 10)).toBe(true);
    // The group saw them, so they are also reported as consumed then lost.
    expect(result.violations.filter((v) => v.kind === 'consumed-lost')).toHaveLength(10);
  }, 60_000);
});
