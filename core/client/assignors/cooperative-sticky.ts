/**
 * The cooperative-sticky assignor (Kafka's `cooperative-sticky`, KIP-429 and KIP-54):
 * balanced like round-robin, but every member keeps the partitions it owns unless balance
 * needs them elsewhere, so a rebalance moves as few partitions as possible.
 *
 * The algorithm: (1) each member keeps its valid owned partitions (a partition claimed
 * twice goes to the claim of the higher generation); (2) unowned partitions go, the most
 * constrained first, to the least loaded eligible member; (3) while some member has at
 * least two more partitions than a member eligible for one of them, one partition moves
 * (partitions given out this round before owned ones). Each move lowers the sum of
 * squared loads, so the loop ends; with uniform subscriptions loads end within one of
 * each other. Everything is ordered, so the same input gives the same output.
 *
 * The cooperative part — not handing a partition to its new owner before the old owner
 * revoked it — is the group membership's job (core/client/group/membership.ts), for any
 * assignor that declares `rebalanceProtocol: 'cooperative'`.
 */
import {
  type AssignmentInput,
  type MemberAssignments,
  type PartitionAssignor,
  cmp,
  compareMembers,
  currentOwners,
  partitionKey,
  subscribedTopics,
} from './types.ts';

interface Slot {
  readonly topic: string;
  readonly partition: number;
  readonly key: string;
}

/** Creates the cooperative-sticky assignor. */
export function cooperativeStickyAssignor(): PartitionAssignor {
  return { name: 'cooperative-sticky', rebalanceProtocol: 'cooperative', assign: stickyAssign };
}

/** The sticky assignment itself (also usable with eager semantics under another name). */
export function stickyAssign(input: AssignmentInput): MemberAssignments {
  const members = [...input.members].sort(compareMembers);
  const order = new Map(members.map((m, i) => [m.memberId, i]));
  const topics = subscribedTopics(input);
  const eligible = new Map<string, string[]>();
  for (const t of topics) eligible.set(t, members.filter((m) => m.topics.includes(t)).map((m) => m.memberId));
  // Insertion order matters: owned partitions first, so that moves take new ones first.
  const held = new Map<string, Map<string, Slot>>(members.map((m) => [m.memberId, new Map()]));
  const owners = currentOwners(input);
  const unowned: Slot[] = [];
  for (const topic of topics) {
    const count = input.partitionCounts.get(topic)!;
    for (let partition = 0; partition < count; partition++) {
      const key = partitionKey(topic, partition);
      const owner = owners.get(key);
      if (owner !== undefined) held.get(owner)!.set(key, { topic, partition, key });
      else unowned.push({ topic, partition, key });
    }
  }
  const load = (id: string) => held.get(id)!.size;
  const better = (a: string, b: string | null) => b === null || load(a) < load(b) || (load(a) === load(b) && order.get(a)! < order.get(b)!);

  unowned.sort((a, b) => eligible.get(a.topic)!.length - eligible.get(b.topic)!.length || cmp(a.topic, b.topic) || a.partition - b.partition);
  for (const slot of unowned) {
    let best: string | null = null;
    for (const id of eligible.get(slot.topic)!) if (better(id, best)) best = id;
    if (best !== null) held.get(best)!.set(slot.key, slot);
  }

  for (let moved = true; moved; ) {
    moved = false;
    // No member two above another: nothing can move (the usual end, checked cheaply).
    let min = Infinity;
    let max = -Infinity;
    for (const m of members) {
      min = Math.min(min, load(m.memberId));
      max = Math.max(max, load(m.memberId));
    }
    if (max - min <= 1) break;
    const donors = members.map((m) => m.memberId).sort((a, b) => load(b) - load(a) || order.get(a)! - order.get(b)!);
    for (const donor of donors) {
      const slots = [...held.get(donor)!.values()].reverse();
      for (const slot of slots) {
        let best: string | null = null;
        for (const id of eligible.get(slot.topic)!) if (load(id) < load(donor) - 1 && better(id, best)) best = id;
        if (best === null) continue;
        held.get(donor)!.delete(slot.key);
        held.get(best)!.set(slot.key, slot);
        moved = true;
        break;
      }
      if (moved) break;
    }
  }

  const out: MemberAssignments = new Map();
  for (const [id, slots] of held) {
    if (slots.size === 0) continue;
    out.set(id, [...slots.values()].sort((a, b) => cmp(a.topic, b.topic) || a.partition - b.partition).map((s) => ({ topic: s.topic, partition: s.partition })));
  }
  return out;
}
