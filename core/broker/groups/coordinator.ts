/**
 * The group coordinator for classic consumer groups, following Kafka's GroupCoordinator:
 * Empty → PreparingRebalance → CompletingRebalance → Stable (→ Dead), the member-id-required
 * join (KIP-394), static membership (KIP-345), delayed joins with the initial rebalance
 * delay, session timeouts, the rebalance timeout on both the join and the sync phase (as
 * Kafka 3.x), and committed offsets kept in the metadata store with Kafka's retention.
 *
 * Assignment stays on the client side: the leader receives every member's subscription in
 * its JoinGroup answer and sends the assignment in SyncGroup; the coordinator hands each
 * member its bytes without reading them.
 *
 * Everything that changes group state runs synchronously between awaits, so no locks are
 * needed; only offset commits, deletes and expiry wait for storage.
 */
import type { Logger } from '../../contracts/logger.ts';
import type { MetadataStore } from '../../contracts/storage.ts';
import { decodeConsumerSubscription } from '../../protocol/consumer-protocol.ts';
import { type CommittedOffset, ConsumerGroup, type GroupState } from './group.ts';
import { GroupMember, type JoinResult, type MemberProtocol, type SyncResult } from './member.ts';
import { type GroupCoordinatorOptions, type GroupSettings, groupSettings } from './options.ts';
import { type OffsetChange, OffsetStore } from './offset-store.ts';

// Kafka error numbers used here (names in core/kafka-error-codes.ts).
const NONE = 0;
const UNKNOWN_TOPIC_OR_PARTITION = 3;
const OFFSET_METADATA_TOO_LARGE = 12;
const COORDINATOR_LOAD_IN_PROGRESS = 14;
const COORDINATOR_NOT_AVAILABLE = 15;
const ILLEGAL_GENERATION = 22;
const INCONSISTENT_GROUP_PROTOCOL = 23;
const INVALID_GROUP_ID = 24;
const UNKNOWN_MEMBER_ID = 25;
const INVALID_SESSION_TIMEOUT = 26;
const REBALANCE_IN_PROGRESS = 27;
const NON_EMPTY_GROUP = 68;
const GROUP_ID_NOT_FOUND = 69;
const MEMBER_ID_REQUIRED = 79;
const GROUP_MAX_SIZE_REACHED = 81;
const FENCED_INSTANCE_ID = 82;

const EMPTY = new Uint8Array(0);
/** The protocol type of consumers: their subscriptions can be read (for offset expiry). */
const CONSUMER_PROTOCOL_TYPE = 'consumer';

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
export interface CommitRequest {
  readonly groupId: string;
  /** -1 for a commit outside group management. */
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  /** v2–4 retention time, or -1. */
  readonly retentionTimeMs: number;
  readonly topics: ReadonlyArray<{
    name: string;
    partitions: ReadonlyArray<{ partitionIndex: number; committedOffset: number; committedLeaderEpoch: number; commitTimestamp: number; committedMetadata: string | null }>;
  }>;
}

/** Per-partition commit errors, in request order. */
export type CommitResult = Array<{ name: string; partitions: Array<{ partitionIndex: number; errorCode: number }> }>;

/** One partition in an OffsetFetch answer. */
export interface FetchedOffset {
  partitionIndex: number;
  committedOffset: number;
  committedLeaderEpoch: number;
  metadata: string;
  errorCode: number;
}

/** The answer for one group in OffsetFetch. */
export interface OffsetFetchResult {
  errorCode: number;
  topics: Array<{ name: string; partitions: FetchedOffset[] }>;
}

/** One group in DescribeGroups. */
export interface GroupDescription {
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

/** What the coordinator needs from its broker. */
export interface GroupCoordinatorDeps {
  /** The metadata store offsets persist in. */
  readonly store: MetadataStore;
  readonly logger: Logger;
  /** Whether a commit may name this partition (UNKNOWN_TOPIC_OR_PARTITION otherwise). */
  readonly partitionExists: (topic: string, partition: number) => boolean;
}

function joinError(errorCode: number, memberId = ''): JoinResult {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId, members: [], skipAssignment: false };
}

function syncError(errorCode: number): SyncResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY };
}

function utf8Length(s: string): number {
  return new TextEncoder().encode(s).length;
}

/** The coordinator of every group on this broker: real lifecycle state (timers, storage). */
export class GroupCoordinator {
  /** Settings with defaults applied. */
  readonly settings: GroupSettings;
  readonly #deps: GroupCoordinatorDeps;
  readonly #store: OffsetStore;
  readonly #groups = new Map<string, ConsumerGroup>();
  #state: 'new' | 'loading' | 'running' | 'closed' = 'new';
  #expiryTimer: unknown = undefined;

  constructor(deps: GroupCoordinatorDeps, options: GroupCoordinatorOptions = {}) {
    this.settings = groupSettings(options);
    this.#deps = deps;
    this.#store = new OffsetStore(deps.store);
  }

  /** Restores committed offsets from the metadata store and starts offset expiry. */
  async load(): Promise<void> {
    if (this.#state !== 'new') return;
    this.#state = 'loading';
    const now = this.#now();
    const stored = await this.#store.load((key) => this.#deps.logger.warn('skipping an unreadable group entry', { key }));
    const orphans: Array<{ groupId: string; changes: OffsetChange[] }> = [];
    for (const s of stored) {
      const group = new ConsumerGroup(s.groupId, now);
      group.protocolType = s.meta?.protocolType ?? null;
      // Members do not survive a restart: the group is empty, since it was (or since now).
      group.stateTimestamp = s.meta?.emptySince ?? now;
      const gone: OffsetChange[] = [];
      for (const o of s.offsets) {
        // A topic deleted while its offsets were being removed (a crash in between) leaves them behind.
        if (this.#deps.partitionExists(o.topic, o.partition)) this.#offsetsOf(group, o.topic).set(o.partition, o.value);
        else gone.push({ topic: o.topic, partition: o.partition, value: null });
      }
      if (gone.length > 0) orphans.push({ groupId: s.groupId, changes: gone });
      this.#groups.set(s.groupId, group);
    }
    for (const o of orphans) await this.#store.writeOffsets(o.groupId, o.changes);
    if (this.#state !== 'loading') return; // closed while loading
    this.#state = 'running';
    this.#scheduleExpiry();
    this.#deps.logger.info('group coordinator loaded', { groups: stored.length });
  }

  /** Stops every timer, answers every waiting request with COORDINATOR_NOT_AVAILABLE, waits for writes. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    const timers = this.settings.timers;
    timers.clearTimeout(this.#expiryTimer);
    this.#expiryTimer = undefined;
    for (const group of this.#groups.values()) {
      timers.clearTimeout(group.joinTimer);
      group.joinTimer = undefined;
      this.#clearPendingSync(group);
      for (const t of group.pendingMembers.values()) timers.clearTimeout(t);
      group.pendingMembers.clear();
      for (const m of group.members.values()) {
        timers.clearTimeout(m.sessionTimer);
        m.sessionTimer = undefined;
        m.answerJoin(joinError(COORDINATOR_NOT_AVAILABLE, m.memberId));
        m.answerSync(syncError(COORDINATOR_NOT_AVAILABLE));
      }
    }
    await this.#store.settle();
  }

  /** The group with this id, if the coordinator knows it (for inspection and tests). */
  group(groupId: string): ConsumerGroup | undefined {
    return this.#groups.get(groupId);
  }

  /** Every known group id. */
  groupIds(): string[] {
    return [...this.#groups.keys()];
  }

  #availability(): number {
    if (this.#state === 'running') return NONE;
    return this.#state === 'loading' ? COORDINATOR_LOAD_IN_PROGRESS : COORDINATOR_NOT_AVAILABLE;
  }

  #now(): number {
    return this.settings.timers.now();
  }

  // ---------------------------------------------------------------- JoinGroup

  /** Handles a JoinGroup; the promise settles when the member may proceed (or fails). */
  join(req: JoinRequest): Promise<JoinResult> {
    const unavailable = this.#availability();
    if (unavailable !== NONE) return Promise.resolve(joinError(unavailable, req.memberId));
    if (!req.groupId) return Promise.resolve(joinError(INVALID_GROUP_ID, req.memberId));
    if (req.sessionTimeoutMs < this.settings.minSessionTimeoutMs || req.sessionTimeoutMs > this.settings.maxSessionTimeoutMs) {
      return Promise.resolve(joinError(INVALID_SESSION_TIMEOUT, req.memberId));
    }
    const isUnknown = req.memberId === '';
    let group = this.#groups.get(req.groupId);
    if (!group) {
      if (!isUnknown) return Promise.resolve(joinError(UNKNOWN_MEMBER_ID, req.memberId));
      group = new ConsumerGroup(req.groupId, this.#now());
      this.#groups.set(req.groupId, group);
    }
    if (group.state === 'Dead') return Promise.resolve(joinError(COORDINATOR_NOT_AVAILABLE, req.memberId));
    if (!group.supportsProtocols(req.protocolType, req.protocols.map((p) => p.name))) {
      this.#dropIfUnused(group);
      return Promise.resolve(joinError(INCONSISTENT_GROUP_PROTOCOL, req.memberId));
    }
    return isUnknown ? this.#joinUnknownMember(group, req) : this.#joinKnownMember(group, req);
  }

  #newMemberId(prefix: string): string {
    return `${prefix}-${crypto.randomUUID()}`;
  }

  #joinUnknownMember(group: ConsumerGroup, req: JoinRequest): Promise<JoinResult> {
    if (req.groupInstanceId !== null) {
      const newId = this.#newMemberId(req.groupInstanceId);
      const oldId = group.staticMembers.get(req.groupInstanceId);
      if (oldId !== undefined && group.members.has(oldId)) return this.#replaceStaticMember(group, oldId, newId, req);
      return this.#addMemberAndRebalance(group, newId, req);
    }
    const newId = this.#newMemberId(req.clientId);
    if (req.requireKnownMemberId) {
      if (group.members.size + group.pendingMembers.size >= this.settings.maxGroupSize) return Promise.resolve(joinError(GROUP_MAX_SIZE_REACHED));
      // The id is reserved until the member comes back with it or its session timeout passes.
      const timer = this.settings.timers.setTimeout(() => this.#expirePending(group, newId), req.sessionTimeoutMs);
      group.pendingMembers.set(newId, timer);
      return Promise.resolve(joinError(MEMBER_ID_REQUIRED, newId));
    }
    return this.#addMemberAndRebalance(group, newId, req);
  }

  #joinKnownMember(group: ConsumerGroup, req: JoinRequest): Promise<JoinResult> {
    const { memberId } = req;
    if (group.pendingMembers.has(memberId)) {
      this.settings.timers.clearTimeout(group.pendingMembers.get(memberId));
      group.pendingMembers.delete(memberId);
      return this.#addMemberAndRebalance(group, memberId, req);
    }
    if (group.isStaticMemberFenced(memberId, req.groupInstanceId)) return Promise.resolve(joinError(FENCED_INSTANCE_ID, memberId));
    const member = group.members.get(memberId);
    if (!member) return Promise.resolve(joinError(UNKNOWN_MEMBER_ID, memberId));
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
        return Promise.resolve(joinError(UNKNOWN_MEMBER_ID, memberId));
    }
  }

  #currentJoinResult(group: ConsumerGroup, member: GroupMember, withMembers: boolean): JoinResult {
    const isLeader = group.leaderId === member.memberId;
    return {
      errorCode: NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? '',
      memberId: member.memberId,
      members: isLeader && withMembers ? this.#memberSubscriptions(group) : [],
      skipAssignment: false,
    };
  }

  #memberSubscriptions(group: ConsumerGroup): JoinResult['members'] {
    const protocol = group.protocolName ?? '';
    return [...group.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadataFor(protocol) }));
  }

  #newMember(memberId: string, req: JoinRequest): GroupMember {
    return new GroupMember({
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

  #addMemberAndRebalance(group: ConsumerGroup, memberId: string, req: JoinRequest): Promise<JoinResult> {
    if (group.members.size >= this.settings.maxGroupSize) return Promise.resolve(joinError(GROUP_MAX_SIZE_REACHED, memberId));
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

  #updateMemberAndRebalance(group: ConsumerGroup, member: GroupMember, req: JoinRequest): Promise<JoinResult> {
    member.protocols = [...req.protocols];
    member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    member.sessionTimeoutMs = req.sessionTimeoutMs;
    member.clientId = req.clientId;
    member.clientHost = req.clientHost;
    // A second JoinGroup replaces a waiting one (the client gave up on the first).
    member.answerJoin(joinError(REBALANCE_IN_PROGRESS, member.memberId));
    const answer = new Promise<JoinResult>((resolve) => (member.joinWaiter = resolve));
    this.#armSession(group, member);
    this.#maybePrepareRebalance(group, `member ${member.memberId} rejoined`);
    return answer;
  }

  #replaceStaticMember(group: ConsumerGroup, oldId: string, newId: string, req: JoinRequest): Promise<JoinResult> {
    const old = group.members.get(oldId)!;
    this.settings.timers.clearTimeout(old.sessionTimer);
    // Whoever still waits under the old id has been replaced.
    old.answerJoin(joinError(FENCED_INSTANCE_ID, oldId));
    old.answerSync(syncError(FENCED_INSTANCE_ID));
    const member = this.#newMember(newId, req);
    member.assignment = old.assignment;
    const wasLeader = group.leaderId === oldId;
    group.members.delete(oldId);
    group.members.set(newId, member);
    // The new id owes the SyncGroup the old one owed.
    if (group.pendingSync.delete(oldId)) group.pendingSync.add(newId);
    group.staticMembers.set(req.groupInstanceId!, newId);
    if (wasLeader) group.leaderId = newId;
    this.#deps.logger.info('static member replaced', { groupId: group.groupId, groupInstanceId: req.groupInstanceId, oldId, newId });
    if (group.state === 'Stable' && old.matches(req.protocols) && group.selectProtocol() === group.protocolName) {
      // KIP-345: the same instance coming back with the same metadata keeps its assignment, no rebalance.
      this.#armSession(group, member);
      const isLeader = group.leaderId === newId;
      const skip = isLeader && req.supportsSkipAssignment;
      return Promise.resolve({
        errorCode: NONE,
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

  #maybePrepareRebalance(group: ConsumerGroup, reason: string): void {
    if (group.state === 'Stable' || group.state === 'CompletingRebalance' || group.state === 'Empty') {
      this.#prepareRebalance(group, reason);
    } else if (group.state === 'PreparingRebalance') {
      this.#tryCompleteJoin(group);
    }
  }

  #prepareRebalance(group: ConsumerGroup, reason: string): void {
    const timers = this.settings.timers;
    if (group.state === 'CompletingRebalance') {
      // Assignments of the generation being formed are void: waiting members must rejoin.
      for (const m of group.members.values()) {
        m.assignment = EMPTY;
        if (m.syncWaiter === null) continue;
        m.answerSync(syncError(REBALANCE_IN_PROGRESS));
        // Its session was held open while it waited on us: give it a full one to rejoin in.
        this.#armSession(group, m);
      }
    }
    const wasEmpty = group.state === 'Empty';
    group.transition('PreparingRebalance', this.#now());
    timers.clearTimeout(group.joinTimer);
    this.#clearPendingSync(group);
    this.#deps.logger.debug('preparing rebalance', { groupId: group.groupId, generationId: group.generationId, reason });
    const rebalanceTimeout = group.maxRebalanceTimeoutMs();
    const initialDelay = this.settings.initialRebalanceDelayMs;
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

  #scheduleInitialDelay(group: ConsumerGroup, delay: number, remaining: number): void {
    group.joinTimer = this.settings.timers.setTimeout(() => {
      group.joinTimer = undefined;
      if (group.newMemberAdded && remaining > 0) {
        group.newMemberAdded = false;
        const next = Math.min(this.settings.initialRebalanceDelayMs, remaining);
        this.#scheduleInitialDelay(group, next, remaining - next);
        return;
      }
      this.#completeJoin(group);
    }, delay);
  }

  #tryCompleteJoin(group: ConsumerGroup): void {
    if (group.state !== 'PreparingRebalance' || group.initialDelayActive) return;
    if (group.hasAllMembersJoined()) this.#completeJoin(group);
  }

  /** Ends the join phase: drops members that did not rejoin and starts the next generation. */
  #completeJoin(group: ConsumerGroup): void {
    if (group.state !== 'PreparingRebalance' || this.#state === 'closed') return;
    const timers = this.settings.timers;
    timers.clearTimeout(group.joinTimer);
    group.joinTimer = undefined;
    group.initialDelayActive = false;
    group.newMemberAdded = false;
    for (const m of [...group.members.values()]) {
      if (m.awaitingJoin) continue;
      this.#deps.logger.info('removing a member that did not rejoin in time', { groupId: group.groupId, memberId: m.memberId });
      timers.clearTimeout(m.sessionTimer);
      group.remove(m.memberId);
      m.answerSync(syncError(UNKNOWN_MEMBER_ID));
    }
    group.ensureJoinedLeader();
    group.generationId++;
    if (group.isEmpty) {
      group.protocolName = null;
      group.leaderId = null;
      group.transition('Empty', this.#now());
      this.#persistMeta(group, group.stateTimestamp);
      this.#deps.logger.info('group is empty', { groupId: group.groupId, generationId: group.generationId });
      return;
    }
    group.protocolName = group.selectProtocol();
    group.transition('CompletingRebalance', this.#now());
    this.#deps.logger.info('rebalance complete', { groupId: group.groupId, generationId: group.generationId, members: group.members.size, protocol: group.protocolName });
    const subscriptions = this.#memberSubscriptions(group);
    this.#armPendingSync(group);
    for (const m of group.members.values()) {
      const isLeader = m.memberId === group.leaderId;
      m.answerJoin({
        errorCode: NONE,
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
  #armPendingSync(group: ConsumerGroup): void {
    this.#clearPendingSync(group);
    for (const id of group.members.keys()) group.pendingSync.add(id);
    const generation = group.generationId;
    group.syncTimer = this.settings.timers.setTimeout(() => this.#expirePendingSync(group, generation), group.maxRebalanceTimeoutMs());
  }

  #clearPendingSync(group: ConsumerGroup): void {
    this.settings.timers.clearTimeout(group.syncTimer);
    group.syncTimer = undefined;
    group.pendingSync.clear();
  }

  #synced(group: ConsumerGroup, memberId: string): void {
    group.pendingSync.delete(memberId);
    if (group.pendingSync.size === 0) this.#clearPendingSync(group);
  }

  #expirePendingSync(group: ConsumerGroup, generation: number): void {
    group.syncTimer = undefined;
    if (this.#state === 'closed' || group.generationId !== generation) return;
    if (group.state !== 'CompletingRebalance' && group.state !== 'Stable') return;
    const late = [...group.pendingSync];
    group.pendingSync.clear();
    if (late.length === 0) return;
    this.#deps.logger.info('removing members that did not sync in time', { groupId: group.groupId, generationId: generation, members: late });
    for (const id of late) {
      const member = group.members.get(id);
      if (!member) continue;
      this.settings.timers.clearTimeout(member.sessionTimer);
      member.sessionTimer = undefined;
      group.remove(id);
      member.answerJoin(joinError(UNKNOWN_MEMBER_ID, id));
      member.answerSync(syncError(UNKNOWN_MEMBER_ID));
    }
    this.#prepareRebalance(group, `${late.length} member(s) did not sync in time`);
  }

  #expirePending(group: ConsumerGroup, memberId: string): void {
    if (!group.pendingMembers.delete(memberId)) return;
    this.#deps.logger.debug('pending member expired', { groupId: group.groupId, memberId });
    this.#tryCompleteJoin(group);
    this.#dropIfUnused(group);
  }

  #armSession(group: ConsumerGroup, member: GroupMember): void {
    const timers = this.settings.timers;
    timers.clearTimeout(member.sessionTimer);
    member.sessionTimer = timers.setTimeout(() => this.#onSessionExpired(group, member), member.sessionTimeoutMs);
  }

  #onSessionExpired(group: ConsumerGroup, member: GroupMember): void {
    member.sessionTimer = undefined;
    if (group.members.get(member.memberId) !== member || this.#state === 'closed') return;
    // A member waiting in JoinGroup or SyncGroup is alive: it waits on us.
    if (member.awaitingJoin || member.syncWaiter !== null) {
      this.#armSession(group, member);
      return;
    }
    this.#deps.logger.info('member session expired', { groupId: group.groupId, memberId: member.memberId });
    this.#removeMemberAndUpdateGroup(group, member);
  }

  #removeMemberAndUpdateGroup(group: ConsumerGroup, member: GroupMember): void {
    this.settings.timers.clearTimeout(member.sessionTimer);
    member.sessionTimer = undefined;
    group.remove(member.memberId);
    member.answerJoin(joinError(UNKNOWN_MEMBER_ID, member.memberId));
    member.answerSync(syncError(UNKNOWN_MEMBER_ID));
    if (group.state === 'Stable' || group.state === 'CompletingRebalance') this.#prepareRebalance(group, `member ${member.memberId} left`);
    else if (group.state === 'PreparingRebalance') this.#tryCompleteJoin(group);
  }

  // ---------------------------------------------------------------- SyncGroup

  /** Handles a SyncGroup; a follower's promise settles when the leader has sent the assignment. */
  sync(req: SyncRequest): Promise<SyncResult> {
    const unavailable = this.#availability();
    if (unavailable !== NONE) return Promise.resolve(syncError(unavailable));
    if (!req.groupId) return Promise.resolve(syncError(INVALID_GROUP_ID));
    const group = this.#groups.get(req.groupId);
    if (!group) return Promise.resolve(syncError(UNKNOWN_MEMBER_ID));
    if (group.state === 'Dead') return Promise.resolve(syncError(COORDINATOR_NOT_AVAILABLE));
    if (group.isStaticMemberFenced(req.memberId, req.groupInstanceId)) return Promise.resolve(syncError(FENCED_INSTANCE_ID));
    const member = group.members.get(req.memberId);
    if (!member) return Promise.resolve(syncError(UNKNOWN_MEMBER_ID));
    if (req.generationId !== group.generationId) return Promise.resolve(syncError(ILLEGAL_GENERATION));
    if ((req.protocolType !== null && req.protocolType !== group.protocolType) || (req.protocolName !== null && req.protocolName !== group.protocolName)) {
      return Promise.resolve(syncError(INCONSISTENT_GROUP_PROTOCOL));
    }
    if (group.state === 'CompletingRebalance' || group.state === 'Stable') this.#synced(group, req.memberId);
    switch (group.state) {
      case 'PreparingRebalance':
        return Promise.resolve(syncError(REBALANCE_IN_PROGRESS));
      case 'CompletingRebalance': {
        member.answerSync(syncError(REBALANCE_IN_PROGRESS));
        const answer = new Promise<SyncResult>((resolve) => (member.syncWaiter = resolve));
        this.#armSession(group, member);
        if (req.memberId === group.leaderId) {
          const given = new Map(req.assignments.map((a) => [a.memberId, a.assignment]));
          for (const m of group.members.values()) m.assignment = given.get(m.memberId) ?? EMPTY;
          group.transition('Stable', this.#now());
          this.#deps.logger.debug('group stable', { groupId: group.groupId, generationId: group.generationId });
          for (const m of group.members.values()) {
            m.answerSync({ errorCode: NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: m.assignment });
            this.#armSession(group, m);
          }
        }
        return answer;
      }
      case 'Stable':
        this.#armSession(group, member);
        return Promise.resolve({ errorCode: NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment });
      default:
        return Promise.resolve(syncError(UNKNOWN_MEMBER_ID));
    }
  }

  // ---------------------------------------------------------------- Heartbeat, LeaveGroup

  /** Handles a Heartbeat; returns its error code. */
  heartbeat(req: HeartbeatRequest): number {
    const unavailable = this.#availability();
    if (unavailable !== NONE) return unavailable;
    if (!req.groupId) return INVALID_GROUP_ID;
    const group = this.#groups.get(req.groupId);
    if (!group) return UNKNOWN_MEMBER_ID;
    if (group.state === 'Dead') return COORDINATOR_NOT_AVAILABLE;
    if (group.isStaticMemberFenced(req.memberId, req.groupInstanceId)) return FENCED_INSTANCE_ID;
    const member = group.members.get(req.memberId);
    if (!member) return UNKNOWN_MEMBER_ID;
    if (req.generationId !== group.generationId) return ILLEGAL_GENERATION;
    switch (group.state) {
      case 'Stable':
      case 'CompletingRebalance':
        this.#armSession(group, member);
        return NONE;
      case 'PreparingRebalance':
        this.#armSession(group, member);
        return REBALANCE_IN_PROGRESS;
      default:
        return UNKNOWN_MEMBER_ID;
    }
  }

  /** Handles a LeaveGroup for one or more members. */
  leave(groupId: string, leaving: readonly LeavingMember[]): LeaveResult {
    const unavailable = this.#availability();
    if (unavailable !== NONE) return { errorCode: unavailable, members: [] };
    if (!groupId) return { errorCode: INVALID_GROUP_ID, members: [] };
    const group = this.#groups.get(groupId);
    const result = (m: LeavingMember, errorCode: number) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode });
    if (!group) return { errorCode: NONE, members: leaving.map((m) => result(m, UNKNOWN_MEMBER_ID)) };
    if (group.state === 'Dead') return { errorCode: COORDINATOR_NOT_AVAILABLE, members: [] };
    const members = leaving.map((m) => {
      if (m.memberId === '') {
        // Administrative removal by group.instance.id.
        const current = m.groupInstanceId === null ? undefined : group.staticMembers.get(m.groupInstanceId);
        const member = current === undefined ? undefined : group.members.get(current);
        if (!member) return result(m, UNKNOWN_MEMBER_ID);
        this.#deps.logger.info('static member removed', { groupId, groupInstanceId: m.groupInstanceId });
        this.#removeMemberAndUpdateGroup(group, member);
        return result(m, NONE);
      }
      if (group.pendingMembers.has(m.memberId)) {
        this.settings.timers.clearTimeout(group.pendingMembers.get(m.memberId));
        group.pendingMembers.delete(m.memberId);
        this.#tryCompleteJoin(group);
        return result(m, NONE);
      }
      if (group.isStaticMemberFenced(m.memberId, m.groupInstanceId)) return result(m, FENCED_INSTANCE_ID);
      const member = group.members.get(m.memberId);
      if (!member) return result(m, UNKNOWN_MEMBER_ID);
      this.#deps.logger.info('member left', { groupId, memberId: m.memberId });
      this.#removeMemberAndUpdateGroup(group, member);
      return result(m, NONE);
    });
    this.#dropIfUnused(group);
    return { errorCode: NONE, members };
  }

  // ---------------------------------------------------------------- Offsets

  #offsetsOf(group: ConsumerGroup, topic: string): Map<number, CommittedOffset> {
    let parts = group.offsets.get(topic);
    if (!parts) group.offsets.set(topic, (parts = new Map()));
    return parts;
  }

  /** Handles an OffsetCommit: checks membership and generation, then persists atomically. */
  async commitOffsets(req: CommitRequest): Promise<CommitResult> {
    const all = (errorCode: number): CommitResult =>
      req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) }));
    const unavailable = this.#availability();
    if (unavailable !== NONE) return all(unavailable);
    if (req.groupId === null || req.groupId === undefined) return all(INVALID_GROUP_ID);
    let group = this.#groups.get(req.groupId);
    if (!group) {
      // A group that only stores offsets (no members) is created by its first commit.
      if (req.generationId >= 0) return all(ILLEGAL_GENERATION);
      group = new ConsumerGroup(req.groupId, this.#now());
      this.#groups.set(req.groupId, group);
    } else {
      const refused = this.#commitRefusal(group, req);
      if (refused !== NONE) return all(refused);
    }
    const now = this.#now();
    const changes: OffsetChange[] = [];
    const result: CommitResult = req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        if (!this.#deps.partitionExists(t.name, p.partitionIndex)) return { partitionIndex: p.partitionIndex, errorCode: UNKNOWN_TOPIC_OR_PARTITION };
        const metadata = p.committedMetadata ?? '';
        if (utf8Length(metadata) > this.settings.offsetMetadataMaxBytes) return { partitionIndex: p.partitionIndex, errorCode: OFFSET_METADATA_TOO_LARGE };
        const commitTimestamp = p.commitTimestamp >= 0 ? p.commitTimestamp : now;
        const value: CommittedOffset = {
          offset: p.committedOffset,
          leaderEpoch: p.committedLeaderEpoch,
          metadata,
          commitTimestamp,
          expireTimestamp: req.retentionTimeMs >= 0 ? commitTimestamp + req.retentionTimeMs : null,
        };
        changes.push({ topic: t.name, partition: p.partitionIndex, value });
        return { partitionIndex: p.partitionIndex, errorCode: NONE };
      }),
    }));
    if (changes.length === 0) {
      this.#dropIfUnused(group);
      return result;
    }
    try {
      await this.#store.writeOffsets(req.groupId, changes);
    } catch (error) {
      this.#deps.logger.error('offset commit failed to persist', { groupId: req.groupId, error: String(error) });
      this.#dropIfUnused(group);
      return all(COORDINATOR_NOT_AVAILABLE);
    }
    if (group.state === 'Dead') return all(COORDINATOR_NOT_AVAILABLE); // deleted while writing
    for (const c of changes) this.#offsetsOf(group, c.topic).set(c.partition, c.value!);
    return result;
  }

  /**
   * Why a commit to an existing group is refused (NONE when it is not), in the order Kafka
   * checks: a commit naming no generation, member or instance is a simple commit, allowed
   * only while the group is empty; any other must come from the current generation's
   * member, and not while the assignment is being handed out.
   */
  #commitRefusal(group: ConsumerGroup, req: CommitRequest): number {
    if (group.state === 'Dead') return COORDINATOR_NOT_AVAILABLE;
    if (req.generationId < 0 && req.memberId === '' && req.groupInstanceId === null) return group.state === 'Empty' ? NONE : UNKNOWN_MEMBER_ID;
    if (group.isStaticMemberFenced(req.memberId, req.groupInstanceId)) return FENCED_INSTANCE_ID;
    const member = group.members.get(req.memberId);
    if (!member) return UNKNOWN_MEMBER_ID;
    if (req.generationId !== group.generationId) return ILLEGAL_GENERATION;
    // The member has its JoinGroup answer but not yet its assignment: it must not commit yet.
    if (group.state === 'CompletingRebalance') return REBALANCE_IN_PROGRESS;
    this.#armSession(group, member);
    return NONE;
  }

  /**
   * Forgets every group's committed offsets of a deleted topic, as Kafka does, so that a
   * topic created again under the same name does not inherit positions in the old data.
   * Returns how many offsets were removed.
   */
  async removeTopicOffsets(topic: string): Promise<number> {
    let removed = 0;
    for (const group of this.#groups.values()) {
      const parts = group.offsets.get(topic);
      if (!parts) continue;
      group.offsets.delete(topic);
      removed += parts.size;
      await this.#store.writeOffsets(group.groupId, [...parts.keys()].map((partition) => ({ topic, partition, value: null })));
    }
    if (removed > 0) this.#deps.logger.info('removed the committed offsets of a deleted topic', { topic, offsets: removed });
    return removed;
  }

  /** Handles OffsetFetch for one group: `topics` null means every committed partition. */
  fetchOffsets(groupId: string, topics: ReadonlyArray<{ name: string; partitionIndexes: readonly number[] }> | null): OffsetFetchResult {
    const unavailable = this.#availability();
    const group = this.#groups.get(groupId);
    const one = (topic: string, partition: number): FetchedOffset => {
      if (unavailable !== NONE) return { partitionIndex: partition, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: unavailable };
      const o = group?.offsets.get(topic)?.get(partition);
      return o
        ? { partitionIndex: partition, committedOffset: o.offset, committedLeaderEpoch: o.leaderEpoch, metadata: o.metadata, errorCode: NONE }
        : { partitionIndex: partition, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: NONE };
    };
    if (topics === null) {
      if (unavailable !== NONE) return { errorCode: unavailable, topics: [] };
      const out: OffsetFetchResult['topics'] = [];
      for (const [name, parts] of [...(group?.offsets ?? new Map<string, Map<number, CommittedOffset>>())].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        if (parts.size === 0) continue;
        out.push({ name, partitions: [...parts.keys()].sort((a, b) => a - b).map((p) => one(name, p)) });
      }
      return { errorCode: NONE, topics: out };
    }
    return { errorCode: unavailable, topics: topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => one(t.name, p)) })) };
  }

  // ---------------------------------------------------------------- Describe, list, delete

  /** Describes one group (an unknown group is reported as Dead with no error, as Kafka does up to v5). */
  describe(groupId: string): GroupDescription {
    const unavailable = this.#availability();
    const group = this.#groups.get(groupId);
    if (unavailable !== NONE || !group) {
      return { errorCode: unavailable, groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [] };
    }
    const stable = group.state === 'Stable';
    const protocol = group.protocolName ?? '';
    return {
      errorCode: NONE,
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
    if (unavailable !== NONE) return { errorCode: unavailable, groups: [] };
    const states = new Set(statesFilter.map((s) => s.toLowerCase()));
    const types = new Set(typesFilter.map((s) => s.toLowerCase()));
    const groups: GroupListing[] = [];
    for (const g of this.#groups.values()) {
      if (g.state === 'Dead') continue;
      if (states.size > 0 && !states.has(g.state.toLowerCase())) continue;
      if (types.size > 0 && !types.has('classic')) continue;
      groups.push({ groupId: g.groupId, protocolType: g.protocolType ?? '', groupState: g.state, groupType: 'classic' });
    }
    return { errorCode: NONE, groups };
  }

  /** Deletes empty groups with their offsets: GROUP_ID_NOT_FOUND / NON_EMPTY_GROUP otherwise. */
  async deleteGroups(groupIds: readonly string[]): Promise<Array<{ groupId: string; errorCode: number }>> {
    const unavailable = this.#availability();
    return Promise.all(
      groupIds.map(async (groupId) => {
        if (unavailable !== NONE) return { groupId, errorCode: unavailable };
        const group = this.#groups.get(groupId);
        if (!group || group.state === 'Dead') return { groupId, errorCode: GROUP_ID_NOT_FOUND };
        if (group.state !== 'Empty') return { groupId, errorCode: NON_EMPTY_GROUP };
        try {
          await this.#removeGroup(group);
        } catch (error) {
          this.#deps.logger.error('group deletion failed to persist', { groupId, error: String(error) });
          return { groupId, errorCode: COORDINATOR_NOT_AVAILABLE };
        }
        return { groupId, errorCode: NONE };
      }),
    );
  }

  async #removeGroup(group: ConsumerGroup): Promise<void> {
    const offsets: Array<{ topic: string; partition: number }> = [];
    for (const [topic, parts] of group.offsets) for (const partition of parts.keys()) offsets.push({ topic, partition });
    group.transition('Dead', this.#now());
    this.#clearPendingSync(group);
    for (const t of group.pendingMembers.values()) this.settings.timers.clearTimeout(t);
    group.pendingMembers.clear();
    if (this.#groups.get(group.groupId) === group) this.#groups.delete(group.groupId);
    await this.#store.deleteGroup(group.groupId, offsets);
  }

  /** Forgets a group that has neither members, pending members nor offsets (never stored). */
  #dropIfUnused(group: ConsumerGroup): void {
    if (group.state === 'Empty' && group.isEmpty && group.pendingMembers.size === 0 && group.offsetCount() === 0 && group.generationId === 0) {
      group.transition('Dead', this.#now());
      this.#groups.delete(group.groupId);
    }
  }

  #persistMeta(group: ConsumerGroup, emptySince: number | null): void {
    if (group.protocolType === null) return;
    this.#store.writeMeta(group.groupId, { protocolType: group.protocolType, emptySince }).catch((error: unknown) => {
      this.#deps.logger.warn('could not persist group state', { groupId: group.groupId, error: String(error) });
    });
  }

  // ---------------------------------------------------------------- Retention

  #scheduleExpiry(): void {
    const interval = this.settings.offsetsRetentionCheckIntervalMs;
    if (interval <= 0 || this.#state !== 'running') return;
    this.#expiryTimer = this.settings.timers.setTimeout(() => {
      this.#expiryTimer = undefined;
      this.expireOffsets().catch((error: unknown) => this.#deps.logger.error('offset expiry failed', { error: String(error) }))
        .finally(() => this.#scheduleExpiry());
    }, interval);
  }

  /**
   * Removes expired offsets, as Kafka does since KIP-211 (an explicit v2–4 retention time
   * wins over the policy):
   * - an empty consumer group's offsets, `offsetsRetentionMs` after it became empty;
   * - a group that only stores offsets (no protocol type), each offset that long after its commit;
   * - a stable consumer group's offsets of topics no member subscribes to any more, that
   *   long after their commit (when every member's subscription can be read).
   * An empty group left without offsets is deleted. Returns how many offsets were removed.
   */
  async expireOffsets(): Promise<number> {
    if (this.#state !== 'running') return 0;
    const now = this.#now();
    const retention = this.settings.offsetsRetentionMs;
    let removed = 0;
    for (const group of [...this.#groups.values()]) {
      let subscribed: Set<string> | null = null;
      if (group.state === 'Stable' && group.protocolType === CONSUMER_PROTOCOL_TYPE) {
        subscribed = this.#subscribedTopics(group);
        if (subscribed === null) continue;
      } else if (group.state !== 'Empty') {
        continue;
      }
      const changes: OffsetChange[] = [];
      for (const [topic, parts] of group.offsets) {
        if (subscribed?.has(topic)) continue;
        for (const [partition, o] of parts) {
          const base = group.state === 'Empty' && group.protocolType !== null ? group.stateTimestamp : o.commitTimestamp;
          const expired = o.expireTimestamp !== null ? now >= o.expireTimestamp : now - base >= retention;
          if (expired) changes.push({ topic, partition, value: null });
        }
      }
      if (group.state === 'Empty' && changes.length === group.offsetCount() && group.isEmpty && group.pendingMembers.size === 0) {
        this.#deps.logger.info('deleting an expired empty group', { groupId: group.groupId, offsets: changes.length });
        removed += changes.length;
        await this.#removeGroup(group);
        continue;
      }
      if (changes.length === 0) continue;
      // Forgotten before the write: a commit landing while it runs is written after it and kept.
      for (const c of changes) {
        const parts = group.offsets.get(c.topic);
        parts?.delete(c.partition);
        if (parts?.size === 0) group.offsets.delete(c.topic);
      }
      this.#deps.logger.debug('expired committed offsets', { groupId: group.groupId, offsets: changes.length });
      await this.#store.writeOffsets(group.groupId, changes);
      removed += changes.length;
    }
    return removed;
  }

  /** The topics the members of a consumer group subscribe to, or null when a subscription cannot be read. */
  #subscribedTopics(group: ConsumerGroup): Set<string> | null {
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

/** The state names DescribeGroups and ListGroups report. */
export type { GroupState };
