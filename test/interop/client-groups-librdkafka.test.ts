/**
 * Mixed groups of our consumers and librdkafka 2.0 consumers (python3-confluent-kafka,
 * each member a child process) on the same assignor: cooperative-sticky — which checks
 * our incremental cooperative protocol (KIP-429: owned partitions in the subscription,
 * held-back partitions, a second round) against another implementation, with either
 * side as the leader — and range (eager).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AssignorChoice } from '../../core/client/assignors/index.ts';
import type { Client } from '../../core/client/client.ts';
import {
  type Consumed,
  type GroupBroker,

  type MemberFactory,
  freshTopic,
  produceEach,
  scenarioExactlyOnce,
  scenarioLeave,
  settle,
  startGroupBroker,
  until,
} from './group-harness.ts';
import { type TrackedMember, ourMember, resumeScenario } from './client-groups-helpers.ts';

const SESSION = 3000;
const SCRIPT = fileURLToPath(new URL('./client-groups-member.py', import.meta.url));
const children = new Set<ChildProcess>();
const clients: Client[] = [];

let fx: GroupBroker;
beforeAll(async () => {
  fx = await startGroupBroker();
});
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await Promise.allSettled(clients.map((c) => c.close()));
  await fx?.close();
});

type Tracked = TrackedMember;

function librdkafka(strategy: string): (o: Parameters<MemberFactory>[0]) => Promise<Tracked> {
  return async ({ group, topic, bootstrap, sessionTimeoutMs }) => {
    const child = spawn('/usr/bin/python3', [SCRIPT, bootstrap, group, topic, String(sessionTimeoutMs), strategy], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.add(child);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let assigned: ReadonlySet<number> = new Set();
    let reported = false;
    let lost = 0;
    const consumed: Consumed[] = [];
    const revoked: number[] = [];
    let rest = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      rest += chunk.toString();
      const lines = rest.split('\n');
      rest = lines.pop()!;
      for (const line of lines) {
        const msg = JSON.parse(line) as { assigned?: number[]; revoked?: number[]; lost?: number[]; p?: number; o?: number; v?: string };
        if (msg.assigned) {
          assigned = new Set(msg.assigned);
          reported = true;
        } else if (msg.revoked) revoked.push(...msg.revoked);
        else if (msg.lost) lost++;
        else consumed.push({ partition: msg.p!, offset: msg.o!, value: msg.v! });
      }
    });
    return {
      assigned: () => assigned,
      reported: () => reported,
      consumed,
      revoked,
      lost: () => lost,
      async stop() {
        child.kill('SIGTERM');
        await exited;
        children.delete(child);
      },
    };
  };
}

function ours(assignors: AssignorChoice[]): (o: Parameters<MemberFactory>[0]) => Promise<Tracked> {
  return ourMember(clients, assignors);
}

/** Alternates librdkafka and our members on one strategy. */
function mixed(strategy: 'cooperative-sticky' | 'range'): MemberFactory {
  let n = 0;
  const theirs = librdkafka(strategy);
  const our = ours([strategy]);
  return (o) => (n++ % 2 === 0 ? theirs(o) : our(o));
}

describe('mixed groups with librdkafka 2.0 (python3-confluent-kafka)', () => {
  it('cooperative-sticky: 3 members consume every record exactly once', () => scenarioExactlyOnce(fx, 'rdk-coop', mixed('cooperative-sticky'), SESSION));
  it('cooperative-sticky: a member that leaves hands its partitions to the others', () => scenarioLeave(fx, 'rdk-coop', mixed('cooperative-sticky'), SESSION));
  it('cooperative-sticky: a restarted group resumes from its committed offsets', () => resumeScenario(fx, 'rdk-coop', mixed('cooperative-sticky'), SESSION));
  it('range: 3 members consume every record exactly once', () => scenarioExactlyOnce(fx, 'rdk-range', mixed('range'), SESSION));

  for (const leader of ['librdkafka', 'ours'] as const) {
    it(`cooperative-sticky with ${leader} as the leader: a joining member takes half, the first member only gives up what moves`, async () => {
      const { topic, group } = await freshTopic(fx.broker, `rdk-lead-${leader}`);
      const first = leader === 'librdkafka' ? librdkafka('cooperative-sticky') : ours(['cooperative-sticky']);
      const second = leader === 'librdkafka' ? ours(['cooperative-sticky']) : librdkafka('cooperative-sticky');
      const a = await first({ group, topic, bootstrap: fx.bootstrap, sessionTimeoutMs: SESSION });
      await until('the first member to hold all six partitions', () => a.assigned().size === 6);
      const b = await second({ group, topic, bootstrap: fx.bootstrap, sessionTimeoutMs: SESSION });
      // (A state where a still holds all six and b none is "settled" too, between the two rounds.)
      await until('both to hold three', () => a.assigned().size === 3 && b.assigned().size === 3);
      await settle(fx.broker, group, [a, b]);
      expect(fx.broker.groups.group(group)!.protocolName).toBe('cooperative-sticky');
      expect(fx.broker.groups.group(group)!.leaderId!.startsWith(leader === 'ours' ? 'tributary' : 'rdkafka')).toBe(true);
      expect(a.assigned().size).toBe(3);
      expect(b.assigned().size).toBe(3);
      // Incremental: a gave up exactly the three partitions b now has, and never lost the rest.
      expect([...a.revoked].sort()).toEqual([...b.assigned()].sort());
      expect(a.lost()).toBe(0);
      await produceEach(fx.broker, topic, [0, 1, 2, 3, 4, 5], 5, 'm');
      await until('both to consume', () => a.consumed.length + b.consumed.length >= 30);
      expect(new Set([...a.consumed, ...b.consumed].map((c) => c.value)).size).toBe(30);
      await Promise.all([a.stop(), b.stop()]);
    });
  }
});
