/**
 * Consumer groups: how long a group of 10 members takes from the first JoinGroup to every
 * member holding its assignment (a raw wire client over TCP, and kafkajs 2.2.4 consumers),
 * and the consume throughput of a 3-member group (kafkajs, @platformatic/kafka, and
 * librdkafka through kcat -G) over a preloaded 6-partition topic. There is no peer broker
 * to compare with in this environment (no JVM), so the rows are absolute numbers.
 */
import { spawn } from 'node:child_process';
import { Consumer, stringDeserializers } from '@platformatic/kafka';
import kafkajs from 'kafkajs';
import { memoryStorage } from '../adapters/memory/index.ts';
import { startServer } from '../adapters/server/index.ts';
import { Broker } from '../core/broker/broker.ts';
import { DEFAULT_HANDLERS } from '../core/broker/api/preset.ts';
import { encodeConsumerAssignment, encodeConsumerSubscription } from '../core/protocol/consumer-protocol.ts';
import { encodeBatchSync } from '../core/records/record-batch.ts';
import { type BenchRow, measure, report } from './harness.ts';
import { WireClient } from './wire-client.ts';

const { Kafka, logLevel } = kafkajs;
const MEMBERS = 10;
const PARTITIONS = 6;
const RECORDS_PER_PARTITION = Number(process.env.BENCH_GROUP_RECORDS ?? 50_000);
const TOTAL = RECORDS_PER_PARTITION * PARTITIONS;

const rows: BenchRow[] = [];

async function startBroker(initialRebalanceDelayMs: number) {
  const broker = new Broker({ handlers: DEFAULT_HANDLERS, storage: memoryStorage(), retentionCheckIntervalMs: 0, groups: { initialRebalanceDelayMs, minSessionTimeoutMs: 500 } });
  const server = await startServer(broker, { host: '127.0.0.1', port: 0 });
  const port = Number(server.address.split(':')[1]);
  return { broker, server, port, bootstrap: server.address };
}

// ---- Rebalance of 10 members over the wire (KIP-394 round trip included) ----
{
  const fx = await startBroker(0);
  await fx.broker.topics.create({ name: 'rb', numPartitions: 10, replicationFactor: 1 });
  const clients = await Promise.all(Array.from({ length: MEMBERS }, () => WireClient.connect('127.0.0.1', fx.port)));
  const metadata = encodeConsumerSubscription({ version: 0, topics: ['rb'], userData: null });
  let round = 0;
  const join = (c: WireClient, group: string, memberId: string) =>
    c.request(11, 9, { groupId: group, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId, groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata }], reason: null });
  const rebalance = async () => {
    const group = `rb-${round++}`;
    const ids = (await Promise.all(clients.map((c) => join(c, group, '')))).map((r) => r.memberId as string);
    const joined = await Promise.all(clients.map((c, i) => join(c, group, ids[i]!)));
    const leader = joined.find((j) => j.members.length > 0)!;
    const assignments = leader.members.map((m: { memberId: string }, i: number) => ({ memberId: m.memberId, assignment: encodeConsumerAssignment({ version: 0, assignedPartitions: [{ topic: 'rb', partitions: [i] }], userData: null }) }));
    const synced = await Promise.all(clients.map((c, i) =>
      c.request(14, 5, { groupId: group, generationId: joined[i]!.generationId, memberId: ids[i], groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: ids[i] === leader.memberId ? assignments : [] })));
    if (synced.some((s) => s.errorCode !== 0 || s.assignment.length === 0)) throw new Error('rebalance failed');
    // Leave, so the coordinator does not keep 10 live members per round.
    await Promise.all(clients.map((c, i) => c.request(13, 5, { groupId: group, members: [{ memberId: ids[i], groupInstanceId: null, reason: null }] })));
  };
  const m = await measure(rebalance);
  rows.push({ name: `rebalance ${MEMBERS} members, raw wire client (join→all assigned)`, opsPerSec: m.opsPerSec, extra: { msPerRebalance: (1000 / m.opsPerSec).toFixed(2) } });
  for (const c of clients) c.close();
  await fx.server.close();
}

// ---- Rebalance of 10 kafkajs consumers ----
{
  const delay = 100;
  const fx = await startBroker(delay);
  await fx.broker.topics.create({ name: 'kjs-rb', numPartitions: 10, replicationFactor: 1 });
  const kafka = new Kafka({ clientId: 'bench', brokers: [fx.bootstrap], logLevel: logLevel.NOTHING });
  const samples: number[] = [];
  const rounds = Number(process.env.BENCH_GROUP_ROUNDS ?? 3);
  for (let r = 0; r < rounds; r++) {
    const consumers = Array.from({ length: MEMBERS }, () => kafka.consumer({ groupId: `kjs-rb-${r}`, heartbeatInterval: 500, sessionTimeout: 10_000, maxWaitTimeInMs: 100 }));
    const assigned = new Map<number, number>();
    const start = performance.now();
    let done = 0;
    const all = new Promise<void>((resolve) => {
      consumers.forEach((c, i) =>
        c.on(c.events.GROUP_JOIN, (e: any) => {
          assigned.set(i, (e.payload.memberAssignment['kjs-rb'] ?? []).length);
          if (assigned.size === MEMBERS && [...assigned.values()].reduce((a, b) => a + b, 0) === 10 && [...assigned.values()].every((n) => n === 1)) {
            done = performance.now();
            resolve();
          }
        }),
      );
    });
    await Promise.all(consumers.map(async (c) => {
      await c.connect();
      await c.subscribe({ topic: 'kjs-rb' });
      await c.run({ eachMessage: async () => undefined });
    }));
    await all;
    samples.push(done - start);
    await Promise.all(consumers.map((c) => c.disconnect()));
  }
  const avg = samples.reduce((a, b) => a + b, 0) / samples.length;
  rows.push({ name: `rebalance ${MEMBERS} kafkajs consumers (connect→all assigned)`, opsPerSec: 1000 / avg, extra: { msPerRebalance: avg.toFixed(0), initialDelayMs: delay } });
  await fx.server.close();
}

// ---- Consume throughput of a 3-member group ----
// The members join an empty topic first; once the group is stable (3 members, all 6
// partitions assigned) the records are appended as fast as the broker takes them, and the
// clock runs from the first append to the last record consumed.

/** A 3-member group of some client over topic `load`: resolves when its members report assignments. */
interface BenchGroup {
  /** Partitions each member reported. */
  assigned: Array<Set<number>>;
  /** Records consumed so far. */
  count(): number;
  stop(): Promise<void>;
}

async function groupThroughput(name: string, start: (bootstrap: string) => Promise<BenchGroup>): Promise<void> {
  const fx = await startBroker(100);
  await fx.broker.topics.create({ name: 'load', numPartitions: PARTITIONS, replicationFactor: 1 });
  const group = await start(fx.bootstrap);
  for (;;) {
    const g = fx.broker.groups.group('tp');
    const covered = new Set(group.assigned.flatMap((a) => [...a]));
    if (g?.state === 'Stable' && g.members.size === 3 && covered.size === PARTITIONS && group.assigned.every((a) => a.size === 2)) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const value = new Uint8Array(100).fill(97);
  const t0 = performance.now();
  for (let done = 0; done < RECORDS_PER_PARTITION; done += 1000) {
    const n = Math.min(1000, RECORDS_PER_PARTITION - done);
    for (let p = 0; p < PARTITIONS; p++) {
      const records = encodeBatchSync({ records: Array.from({ length: n }, () => ({ key: null, value })) });
      await fx.broker.handle({ apiKey: 0, apiVersion: 9, correlationId: 0, clientId: 'load' }, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'load', partitionData: [{ index: p, records }] }] });
    }
  }
  const appended = performance.now() - t0;
  while (group.count() < TOTAL) await new Promise((r) => setTimeout(r, 5));
  const ms = performance.now() - t0;
  rows.push({ name, recordsPerSec: TOTAL / (ms / 1000), mbPerSec: (TOTAL * 100) / 1e6 / (ms / 1000), extra: { records: TOTAL, ms: ms.toFixed(0), appendMs: appended.toFixed(0) } });
  await group.stop();
  await fx.server.close();
}

await groupThroughput('consume, 3-member group, kafkajs', async (bootstrap) => {
  const kafka = new Kafka({ clientId: 'bench', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const assigned = [0, 1, 2].map(() => new Set<number>());
  let count = 0;
  const consumers = [0, 1, 2].map((i) => {
    const c = kafka.consumer({ groupId: 'tp', heartbeatInterval: 100, maxWaitTimeInMs: 100, maxBytesPerPartition: 4 << 20, maxBytes: 16 << 20 });
    c.on(c.events.GROUP_JOIN, (e: any) => (assigned[i] = new Set(e.payload.memberAssignment.load ?? [])));
    return c;
  });
  await Promise.all(consumers.map(async (c) => {
    await c.connect();
    await c.subscribe({ topic: 'load', fromBeginning: true });
    await c.run({ eachBatch: async ({ batch }) => void (count += batch.messages.length) });
  }));
  return { assigned, count: () => count, stop: async () => void (await Promise.all(consumers.map((c) => c.disconnect()))) };
});

await groupThroughput('consume, 3-member group, @platformatic/kafka', async (bootstrap) => {
  const assigned = [0, 1, 2].map(() => new Set<number>());
  let count = 0;
  const consumers = [0, 1, 2].map((i) => {
    const c = new Consumer({ clientId: 'bench', groupId: 'tp', bootstrapBrokers: [bootstrap], heartbeatInterval: 100, maxWaitTime: 100, maxBytes: 16 << 20, deserializers: stringDeserializers });
    c.on('consumer:group:join', (p) => (assigned[i] = new Set((p.assignments ?? []).flatMap((a) => a.partitions))));
    return c;
  });
  const streams = await Promise.all(consumers.map((c) => c.consume({ topics: ['load'], mode: 'earliest', autocommit: 1000 })));
  for (const s of streams) s.on('data', () => void count++);
  return {
    assigned,
    count: () => count,
    stop: async () => {
      for (const s of streams) await s.close();
      await Promise.all(consumers.map((c) => c.close()));
    },
  };
});

// kcat's output is not counted (a line per record, unbuffered, would measure kcat's stdout):
// its progress is the end-of-partition offsets it reports on stderr.
await groupThroughput('consume, 3-member group, librdkafka (kcat -G)', async (bootstrap) => {
  const assigned = [0, 1, 2].map(() => new Set<number>());
  const reached = new Map<number, number>();
  const children = [0, 1, 2].map((i) => {
    const child = spawn('kcat', ['-b', bootstrap, '-G', 'tp', '-f', '%o\\n', '-X', 'auto.offset.reset=earliest', '-X', 'heartbeat.interval.ms=100', '-X', 'fetch.wait.max.ms=100',
      '-X', 'broker.address.family=v4', 'load'], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n')) {
        if (line.includes('assigned:')) assigned[i] = new Set([...line.split('assigned:')[1]!.matchAll(/\[(\d+)\]/g)].map((x) => Number(x[1])));
        const eof = /Reached end of topic load \[(\d+)\] at offset (\d+)/.exec(line);
        if (eof) reached.set(Number(eof[1]), Math.max(reached.get(Number(eof[1])) ?? 0, Number(eof[2])));
      }
    });
    return child;
  });
  return {
    assigned,
    count: () => [...reached.values()].reduce((a, b) => a + b, 0),
    stop: async () => {
      await Promise.all(children.map((c) => new Promise((resolve) => {
        c.once('exit', resolve);
        c.kill('SIGKILL');
      })));
    },
  };
});

report('groups', rows);
