/**
 * The assignor extension point: the group leader hands every member's subscription and
 * the partition counts of the subscribed topics to an assignor, which decides who
 * consumes what. Assignors are plain objects (`{ name, rebalanceProtocol, assign }`);
 * the name is the protocol name members vote on in JoinGroup, so a custom assignor
 * interoperates with any client that implements the same name.
 */
import type { TopicPartition } from '../consumer.ts';

/** One member as the leader sees it in the JoinGroup answer. */
export interface AssignorMember {
  readonly memberId: string;
  /** Static membership id (KIP-345), or null. */
  readonly groupInstanceId: string | null;
  /** Topics the member subscribes to. */
  readonly topics: readonly string[];
  /** Partitions the member consumes now (subscription v1+; empty for eager members and old clients). */
  readonly ownedPartitions: readonly TopicPartition[];
  /** Generation of `ownedPartitions` (subscription v2+), -1 when unknown. */
  readonly generationId: number;
  /** The assignor-specific bytes of the subscription. */
  readonly userData: Uint8Array | null;
  readonly rackId: string | null;
}

/** What an assignor gets. */
export interface AssignmentInput {
  /** Every member of the new generation. */
  readonly members: readonly AssignorMember[];
  /** Partition count of every subscribed topic that exists (topics without metadata are absent). */
  readonly partitionCounts: ReadonlyMap<string, number>;
}

/** Member id → the partitions it gets (members absent from the map get nothing). */
export type MemberAssignments = Map<string, TopicPartition[]>;

/**
 * A partition assignor. `rebalanceProtocol: 'cooperative'` means the assignor may be used
 * with incremental cooperative rebalancing (KIP-429): members keep their partitions
 * during a rebalance and only what moves is revoked, in a second round.
 */
export interface PartitionAssignor {
  /** The protocol name in JoinGroup (Kafka's: 'range', 'roundrobin', 'cooperative-sticky'). */
  readonly name: string;
  readonly rebalanceProtocol: 'eager' | 'cooperative';
  /**
   * More protocol names this assignor answers to, offered after `name` (lower preference),
   * so that a group shared with another client whose same algorithm has another name can
   * still agree (kafkajs calls round-robin 'RoundRobinAssigner').
   */
  readonly aliases?: readonly string[];
  /** Bytes to put in this member's subscription (default none). */
  userData?(): Uint8Array | null;
  /** Computes the assignment (deterministic for the same input). */
  assign(input: AssignmentInput): MemberAssignments | Promise<MemberAssignments>;
}

/**
 * Member order used by the built-in assignors, as Kafka's: static members by instance id
 * first (their order survives restarts), then dynamic members by member id.
 */
export function compareMembers(a: AssignorMember, b: AssignorMember): number {
  if (a.groupInstanceId !== null && b.groupInstanceId !== null) return cmp(a.groupInstanceId, b.groupInstanceId) || cmp(a.memberId, b.memberId);
  if (a.groupInstanceId !== null) return -1;
  if (b.groupInstanceId !== null) return 1;
  return cmp(a.memberId, b.memberId);
}

/** Plain code-unit string order (locale-free, the same everywhere). */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `topic\0partition`, the key used for partitions in maps. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/** Subscribed topics that exist, sorted. */
export function subscribedTopics(input: AssignmentInput): string[] {
  const topics = new Set<string>();
  for (const m of input.members) for (const t of m.topics) if (input.partitionCounts.has(t)) topics.add(t);
  return [...topics].sort(cmp);
}

/**
 * Who owns each partition now, from the members' `ownedPartitions`: only claims that are
 * still valid (the member subscribes to the topic, the partition exists) count, and when
 * two members claim one partition the higher generation wins (then member order), as in
 * Kafka's sticky assignors. The leader uses the same answer to hold back partitions that
 * change owner in a cooperative rebalance.
 */
export function currentOwners(input: AssignmentInput): Map<string, string> {
  const owners = new Map<string, { memberId: string; generation: number; member: AssignorMember }>();
  for (const m of input.members) {
    const subscribed = new Set(m.topics);
    for (const tp of m.ownedPartitions) {
      const count = input.partitionCounts.get(tp.topic);
      if (!subscribed.has(tp.topic) || count === undefined || tp.partition < 0 || tp.partition >= count) continue;
      const key = partitionKey(tp.topic, tp.partition);
      const previous = owners.get(key);
      if (previous && (previous.generation > m.generationId || (previous.generation === m.generationId && compareMembers(previous.member, m) < 0))) continue;
      owners.set(key, { memberId: m.memberId, generation: m.generationId, member: m });
    }
  }
  return new Map([...owners].map(([k, v]) => [k, v.memberId]));
}

/** Adds a partition to a member's list in an assignment map. */
export function give(assignments: MemberAssignments, memberId: string, topic: string, partition: number): void {
  let list = assignments.get(memberId);
  if (!list) assignments.set(memberId, (list = []));
  list.push({ topic, partition });
}
