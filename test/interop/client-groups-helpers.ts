/**
 * Helpers of our group interop tests on top of group-harness.ts: our group consumer as a
 * scenario member, and a resume scenario on the running broker (restart of the group, not
 * of the broker).
 */
import { expect } from 'vitest';
import { tcpTransport } from '../../adapters/transport/index.ts';
import type { AssignorChoice } from '../../core/client/assignors/index.ts';
import { type Client, createClient } from '../../core/client/client.ts';
import { fullRegistry } from '../client/helpers.ts';
import { type Consumed, type GroupBroker, type Member, type MemberFactory, committedToEnd, freshTopic, produceEach, settle, until } from './group-harness.ts';

/** A member that also reports what it was told to give back. */
export interface TrackedMember extends Member {
  /** Every partition the member was ever told to give back. */
  readonly revoked: number[];
  /** How often it lost its partitions without giving them back. */
  readonly lost: () => number;
}

const dec = new TextDecoder();

/** A client of ours over TCP with patient retries; pushed onto `clients` so the test closes it. */
export function ourClient(bootstrap: string, clients: Client[]): Client {
  const client = createClient({ brokers: [bootstrap], transport: tcpTransport(), registry: fullRegistry(), retry: { retries: 10, initialRetryTime: 50, maxRetryTime: 500 } });
  clients.push(client);
  return client;
}

/** Our group consumer as a scenario member, on its own client (as another process would be). */
export function ourMember(clients: Client[], assignors: readonly AssignorChoice[]): (o: Parameters<MemberFactory>[0]) => Promise<TrackedMember> {
  return async ({ group, topic, bootstrap, sessionTimeoutMs }) => {
    const consumer = ourClient(bootstrap, clients).consumer({ groupId: group, sessionTimeoutMs, rebalanceTimeoutMs: 10_000, heartbeatIntervalMs: 200, autoCommitIntervalMs: 100, maxWaitMs: 100, partitionAssigners: assignors });
    let reported = false;
    let lost = 0;
    const revoked: number[] = [];
    consumer.on('group.join', () => (reported = true));
    consumer.on('partitions.revoked', ({ partitions }) => revoked.push(...partitions.map((p: { partition: number }) => p.partition)));
    consumer.on('partitions.lost', () => lost++);
    const consumed: Consumed[] = [];
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        consumed.push({ partition, offset: message.offset, value: dec.decode(message.value as Uint8Array) });
      },
    });
    return {
      assigned: () => new Set(consumer.group().assignment.filter((p) => p.topic === topic).map((p) => p.partition)),
      reported: () => reported,
      consumed,
      revoked,
      lost: () => lost,
      stop: () => consumer.stop(),
    };
  };
}

const ALL = [0, 1, 2, 3, 4, 5];

async function consumed(members: readonly Member[], expected: number): Promise<string[]> {
  await until(`${expected} records consumed`, () => new Set(members.flatMap((m) => m.consumed.map((c) => `${c.partition}:${c.offset}`))).size >= expected);
  return members.flatMap((m) => m.consumed.map((c) => c.value));
}

/** Three members consume and commit, stop; three new members read only what came after. */
export async function resumeScenario(fx: GroupBroker, family: string, start: MemberFactory, sessionTimeoutMs: number): Promise<void> {
  const { topic, group } = await freshTopic(fx.broker, family);
  const first = await Promise.all([0, 1, 2].map(() => start({ group, topic, bootstrap: fx.bootstrap, sessionTimeoutMs })));
  await settle(fx.broker, group, first);
  await produceEach(fx.broker, topic, ALL, 4, 'old');
  await consumed(first, 24);
  await committedToEnd(fx.broker, group, topic);
  await Promise.all(first.map((m) => m.stop()));
  await until('the group to empty', () => fx.broker.groups.group(group)?.state === 'Empty');
  await produceEach(fx.broker, topic, ALL, 3, 'new');
  const second = await Promise.all([0, 1, 2].map(() => start({ group, topic, bootstrap: fx.bootstrap, sessionTimeoutMs })));
  const got = await consumed(second, 18);
  await settle(fx.broker, group, second);
  expect(got.filter((v) => v.includes('-old-'))).toEqual([]);
  expect(got).toHaveLength(18);
  await Promise.all(second.map((m) => m.stop()));
}
