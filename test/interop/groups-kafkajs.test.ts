/** kafkajs 2.2.4 consumer groups (unmodified client) against the broker's group coordinator. */
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { type Consumed, type GroupBroker, type Member, type MemberFactory, killChildren, nodeChildMembers, scenarioExactlyOnce, scenarioIdle, scenarioKill, scenarioLeave, scenarioResume, startGroupBroker } from './group-harness.ts';

const { Kafka, logLevel } = kafkajs;
const SESSION = 3000;

let fx: GroupBroker;
beforeAll(async () => {
  fx = await startGroupBroker();
});
afterAll(async () => {
  killChildren();
  await fx?.close();
});

const startKafkajs: MemberFactory = async ({ group, topic, bootstrap, sessionTimeoutMs }) => {
  const kafka = new Kafka({ clientId: 'kjs-group', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 50, maxRetryTime: 500 } });
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
  const member: Member = {
    assigned: () => assigned,
    reported: () => reported,
    consumed,
    stop: () => consumer.disconnect(),
  };
  return member;
};

describe('kafkajs consumer groups', () => {
  it('3 members over 6 partitions consume every record exactly once between them', () => scenarioExactlyOnce(fx, 'kjs', startKafkajs, SESSION));
  it('a member that leaves hands its partitions to the others', () => scenarioLeave(fx, 'kjs', startKafkajs, SESSION));
  it('a restarted group resumes from its committed offsets', () => scenarioResume('kjs', startKafkajs, SESSION));
  it('8 members on 6 partitions leave 2 idle', () => scenarioIdle(fx, 'kjs', startKafkajs, SESSION));
  // Killing needs a process of its own: the members of this scenario run in child processes.
  it('a member killed with SIGKILL loses its partitions after the session timeout', () => scenarioKill(fx, 'kjs-kill', nodeChildMembers('kafkajs'), SESSION));
});
