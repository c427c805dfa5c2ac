/**
 * Our group consumer with real peers over TCP: the shared group scenarios with our members,
 * our producer → a kafkajs 2.2.4 consumer group, kafkajs producer → our consumer group,
 * and mixed groups of kafkajs and our members (round-robin, which kafkajs names
 * 'RoundRobinAssigner' and our round-robin assignor also answers to).
 */
import kafkajs from 'kafkajs';
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
  scenarioIdle,
  scenarioLeave,
  settle,
  startGroupBroker,
  until,
} from './group-harness.ts';
import { ourClient, ourMember, resumeScenario } from './client-groups-helpers.ts';

const { Kafka, logLevel } = kafkajs;
const SESSION = 3000;

let fx: GroupBroker;
const clients: Client[] = [];
beforeAll(async () => {
  fx = await startGroupBroker();
});
afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await fx?.close();
});

/** Our group consumer as a scenario member (its own client, as another process would be). */
function ours(assignors: AssignorChoice[] = ['cooperative-sticky']): MemberFactory {
  return ourMember(clients, assignors);
}

/** A kafkajs consumer as a scenario member (its default assigner: RoundRobinAssigner). */
const kafkajsMember: MemberFactory = async ({ group, topic, bootstrap, sessionTimeoutMs }) => {
  const kafka = new Kafka({ clientId: 'kjs-mixed', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 50, maxRetryTime: 500 } });
  const consumer = kafka.consumer({ groupId: group, sessionTimeout: sessionTimeoutMs, rebalanceTimeout: 10_000, heartbeatInterval: 200, maxWaitTimeInMs: 100 });
  let assigned: ReadonlySet<number> = new Set();
  let reported = false;
  const consumed: Consumed[] = [];
  consumer.on(consumer.events.GROUP_JOIN, (e: any) => {
    assigned = new Set<number>(e.payload.memberAssignment[topic] ?? []);
    reported = true;
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommitThreshold: 1,
    eachMessage: async ({ partition, message }) => {
      consumed.push({ partition, offset: Number(message.offset), value: message.value!.toString() });
    },
  });
  return { assigned: () => assigned, reported: () => reported, consumed, stop: () => consumer.disconnect() };
};

/** Alternates kafkajs and our members (ours offering round-robin). */
function mixed(): MemberFactory {
  let n = 0;
  const our = ours(['roundrobin']);
  return (options) => (n++ % 2 === 0 ? kafkajsMember(options) : our(options));
}

describe('our group consumer in the shared scenarios', () => {
  it('3 members over 6 partitions consume every record exactly once', () => scenarioExactlyOnce(fx, 'ours', ours(), SESSION));
  it('a member that leaves hands its partitions to the others', () => scenarioLeave(fx, 'ours', ours(['range']), SESSION));
  it('a restarted group resumes from its committed offsets', () => resumeScenario(fx, 'ours', ours(), SESSION));
  it('8 members on 6 partitions leave 2 idle', () => scenarioIdle(fx, 'ours', ours(['roundrobin']), SESSION));
});

describe('with kafkajs 2.2.4', () => {
  it('our producer → a kafkajs consumer group', async () => {
    const { topic, group } = await freshTopic(fx.broker, 'to-kjs');
    const members = await Promise.all([0, 1].map(() => kafkajsMember({ group, topic, bootstrap: fx.bootstrap, sessionTimeoutMs: SESSION })));
    await settle(fx.broker, group, members);
    const producer = ourClient(fx.bootstrap, clients).producer();
    await producer.send({ topic, messages: Array.from({ length: 120 }, (_, i) => ({ key: `k${i}`, value: `ours-${i}` })) });
    await producer.close();
    await until('kafkajs to consume everything', () => members.reduce((n, m) => n + m.consumed.length, 0) >= 120);
    const values = members.flatMap((m) => m.consumed.map((c) => c.value));
    expect(new Set(values).size).toBe(120);
    expect(values).toHaveLength(120);
    await Promise.all(members.map((m) => m.stop()));
  });

  it('kafkajs producer → our consumer group', async () => {
    const { topic, group } = await freshTopic(fx.broker, 'from-kjs');
    const start = ours();
    const members = await Promise.all([0, 1, 2].map(() => start({ group, topic, bootstrap: fx.bootstrap, sessionTimeoutMs: SESSION })));
    await settle(fx.broker, group, members);
    const kafka = new Kafka({ clientId: 'kjs-producer', brokers: [fx.bootstrap], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: Array.from({ length: 120 }, (_, i) => ({ key: `k${i}`, value: `kjs-${i}` })) });
    await producer.disconnect();
    await until('our group to consume everything', () => members.reduce((n, m) => n + m.consumed.length, 0) >= 120);
    const values = members.flatMap((m) => m.consumed.map((c) => c.value));
    expect(new Set(values).size).toBe(120);
    expect(values).toHaveLength(120);
    await Promise.all(members.map((m) => m.stop()));
  });
});

describe('mixed groups: kafkajs and our members', () => {
  it('3 members (kafkajs, ours, kafkajs) consume every record exactly once on RoundRobinAssigner', async () => {
    const members = await scenarioExactlyOnce(fx, 'mixed', mixed(), SESSION);
    expect(members).toHaveLength(3);
  });
  it('a member that leaves hands its partitions to the others', () => scenarioLeave(fx, 'mixed', mixed(), SESSION));
  it('a restarted mixed group resumes from its committed offsets', () => resumeScenario(fx, 'mixed', mixed(), SESSION));

  for (const leader of ['kafkajs', 'ours'] as const) {
    it(`works with the ${leader} member as the leader`, async () => {
      const { topic, group } = await freshTopic(fx.broker, `lead-${leader}`);
      const first = leader === 'kafkajs' ? kafkajsMember : ours(['roundrobin']);
      const second = leader === 'kafkajs' ? ours(['roundrobin']) : kafkajsMember;
      const a = await first({ group, topic, bootstrap: fx.bootstrap, sessionTimeoutMs: SESSION });
      await until('the first member to be assigned', () => a.assigned().size === 6);
      const b = await second({ group, topic, bootstrap: fx.bootstrap, sessionTimeoutMs: SESSION });
      await settle(fx.broker, group, [a, b]);
      const g = fx.broker.groups.group(group)!;
      expect(g.protocolName).toBe('RoundRobinAssigner');
      expect(g.leaderId!.startsWith(leader === 'kafkajs' ? 'kjs-mixed' : 'tributary')).toBe(true);
      expect(a.assigned().size).toBe(3);
      expect(b.assigned().size).toBe(3);
      await produceEach(fx.broker, topic, [0, 1, 2, 3, 4, 5], 5, 'm');
      await until('both to consume', () => a.consumed.length + b.consumed.length >= 30);
      expect(new Set([...a.consumed, ...b.consumed].map((c) => c.value)).size).toBe(30);
      await Promise.all([a.stop(), b.stop()]);
    });
  }
});
