/**
 * Consumer groups: our group consumer against kafkajs 2.2.4's, on the same broker
 * (memory storage, TCP on 127.0.0.1) in the same run.
 *
 * - Rebalance time: 10 members start together → every member holds its partition of a
 *   10-partition topic (cold join); then one member leaves → the other 9 hold all 10
 *   again (rebalance). Both clients heartbeat every 100 ms; the broker's initial
 *   rebalance delay is 100 ms (Kafka's default of 3 s would dominate the cold join).
 * - Consume throughput: a 3-member group on a 6-partition topic; once the group is
 *   stable, 300,000 records of 100 B are appended (1,000-record batches, straight into
 *   the broker), and the time from the first append to the last record handled by
 *   eachMessage gives records/s.
 */
import { createRequire } from 'node:module';
import { memoryStorage } from '../adapters/memory/index.ts';
import { startServer } from '../adapters/server/index.ts';
import { tcpTransport } from '../adapters/transport/index.ts';
import { Broker } from '../core/broker/broker.ts';
import { DEFAULT_HANDLERS } from '../core/broker/api/preset.ts';
import { type Client, createClient } from '../core/client/client.ts';
import type { GroupConsumer } from '../core/client/group/group-consumer.ts';
import { Registry } from '../core/registry.ts';
import { encodeBatchSync } from '../core/records/record-batch.ts';
import { registerBuiltInCompressors } from '../plugins/compressors/index.ts';
import { registerBuiltInPartitioners } from '../plugins/partitioners/index.ts';
import { registerBuiltInSerializers } from '../plugins/serializers/index.ts';
import { type BenchRow, report } from './harness.ts';

const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs');

const MEMBERS = 10;
const RECORDS = 300_000;
const PARTITIONS = 6;
const BATCH = 1000;
const VALUE = 100;
const HEARTBEAT = 100;
const scale = Number(process.env.BENCH_TIME_MS ?? 1000) / 1000;
const ROUNDS = Math.max(1, Math.round(3 * scale));

function registry(): Registry {
  const r = new Registry();
  registerBuiltInSerializers(r);
  registerBuiltInPartitioners(r);
  registerBuiltInCompressors(r);
  return r;
}

const broker = new Broker({
    handlers: DEFAULT_HANDLERS,
  storage: memoryStorage(),
  retentionCheckIntervalMs: 0,
  groups: { initialRebalanceDelayMs: 100, minSessionTimeoutMs: 1000, offsetsRetentionCheckIntervalMs: 0 },
});
const server = await startServer(broker, { host: '127.0.0.1', port: 0 });
const bootstrap = server.address;
const clients: Client[] = [];
function ourClient(): Client {
  const c = createClient({ brokers: [bootstrap], transport: tcpTransport(), registry: registry() });
  clients.push(c);
  return c;
}
const kafka = new Kafka({ clientId: 'bench-kjs', brokers: [bootstrap], logLevel: logLevel.NOTHING });

let seq = 0;
async function topic(partitions: number): Promise<{ topic: string; group: string }> {
  const n = ++seq;
  await broker.topics.create({ name: `cg-${n}`, numPartitions: partitions, replicationFactor: 1 });
  return { topic: `cg-${n}`, group: `cg-group-${n}` };
}

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('benchmark condition not reached in 60 s');
    await new Promise((r) => setTimeout(r, 1));
  }
}

const value = new Uint8Array(VALUE).fill(120);
/** Appends `RECORDS` records over the partitions straight into the broker (fresh batches: the broker stamps offsets in place). */
async function fill(t: string): Promise<void> {
  const batches = RECORDS / BATCH;
  const sends: Promise<unknown>[] = [];
  for (let b = 0; b < batches; b++) {
    const records = Array.from({ length: BATCH }, () => ({ key: null, value }));
    sends.push(broker.handle({ apiKey: 0, apiVersion: 9, correlationId: b, clientId: 'bench-feeder' }, {
      transactionalId: null,
      acks: 1,
      timeoutMs: 5000,
      topicData: [{ name: t, partitionData: [{ index: b % PARTITIONS, records: encodeBatchSync({ records }) }] }],
    }));
  }
  await Promise.all(sends);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

// ------------------------------------------------------------------ a member of either client

interface Member {
  /** Partitions of the member's current assignment. */
  partitions(): number[];
  count: number;
  stop(): Promise<void>;
}

async function ourMember(group: string, t: string, onMessage: () => void): Promise<Member> {
  const consumer: GroupConsumer = ourClient().consumer({ groupId: group, sessionTimeoutMs: 10_000, heartbeatIntervalMs: HEARTBEAT, maxWaitMs: 100 });
  await consumer.subscribe({ topics: [t], fromBeginning: true });
  const m: Member = { partitions: () => consumer.group().assignment.map((p) => p.partition), count: 0, stop: () => consumer.stop() };
  await consumer.run({ eachMessage: async () => { m.count++; onMessage(); } });
  return m;
}

async function kafkajsMember(group: string, t: string, onMessage: () => void): Promise<Member> {
  const consumer = kafka.consumer({ groupId: group, sessionTimeout: 10_000, heartbeatInterval: HEARTBEAT, maxWaitTimeInMs: 100 });
  let assigned: number[] = [];
  consumer.on(consumer.events.GROUP_JOIN, (e: any) => (assigned = e.payload.memberAssignment[t] ?? []));
  await consumer.connect();
  await consumer.subscribe({ topic: t, fromBeginning: true });
  const m: Member = { partitions: () => assigned, count: 0, stop: () => consumer.disconnect() };
  await consumer.run({ eachMessage: async () => { m.count++; onMessage(); } });
  return m;
}

type Factory = (group: string, t: string, onMessage: () => void) => Promise<Member>;

/** True when the members' assignments split `partitions` exactly and the broker's group is stable. */
function balanced(group: string, members: Member[], partitions: number): boolean {
  const g = broker.groups.group(group);
  if (!g || g.state !== 'Stable' || g.members.size !== members.length) return false;
  const all = members.flatMap((m) => m.partitions());
  return all.length === partitions && new Set(all).size === partitions;
}

// ------------------------------------------------------------------ rebalance

async function rebalance(make: Factory): Promise<{ join: number; leave: number }> {
  const joins: number[] = [];
  const leaves: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const { topic: t, group } = await topic(MEMBERS);
    const start = performance.now();
    const members = await Promise.all(Array.from({ length: MEMBERS }, () => make(group, t, () => {})));
    await until(() => balanced(group, members, MEMBERS));
    joins.push(performance.now() - start);
    const leaving = performance.now();
    await members[0]!.stop();
    const rest = members.slice(1);
    await until(() => balanced(group, rest, MEMBERS));
    leaves.push(performance.now() - leaving);
    await Promise.all(rest.map((m) => m.stop()));
  }
  return { join: median(joins), leave: median(leaves) };
}

// ------------------------------------------------------------------ throughput

async function throughput(make: Factory): Promise<number> {
  const rates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const { topic: t, group } = await topic(PARTITIONS);
    let total = 0;
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const onMessage = () => {
      if (++total === RECORDS) done();
    };
    const members = await Promise.all([0, 1, 2].map(() => make(group, t, onMessage)));
    await until(() => balanced(group, members, PARTITIONS));
    const start = performance.now();
    await fill(t);
    await finished;
    rates.push(RECORDS / ((performance.now() - start) / 1000));
    await Promise.all(members.map((m) => m.stop()));
  }
  return median(rates);
}

const ours = { rebalance: await rebalance(ourMember), throughput: await throughput(ourMember) };
const peer = { rebalance: await rebalance(kafkajsMember), throughput: await throughput(kafkajsMember) };

const rows: BenchRow[] = [
  { name: `cold join, ${MEMBERS} members (ms, median of ${ROUNDS})`, extra: { ours: ours.rebalance.join, kafkajs: peer.rebalance.join }, ratio: { peer: 'kafkajs (time, lower is better)', value: ours.rebalance.join / peer.rebalance.join } },
  { name: `rebalance after 1 of ${MEMBERS} leaves (ms)`, extra: { ours: ours.rebalance.leave, kafkajs: peer.rebalance.leave }, ratio: { peer: 'kafkajs (time, lower is better)', value: ours.rebalance.leave / peer.rebalance.leave } },
  { name: `consume, 3-member group (our client)`, recordsPerSec: ours.throughput, mbPerSec: (ours.throughput * VALUE) / 1e6, ratio: { peer: 'kafkajs', value: ours.throughput / peer.throughput } },
  { name: `consume, 3-member group (kafkajs 2.2.4)`, recordsPerSec: peer.throughput, mbPerSec: (peer.throughput * VALUE) / 1e6 },
];
report('client-group', rows);

await Promise.allSettled(clients.map((c) => c.close()));
await server.close();
