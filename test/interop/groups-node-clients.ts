/**
 * kafkajs 2.2.4 and @platformatic/kafka 1.35 group members as the group interop tests run
 * them (unmodified clients, short timers), written once for both ways they run: inside the
 * test process, and in a child process (groups-node-member.ts) that a test can kill.
 */
import { Consumer, stringDeserializers } from '@platformatic/kafka';
import kafkajs from 'kafkajs';
import type { Consumed, Member, MemberFactory } from './group-harness.ts';

/** Where a member sends what it sees. */
export interface MemberEvents {
  /** Every assignment it receives (partitions of the test topic, sorted; empty when idle). */
  assigned(partitions: number[]): void;
  /** Every record it consumes. */
  record(consumed: Consumed): void;
}

/** A node client family. */
export type NodeFamily = 'kafkajs' | 'platformatic';

/** What a member needs to join. */
export type MemberOptions = Parameters<MemberFactory>[0];

async function runKafkajs({ group, topic, bootstrap, sessionTimeoutMs }: MemberOptions, events: MemberEvents): Promise<() => Promise<void>> {
  const kafka = new kafkajs.Kafka({ clientId: 'kjs-group', brokers: [bootstrap], logLevel: kafkajs.logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 50, maxRetryTime: 500 } });
  const consumer = kafka.consumer({ groupId: group, sessionTimeout: sessionTimeoutMs, rebalanceTimeout: 10_000, heartbeatInterval: 200, maxWaitTimeInMs: 100 });
  consumer.on(consumer.events.GROUP_JOIN, (e) => events.assigned([...(e.payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b)));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommitThreshold: 1,
    eachMessage: async ({ partition, message }) => events.record({ partition, offset: Number(message.offset), value: message.value!.toString() }),
  });
  return () => consumer.disconnect();
}

async function runPlatformatic({ group, topic, bootstrap, sessionTimeoutMs }: MemberOptions, events: MemberEvents): Promise<() => Promise<void>> {
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
  consumer.on('consumer:group:join', (payload) => {
    events.assigned((payload.assignments ?? []).filter((a) => a.topic === topic).flatMap((a) => a.partitions).sort((a, b) => a - b));
  });
  const stream = await consumer.consume({ topics: [topic], mode: 'committed', fallbackMode: 'earliest', autocommit: 50 });
  stream.on('data', (m) => events.record({ partition: m.partition, offset: Number(m.offset), value: String(m.value) }));
  stream.on('error', () => undefined);
  return async () => {
    await stream.close();
    await consumer.close();
  };
}

/** Starts a member of `family`; resolves to the function that leaves the group cleanly. */
export function runNodeMember(family: NodeFamily, options: MemberOptions, events: MemberEvents): Promise<() => Promise<void>> {
  return family === 'kafkajs' ? runKafkajs(options, events) : runPlatformatic(options, events);
}

/** Members of `family` inside the test process. */
export function inProcessMembers(family: NodeFamily): MemberFactory {
  return async (options) => {
    let assigned: ReadonlySet<number> = new Set();
    let reported = false;
    const consumed: Consumed[] = [];
    const stop = await runNodeMember(family, options, {
      assigned: (p) => {
        assigned = new Set(p);
        reported = true;
      },
      record: (c) => consumed.push(c),
    });
    const member: Member = { assigned: () => assigned, reported: () => reported, consumed, stop };
    return member;
  };
}
