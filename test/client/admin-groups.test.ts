/** The admin's group operations against our broker, in-process and over TCP. */
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, type Mode, until } from './helpers.ts';
import { type Seen, groupHarness, groupMembers, produce, untilBalanced } from './group-helpers.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe.each(['in-process', 'tcp'] as Mode[])('%s', (mode) => {
  it('lists, describes, reports offsets with lag, resets only empty groups, deletes', async () => {
    h = await groupHarness(mode);
    const client = h.client();
    const admin = client.admin();
    await admin.createTopics({ topics: [{ topic: 'ta', numPartitions: 2 }] });
    const base = 1_700_000_000_000;
    const producer = client.producer();
    // 20 per partition, timestamps base + offset·1000.
    await producer.send({ topic: 'ta', messages: Array.from({ length: 40 }, (_, i) => ({ value: `v${i}`, partition: i % 2, timestamp: base + Math.floor(i / 2) * 1000 })) });
    await producer.close();

    const seen: Seen[] = [];
    const g = groupMembers(client, seen);
    const members = [g.make({ groupId: 'ga' }), g.make({ groupId: 'ga' })];
    for (const m of members) await m.subscribe({ topics: ['ta'], fromBeginning: true });
    await Promise.all(members.map((m, i) => m.run({ eachMessage: g.handler(i) })));
    await untilBalanced(members, 2);
    await until(() => seen.length >= 40);

    const { groups } = await admin.listGroups();
    expect(groups).toContainEqual({ groupId: 'ga', protocolType: 'consumer', state: 'Stable' });
    const [d] = (await admin.describeGroups(['ga'])).groups;
    expect(d).toMatchObject({ groupId: 'ga', state: 'Stable', protocolType: 'consumer', protocol: 'cooperative-sticky', errorCode: 0 });
    expect(d!.members).toHaveLength(2);
    expect(d!.members.map((m) => m.memberId).sort()).toEqual(members.map((m) => m.group().memberId).sort());
    for (const m of d!.members) {
      expect(m.topics).toEqual(['ta']);
      expect(m.assignment).toHaveLength(1);
      expect(m.clientId).toBe('tributary');
    }
    expect(d!.members.flatMap((m) => m.assignment.map((p) => p.partition)).sort()).toEqual([0, 1]);
    expect((await admin.describeGroups(['nobody'])).groups[0]).toMatchObject({ groupId: 'nobody', state: 'Dead', members: [] });

    // Active groups are neither reset nor deleted.
    await expect(admin.resetOffsets({ groupId: 'ga', topic: 'ta', earliest: true })).rejects.toMatchObject({ code: 'NON_EMPTY_GROUP' });
    await expect(admin.deleteGroups(['ga'])).rejects.toMatchObject({ code: 'NON_EMPTY_GROUP' });

    await Promise.all(members.map((m) => m.stop()));
    await produce(client, 'ta', 2, 10, 'late');
    const lag = await admin.fetchOffsets({ groupId: 'ga', topics: ['ta'] });
    expect(lag).toEqual([{ topic: 'ta', partitions: [
      { partition: 0, offset: 20, metadata: '', high: 25, lag: 5 },
      { partition: 1, offset: 20, metadata: '', high: 25, lag: 5 },
    ] }]);
    expect(await admin.fetchOffsets({ groupId: 'ga' })).toEqual(lag);
    expect((await admin.describeGroups(['ga'])).groups[0]!.state).toBe('Empty');

    expect(await admin.resetOffsets({ groupId: 'ga', topic: 'ta', earliest: true })).toEqual([{ partition: 0, offset: 0 }, { partition: 1, offset: 0 }]);
    expect((await admin.fetchOffsets({ groupId: 'ga', topics: ['ta'] }))[0]!.partitions.map((p) => p.lag)).toEqual([25, 25]);
    expect(await admin.resetOffsets({ groupId: 'ga', topic: 'ta', to: 'latest' })).toEqual([{ partition: 0, offset: 25 }, { partition: 1, offset: 25 }]);
    expect(await admin.resetOffsets({ groupId: 'ga', topic: 'ta', timestamp: base + 7500, partitions: [1] })).toEqual([{ partition: 1, offset: 8 }]);
    await admin.setOffsets({ groupId: 'ga', topic: 'ta', partitions: [{ partition: 0, offset: 17 }] });
    expect((await admin.fetchOffsets({ groupId: 'ga', topics: ['ta'] }))[0]!.partitions.map((p) => p.offset)).toEqual([17, 8]);

    // A member started now begins where the admin put the group.
    const again = g.make({ groupId: 'ga' });
    const before = seen.length;
    await again.subscribe({ topics: ['ta'] });
    await again.run({ eachMessage: g.handler(5) });
    await until(() => seen.length >= before + (25 - 17) + (25 - 8));
    const fresh = seen.slice(before);
    expect(Math.min(...fresh.filter((s) => s.partition === 0).map((s) => s.offset))).toBe(17);
    expect(Math.min(...fresh.filter((s) => s.partition === 1).map((s) => s.offset))).toBe(8);
    await again.stop();

    await expect(admin.deleteGroups(['missing'])).rejects.toMatchObject({ code: 'GROUP_ID_NOT_FOUND' });
    expect(await admin.deleteGroups(['ga'])).toEqual([{ groupId: 'ga', errorCode: 0 }]);
    expect((await admin.listGroups()).groups.map((x) => x.groupId)).not.toContain('ga');
    expect(await admin.fetchOffsets({ groupId: 'ga' })).toEqual([]);
    await expect(admin.resetOffsets({ groupId: 'ga', topic: 'ta', timestamp: -5 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });
});
