/**
 * One classic consumer group: its state, generation, members and chosen protocol (its
 * committed offsets are the offset manager's). The membership manager drives the
 * transitions; this class keeps the bookkeeping that Kafka's ClassicGroup keeps (leader
 * choice, protocol agreement).
 */
import type { ClassicGroupMember } from './classic-group-member.ts';

/** The states of a classic group (Kafka's ClassicGroupState); the client's view of its own membership is a different thing. */
export type ClassicGroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

/**
 * A classic group (Kafka's ClassicGroup: JoinGroup/SyncGroup, client-side assignment): real
 * state with a lifecycle, hence a class. "Consumer group" is kept for the KIP-848 kind to come.
 */
export class ClassicGroup {
  /** The group id. */
  readonly groupId: string;
  /** Current state. */
  state: ClassicGroupState = 'Empty';
  /** When the group entered its current state (ms; the retention clock of an empty group). */
  stateTimestamp: number;
  /** Protocol type of its members (`consumer`), or null for a group that only stores offsets. */
  protocolType: string | null = null;
  /** The protocol chosen for the current generation, or null. */
  protocolName: string | null = null;
  /** Incremented by every completed rebalance. */
  generationId = 0;
  /** The leader's member id, or null. */
  leaderId: string | null = null;
  /** Members by id, in join order. */
  readonly members = new Map<string, ClassicGroupMember>();
  /** Ids handed out by MEMBER_ID_REQUIRED (KIP-394) that have not joined yet, with their expiry timers. */
  readonly pendingMembers = new Map<string, unknown>();
  /** Static members: group.instance.id → member id. */
  readonly staticMembers = new Map<string, string>();
  /** The rebalance timer (initial delay or rebalance timeout), if armed. */
  joinTimer: unknown = undefined;
  /** Members of this generation that have not sent SyncGroup yet. */
  readonly pendingSync = new Set<string>();
  /** Removes the members still in {@link pendingSync} when the rebalance timeout passes, if armed. */
  syncTimer: unknown = undefined;
  /** True while the initial rebalance delay of a formerly empty group runs. */
  initialDelayActive = false;
  /** A member joined during the initial delay (which then extends). */
  newMemberAdded = false;

  constructor(groupId: string, now: number) {
    this.groupId = groupId;
    this.stateTimestamp = now;
  }

  /** Moves to `state`, noting when. */
  transition(state: ClassicGroupState, now: number): void {
    this.state = state;
    this.stateTimestamp = now;
  }

  /** True when the group has no members. */
  get isEmpty(): boolean {
    return this.members.size === 0;
  }

  /** Adds a member; the first one fixes the protocol type and the first leads. */
  add(member: ClassicGroupMember): void {
    if (this.members.size === 0) this.protocolType = member.protocolType;
    this.members.set(member.memberId, member);
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
    this.leaderId ??= member.memberId;
  }

  /** Removes a member (and its static mapping); a new leader is chosen when it led. */
  remove(memberId: string): ClassicGroupMember | undefined {
    const member = this.members.get(memberId);
    if (!member) return undefined;
    this.members.delete(memberId);
    this.pendingSync.delete(memberId);
    if (member.groupInstanceId !== null && this.staticMembers.get(member.groupInstanceId) === memberId) {
      this.staticMembers.delete(member.groupInstanceId);
    }
    if (this.leaderId === memberId) this.leaderId = this.#electLeader();
    return member;
  }

  /** Prefers a member that is already waiting in JoinGroup, as Kafka does. */
  #electLeader(): string | null {
    for (const m of this.members.values()) if (m.awaitingJoin) return m.memberId;
    const first = this.members.keys().next();
    return first.done ? null : first.value;
  }

  /** Makes a waiting member the leader when the current leader has not rejoined. */
  ensureJoinedLeader(): void {
    const leader = this.leaderId === null ? undefined : this.members.get(this.leaderId);
    if (!leader || !leader.awaitingJoin) this.leaderId = this.#electLeader();
  }

  /** True when a JoinGroup with this type and protocols fits the group (Kafka's supportsProtocols). */
  supportsProtocols(protocolType: string, names: readonly string[]): boolean {
    if (this.members.size === 0) return protocolType.length > 0 && names.length > 0;
    if (protocolType !== this.protocolType) return false;
    const candidates = this.candidateProtocols();
    return names.some((n) => candidates.has(n));
  }

  /** Protocols every member supports. */
  candidateProtocols(): Set<string> {
    let common: Set<string> | undefined;
    for (const m of this.members.values()) {
      const names = new Set(m.protocols.map((p) => p.name));
      common = common === undefined ? names : new Set([...common].filter((n) => names.has(n)));
    }
    return common ?? new Set();
  }

  /** The protocol for the next generation: each member votes for its most preferred candidate. */
  selectProtocol(): string | null {
    const candidates = this.candidateProtocols();
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const choice = m.protocols.find((p) => candidates.has(p.name));
      if (choice) votes.set(choice.name, (votes.get(choice.name) ?? 0) + 1);
    }
    let best: string | null = null;
    let bestVotes = 0;
    for (const [name, n] of votes) {
      if (n > bestVotes) {
        best = name;
        bestVotes = n;
      }
    }
    return best;
  }

  /** True when every member (and no pending one) has sent its JoinGroup for this rebalance. */
  hasAllMembersJoined(): boolean {
    if (this.pendingMembers.size > 0) return false;
    for (const m of this.members.values()) if (!m.awaitingJoin) return false;
    return true;
  }

  /** The longest rebalance timeout among the members (how long a rebalance may wait). */
  maxRebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  /** True when `memberId` is not the member registered for `groupInstanceId` (KIP-345 fencing). */
  isStaticMemberFenced(memberId: string, groupInstanceId: string | null): boolean {
    if (groupInstanceId === null) return false;
    const current = this.staticMembers.get(groupInstanceId);
    return current !== undefined && current !== memberId;
  }
}
