/**
 * What the group leader does between JoinGroup and SyncGroup: read every member's
 * subscription, run the chosen assignor, check its answer, hold back partitions that
 * change owner under the cooperative protocol (KIP-429), and encode one assignment per
 * member (an empty one for idle members, as Kafka's clients send).
 */
import { TributaryError } from '../../errors.ts';
import { decodeConsumerSubscription, encodeConsumerAssignment } from '../../protocol/consumer-protocol.ts';
import { type AssignmentInput, type AssignorMember, type MemberAssignments, type PartitionAssignor, currentOwners, partitionKey } from '../assignors/types.ts';
import type { TopicPartition } from '../consumer.ts';

/** A member as the JoinGroup answer lists it. */
export interface JoinedMember {
  readonly memberId: string;
  readonly groupInstanceId?: string | null;
  readonly metadata: Uint8Array;
}

/** Partitions grouped per topic, both sorted (the assignment and ownedPartitions layout). */
export function groupByTopic(partitions: Iterable<TopicPartition>): Array<{ topic: string; partitions: number[] }> {
  const map = new Map<string, number[]>();
  for (const p of partitions) {
    let list = map.get(p.topic);
    if (!list) map.set(p.topic, (list = []));
    list.push(p.partition);
  }
  return [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([topic, ps]) => ({ topic, partitions: ps.sort((x, y) => x - y) }));
}

/**
 * Decodes the members' subscriptions. A member whose bytes do not parse subscribes to
 * nothing (and is reported through `onUnreadable`) rather than stopping the whole group.
 */
export function decodeMembers(joined: readonly JoinedMember[], onUnreadable: (memberId: string, error: unknown) => void): AssignorMember[] {
  return joined.map((m) => {
    const groupInstanceId = m.groupInstanceId ?? null;
    try {
      const s = decodeConsumerSubscription(m.metadata);
      const ownedPartitions = (s.ownedPartitions ?? []).flatMap((o) => o.partitions.map((partition) => ({ topic: o.topic, partition })));
      return { memberId: m.memberId, groupInstanceId, topics: s.topics, ownedPartitions, generationId: s.generationId ?? -1, userData: s.userData, rackId: s.rackId ?? null };
    } catch (error) {
      onUnreadable(m.memberId, error);
      return { memberId: m.memberId, groupInstanceId, topics: [], ownedPartitions: [], generationId: -1, userData: null, rackId: null };
    }
  });
}

/**
 * Runs `assignor` and checks the answer: `ERR_INVALID_ASSIGNMENT` for unknown members,
 * partitions that do not exist and partitions given twice. For a cooperative assignor, a
 * partition whose current owner is another member is given to nobody this round: the
 * owner revokes it on seeing its new assignment and rejoins, and the next round hands it
 * over — so no partition is ever consumed by two members at once. Returns the result and
 * how many partitions were held back.
 */
export async function computeAssignments(assignor: PartitionAssignor, input: AssignmentInput): Promise<{ assignments: MemberAssignments; heldBack: number }> {
  const result = await assignor.assign(input);
  const known = new Set(input.members.map((m) => m.memberId));
  const given = new Set<string>();
  for (const [memberId, list] of result) {
    if (!known.has(memberId)) throw new TributaryError('ERR_INVALID_ASSIGNMENT', `Assignor ${assignor.name} assigned partitions to unknown member ${memberId}`);
    for (const tp of list) {
      const count = input.partitionCounts.get(tp.topic);
      if (count === undefined || !Number.isInteger(tp.partition) || tp.partition < 0 || tp.partition >= count) {
        throw new TributaryError('ERR_INVALID_ASSIGNMENT', `Assignor ${assignor.name} assigned ${tp.topic}-${tp.partition}, which does not exist`);
      }
      const k = partitionKey(tp.topic, tp.partition);
      if (given.has(k)) throw new TributaryError('ERR_INVALID_ASSIGNMENT', `Assignor ${assignor.name} assigned ${tp.topic}-${tp.partition} twice`);
      given.add(k);
    }
  }
  let heldBack = 0;
  if (assignor.rebalanceProtocol === 'cooperative') {
    const owners = currentOwners(input);
    for (const [memberId, list] of result) {
      const kept = list.filter((tp) => {
        const owner = owners.get(partitionKey(tp.topic, tp.partition));
        return owner === undefined || owner === memberId;
      });
      heldBack += list.length - kept.length;
      result.set(memberId, kept);
    }
  }
  return { assignments: result, heldBack };
}

/** One encoded assignment per member, in the members' order. */
export function encodeAssignments(members: readonly AssignorMember[], assignments: MemberAssignments): Array<{ memberId: string; assignment: Uint8Array }> {
  return members.map((m) => ({
    memberId: m.memberId,
    assignment: encodeConsumerAssignment({ version: 0, assignedPartitions: groupByTopic(assignments.get(m.memberId) ?? []), userData: null }),
  }));
}
