/**
 * Consumer groups — how a group shares a topic's partitions among its members.
 *
 * Every partition goes to exactly one member of the group, so members split the work and
 * each record is processed once by the group. When members join or leave, the group
 * rebalances: the coordinator (in the broker) collects the members, one of them (the
 * leader) computes the assignment with an assignor, and everyone gets their share.
 *
 * 1. 3 members, 6 partitions: 2 partitions each.
 * 2. 5 more join (8 members): only 6 can have a partition, so 2 stay idle — more members
 *    than partitions buys standby capacity, not throughput.
 * 3. A member with a partition leaves: its partition moves to an idle member. With the
 *    default cooperative-sticky assignor nobody else's partitions move.
 *
 * Run: npm run example -- consumer-groups
 */
import { createBroker, type GroupConsumer } from '../mod.ts';
import { isMain } from './shared/is-main.ts';
import type { Log } from './shared/log.ts';
import { waitFor } from './shared/wait.ts';

const TOPIC = 'orders';
const PARTITIONS = 6;

/** A snapshot: member name → partitions. */
export type Assignment = Record<string, number[]>;

/** What the example found, for its test. */
export interface ConsumerGroupsResult {
  readonly withThree: Assignment;
  readonly withEight: Assignment;
  readonly afterLeave: Assignment;
  /** The member that left, and the partitions it had. */
  readonly left: { readonly name: string; readonly partitions: number[] };
  /** Records produced, and how many times each was processed in all (1 = exactly once). */
  readonly produced: number;
  readonly processed: number;
  readonly distinctProcessed: number;
}

/** Runs the example, printing through `log`. */
export async function main(log: Log = console.log): Promise<ConsumerGroupsResult> {
  // Group settings for a quick demo; Kafka's defaults wait seconds on purpose (the
  // initial rebalance delay lets a whole fleet of consumers join before assigning).
  const broker = await createBroker({ groups: { initialRebalanceDelayMs: 50, minSessionTimeoutMs: 100 } });
  const client = broker.client({ serializers: { value: 'string' } });
  const members = new Map<string, GroupConsumer>();
  const processed: string[] = [];
  try {
    await client.admin().createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] });
    const producer = client.producer();
    let produced = 0;
    const produce = async (count: number) => {
      const messages = Array.from({ length: count }, (_, i) => ({ value: `order-${produced + i}`, partition: (produced + i) % PARTITIONS }));
      produced += count;
      await producer.send({ topic: TOPIC, messages });
    };

    const join = async (name: string) => {
      const member = client.consumer({ groupId: 'order-processors', sessionTimeoutMs: 5000, heartbeatIntervalMs: 50, autoCommitIntervalMs: 100, maxWaitMs: 50 });
      members.set(name, member);
      await member.subscribe({ topics: [TOPIC], fromBeginning: true });
      // run() returns once the member has joined and has its first assignment.
      await member.run({ eachMessage: ({ message }) => void processed.push(message.value as string) });
    };
    const snapshot = (): Assignment =>
      Object.fromEntries([...members].map(([name, m]) => [name, m.group().assignment.map((p) => p.partition).sort((a, b) => a - b)]));
    const assigned = () => Object.values(snapshot()).flat();
    // Settled: every partition has exactly one owner, and all members are in the same generation.
    const settled = () => {
      const all = assigned();
      return all.length === PARTITIONS && new Set(all).size === PARTITIONS && new Set([...members.values()].map((m) => m.group().generationId)).size === 1;
    };
    const show = (title: string, a: Assignment) => {
      log(title);
      for (const [name, partitions] of Object.entries(a)) log(`  ${name}: ${partitions.length === 0 ? '(idle)' : `partitions ${partitions.join(', ')}`}`);
    };

    await produce(60);
    log(`Topic "${TOPIC}": ${PARTITIONS} partitions, 60 records. Group "order-processors":`);
    log('');

    // --- 1. three members ------------------------------------------------------------------
    await Promise.all(['member-1', 'member-2', 'member-3'].map(join));
    await waitFor(() => settled() && Object.values(snapshot()).every((p) => p.length === 2), '3 members with 2 partitions each');
    const withThree = snapshot();
    show('1. Three members:', withThree);
    await waitFor(() => processed.length >= 60, 'the first 60 records');
    log(`   …and together they processed ${processed.length} records, each once.`);

    // --- 2. eight members -------------------------------------------------------------------
    log('');
    await Promise.all(['member-4', 'member-5', 'member-6', 'member-7', 'member-8'].map(join));
    await waitFor(() => settled() && Object.values(snapshot()).every((p) => p.length <= 1), '8 members with at most 1 partition each');
    const withEight = snapshot();
    show('2. Five more join — 8 members for 6 partitions:', withEight);
    log(`   ${Object.values(withEight).filter((p) => p.length === 0).length} members are idle: a partition is never split between members.`);

    // --- 3. one leaves ------------------------------------------------------------------------
    log('');
    const [leaver, leaverPartitions] = Object.entries(withEight).find(([, p]) => p.length > 0)!;
    // stop() commits what it processed, then leaves the group (LeaveGroup): a rebalance
    // starts at once, without waiting for the session timeout.
    await members.get(leaver)!.stop();
    members.delete(leaver);
    await waitFor(() => settled(), `the group to rebalance after ${leaver} left`);
    const afterLeave = snapshot();
    const heir = Object.entries(afterLeave).find(([, p]) => leaverPartitions.every((x) => p.includes(x)))?.[0];
    show(`3. ${leaver} leaves; its partition ${leaverPartitions.join(', ')} moves to ${heir}:`, afterLeave);
    const unmoved = Object.entries(withEight).filter(([name, p]) => name !== leaver && p.length > 0 && afterLeave[name]!.join() === p.join()).length;
    log(`   ${unmoved} of the 5 other busy members kept exactly the partition they had (cooperative-sticky).`);

    await produce(60);
    await waitFor(() => processed.length >= 120, 'the next 60 records');
    log('');
    log(`60 more records: processed by the new line-up. ${produced} produced, ${processed.length} processed, ${new Set(processed).size} distinct.`);
    return { withThree, withEight, afterLeave, left: { name: leaver, partitions: leaverPartitions }, produced, processed: processed.length, distinctProcessed: new Set(processed).size };
  } finally {
    await Promise.all([...members.values()].map((m) => m.stop()));
    await client.close();
    await broker.close();
  }
}

if (isMain(import.meta.url)) await main();
