/**
 * Mixed groups of our consumers and @platformatic/kafka 1.35 consumers on 'roundrobin'
 * (its default assignor and the name of ours), with either side as the leader.
 */
import { Consumer, stringDeserializers } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../../core/client/client.ts';
import { ourMember } from './client-groups-helpers.ts';
import { type Consumed, type GroupBroker, type MemberFactory, freshTopic, produceEach, scenarioExactlyOnce, scenarioLeave, settle, startGroupBroker, until } from './group-harness.ts';

const SESSION = 3000;
const clients: Client[] = [];

let fx: GroupBroker;
beforeAll(async () => {
  fx = await startGroupBroker();
});
afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await fx?.close();
});

const platformatic: MemberFactory = async ({ group, topic, bootstrap, sessionTimeoutMs }) => {
  const consumer = new Consumer({
    clientId: 'pk-mixed',
    groupId: group,
    bootstrapBrokers: [bootstrap],
    sessionTimeout: sessionTimeoutMs,
    rebalanceTimeout: 10_000,
    heartbeatInterval: 200,
    maxWaitTime: 100,
    deserializers: stringDeserializers,
    retries: 10,
    retryDelay: 100,
  });
  let assigned: ReadonlySet<number> = new Set();
  let reported = false;
  const consumed: Consumed[] = [];
  consumer.on('consumer:group:join', (payload) => {
    assigned = new Set((payload.assignments ?? []).filter((a) => a.topic === topic).flatMap((a) => a.partitions));
    reported = true;
  });
  const stream = await consumer.consume({ topics: [topic], mode: 'committed', fallbackMode: 'earliest', autocommit: 50 });
  stream.on('data', (m) => consumed.push({ partition: m.partition, offset: Number(m.offset), value: String(m.value) }));
  stream.on('error', () => undefined);
  return {
    assigned: () => assigned,
    reported: () => reported,
    consumed,
    stop: async () => {
      await stream.close();
      await consumer.close();
    },
  };
};

const ours: MemberFactory = ourMember(clients, ['roundrobin']);

function mixed(): MemberFactory {
  let n = 0;
  return (o) => (n++ % 2 === 0 ? platformatic(o) : ours(o));
}

describe('mixed groups with @platformatic/kafka 1.35 (roundrobin)', () => {
  it('3 members consume every record exactly once', () => scenarioExactlyOnce(fx, 'pk-mixed', mixed(), SESSION));
  it('a member that leaves hands its partitions to the others', () => scenarioLeave(fx, 'pk-mixed', mixed(), SESSION));

  for (const leader of ['platformatic', 'ours'] as const) {
    it(`works with the ${leader} member as the leader`, async () => {
      const { topic, group } = await freshTopic(fx.broker, `pk-lead-${leader}`);
      const [first, second] = leader === 'platformatic' ? [platformatic, ours] : [ours, platformatic];
      const a = await first({ group, topic, bootstrap: fx.bootstrap, sessionTimeoutMs: SESSION });
      await until('the first member to hold all six partitions', () => a.assigned().size === 6);
      const b = await second({ group, topic, bootstrap: fx.bootstrap, sessionTimeoutMs: SESSION });
      await until('both to hold three', () => a.assigned().size === 3 && b.assigned().size === 3);
      await settle(fx.broker, group, [a, b]);
      expect(fx.broker.groups.group(group)!.protocolName).toBe('roundrobin');
      expect(fx.broker.groups.group(group)!.leaderId!.startsWith(leader === 'ours' ? 'tributary' : 'pk-mixed')).toBe(true);
      await produceEach(fx.broker, topic, [0, 1, 2, 3, 4, 5], 5, 'm');
      await until('both to consume', () => a.consumed.length + b.consumed.length >= 30);
      expect(new Set([...a.consumed, ...b.consumed].map((c) => c.value)).size).toBe(30);
      await Promise.all([a.stop(), b.stop()]);
    });
  }
});
