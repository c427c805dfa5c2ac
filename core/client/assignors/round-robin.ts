/**
 * The round-robin assignor (Kafka's `roundrobin`): every subscribed partition, in topic
 * then partition order, goes to the next member in member order that subscribes to its
 * topic. It also answers to kafkajs's protocol name 'RoundRobinAssigner', so our members
 * and kafkajs members can share a group.
 */
import { type AssignmentInput, type MemberAssignments, type PartitionAssignor, compareMembers, give, subscribedTopics } from './types.ts';

/** Creates the round-robin assignor. */
export function roundRobinAssignor(): PartitionAssignor {
  return {
    name: 'roundrobin',
    aliases: ['RoundRobinAssigner'],
    rebalanceProtocol: 'eager',
    assign(input: AssignmentInput): MemberAssignments {
      const out: MemberAssignments = new Map();
      const members = [...input.members].sort(compareMembers);
      if (members.length === 0) return out;
      let next = 0;
      for (const topic of subscribedTopics(input)) {
        const count = input.partitionCounts.get(topic)!;
        for (let p = 0; p < count; p++) {
          // Some member subscribes to this topic (it is in subscribedTopics), so the search ends.
          for (let tries = 0; tries < members.length; tries++) {
            const m = members[next]!;
            next = (next + 1) % members.length;
            if (m.topics.includes(topic)) {
              give(out, m.memberId, topic, p);
              break;
            }
          }
        }
      }
      return out;
    },
  };
}
