/**
 * Membership of classic groups, as Kafka's GroupMetadataManager keeps it for the classic
 * protocol: Empty → PreparingRebalance → CompletingRebalance → Stable (→ Dead), the
 * member-id-required join (KIP-394), static membership (KIP-345), delayed joins with the
 * initial rebalance delay, session timeouts, and the rebalance timeout on both the join and
 * the sync phase (as Kafka 3.x). It owns the groups; the offset manager asks it for them.
 *
 * Assignment stays on the client side: the leader receives every member's subscription in
 * its JoinGroup answer and sends the assignment in SyncGroup; the coordinator hands each
 * member its bytes without reading them.
 *
 * Everything that changes group state runs synchronously between awaits, so no locks are
 * needed.
 */
import type { Logger } from '../../contracts/logger.ts';
import { decodeConsumerSubscription } from '../../protocol/consumer-protocol.ts';
import { ClassicGroup } from './classic-group.ts';
import { ClassicGroupMember, type JoinResult, type MemberProtocol, type SyncResult } from './classic-group-member.ts';
import { KafkaCode } from '../../kafka-error-codes.ts';
import type { GroupStore, StoredGroupMeta } from './group-store.ts';
import type { GroupSettings } from './options.ts';
import { type CoordinatorPhase, phaseError, stopped } from './phase.ts';

const EMPTY = new Uint8Array(0);

/** A JoinGroup request, version-independent. */
export interface JoinRequest {
  readonly groupId: string;
  /** Empty for a first join. */
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly protocolType: string;
  readonly protocols: readonly MemberProtocol[];
  readonly clientId: string;
  readonly clientHost: string;
  /** JoinGroup v4+: a first dynamic join gets MEMBER_ID_REQUIRED with an id (KIP-394). */
  readonly requireKnownMemberId: boolean;
  /** JoinGroup v9+: the leader may be told to skip the assignment. */
  readonly supportsSkipAssignment: boolean;
}

/** A SyncGroup request, version-independent. */
export interface SyncRequest {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  /** v5+: must match the group's, when given. */
  readonly protocolType: string | null;
  /** v5+: must match the group's, when given. */
  readonly protocolName: string | null;
  readonly assignments: ReadonlyArray<{ memberId: string; assignment: Uint8Array }>;
}

/** A Heartbeat request. */
export interface HeartbeatRequest {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
}

/** One member leaving (LeaveGroup v3+ may name several, by member id or instance id). */
export interface LeavingMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
}

/** The answer to LeaveGroup. */
export interface LeaveResult {
  readonly errorCode: number;
  readonly members: Array<{ memberId: string; groupInstanceId: string | null; errorCode: number }>;
}

/** An OffsetCommit request, version-independent. */

/** One group in DescribeGroups (the protocol's DescribedGroup; the admin client's DescribedGroup is its own view). */
export interface DescribedGroup {
  errorCode: number;
  groupId: string;
  groupState: string;
  protocolType: string;
  protocolData: string;
  members: Array<{ memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string; memberMetadata: Uint8Array; memberAssignment: Uint8Array }>;
}

/** One group in ListGroups. */
export interface GroupListing {
  groupId: string;
  protocolType: string;
  groupState: string;
  groupType: string;
}

/** Who a commit says it comes from (OffsetCommit's generation, member and instance). */
export interface CommitIdentity {
  /** -1 for a commit outside group management. */
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
}

/** What the membership manager needs from the coordinator. */
export interface MembershipManagerDeps {
  /** Settings with defaults applied (timeouts, limits, the clock). */
  readonly settings: GroupSettings;
  /** Where the group facts (protocol type, empty since) persist. */
  readonly store: GroupStore;
  readonly logger: Logger;
  /** The coordinator's lifecycle phase: requests are refused outside `running`. */
  readonly phase: () => CoordinatorPhase;
  /** Whether the group has committed offsets (or some being written): such a group is kept. */
  readonly hasOffsets: (groupId: string) => boolean;
}

/** The answer JoinGroup gets on an error. */
export function joinError(errorCode: number, memberId = ''): JoinResult {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId, members: [], skipAssignment: false };
}

/** The answer SyncGroup gets on an error. */
export function syncError(errorCode: number): SyncResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY };
}

/** The members of every classic group on this broker: timers and waiting requests, a lifecycle. */
export class MembershipManager {
  readonly #settings: GroupSettings;
  readonly #store: GroupStore;
  readonly #logger: Logger;
  readonly #phase: () => CoordinatorPhase;
  readonly #hasOffsets: (groupId: string) => boolean;
  readonly #groups = new Map<string, ClassicGroup>();

  constructor(deps: MembershipManagerDeps) {
    this.#settings = deps.settings;
    this.#store = deps.store;
    this.#logger = deps.logger;
    this.#phase = deps.phase;
    this.#hasOffsets = deps.hasOffsets;
  }

  /** The group with this id, if known. */
  group(groupId: string): ClassicGroup | undefined {
    return this.#groups.get(groupId);
  }

  /** Every known group id. */
  groupIds(): string[] {
    return [...this.#groups.keys()];
  }

  /** Every known group (a copy: callers may remove groups while they walk it). */
  groups(): ClassicGroup[] {
    return [...this.#groups.values()];
  }

  /** The group with this id, created empty when unknown (a first commit or join creates it). */
  getOrCreate(groupId: string): ClassicGroup {
    let group = this.#groups.get(groupId);
    if (!group) {
      group = new ClassicGroup(groupId, this.#now());
      this.#groups.set(groupId, group);
    }
    return group;
  }

  /** Recreates a stored group after a restart: members do not survive it, so it is empty (since it was, or since now). */
  restore(groupId: string, meta: StoredGroupMeta | null): ClassicGroup {
    const now = this.#now();
    const group = new ClassicGroup(groupId, now);
    group.protocolType = meta?.protocolType ?? null;
    group.stateTimestamp = meta?.emptySince ?? now;
    this.#groups.set(groupId, group);
    return group;
  }

  /**
   * Stops every timer and answers every waiting JoinGroup and SyncGroup with `errorCode`
   * (COORDINATOR_NOT_AVAILABLE on shutdown; NOT_COORDINATOR when the groups move to another
   * broker, as Kafka's GroupMetadataManager.onUnloaded answers them).
   */
  close(errorCode: number = KafkaCode.COORDINATOR_NOT_AVAILABLE): void {
    const timers = this.#settings.timers;
    for (const group of this.#groups.values()) {
      timers.clearTimeout(group.joinTimer);
      group.joinTimer = undefined;
      this.#clearPendingSync(group);
      for (const t of group.pendingMembers.values()) timers.clearTimeout(t);
      group.pendingMembers.clear();
      for (const m of group.members.values()) {
        timers.clearTimeout(m.sessionTimer);
        m.sessionTimer = undefined;
        m.answerJoin(joinError(errorCode, m.memberId));
        m.answerSync(syncError(errorCode));
      }
    }
  }

  #availability(): number {
    return phaseError(this.#phase());
  }

  #now(): number {
    return this.#settings.timers.now();
  }

  // ---------------------------------------------------------------- JoinGroup

  /** Handles a JoinGroup; the promise settles when the member may proceed (or fails). */
  join(req: JoinRequest): Promise<JoinResult> {
    const unavailable = this.#availability();
    if (unavailable !== KafkaCode.NONE) return Promise.resolve(joinError(unavailable, req.memberId));
    if (!req.groupId) return Promise.resolve(joinError(KafkaCode.INVALID_GROUP_ID, req.memberId));
    if (req.sessionTimeoutMs < this.#settings.minSessionTimeoutMs || req.sessionTimeoutMs > this.#settings.maxSessionTimeoutMs) {
      return Promise.resolve(joinError(KafkaCode.INVALID_SESSION_TIMEOUT, req.memberId));
    }
    const isUnknown = req.memberId === '';
    let group = this.#groups.get(req.groupId);
    if (!group) {
      if (!isUnknown) return Promise.resolve(joinError(KafkaCode.UNKNOWN_MEMBER_ID, req.memberId));
      group = new ClassicGroup(req.groupId, this.#now());
      this.#groups.set(req.groupId, group);
    }
    if (group.state === 'Dead') return Promise.resolve(joinError(KafkaCode.COORDINATOR_NOT_AVAILABLE, req.memberId));
    if (!group.supportsProtocols(req.protocolType, req.protocols.map((p) => p.name))) {
      this.dropIfUnused(group);
      return Promise.resolve(joinError(KafkaCode.INCONSISTENT_GROUP_PROTOCOL, req.memberId));
    }
    return isUnknown ? this.#joinUnknownMember(group, req) : this.#joinKnownMember(group, req);
  }

  #newMemberId(prefix: string): string {
    return `${prefix}-${crypto.randomUUID()}`;
  }

  #joinUnknownMember(group: ClassicGroup, req: JoinRequest): Promise<JoinResult> {
    if (req.groupInstanceId !== null) {
      const newId = this.#newMemberId(req.groupInstanceId);
      const oldId = group.staticMembers.get(req.groupInstanceId);
      if (oldId !== undefined && group.members.has(oldId)) return this.#replaceStaticMember(group, oldId, newId, req);
      return this.#addMemberAndRebalance(group, newId, req);
    }
    const newId = this.#newMemberId(req.clientId);
    if (req.requireKnownMemberId) {
      if (group.members.size + group.pendingMembers.size >= this.#settings.maxGroupSize) return Promise.resolve(joinError(KafkaCode.GROUP_MAX_SIZE_REACHED));
      // The id is reserved until the member comes back with it or its session timeout passes.
      const timer = this.#settings.timers.setTimeout(() => this.#expirePending(group, newId), req.sessionTimeoutMs);
      group.pendingMembers.set(newId, timer);
      return Promise.resolve(joinError(KafkaCode.MEMBER_ID_REQUIRED, newId));
    }
    return this.#addMemberAndRebalance(group, newId, req);
  }

  #joinKnownMember(group: ClassicGroup, req: JoinRequest): Promise<JoinResult> {
    const { memberId } = req;
    if (group.pendingMembers.has(memberId)) {
      this.#settings.timers.clearTimeout(group.pendingMembers.get(memberId));
      group.pendingMembers.delete(memberId);
      return this.#addMemberAndRebalance(group, memberId, req);
    }
    if (group.isStaticMemberFenced(memberId, req.groupInstanceId)) return Promise.resolve(joinError(KafkaCode.FENCED_INSTANCE_ID, memberId));
    const member = group.members.get(memberId);
    if (!member) return Promise.resolve(joinError(KafkaCode.UNKNOWN_MEMBER_ID, memberId));
    switch (group.state) {
      case 'PreparingRebalance':
        return this.#updateMemberAndRebalance(group, member, req);
      case 'CompletingRebalance':
        // The same metadata again means the member missed the JoinGroup answer: repeat it.
        if (member.matches(req.protocols)) {
          this.#armSession(group, member);
          return Promise.resolve(this.#currentJoinResult(group, member, true));
        }
        return this.#updateMemberAndRebalance(group, member, req);
      case 'Stable':
        // A follower rejoining unchanged gets the current generation; the leader or a changed
        // subscription starts a rebalance (the leader may have seen a metadata change).
        if (group.leaderId !== memberId && member.matches(req.protocols)) {
          this.#armSession(group, member);
          return Promise.resolve(this.#currentJoinResult(group, member, false));
        }
        return this.#updateMemberAndRebalance(group, member, req);
      default:
        return Promise.resolve(joinError(KafkaCode.UNKNOWN_MEMBER_ID, memberId));
    }
  }

  #currentJoinResult(group: ClassicGroup, member: ClassicGroupMember, withMembers: boolean): JoinResult {
    const isLeader = group.leaderId === member.memberId;
    return {
      errorCode: KafkaCode.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? '',
      memberId: member.memberId,
      members: isLeader && withMembers ? this.#memberSubscriptions(group) : [],
      skipAssignment: false,
    };
  }

  #memberSubscriptions(group: ClassicGroup): JoinResult['members'] {
    const protocol = group.protocolName ?? '';
    return [...group.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadataFor(protocol) }));
  }

  #newMember(memberId: string, req: JoinRequest): ClassicGroupMember {
    return new ClassicGroupMember({
      memberId,
      groupInstanceId: req.groupInstanceId,
      clientId: req.clientId,
      clientHost: req.clientHost,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs,
      sessionTimeoutMs: req.sessionTimeoutMs,
      protocolType: req.protocolType,
      protocols: [...req.protocols],
    });
  }

  #addMemberAndRebalance(group: ClassicGroup, memberId: string, req: JoinRequest): Promise<JoinResult> {
    if (group.members.size >= this.#settings.maxGroupSize) return Promise.resolve(joinError(KafkaCode.GROUP_MAX_SIZE_REACHED, memberId));
    const member = this.#newMember(memberId, req);
    const answer = new Promise<JoinResult>((resolve) => (member.joinWaiter = resolve));
    const wasEmpty = group.isEmpty;
    group.add(member);
    if (wasEmpty && group.state === 'Empty') this.#persistMeta(group, null);
    // Kafka extends the initial delay only while the very first generation forms.
    if (group.state === 'PreparingRebalance' && group.generationId === 0) group.newMemberAdded = true;
    this.#armSession(group, member);
    this.#maybePrepareRebalance(group, `member ${memberId} joined`);
    return answer;
  }

  #updateMemberAndRebalance(group: ClassicGroup, member: ClassicGroupMember, req: JoinRequest): Promise<JoinResult> {
    member.protocols = [...req.protocols];
    member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    member.sessionTimeoutMs = req.sessionTimeoutMs;
    member.clientId = req.clientId;
    member.clientHost = req.clientHost;
    // A second JoinGroup replaces a waiting one (the client gave up on the first).
    member.answerJoin(joinError(KafkaCode.REBALANCE_IN_PROGRESS, member.memberId));
    const answer = new Promise<JoinResult>((resolve) => (member.joinWaiter = resolve));
    this.#armSession(group, member);
    this.#maybePrepareRebalance(group, `member ${member.memberId} rejoined`);
    return answer;
  }

  #replaceStaticMember(group: ClassicGroup, oldId: string, newId: string, req: JoinRequest): Promise<JoinResult> {
    const old = group.members.get(oldId)!;
    this.#settings.timers.clearTimeout(old.sessionTimer);
    // Whoever still waits under the old id has been replaced.
    old.answerJoin(joinError(KafkaCode.FENCED_INSTANCE_ID, oldId));
    old.answerSync(syncError(KafkaCode.FENCED_INSTANCE_ID));
    const member = this.#newMember(newId, req);
    member.assignment = old.assignment;
    const wasLeader = group.leaderId === oldId;
    group.members.delete(oldId);
    group.members.set(newId, member);
    // The new id owes the SyncGroup the old one owed.
    if (group.pendingSync.delete(oldId)) group.pendingSync.add(newId);
    group.staticMembers.set(req.groupInstanceId!, newId);
    if (wasLeader) group.leaderId = newId;
    this.#logger.info('static member replaced', { groupId: group.groupId, groupInstanceId: req.groupInstanceId, oldId, newId });
    if (group.state === 'Stable' && old.matches(req.protocols) && group.selectProtocol() === group.protocolName) {
      // KIP-345: the same instance coming back with the same metadata keeps its assignment, no rebalance.
      this.#armSession(group, member);
      const isLeader = group.leaderId === newId;
      const skip = isLeader && req.supportsSkipAssignment;
      return Promise.resolve({
        errorCode: KafkaCode.NONE,
        generationId: group.generationId,
        protocolType: group.protocolType,
        protocolName: group.protocolName,
        leader: group.leaderId ?? '',
        memberId: newId,
        members: skip ? this.#memberSubscriptions(group) : [],
        skipAssignment: skip,
      });
    }
    const answer = new Promise<JoinResult>((resolve) => (member.joinWaiter = resolve));
    this.#armSession(group, member);
    this.#maybePrepareRebalance(group, `static member ${req.groupInstanceId} rejoined with new metadata`);
    return answer;
  }

  #maybePrepareRebalance(group: ClassicGroup, reason: string): void {
    if (group.state === 'Stable' || group.state === 'CompletingRebalance' || group.state === 'Empty') {
      this.#prepareRebalance(group, reason);
    } else if (group.state === 'PreparingRebalance') {
      this.#tryCompleteJoin(group);
    }
  }

  #prepareRebalance(group: ClassicGroup, reason: string): void {
    const timers = this.#settings.timers;
    if (group.state === 'CompletingRebalance') {
      // Assignments of the generation being formed are void: waiting members must rejoin.
      for (const m of group.members.values()) {
        m.assignment = EMPTY;
        if (m.syncWaiter === null) continue;
        m.answerSync(syncError(KafkaCode.REBALANCE_IN_PROGRESS));
        // Its session was held open while it waited on us: give it a full one to rejoin in.
        this.#armSession(group, m);
      }
    }
    const wasEmpty = group.state === 'Empty';
    group.transition('PreparingRebalance', this.#now());
    timers.clearTimeout(group.joinTimer);
    this.#clearPendingSync(group);
    this.#logger.debug('preparing rebalance', { groupId: group.groupId, generationId: group.generationId, reason });
    const rebalanceTimeout = group.maxRebalanceTimeoutMs();
    const initialDelay = this.#settings.initialRebalanceDelayMs;
    if (wasEmpty && initialDelay > 0) {
      // Let more members of a starting group arrive before the first generation forms.
      group.initialDelayActive = true;
      group.newMemberAdded = false;
      const delay = Math.min(initialDelay, rebalanceTimeout);
      this.#scheduleInitialDelay(group, delay, rebalanceTimeout - delay);
      return;
    }
    group.initialDelayActive = false;
    group.joinTimer = timers.setTimeout(() => this.#completeJoin(group), rebalanceTimeout);
    this.#tryCompleteJoin(group);
  }

  #scheduleInitialDelay(group: ClassicGroup, delay: number, remaining: number): void {
    group.joinTimer = this.#settings.timers.setTimeout(() => {
      group.joinTimer = undefined;
      if (group.newMemberAdded && remaining > 0) {
        group.newMemberAdded = false;
        const next = Math.min(this.#settings.initialRebalanceDelayMs, remaining);
        this.#scheduleInitialDelay(group, next, remaining - next);
        return;
      }
      this.#completeJoin(group);
    }, delay);
  }

  #tryCompleteJoin(group: ClassicGroup): void {
    if (group.state !== 'PreparingRebalance' || group.initialDelayActive) return;
    if (group.hasAllMembersJoined()) this.#completeJoin(group);
  }

  /** Ends the join phase: drops members that did not rejoin and starts the next generation. */
  #completeJoin(group: ClassicGroup): void {
    if (group.state !== 'PreparingRebalance' || stopped(this.#phase())) return;
    const timers = this.#settings.timers;
    timers.clearTimeout(group.joinTimer);
    group.joinTimer = undefined;
    group.initialDelayActive = false;
    group.newMemberAdded = false;
    for (const m of [...group.members.values()]) {
      if (m.awaitingJoin) continue;
      this.#logger.info('removing a member that did not rejoin in time', { groupId: group.groupId, memberId: m.memberId });
      timers.clearTimeout(m.sessionTimer);
      group.remove(m.memberId);
      m.answerSync(syncError(KafkaCode.UNKNOWN_MEMBER_ID));
    }
    group.ensureJoinedLeader();
    group.generationId++;
    if (group.isEmpty) {
      group.protocolName = null;
      group.leaderId = null;
      group.transition('Empty', this.#now());
      this.#persistMeta(group, group.stateTimestamp);
      this.#logger.info('group is empty', { groupId: group.groupId, generationId: group.generationId });
      return;
    }
    group.protocolName = group.selectProtocol();
    group.transition('CompletingRebalance', this.#now());
    this.#logger.info('rebalance complete', { groupId: group.groupId, generationId: group.generationId, members: group.members.size, protocol: group.protocolName });
    const subscriptions = this.#memberSubscriptions(group);
    this.#armPendingSync(group);
    for (const m of group.members.values()) {
      const isLeader = m.memberId === group.leaderId;
      m.answerJoin({
        errorCode: KafkaCode.NONE,
        generationId: group.generationId,
        protocolType: group.protocolType,
        protocolName: group.protocolName,
        leader: group.leaderId ?? '',
        memberId: m.memberId,
        members: isLeader ? subscriptions : [],
        skipAssignment: false,
      });
      this.#armSession(group, m);
    }
  }

  /**
   * Every member of a new generation must send SyncGroup within the rebalance timeout, as
   * in Kafka 3.x: a leader that heartbeats but never hands in the assignment would
   * otherwise hold the group in CompletingRebalance for good, and a follower that never
   * fetches its assignment would keep partitions nobody consumes.
   */
  #armPendingSync(group: ClassicGroup): void {
    this.#clearPendingSync(group);
    for (const id of group.members.keys()) group.pendingSync.add(id);
    const generation = group.generationId;
    group.syncTimer = this.#settings.timers.setTimeout(() => this.#expirePendingSync(group, generation), group.maxRebalanceTimeoutMs());
  }

  #clearPendingSync(group: ClassicGroup): void {
    this.#settings.timers.clearTimeout(group.syncTimer);
    group.syncTimer = undefined;
    group.pendingSync.clear();
  }

  #synced(group: ClassicGroup, memberId: string): void {
    group.pendingSync.delete(memberId);
    if (group.pendingSync.size === 0) this.#clearPendingSync(group);
  }

  #expirePendingSync(group: ClassicGroup, generation: number): void {
    group.syncTimer = undefined;
    if (stopped(this.#phase()) || group.generationId !== generation) return;
    if (group.state !== 'CompletingRebalance' && group.state !== 'Stable') return;
    const late = [...group.pendingSync];
    group.pendingSync.clear();
    if (late.length === 0) return;
    this.#logger.info('removing members that did not sync in time', { groupId: group.groupId, generationId: generation, members: late });
    for (const id of late) {
      const member = group.members.get(id);
      if (!member) continue;
      this.#settings.timers.clearTimeout(member.sessionTimer);
      member.sessionTimer = undefined;
      group.remove(id);
      member.answerJoin(joinError(KafkaCode.UNKNOWN_MEMBER_ID, id));
      member.answerSync(syncError(KafkaCode.UNKNOWN_MEMBER_ID));
    }
    this.#prepareRebalance(group, `${late.length} member(s) did not sync in time`);
  }

  #expirePending(group: ClassicGroup, memberId: string): void {
    if (!group.pendingMembers.delete(memberId)) return;
    this.#logger.debug('pending member expired', { groupId: group.groupId, memberId });
    this.#tryCompleteJoin(group);
    this.dropIfUnused(group);
  }

  #armSession(group: ClassicGroup, member: ClassicGroupMember): void {
    const timers = this.#settings.timers;
    timers.clearTimeout(member.sessionTimer);
    member.sessionTimer = timers.setTimeout(() => this.#onSessionExpired(group, member), member.sessionTimeoutMs);
  }

  #onSessionExpired(group: ClassicGroup, member: ClassicGroupMember): void {
    member.sessionTimer = undefined;
    if (group.members.get(member.memberId) !== member || stopped(this.#phase())) return;
    // A member waiting in JoinGroup or SyncGroup is alive: it waits on us.
    if (member.awaitingJoin || member.syncWaiter !== null) {
      this.#armSession(group, member);
      return;
    }
    this.#logger.info('member session expired', { groupId: group.groupId, memberId: member.memberId });
    this.#removeMemberAndUpdateGroup(group, member);
  }

  #removeMemberAndUpdateGroup(group: ClassicGroup, member: ClassicGroupMember): void {
    this.#settings.timers.clearTimeout(member.sessionTimer);
    member.sessionTimer = undefined;
    group.remove(member.memberId);
    member.answerJoin(joinError(KafkaCode.UNKNOWN_MEMBER_ID, member.memberId));
    member.answerSync(syncError(KafkaCode.UNKNOWN_MEMBER_ID));
    if (group.state === 'Stable' || group.state === 'CompletingRebalance') this.#prepareRebalance(group, `member ${member.memberId} left`);
    else if (group.state === 'PreparingRebalance') this.#tryCompleteJoin(group);
  }

  // ---------------------------------------------------------------- SyncGroup

  /** Handles a SyncGroup; a follower's promise settles when the leader has sent the assignment. */
  sync(req: SyncRequest): Promise<SyncResult> {
    const unavailable = this.#availability();
    if (unavailable !== KafkaCode.NONE) return Promise.resolve(syncError(unavailable));
    if (!req.groupId) return Promise.resolve(syncError(KafkaCode.INVALID_GROUP_ID));
    const group = this.#groups.get(req.groupId);
    if (!group) return Promise.resolve(syncError(KafkaCode.UNKNOWN_MEMBER_ID));
    if (group.state === 'Dead') return Promise.resolve(syncError(KafkaCode.COORDINATOR_NOT_AVAILABLE));
    if (group.isStaticMemberFenced(req.memberId, req.groupInstanceId)) return Promise.resolve(syncError(KafkaCode.FENCED_INSTANCE_ID));
    const member = group.members.get(req.memberId);
    if (!member) return Promise.resolve(syncError(KafkaCode.UNKNOWN_MEMBER_ID));
    if (req.generationId !== group.generationId) return Promise.resolve(syncError(KafkaCode.ILLEGAL_GENERATION));
    if ((req.protocolType !== null && req.protocolType !== group.protocolType) || (req.protocolName !== null && req.protocolName !== group.protocolName)) {
      return Promise.resolve(syncError(KafkaCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    if (group.state === 'CompletingRebalance' || group.state === 'Stable') this.#synced(group, req.memberId);
    switch (group.state) {
      case 'PreparingRebalance':
        return Promise.resolve(syncError(KafkaCode.REBALANCE_IN_PROGRESS));
      case 'CompletingRebalance': {
        member.answerSync(syncError(KafkaCode.REBALANCE_IN_PROGRESS));
        const answer = new Promise<SyncResult>((resolve) => (member.syncWaiter = resolve));
        this.#armSession(group, member);
        if (req.memberId === group.leaderId) {
          const given = new Map(req.assignments.map((a) => [a.memberId, a.assignment]));
          for (const m of group.members.values()) m.assignment = given.get(m.memberId) ?? EMPTY;
          group.transition('Stable', this.#now());
          this.#logger.debug('group stable', { groupId: group.groupId, generationId: group.generationId });
          for (const m of group.members.values()) {
            m.answerSync({ errorCode: KafkaCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: m.assignment });
            this.#armSession(group, m);
          }
        }
        return answer;
      }
      case 'Stable':
        this.#armSession(group, member);
        return Promise.resolve({ errorCode: KafkaCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment });
      default:
        return Promise.resolve(syncError(KafkaCode.UNKNOWN_MEMBER_ID));
    }
  }

  // ---------------------------------------------------------------- Heartbeat, LeaveGroup

  /** Handles a Heartbeat; returns its error code. */
  heartbeat(req: HeartbeatRequest): number {
    const unavailable = this.#availability();
    if (unavailable !== KafkaCode.NONE) return unavailable;
    if (!req.groupId) return KafkaCode.INVALID_GROUP_ID;
    const group = this.#groups.get(req.groupId);
    if (!group) return KafkaCode.UNKNOWN_MEMBER_ID;
    if (group.state === 'Dead') return KafkaCode.COORDINATOR_NOT_AVAILABLE;
    if (group.isStaticMemberFenced(req.memberId, req.groupInstanceId)) return KafkaCode.FENCED_INSTANCE_ID;
    const member = group.members.get(req.memberId);
    if (!member) return KafkaCode.UNKNOWN_MEMBER_ID;
    if (req.generationId !== group.generationId) return KafkaCode.ILLEGAL_GENERATION;
    switch (group.state) {
      case 'Stable':
      case 'CompletingRebalance':
        this.#armSession(group, member);
        return KafkaCode.NONE;
      case 'PreparingRebalance':
        this.#armSession(group, member);
        return KafkaCode.REBALANCE_IN_PROGRESS;
      default:
        return KafkaCode.UNKNOWN_MEMBER_ID;
    }
  }

  /** Handles a LeaveGroup for one or more members. */
  leave(groupId: string, leaving: readonly LeavingMember[]): LeaveResult {
    const unavailable = this.#availability();
    if (unavailable !== KafkaCode.NONE) return { errorCode: unavailable, members: [] };
    if (!groupId) return { errorCode: KafkaCode.INVALID_GROUP_ID, members: [] };
    const group = this.#groups.get(groupId);
    const result = (m: LeavingMember, errorCode: number) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode });
    if (!group) return { errorCode: KafkaCode.NONE, members: leaving.map((m) => result(m, KafkaCode.UNKNOWN_MEMBER_ID)) };
    if (group.state === 'Dead') return { errorCode: KafkaCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    const members = leaving.map((m) => {
      if (m.memberId === '') {
        // Administrative removal by group.instance.id.
        const current = m.groupInstanceId === null ? undefined : group.staticMembers.get(m.groupInstanceId);
        const member = current === undefined ? undefined : group.members.get(current);
        if (!member) return result(m, KafkaCode.UNKNOWN_MEMBER_ID);
        this.#logger.info('static member removed', { groupId, groupInstanceId: m.groupInstanceId });
        this.#removeMemberAndUpdateGroup(group, member);
        return result(m, KafkaCode.NONE);
      }
      if (group.pendingMembers.has(m.memberId)) {
        this.#settings.timers.clearTimeout(group.pendingMembers.get(m.memberId));
        group.pendingMembers.delete(m.memberId);
        this.#tryCompleteJoin(group);
        return result(m, KafkaCode.NONE);
      }
      if (group.isStaticMemberFenced(m.memberId, m.groupInstanceId)) return result(m, KafkaCode.FENCED_INSTANCE_ID);
      const member = group.members.get(m.memberId);
      if (!member) return result(m, KafkaCode.UNKNOWN_MEMBER_ID);
      this.#logger.info('member left', { groupId, memberId: m.memberId });
      this.#removeMemberAndUpdateGroup(group, member);
      return result(m, KafkaCode.NONE);
    });
    this.dropIfUnused(group);
    return { errorCode: KafkaCode.NONE, members };
  }

  // ---------------------------------------------------------------- Describe, list, delete, commit checks

  /** Describes one group (an unknown group is reported as Dead with no error, as Kafka does up to v5). */
  describe(groupId: string): DescribedGroup {
    const unavailable = this.#availability();
    const group = this.#groups.get(groupId);
    if (unavailable !== KafkaCode.NONE || !group) {
      return { errorCode: unavailable, groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [] };
    }
    const stable = group.state === 'Stable';
    const protocol = group.protocolName ?? '';
    return {
      errorCode: KafkaCode.NONE,
      groupId,
      groupState: group.state,
      protocolType: group.protocolType ?? '',
      protocolData: stable ? protocol : '',
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: stable ? m.metadataFor(protocol) : EMPTY,
        memberAssignment: stable ? m.assignment : EMPTY,
      })),
    };
  }

  /** Lists groups, optionally only those in some states (case-insensitive) or of some types. */
  list(statesFilter: readonly string[] = [], typesFilter: readonly string[] = []): { errorCode: number; groups: GroupListing[] } {
    const unavailable = this.#availability();
    if (unavailable !== KafkaCode.NONE) return { errorCode: unavailable, groups: [] };
    const states = new Set(statesFilter.map((s) => s.toLowerCase()));
    const types = new Set(typesFilter.map((s) => s.toLowerCase()));
    const groups: GroupListing[] = [];
    for (const g of this.#groups.values()) {
      if (g.state === 'Dead') continue;
      if (states.size > 0 && !states.has(g.state.toLowerCase())) continue;
      if (types.size > 0 && !types.has('classic')) continue;
      groups.push({ groupId: g.groupId, protocolType: g.protocolType ?? '', groupState: g.state, groupType: 'classic' });
    }
    return { errorCode: KafkaCode.NONE, groups };
  }

  /** Why DeleteGroups may not delete this group (NONE when it may): it must exist and be empty. */
  validateDeleteGroup(groupId: string): number {
    const group = this.#groups.get(groupId);
    if (!group || group.state === 'Dead') return KafkaCode.GROUP_ID_NOT_FOUND;
    if (group.state !== 'Empty') return KafkaCode.NON_EMPTY_GROUP;
    return KafkaCode.NONE;
  }

  /**
   * Marks a group Dead and forgets it (its stored state is the offset manager's to remove):
   * waiting pending members and sync deadlines are dropped with it.
   */
  markDead(group: ClassicGroup): void {
    group.transition('Dead', this.#now());
    this.#clearPendingSync(group);
    for (const t of group.pendingMembers.values()) this.#settings.timers.clearTimeout(t);
    group.pendingMembers.clear();
    if (this.#groups.get(group.groupId) === group) this.#groups.delete(group.groupId);
  }

  /**
   * Why a commit to an existing group is refused (NONE when it is not), in the order Kafka
   * checks: a commit naming no generation, member or instance is a simple commit, allowed
   * only while the group is empty; any other must come from the current generation's
   * member, and not while the assignment is being handed out.
   */
  validateOffsetCommit(group: ClassicGroup, req: CommitIdentity): number {
    if (group.state === 'Dead') return KafkaCode.COORDINATOR_NOT_AVAILABLE;
    if (req.generationId < 0 && req.memberId === '' && req.groupInstanceId === null) return group.state === 'Empty' ? KafkaCode.NONE : KafkaCode.UNKNOWN_MEMBER_ID;
    if (group.isStaticMemberFenced(req.memberId, req.groupInstanceId)) return KafkaCode.FENCED_INSTANCE_ID;
    const member = group.members.get(req.memberId);
    if (!member) return KafkaCode.UNKNOWN_MEMBER_ID;
    if (req.generationId !== group.generationId) return KafkaCode.ILLEGAL_GENERATION;
    // The member has its JoinGroup answer but not yet its assignment: it must not commit yet.
    if (group.state === 'CompletingRebalance') return KafkaCode.REBALANCE_IN_PROGRESS;
    // A commit is a sign of life, as a heartbeat is.
    this.#armSession(group, member);
    return KafkaCode.NONE;
  }

  /** Forgets a group that has neither members, pending members nor offsets (never stored). */
  dropIfUnused(group: ClassicGroup): void {
    if (group.state === 'Empty' && group.isEmpty && group.pendingMembers.size === 0 && !this.#hasOffsets(group.groupId) && group.generationId === 0) {
      group.transition('Dead', this.#now());
      this.#groups.delete(group.groupId);
    }
  }

  #persistMeta(group: ClassicGroup, emptySince: number | null): void {
    if (group.protocolType === null) return;
    this.#store.writeMeta(group.groupId, { protocolType: group.protocolType, emptySince }).catch((error: unknown) => {
      this.#logger.warn('could not persist group state', { groupId: group.groupId, error: String(error) });
    });
  }

  /** The topics the members of a consumer group subscribe to, or null when a subscription cannot be read. */
  subscribedTopics(group: ClassicGroup): Set<string> | null {
    const topics = new Set<string>();
    const protocol = group.protocolName ?? '';
    for (const m of group.members.values()) {
      try {
        for (const t of decodeConsumerSubscription(m.metadataFor(protocol)).topics) topics.add(t);
      } catch {
        return null;
      }
    }
    return topics;
  }
}
