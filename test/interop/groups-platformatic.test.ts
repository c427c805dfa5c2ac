/** @platformatic/kafka 1.35 consumer groups (unmodified client, Node 20) against the broker's group coordinator. */
import { Consumer, stringDeserializers } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { type Consumed, type GroupBroker, type Member, type MemberFactory, killChildren, nodeChildMembers, scenarioExactlyOnce, scenarioIdle, scenarioKill, scenarioLeave, scenarioResume, startGroupBroker } from './group-harness.ts';

const SESSION = 3000;

let fx: GroupBroker;
beforeAll(async () => {
  fx = await startGroupBroker();
});
afterAll(async () => {
  killChildren();
  await fx?.close();
});

const startPlatformatic: MemberFactory = async ({ group, topic, bootstrap, sessionTimeoutMs }) => {
  const consumer = new Consumer({
    clientId: 'pk-group',
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
  stream.on('data', (m) => {
    consumed.push({ partition: m.partition, offset: Number(m.offset), value: String(m.value) });
  });
  stream.on('error', () => undefined);
  const member: Member = {
    assigned: () => assigned,
    reported: () => reported,
    consumed,
    stop: async () => {
      await stream.close();
      await consumer.close();
    },
  };
  return member;
};

describe('@platformatic/kafka consumer groups', () => {
  it('3 members over 6 partitions consume every record exactly once between them', () => scenarioExactlyOnce(fx, 'pk', startPlatformatic, SESSION));
  it('a member that leaves hands its partitions to the others', () => scenarioLeave(fx, 'pk', startPlatformatic, SESSION));
  it('a restarted group resumes from its committed offsets', () => scenarioResume('pk', startPlatformatic, SESSION));
  it('8 members on 6 partitions leave 2 idle', () => scenarioIdle(fx, 'pk', startPlatformatic, SESSION));
  // Killing needs a process of its own: the members of this scenario run in child processes.
  it('a member killed with SIGKILL loses its partitions after the session timeout', () => scenarioKill(fx, 'pk-kill', nodeChildMembers('platformatic'), SESSION));
});
