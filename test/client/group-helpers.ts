/** Helpers of the consumer-group tests: a broker with fast group settings, group consumers, a produce helper. */
import type { Client } from '../../core/client/client.ts';
import type { EachMessagePayload } from '../../core/client/consumer.ts';
import type { GroupConsumer, GroupConsumerOptions } from '../../core/client/group/group-consumer.ts';
import { type Harness, type Mode, harness, until } from './helpers.ts';

/** A broker whose groups form fast: small initial delay, small minimum session timeout. */
export function groupHarness(mode: Mode): Promise<Harness> {
  return harness(mode, { groups: { initialRebalanceDelayMs: 30, minSessionTimeoutMs: 100, offsetsRetentionCheckIntervalMs: 0 } });
}

/** Settings that keep group tests fast. */
export const FAST = {
  sessionTimeoutMs: 2000,
  rebalanceTimeoutMs: 3000,
  heartbeatIntervalMs: 40,
  autoCommitIntervalMs: 100,
  maxWaitMs: 50,
} as const;

/** A record as the tests see it. */
export interface Seen {
  member: number;
  topic: string;
  partition: number;
  offset: number;
  value: string;
}

const dec = new TextDecoder();

/** Creates group consumers that log every message into `seen`. */
export function groupMembers(client: Client, seen: Seen[]) {
  const members: GroupConsumer[] = [];
  return {
    members,
    /** A new member (not yet running). */
    make(options: Partial<GroupConsumerOptions> & { groupId: string }): GroupConsumer {
      const c = client.consumer({ ...FAST, ...options });
      members.push(c);
      return c;
    },
    /** The eachMessage handler of member `i`. */
    handler(i: number) {
      return async ({ topic, partition, message }: EachMessagePayload) => {
        seen.push({ member: i, topic, partition, offset: message.offset, value: dec.decode(message.value as Uint8Array) });
      };
    },
  };
}

/** Produces `count` records round-robin over `partitions` partitions; values `${prefix}-${i}`. */
export async function produce(client: Client, topic: string, partitions: number, count: number, prefix = 'v'): Promise<void> {
  const producer = client.producer();
  const messages = Array.from({ length: count }, (_, i) => ({ value: `${prefix}-${i}`, partition: i % partitions }));
  await producer.send({ topic, messages });
  await producer.close();
}

/** Waits until every member in `members` holds partitions and they cover `total` partitions without overlap. */
export async function untilBalanced(members: readonly GroupConsumer[], total: number): Promise<void> {
  await until(() => {
    const all = members.flatMap((m) => m.group().assignment.map((p) => `${p.topic}/${p.partition}`));
    return all.length === total && new Set(all).size === total && members.every((m) => m.group().generationId > 0);
  });
}

/** Duplicate (topic, partition, offset) entries in `seen`. */
export function duplicates(seen: readonly Seen[]): number {
  const keys = seen.map((s) => `${s.topic}/${s.partition}/${s.offset}`);
  return keys.length - new Set(keys).size;
}

/** Distinct values seen. */
export function distinctValues(seen: readonly Seen[]): Set<string> {
  return new Set(seen.map((s) => s.value));
}
