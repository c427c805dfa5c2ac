/**
 * Shared consumer-group scenarios for real clients: each client family provides members
 * (a consumer in a group that reports its assignment and what it consumed); the scenarios
 * check Kafka's group behaviour against a broker started here.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filesystemStorage } from '../../adapters/filesystem/index.ts';
import { memoryStorage } from '../../adapters/memory/index.ts';
import { startServer, type TributaryServer } from '../../adapters/server/index.ts';
import { Broker } from '../../core/broker/broker.ts';
import { DEFAULT_HANDLERS } from '../../core/broker/api/preset.ts';
import { encodeBatchSync } from '../../core/records/record-batch.ts';
import { recordingLogger } from './broker-fixture.ts';

/** One consumed record. */
export interface Consumed {
  partition: number;
  offset: number;
  value: string;
}

/** A group member driven by some client. */
export interface Member {
  /** Partitions of the last assignment the client reported (empty when idle). */
  readonly assigned: () => ReadonlySet<number>;
  /** Whether the client has reported any assignment yet. */
  readonly reported: () => boolean;
  /** Everything this member consumed, in order. */
  readonly consumed: Consumed[];
  /** Leaves the group cleanly (LeaveGroup, final commit). */
  stop(): Promise<void>;
  /** Dies without leaving (child processes only). */
  kill?(): Promise<void>;
}

/** What a client family provides. */
export interface MemberFactory {
  (options: { group: string; topic: string; bootstrap: string; sessionTimeoutMs: number }): Promise<Member>;
}

/** A broker for group interop: memory storage, 127.0.0.1 on an ephemeral port, short group timers. */
export interface GroupBroker {
  broker: Broker;
  server: TributaryServer;
  bootstrap: string;
  close(): Promise<void>;
}

/** Group settings small enough for fast tests. */
export const FAST_GROUPS = { initialRebalanceDelayMs: 300, minSessionTimeoutMs: 500, offsetsRetentionCheckIntervalMs: 0 } as const;

/** Starts a broker for a group interop file: memory storage, or filesystem storage in `dir` (to restart on). */
export async function startGroupBroker(options: { dir?: string } = {}): Promise<GroupBroker> {
  const logger = recordingLogger();
  const storage = options.dir === undefined ? memoryStorage() : filesystemStorage({ dir: options.dir });
  const broker = new Broker({ handlers: DEFAULT_HANDLERS, storage, logger, retentionCheckIntervalMs: 0, groups: FAST_GROUPS });
  const server = await startServer(broker, { host: '127.0.0.1', port: 0 });
  return { broker, server, bootstrap: server.address, close: () => server.close() };
}

const enc = new TextEncoder();

/** Appends `perPartition` records to every partition of `topic` (values `p<partition>-<tag>-<i>`). */
export async function produceEach(broker: Broker, topic: string, partitions: readonly number[], perPartition: number, tag: string): Promise<void> {
  for (const p of partitions) {
    const batch = encodeBatchSync({ records: Array.from({ length: perPartition }, (_, i) => ({ key: null, value: enc.encode(`p${p}-${tag}-${i}`) })) });
    const r = await broker.handle({ apiKey: 0, apiVersion: 9, correlationId: 0, clientId: 'feeder' }, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 1000,
      topicData: [{ name: topic, partitionData: [{ index: p, records: batch }] }],
    }) as any;
    expect(r.responses[0].partitionResponses[0].errorCode).toBe(0);
  }
}

/** Polls `check` until it returns true; fails with `what` after `timeoutMs`. */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const ALL = [0, 1, 2, 3, 4, 5];

/**
 * True when the broker's group is Stable with `size` members and the members' reported
 * assignments split the partitions: disjoint, covering all of them.
 */
function settled(broker: Broker, group: string, members: readonly Member[], partitions = ALL): boolean {
  const g = broker.groups.group(group);
  if (!g || g.state !== 'Stable' || g.members.size !== members.length) return false;
  if (!members.every((m) => m.reported())) return false;
  const seen = new Set<number>();
  for (const m of members) {
    for (const p of m.assigned()) {
      if (seen.has(p)) return false;
      seen.add(p);
    }
  }
  return seen.size === partitions.length && partitions.every((p) => seen.has(p));
}

/** Waits until the group settles over all six partitions. */
export function settle(broker: Broker, group: string, members: readonly Member[]): Promise<void> {
  return until(`group ${group} to settle with ${members.length} members`, () => settled(broker, group, members));
}

function key(c: Consumed): string {
  return `${c.partition}:${c.offset}`;
}

/** Waits until the members consumed records matching `values` between them. */
async function consumedAll(members: readonly Member[], expected: number, filter: (c: Consumed) => boolean): Promise<Consumed[]> {
  await until(`${expected} records consumed`, () => new Set(members.flatMap((m) => m.consumed.filter(filter).map(key))).size >= expected);
  return members.flatMap((m) => m.consumed.filter(filter));
}

/** Waits until the group's committed offsets reach the log end of every partition. */
export function committedToEnd(broker: Broker, group: string, topic: string): Promise<void> {
  return until(`group ${group} to commit everything`, () => {
    const t = broker.topics.get(topic)!;
    const r = broker.groups.fetchOffsets(group, [{ name: topic, partitionIndexes: ALL }]);
    return r.topics[0]!.partitions.every((p) => p.committedOffset === t.partitions[p.partitionIndex]!.logEndOffset);
  });
}

let topicSeq = 0;

/** A fresh six-partition topic and group name for one scenario. */
export async function freshTopic(broker: Broker, family: string): Promise<{ topic: string; group: string }> {
  const n = ++topicSeq;
  const topic = `${family}-t${n}`;
  await broker.topics.create({ name: topic, numPartitions: 6, replicationFactor: 1 });
  return { topic, group: `${family}-g${n}` };
}

/** Three members over six partitions consume every record exactly once between them. */
export async function scenarioExactlyOnce(fx: GroupBroker, family: string, start: MemberFactory, sessionTimeoutMs: number): Promise<Member[]> {
  const { topic, group } = await freshTopic(fx.broker, family);
  const members = await Promise.all([0, 1, 2].map(() => start({ group, topic, bootstrap: fx.bootstrap, sessionTimeoutMs })));
  await settle(fx.broker, group, members);
  for (const m of members) expect(m.assigned().size).toBe(2);
  await produceEach(fx.broker, topic, ALL, 10, 'a');
  const all = await consumedAll(members, 60, () => true);
  expect(all).toHaveLength(60); // no record twice
  for (const m of members) for (const c of m.consumed) expect(m.assigned().has(c.partition)).toBe(true);
  await Promise.all(members.map((m) => m.stop()));
  return members;
}

/** A member leaves: its partitions move to the others, which consume what arrives there. */
export async function scenarioLeave(fx: GroupBroker, family: string, start: MemberFactory, sessionTimeoutMs: number): Promise<void> {
  const { topic, group } = await freshTopic(fx.broker, family);
  const members = await Promise.all([0, 1, 2].map(() => start({ group, topic, bootstrap: fx.bootstrap, sessionTimeoutMs })));
  await settle(fx.broker, group, members);
  const leaver = members[2]!;
  const moved = [...leaver.assigned()];
  await leaver.stop();
  const rest = members.slice(0, 2);
  await settle(fx.broker, group, rest);
  for (const p of moved) expect(rest.some((m) => m.assigned().has(p))).toBe(true);
  await produceEach(fx.broker, topic, moved, 5, 'moved');
  const got = await consumedAll(rest, 10, (c) => c.value.includes('-moved-'));
  expect(got).toHaveLength(10);
  await Promise.all(rest.map((m) => m.stop()));
}

/** A member dies without leaving: after its session timeout its partitions move. */
export async function scenarioKill(fx: GroupBroker, family: string, start: MemberFactory, sessionTimeoutMs: number): Promise<void> {
  const { topic, group } = await freshTopic(fx.broker, family);
  const members = await Promise.all([0, 1, 2].map(() => start({ group, topic, bootstrap: fx.bootstrap, sessionTimeoutMs })));
  await settle(fx.broker, group, members);
  const victim = members[0]!;
  const moved = [...victim.assigned()];
  const killedAt = Date.now();
  await victim.kill!();
  const rest = members.slice(1);
  await settle(fx.broker, group, rest);
  // Not before the session timeout: the coordinator only learns from silence.
  expect(Date.now() - killedAt).toBeGreaterThanOrEqual(sessionTimeoutMs - 100);
  for (const p of moved) expect(rest.some((m) => m.assigned().has(p))).toBe(true);
  await produceEach(fx.broker, topic, moved, 5, 'moved');
  const got = await consumedAll(rest, 10, (c) => c.value.includes('-moved-'));
  expect(got).toHaveLength(10);
  await Promise.all(rest.map((m) => m.stop()));
}

/**
 * A group that stopped resumes from its committed offsets across a broker restart on
 * filesystem storage: old records are not consumed again, new ones are, once each.
 */
export async function scenarioResume(family: string, start: MemberFactory, sessionTimeoutMs: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `tributary-resume-${family}-`));
  let fx = await startGroupBroker({ dir });
  try {
    const { topic, group } = await freshTopic(fx.broker, family);
    const first = await Promise.all([0, 1, 2].map(() => start({ group, topic, bootstrap: fx.bootstrap, sessionTimeoutMs })));
    await settle(fx.broker, group, first);
    await produceEach(fx.broker, topic, ALL, 4, 'old');
    await consumedAll(first, 24, () => true);
    await committedToEnd(fx.broker, group, topic);
    await Promise.all(first.map((m) => m.stop()));
    await until('the group to empty', () => fx.broker.groups.group(group)?.state === 'Empty');
    await produceEach(fx.broker, topic, ALL, 3, 'new');
    await fx.close();
    fx = await startGroupBroker({ dir });
    // The offsets came back from storage, not from a broker that kept them in memory.
    expect(fx.broker.groups.group(group)?.state).toBe('Empty');
    const second = await Promise.all([0, 1, 2].map(() => start({ group, topic, bootstrap: fx.bootstrap, sessionTimeoutMs })));
    const got = await consumedAll(second, 18, () => true);
    await settle(fx.broker, group, second);
    expect(got.map((c) => c.value).filter((v) => v.includes('-old-'))).toEqual([]);
    expect(got).toHaveLength(18);
    await Promise.all(second.map((m) => m.stop()));
  } finally {
    await fx.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Eight members on six partitions: two stay idle with no partitions until a member with a partition leaves. */
export async function scenarioIdle(fx: GroupBroker, family: string, start: MemberFactory, sessionTimeoutMs: number): Promise<void> {
  const { topic, group } = await freshTopic(fx.broker, family);
  const members = await Promise.all(Array.from({ length: 8 }, () => start({ group, topic, bootstrap: fx.bootstrap, sessionTimeoutMs })));
  await settle(fx.broker, group, members);
  expect(members.filter((m) => m.assigned().size === 0)).toHaveLength(2);
  expect(members.filter((m) => m.assigned().size === 1)).toHaveLength(6);
  await produceEach(fx.broker, topic, ALL, 2, 'x');
  const got = await consumedAll(members, 12, () => true);
  expect(got).toHaveLength(12);
  const idle = members.filter((m) => m.assigned().size === 0);
  for (const m of idle) expect(m.consumed).toEqual([]);
  // A member with a partition leaves: an idle one takes the partition over.
  const leaver = members.find((m) => m.assigned().size === 1)!;
  const moved = [...leaver.assigned()];
  await leaver.stop();
  const rest = members.filter((m) => m !== leaver);
  await settle(fx.broker, group, rest);
  expect(rest.filter((m) => m.assigned().size === 0)).toHaveLength(1);
  expect(idle.filter((m) => m.assigned().size === 1).length).toBeGreaterThanOrEqual(1);
  await produceEach(fx.broker, topic, moved, 2, 'after');
  expect(await consumedAll(rest, 2, (c) => c.value.includes('-after-'))).toHaveLength(2);
  await Promise.all(rest.map((m) => m.stop()));
}

// ------------------------------------------------------------ members in child processes

const children = new Set<ChildProcess>();

/** SIGKILLs every member process still running (for afterAll). */
export function killChildren(): void {
  for (const c of children) c.kill('SIGKILL');
}

/** Splits a stream into lines. */
export function onLines(stream: NodeJS.ReadableStream, handle: (line: string) => void): void {
  let rest = '';
  stream.on('data', (chunk: Buffer) => {
    rest += chunk.toString();
    const lines = rest.split('\n');
    rest = lines.pop()!;
    for (const l of lines) handle(l);
  });
}

/** Wraps a child process as a member (the caller parses its output into assignments and records). */
export function childMember(child: ChildProcess, stopSignal: NodeJS.Signals): Member & { setAssigned(p: number[]): void } {
  children.add(child);
  let assigned: ReadonlySet<number> = new Set();
  let reported = false;
  const consumed: Consumed[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  exited.then(() => children.delete(child));
  return {
    assigned: () => assigned,
    reported: () => reported,
    consumed,
    setAssigned(p: number[]) {
      assigned = new Set(p);
      reported = true;
    },
    async stop() {
      child.kill(stopSignal);
      await exited;
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Reads the JSON lines of group-consumer.py and groups-node-member.ts into a member. */
export function jsonLinesMember(child: ChildProcess): Member {
  const member = childMember(child, 'SIGTERM');
  onLines(child.stdout!, (line) => {
    const msg = JSON.parse(line) as { assigned?: number[]; p?: number; o?: number; v?: string };
    if (msg.assigned) member.setAssigned(msg.assigned);
    else member.consumed.push({ partition: msg.p!, offset: msg.o!, value: msg.v! });
  });
  return member;
}

const NODE_MEMBER = fileURLToPath(new URL('./groups-node-member.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Members of a Node client family (kafkajs or platformatic), each in its own process so it can be killed. */
export function nodeChildMembers(family: 'kafkajs' | 'platformatic'): MemberFactory {
  return async ({ group, topic, bootstrap, sessionTimeoutMs }) => {
    const args = ['--import', 'tsx', NODE_MEMBER, family, bootstrap, group, topic, String(sessionTimeoutMs)];
    return jsonLinesMember(spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] }));
  };
}

/**
 * Registers the scenarios the issue asks of every client family under one describe with
 * its own broker: exactly once, leave, resume after a broker restart, 8 on 6, and kill
 * (with `killable` members when `start`'s cannot be killed). `more` adds family-specific
 * tests on the same broker.
 */
export function groupScenarios(
  title: string,
  family: string,
  start: MemberFactory,
  options: { sessionTimeoutMs: number; killable?: MemberFactory },
  more?: (fx: () => GroupBroker) => void,
): void {
  describe(title, () => {
    let fx: GroupBroker;
    beforeAll(async () => {
      fx = await startGroupBroker();
    });
    afterAll(async () => {
      killChildren();
      await fx?.close();
    });
    const session = options.sessionTimeoutMs;
    it('3 members over 6 partitions consume every record exactly once between them', () => scenarioExactlyOnce(fx, family, start, session));
    it('a member that leaves hands its partitions to the others', () => scenarioLeave(fx, family, start, session));
    it('a member killed with SIGKILL loses its partitions after the session timeout', () => scenarioKill(fx, `${family}-kill`, options.killable ?? start, session));
    it('a restarted group resumes from its committed offsets (broker restarted too)', () => scenarioResume(family, start, session));
    it('8 members on 6 partitions leave 2 idle until a member with a partition leaves', () => scenarioIdle(fx, family, start, session));
    more?.(() => fx);
  });
}
