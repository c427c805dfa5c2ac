/**
 * The range assignor (Kafka's `range`): per topic, the members subscribed to it in member
 * order each get a contiguous range of partitions; the first `count % members` get one
 * more. Co-partitioned topics thus land on the same member.
 */
import { type AssignmentInput, type MemberAssignments, type PartitionAssignor, compareMembers, give, subscribedTopics } from './types.ts';

/** Creates the range assignor. */
export function rangeAssignor(): PartitionAssignor {
  return {
    name: 'range',
    rebalanceProtocol: 'eager',
    assign(input: AssignmentInput): MemberAssignments {
      const out: MemberAssignments = new Map();
      const members = [...input.members].sort(compareMembers);
      for (const topic of subscribedTopics(input)) {
        const count = input.partitionCounts.get(topic)!;
        const subscribers = members.filter((m) => m.topics.includes(topic));
        const per = Math.floor(count / subscribers.length);
        const extra = count % subscribers.length;
        subscribers.forEach((m, i) => {
          const start = per * i + Math.min(i, extra);
          const length = per + (i < extra ? 1 : 0);
          for (let p = start; p < start + length; p++) give(out, m.memberId, topic, p);
        });
      }
      return out;
    },
  };
}
