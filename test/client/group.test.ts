/**
 * Consumer groups of our client against our broker, in-process and over TCP: every record
 * once between the members, partitions moving when a member leaves, idle members beyond the
 * partition count, resuming from committed offsets — for each built-in assignor.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AssignorChoice } from '../../core/client/assignors/index.ts';
import { type Harness, type Mode, until } from './helpers.ts';
import { type Seen, distinctValues, duplicates, groupHarness, groupMembers, produce, untilBalanced } from './group-helpers.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function setup(mode: Mode, topic: string, partitions = 6) {
  h = await groupHarness(mode);
  const client = h.client();
  await client.admin().createTopics({ topics: [{ topic, numPartitions: partitions }] });
  return client;
}

const modes: Mode[] = ['in-process', 'tcp'];
const assignors: AssignorChoice[] = ['cooperative-sticky', 'range', 'roundrobin'];

describe.each(modes)('%s', (mode) => {
  describe.each(assignors)('%s', (assignor) => {
    it('3 members over 6 partitions: 2 each, every record exactly once; a leaving member\'s partitions move without loss', async () => {
      const client = await setup(mode, 't');
      const seen: Seen[] = [];
      const g = groupMembers(client, seen);
      const members = [0, 1, 2].map(() => g.make({ groupId: 'g', partitionAssigners: [assignor] }));
      for (const m of members) await m.subscribe({ topics: ['t'], fromBeginning: true });
      await Promise.all(members.map((m, i) => m.run({ eachMessage: g.handler(i) })));
      await untilBalanced(members, 6);
      for (const m of members) expect(m.group().assignment).toHaveLength(2);
      expect(new Set(members.map((m) => m.group().generationId)).size).toBe(1);
      expect(members.filter((m) => m.group().isLeader)).toHaveLength(1);

      await produce(client, 't', 6, 600, 'a');
      await until(() => seen.length >= 600);
      expect(distinctValues(seen).size).toBe(600);
      expect(duplicates(seen)).toBe(0);
      // Each member read only its own partitions.
      for (const [i, m] of members.entries()) {
        const mine = new Set(m.group().assignment.map((p) => p.partition));
        expect(seen.filter((s) => s.member === i).every((s) => mine.has(s.partition))).toBe(true);
      }

      // Member 2 leaves cleanly (commits, LeaveGroup): the other two take its partitions.
      const moved = members[2]!.group().assignment.map((p) => p.partition);
      const kept = members.slice(0, 2).map((m) => m.group().assignment.map((p) => p.partition));
      await members[2]!.stop();
      await untilBalanced(members.slice(0, 2), 6);
      for (const m of members.slice(0, 2)) expect(m.group().assignment).toHaveLength(3);
      if (assignor === 'cooperative-sticky') {
        // Sticky: nobody lost a partition it had.
        members.slice(0, 2).forEach((m, i) => {
          const now = m.group().assignment.map((p) => p.partition);
          for (const p of kept[i]!) expect(now).toContain(p);
        });
      }
      await produce(client, 't', 6, 600, 'b');
      await until(() => distinctValues(seen).size >= 1200);
      // The moved partitions' records of round b went to the remaining members.
      const roundB = seen.filter((s) => s.value.startsWith('b-'));
      expect(roundB.filter((s) => moved.includes(s.partition)).every((s) => s.member !== 2)).toBe(true);
      // The leaver committed on its way out: nothing of round a is read again.
      expect(duplicates(seen)).toBe(0);
    });
  });

  it('8 members on 6 partitions: 2 stay idle until an assigned member leaves', async () => {
    const client = await setup(mode, 't8');
    const seen: Seen[] = [];
    const g = groupMembers(client, seen);
    const members = Array.from({ length: 8 }, () => g.make({ groupId: 'g8' }));
    for (const m of members) await m.subscribe({ topics: ['t8'], fromBeginning: true });
    await Promise.all(members.map((m, i) => m.run({ eachMessage: g.handler(i) })));
    await untilBalanced(members.filter((m) => m.group().assignment.length > 0), 6);
    await until(() => members.every((m) => m.group().assignment.length <= 1));
    const idle = members.filter((m) => m.group().assignment.length === 0);
    expect(idle).toHaveLength(2);
    const busy = members.find((m) => m.group().assignment.length === 1)!;
    await busy.stop();
    const rest = members.filter((m) => m !== busy);
    await until(() => rest.filter((m) => m.group().assignment.length === 1).length === 6);
    expect(idle.filter((m) => m.group().assignment.length === 1)).toHaveLength(1);
    await produce(client, 't8', 6, 60);
    await until(() => seen.length >= 60);
    expect(distinctValues(seen).size).toBe(60);
  });

  it('a restarted group resumes from its committed offsets', async () => {
    const client = await setup(mode, 'tr', 4);
    await produce(client, 'tr', 4, 200, 'a');
    const seen: Seen[] = [];
    const g = groupMembers(client, seen);
    const first = [0, 1].map(() => g.make({ groupId: 'gr' }));
    for (const m of first) await m.subscribe({ topics: ['tr'], fromBeginning: true });
    await Promise.all(first.map((m, i) => m.run({ eachMessage: g.handler(i) })));
    await until(() => seen.length >= 200);
    await Promise.all(first.map((m) => m.stop()));
    expect(duplicates(seen)).toBe(0);

    await produce(client, 'tr', 4, 100, 'b');
    const second = [0, 1].map(() => g.make({ groupId: 'gr' }));
    const before = seen.length;
    for (const m of second) await m.subscribe({ topics: ['tr'], fromBeginning: true });
    await Promise.all(second.map((m, i) => m.run({ eachMessage: g.handler(10 + i) })));
    // A group restarted from the beginning would hand over the a- records (lower offsets) first.
    await until(() => seen.length >= before + 100);
    await Promise.all(second.map((m) => m.stop()));
    const after = seen.slice(before);
    expect(after.every((s) => s.value.startsWith('b-'))).toBe(true);
    expect(after).toHaveLength(100);
  });
});
