/** The leader's part between JoinGroup and SyncGroup: subscriptions in, checked and encoded assignments out. */
import { describe, expect, it } from 'vitest';
import { type AssignorMember, type PartitionAssignor, cooperativeStickyAssignor, rangeAssignor } from '../../core/client/assignors/index.ts';
import { computeAssignments, decodeMembers, encodeAssignments } from '../../core/client/group/leader-assignment.ts';
import { decodeConsumerAssignment, encodeConsumerSubscription } from '../../core/protocol/consumer-protocol.ts';

function member(memberId: string, owned: number[], generationId = 3): AssignorMember {
  return { memberId, groupInstanceId: null, topics: ['t'], ownedPartitions: owned.map((partition) => ({ topic: 't', partition })), generationId, userData: null, rackId: null };
}

describe('leader assignment', () => {
  it('holds back, under the cooperative protocol, every partition whose owner is another member', async () => {
    // a owns all four; b just joined: sticky moves two to b, and they wait for a's revocation.
    const input = { members: [member('a', [0, 1, 2, 3]), member('b', [], -1)], partitionCounts: new Map([['t', 4]]) };
    const first = await computeAssignments(cooperativeStickyAssignor(), input);
    expect(first.heldBack).toBe(2);
    expect(first.assignments.get('a')).toHaveLength(2);
    expect(first.assignments.get('b')).toEqual([]);
    // Second round: a owns two, b none; now b gets the two a gave up.
    const kept = first.assignments.get('a')!.map((p) => p.partition);
    const second = await computeAssignments(cooperativeStickyAssignor(), { members: [member('a', kept, 4), member('b', [], 4)], partitionCounts: new Map([['t', 4]]) });
    expect(second.heldBack).toBe(0);
    expect(second.assignments.get('a')!.map((p) => p.partition)).toEqual(kept);
    expect(second.assignments.get('b')!.map((p) => p.partition).sort()).toEqual([0, 1, 2, 3].filter((p) => !kept.includes(p)));
  });

  it('never holds back under an eager assignor (members gave everything back before joining)', async () => {
    const input = { members: [member('a', [0, 1, 2, 3]), member('b', [])], partitionCounts: new Map([['t', 4]]) };
    const r = await computeAssignments(rangeAssignor(), input);
    expect(r.heldBack).toBe(0);
    expect(r.assignments.get('b')).toHaveLength(2);
  });

  it('refuses assignments to unknown members, of missing partitions, or of a partition twice', async () => {
    const input = { members: [member('a', []), member('b', [])], partitionCounts: new Map([['t', 2]]) };
    const bad = (assign: PartitionAssignor['assign']): PartitionAssignor => ({ name: 'bad', rebalanceProtocol: 'eager', assign });
    for (const assignor of [
      bad(() => new Map([['c', [{ topic: 't', partition: 0 }]]])),
      bad(() => new Map([['a', [{ topic: 't', partition: 2 }]]])),
      bad(() => new Map([['a', [{ topic: 'u', partition: 0 }]]])),
      bad(() => new Map([['a', [{ topic: 't', partition: 0 }]], ['b', [{ topic: 't', partition: 0 }]]])),
    ]) {
      await expect(computeAssignments(assignor, input)).rejects.toMatchObject({ code: 'ERR_INVALID_ASSIGNMENT' });
    }
  });

  it('decodes subscriptions (an unreadable one subscribes to nothing) and encodes one assignment per member', () => {
    const good = encodeConsumerSubscription({ version: 3, topics: ['t'], userData: null, ownedPartitions: [{ topic: 't', partitions: [1] }], generationId: 7, rackId: 'r1' });
    const unreadable: string[] = [];
    const members = decodeMembers([{ memberId: 'a', groupInstanceId: 'i', metadata: good }, { memberId: 'b', metadata: new Uint8Array([0, 1, 2]) }], (id) => unreadable.push(id));
    expect(members[0]).toEqual({ memberId: 'a', groupInstanceId: 'i', topics: ['t'], ownedPartitions: [{ topic: 't', partition: 1 }], generationId: 7, userData: null, rackId: 'r1' });
    expect(members[1]!.topics).toEqual([]);
    expect(unreadable).toEqual(['b']);
    const encoded = encodeAssignments(members, new Map([['a', [{ topic: 't', partition: 2 }, { topic: 't', partition: 0 }]]]));
    expect(encoded.map((e) => e.memberId)).toEqual(['a', 'b']);
    expect(decodeConsumerAssignment(encoded[0]!.assignment).assignedPartitions).toEqual([{ topic: 't', partitions: [0, 2] }]);
    expect(decodeConsumerAssignment(encoded[1]!.assignment).assignedPartitions).toEqual([]);
  });
});
