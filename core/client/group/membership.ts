/**
 * Group membership for the consumer (Kafka's classic protocol), as an AssignmentSource:
 *
 * FindCoordinator → JoinGroup (MEMBER_ID_REQUIRED answered by joining again with the given
 * id, KIP-394) → the leader runs the assignor over every member's subscription and sends
 * the assignments in SyncGroup → the partitions start at their committed offsets
 * (OffsetFetch), or per `fromBeginning` when none. A heartbeat loop runs beside it and
 * turns the coordinator's answers into actions: REBALANCE_IN_PROGRESS → rejoin;
 * UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION → the partitions are lost, join afresh;
 * NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE → look the coordinator up again.
 *
 * Two rebalance protocols, chosen as Kafka does (cooperative only when every configured
 * assignor supports it):
 * - eager: before joining, the member gives back every partition (committing what was
 *   processed when auto-commit is on) and starts from scratch with the new assignment;
 * - cooperative (KIP-429): the member keeps consuming while the group rebalances and
 *   reports what it owns in its subscription; the leader holds back every partition that
 *   changes owner; a member that loses partitions revokes (and commits) only those, then
 *   rejoins at once, and the second round hands them to their new owners.
 *
 * Offsets: auto-commit on an interval, on revoke and on stop (positions are "last
 * processed + 1", so delivery is at least once); `commit()` for manual commits. On stop a
 * dynamic member leaves the group (LeaveGroup); a static member (group.instance.id) does
 * not, so that its restart within the session timeout causes no rebalance (KIP-345).
 */
import type { Logger } from '../../contracts/logger.ts';
import { KafkaCode, TributaryError, kafkaError } from '../../errors.ts';
import { ApiKey } from '../../protocol/api-keys.ts';
import { decodeConsumerAssignment, encodeConsumerSubscription } from '../../protocol/consumer-protocol.ts';
import type { PartitionAssignor } from '../assignors/index.ts';
import type { Cluster } from '../cluster.ts';
import type { AssignmentSource, AssignmentTarget, TopicPartition, TopicPartitionOffset } from '../consumer.ts';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, listOffsets } from '../list-offsets.ts';
import { type RetryPolicy, reconnectBackoff, withRetry } from '../retry.ts';
import { CoordinatorChannel, coordinatorMoved } from './coordinator-channel.ts';
import { type JoinedMember, computeAssignments, decodeMembers, encodeAssignments, groupByTopic } from './leader-assignment.ts';
import { OffsetCommitter } from './offset-committer.ts';
import { type OffsetToCommit, fetchCommittedOffsets } from './offsets.ts';
import type { Subscription } from './subscription.ts';

/** Settings of a membership (the group consumer fills the defaults). */
export interface MembershipSettings {
  readonly groupId: string;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly groupInstanceId: string | null;
  readonly assignors: readonly PartitionAssignor[];
  readonly autoCommit: boolean;
  readonly autoCommitIntervalMs: number;
  /** How often the subscription (patterns) and, on the leader, partition counts are re-checked. */
  readonly metadataMaxAgeMs: number;
  readonly rackId: string | null;
  /** The consumer's isolation level (for ListOffsets when subscribe() sets fromBeginning). */
  readonly isolationLevel: number;
}

/** What the membership needs from its client. */
export interface MembershipDeps {
  readonly cluster: Cluster;
  readonly logger: Logger;
  readonly retry: RetryPolicy;
}

/** Events a group consumer emits (`consumer.on(event, listener)`), each with its payload. */
export interface GroupEvents {
  /** A join round completed: where the member stands now. */
  readonly 'group.join': GroupState;
  /** The member starts a join round (JoinGroup is about to be sent). */
  readonly rebalancing: { readonly groupId: string; readonly memberId: string };
  /** Partitions handed to the consumer (after their start offsets are known). */
  readonly 'partitions.assigned': { readonly partitions: readonly TopicPartition[] };
  /** Partitions given back in a rebalance or on stop (their positions committed when auto-commit is on). */
  readonly 'partitions.revoked': { readonly partitions: readonly TopicPartition[] };
  /** Partitions taken away without a commit: the member's generation is gone. */
  readonly 'partitions.lost': { readonly partitions: readonly TopicPartition[] };
  /** Offsets the coordinator accepted (only those that moved). */
  readonly commit: { readonly groupId: string; readonly offsets: readonly OffsetToCommit[] };
  /** The coordinator answered a heartbeat with no error. */
  readonly heartbeat: { readonly groupId: string; readonly memberId: string; readonly generationId: number };
}

/** The name of a group event. */
export type GroupEventName = keyof GroupEvents;

/** A listener of group event `E`. */
export type GroupEventListener<E extends GroupEventName> = (payload: GroupEvents[E]) => void;

// One set per event, so that each keeps its listener type.
type GroupListeners = { readonly [E in GroupEventName]: Set<GroupEventListener<E>> };

/** Where the member stands. */
export interface GroupState {
  readonly groupId: string;
  readonly memberId: string;
  readonly generationId: number;
  readonly leaderId: string;
  readonly isLeader: boolean;
  /** The selected assignor's protocol name (null before the first join). */
  readonly protocol: string | null;
  /** 'eager' or 'cooperative', from the configured assignors. */
  readonly rebalanceProtocol: 'eager' | 'cooperative';
  /** Partitions this member owns. */
  readonly assignment: TopicPartition[];
}

/** Errors after which the member cannot go on (configuration, fencing, authorization). */
const FATAL: ReadonlySet<number> = new Set([
  KafkaCode.INCONSISTENT_GROUP_PROTOCOL,
  KafkaCode.INVALID_GROUP_ID,
  KafkaCode.INVALID_SESSION_TIMEOUT,
  KafkaCode.GROUP_AUTHORIZATION_FAILED,
  KafkaCode.UNSUPPORTED_VERSION,
  KafkaCode.GROUP_MAX_SIZE_REACHED,
  KafkaCode.FENCED_INSTANCE_ID,
  KafkaCode.TOPIC_AUTHORIZATION_FAILED,
  KafkaCode.CLUSTER_AUTHORIZATION_FAILED,
]);

function isFatal(error: unknown): boolean {
  if (!(error instanceof TributaryError)) return true;
  if (error.kafkaCode !== undefined && FATAL.has(error.kafkaCode)) return true;
  return !error.retriable && !coordinatorMoved(error);
}

function key(tp: TopicPartition): string {
  return `${tp.topic}\u0000${tp.partition}`;
}

function sameCounts(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [t, n] of a) if (b.get(t) !== n) return false;
  return true;
}

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
  settled: boolean;
}

function deferred(): Deferred {
  const d = { settled: false } as Deferred;
  d.promise = new Promise<void>((resolve, reject) => {
    d.resolve = () => {
      d.settled = true;
      resolve();
    };
    d.reject = (error) => {
      d.settled = true;
      reject(error);
    };
  });
  d.promise.catch(() => {});
  return d;
}

/** One consumer's membership of a group: real lifecycle state (loops, timers, the generation). */
export class GroupMembership implements AssignmentSource {
  readonly settings: MembershipSettings;
  /** 'cooperative' when every configured assignor supports it (Kafka's rule). */
  readonly rebalanceProtocol: 'eager' | 'cooperative';
  readonly #cluster: Cluster;
  readonly #logger: Logger;
  readonly #retry: RetryPolicy;
  readonly #channel: CoordinatorChannel;
  readonly #subscription: Subscription;
  readonly #listeners: GroupListeners = {
    'group.join': new Set(),
    rebalancing: new Set(),
    'partitions.assigned': new Set(),
    'partitions.revoked': new Set(),
    'partitions.lost': new Set(),
    commit: new Set(),
    heartbeat: new Set(),
  };
  #target: AssignmentTarget | null = null;
  #running = false;
  /** Bumped by start and stop: work of an older session sees it and gives up. */
  #session = 0;
  #memberId = '';
  #generationId = -1;
  #leaderId = '';
  #protocol: string | null = null;
  /** Partitions handed to the consumer. */
  readonly #owned = new Map<string, TopicPartition>();
  readonly #committer: OffsetCommitter;
  #rejoinNeeded = true;
  /** True while a JoinGroup/SyncGroup round runs (heartbeats pause: the join keeps the session). */
  #joining = false;
  #lastHeartbeat = 0;
  #nextCommitAt = 0;
  #nextMetadataCheck = 0;
  /** Topics of this member's current subscription. */
  #topics: string[] = [];
  /** Leader only: the group's topics and the partition counts its last assignment was computed from. */
  #assignedCounts: Map<string, number> | null = null;
  #groupTopics: string[] = [];
  #wakeMain: (() => void) | null = null;
  #wakeHeartbeat: (() => void) | null = null;
  #loops: Promise<unknown> = Promise.resolve();
  #firstJoin: Deferred = deferred();

  constructor(deps: MembershipDeps, settings: MembershipSettings, subscription: Subscription) {
    this.#cluster = deps.cluster;
    this.#logger = deps.logger;
    this.#retry = deps.retry;
    this.settings = settings;
    this.#subscription = subscription;
    this.#channel = new CoordinatorChannel(deps.cluster, settings.groupId, deps.logger, { dedicated: true });
    this.#committer = new OffsetCommitter(
      this.#channel,
      () => ({ generationId: this.#generationId, memberId: this.#memberId, groupInstanceId: settings.groupInstanceId }),
      (reason) => this.#memberLost(reason),
      (offsets) => this.#emit('commit', { groupId: settings.groupId, offsets }),
    );
    this.rebalanceProtocol = settings.assignors.every((a) => a.rebalanceProtocol === 'cooperative') ? 'cooperative' : 'eager';
  }

  /** The coordinator channel (commits, offset fetches). */
  get channel(): CoordinatorChannel {
    return this.#channel;
  }

  /** Where the member stands now. */
  state(): GroupState {
    return {
      groupId: this.settings.groupId,
      memberId: this.#memberId,
      generationId: this.#generationId,
      leaderId: this.#leaderId,
      isLeader: this.#memberId !== '' && this.#leaderId === this.#memberId,
      protocol: this.#protocol,
      rebalanceProtocol: this.rebalanceProtocol,
      assignment: [...this.#owned.values()],
    };
  }

  /** Adds an event listener; returns a function that removes it. */
  on<E extends GroupEventName>(event: E, listener: GroupEventListener<E>): () => void {
    // Plain JavaScript may name an event that does not exist (even `toString`): nothing will ever call it.
    const set: Set<GroupEventListener<E>> | undefined = Object.hasOwn(this.#listeners, event) ? this.#listeners[event] : undefined;
    if (!set) return () => {};
    set.add(listener);
    return () => set.delete(listener);
  }

  #emit<E extends GroupEventName>(event: E, payload: GroupEvents[E]): void {
    const set: Set<GroupEventListener<E>> = this.#listeners[event];
    for (const listener of set) {
      try {
        listener(payload);
      } catch (error) {
        this.#logger.warn('group event listener failed', { event, error: String(error) });
      }
    }
  }

  #alive(session: number): boolean {
    return this.#running && this.#session === session;
  }

  // ------------------------------------------------------------------ lifecycle

  /** Joins the group; resolves once the first assignment is in place (rejects on a fatal error). */
  async start(target: AssignmentTarget): Promise<void> {
    if (this.#running) return;
    this.#target = target;
    this.#running = true;
    const session = ++this.#session;
    this.#memberId = '';
    this.#generationId = -1;
    this.#leaderId = '';
    this.#rejoinNeeded = true;
    const now = Date.now();
    this.#nextCommitAt = now + this.settings.autoCommitIntervalMs;
    this.#nextMetadataCheck = now + this.settings.metadataMaxAgeMs;
    this.#firstJoin = deferred();
    const main = this.#mainLoop(session);
    const heartbeat = this.#heartbeatLoop(session);
    this.#loops = Promise.allSettled([main, heartbeat]);
    await this.#firstJoin.promise;
  }

  /**
   * Leaves the group: called by the consumer once processing has ended. Commits the
   * processed positions (auto-commit), gives the partitions back and sends LeaveGroup
   * (not for static members).
   */
  async stop(): Promise<void> {
    if (!this.#running) {
      // Stopped by a fatal error already: only the connection is left to release.
      await this.#channel.close();
      return;
    }
    this.#running = false;
    this.#session++;
    this.#wake();
    if (!this.#firstJoin.settled) this.#firstJoin.resolve();
    const owned = [...this.#owned.values()];
    let positions: TopicPartitionOffset[] = [];
    if (owned.length > 0 && this.#target) positions = await this.#target.revoke(owned);
    if (this.settings.autoCommit && this.#generationId >= 0) {
      await this.#committer.commit(positions).catch((error) => this.#logger.warn('final commit failed', { groupId: this.settings.groupId, error: String(error) }));
    }
    this.#owned.clear();
    this.#committer.clear();
    if (owned.length > 0) this.#emit('partitions.revoked', { partitions: owned });
    if (this.#memberId !== '' && this.settings.groupInstanceId === null) await this.#leave();
    this.#memberId = '';
    this.#generationId = -1;
    this.#leaderId = '';
    // A static member's pending JoinGroup may wait on the broker; its answer is ignored.
    await Promise.race([this.#loops, new Promise((r) => setTimeout(r, 20))]);
    await this.#channel.close();
  }

  async #leave(): Promise<void> {
    try {
      const { body } = await this.#channel.send(ApiKey.LeaveGroup, {
        groupId: this.settings.groupId,
        memberId: this.#memberId,
        members: [{ memberId: this.#memberId, groupInstanceId: null, reason: 'the consumer is stopping' }],
      });
      const code = body.errorCode || body.members.find((m) => m.errorCode !== KafkaCode.NONE)?.errorCode || KafkaCode.NONE;
      if (code !== KafkaCode.NONE) this.#logger.debug('LeaveGroup answered an error', { groupId: this.settings.groupId, errorCode: code });
      else this.#logger.info('left the group', { groupId: this.settings.groupId, memberId: this.#memberId });
    } catch (error) {
      this.#logger.warn('LeaveGroup failed', { groupId: this.settings.groupId, error: String(error) });
    }
  }

  #wake(): void {
    const m = this.#wakeMain;
    this.#wakeMain = null;
    m?.();
    const h = this.#wakeHeartbeat;
    this.#wakeHeartbeat = null;
    h?.();
  }

  #requestRejoin(reason: string): void {
    if (!this.#rejoinNeeded) this.#logger.debug('rejoining the group', { groupId: this.settings.groupId, reason });
    this.#rejoinNeeded = true;
    const m = this.#wakeMain;
    this.#wakeMain = null;
    m?.();
  }

  /** Waits `ms` or until woken. */
  #sleep(ms: number, which: 'main' | 'heartbeat'): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(0, ms));
      function done() {
        clearTimeout(timer);
        resolve();
      }
      if (which === 'main') this.#wakeMain = done;
      else this.#wakeHeartbeat = done;
    });
  }

  #fatal(session: number, error: unknown): void {
    if (!this.#alive(session)) return;
    this.#logger.error('group membership failed', { groupId: this.settings.groupId, error: String(error), code: error instanceof TributaryError ? error.code : undefined });
    this.#running = false;
    this.#session++;
    this.#wake();
    // Both surfaces: run() rejects when the first join fails; the consumer crashes
    // either way (its done() rejects and its 'crash' listeners hear of it).
    if (!this.#firstJoin.settled) this.#firstJoin.reject(error);
    this.#target?.fail(error);
  }

  // ------------------------------------------------------------------ loops

  async #mainLoop(session: number): Promise<void> {
    let failures = 0;
    let fruitless = 0;
    while (this.#alive(session)) {
      try {
        if (this.#rejoinNeeded) {
          if (await this.#joinAndSync(session)) {
            failures = 0;
            fruitless = 0;
            if (!this.#firstJoin.settled) this.#firstJoin.resolve();
          } else if (++fruitless > 2) {
            // A round answered with an error that only asks to join again: do not spin.
            await this.#sleep(reconnectBackoff(this.#retry, fruitless - 2), 'main');
          }
          continue;
        }
        const now = Date.now();
        const due = Math.min(this.settings.autoCommit ? this.#nextCommitAt : Infinity, this.#nextMetadataCheck);
        if (now < due) {
          await this.#sleep(due - now, 'main');
          continue;
        }
        if (this.settings.autoCommit && now >= this.#nextCommitAt) await this.#autoCommit();
        if (now >= this.#nextMetadataCheck) await this.#checkMetadata(session);
        failures = 0;
      } catch (error) {
        if (!this.#alive(session)) break;
        if (isFatal(error)) {
          this.#fatal(session, error);
          break;
        }
        failures++;
        // A coordinator that restarts or moves is waited for as long as the consumer runs.
        if (failures === 1) this.#logger.warn('group coordinator request failed; retrying', { groupId: this.settings.groupId, error: String(error) });
        else this.#logger.debug('group request failed; retrying', { groupId: this.settings.groupId, attempt: failures, error: String(error) });
        await this.#sleep(reconnectBackoff(this.#retry, failures), 'main');
      }
    }
  }

  async #heartbeatLoop(session: number): Promise<void> {
    let failures = 0;
    while (this.#alive(session)) {
      const wait = this.#lastHeartbeat + this.settings.heartbeatIntervalMs - Date.now();
      if (this.#joining || this.#rejoinNeeded || this.#generationId < 0 || wait > 0) {
        await this.#sleep(wait > 0 ? wait : this.settings.heartbeatIntervalMs, 'heartbeat');
        continue;
      }
      try {
        await this.#heartbeat(session);
        failures = 0;
      } catch (error) {
        if (!this.#alive(session)) break;
        if (isFatal(error)) {
          // FENCED_INSTANCE_ID: another instance took this static member's place.
          this.#fatal(session, error);
          break;
        }
        failures++;
        this.#logger.debug('heartbeat failed', { groupId: this.settings.groupId, attempt: failures, error: String(error) });
        // Retrying faster than the interval keeps the session alive across a coordinator move.
        await this.#sleep(Math.min(reconnectBackoff(this.#retry, failures), this.settings.heartbeatIntervalMs), 'heartbeat');
      }
    }
  }

  async #heartbeat(session: number): Promise<void> {
    const generation = this.#generationId;
    this.#lastHeartbeat = Date.now();
    const { body } = await this.#channel.send(ApiKey.Heartbeat, {
      groupId: this.settings.groupId,
      generationId: generation,
      memberId: this.#memberId,
      groupInstanceId: this.settings.groupInstanceId,
    });
    // An answer for a generation we already left behind says nothing about the current one.
    if (!this.#alive(session) || generation !== this.#generationId || this.#joining) return;
    if (body.errorCode === KafkaCode.NONE) {
      this.#emit('heartbeat', { groupId: this.settings.groupId, memberId: this.#memberId, generationId: generation });
      return;
    }
    this.#onGroupError(body.errorCode, 'Heartbeat');
  }

  /**
   * Acts on a coordinator error: a rejoin for rebalances and lost membership, a new
   * coordinator lookup for moves (then throws, retriable), and throws for the rest.
   */
  #onGroupError(code: number, api: string): void {
    switch (code) {
      case KafkaCode.REBALANCE_IN_PROGRESS:
        this.#requestRejoin(`${api}: REBALANCE_IN_PROGRESS`);
        return;
      case KafkaCode.UNKNOWN_MEMBER_ID:
        this.#memberId = '';
        this.#memberLost(`${api}: UNKNOWN_MEMBER_ID`);
        return;
      case KafkaCode.ILLEGAL_GENERATION:
        this.#memberLost(`${api}: ILLEGAL_GENERATION`);
        return;
      default:
        if (coordinatorMoved(code)) this.#channel.invalidate();
        throw kafkaError(code, `${api} for group ${this.settings.groupId} failed`, { details: { groupId: this.settings.groupId } });
    }
  }

  /** The generation is gone: the owned partitions may belong to others already (not committed). */
  #memberLost(reason: string): void {
    this.#generationId = -1;
    this.#requestRejoin(reason);
  }

  // ------------------------------------------------------------------ join and sync

  #protocols(): Array<{ name: string; metadata: Uint8Array }> {
    // Cooperative members report what they keep consuming through the rebalance.
    const owned = this.rebalanceProtocol === 'cooperative' ? groupByTopic(this.#owned.values()) : [];
    const out: Array<{ name: string; metadata: Uint8Array }> = [];
    for (const a of this.settings.assignors) {
      const metadata = encodeConsumerSubscription({
        version: 3,
        topics: this.#topics,
        userData: a.userData?.() ?? null,
        ownedPartitions: owned,
        generationId: this.#generationId,
        rackId: this.settings.rackId,
      });
      for (const name of [a.name, ...(a.aliases ?? [])]) out.push({ name, metadata });
    }
    return out;
  }

  /** One JoinGroup + SyncGroup round; true when an assignment was received and applied. */
  async #joinAndSync(session: number): Promise<boolean> {
    this.#joining = true;
    try {
      this.#topics = await this.#subscription.current(this.#cluster);
      this.#nextMetadataCheck = Date.now() + this.settings.metadataMaxAgeMs;
      if (!this.#alive(session)) return false;
      if (this.#owned.size > 0 && (this.rebalanceProtocol === 'eager' || this.#generationId < 0)) {
        // Eager: give everything back before joining. Lost membership: the partitions are
        // no longer ours, and a commit would be refused.
        const lost = this.#generationId < 0;
        await this.#revoke([...this.#owned.values()], !lost);
        if (!this.#alive(session)) return false;
      } else if (this.#owned.size > 0) {
        // Cooperative: partitions of topics no longer subscribed are not claimed in the
        // subscription, so the leader may hand them out at once: give them back first.
        const subscribed = new Set(this.#topics);
        const dropped = [...this.#owned.values()].filter((tp) => !subscribed.has(tp.topic));
        if (dropped.length > 0) await this.#revoke(dropped, true);
        if (!this.#alive(session)) return false;
      }
      this.#emit('rebalancing', { groupId: this.settings.groupId, memberId: this.#memberId });
      const { body: join } = await this.#channel.send(
        ApiKey.JoinGroup,
        {
          groupId: this.settings.groupId,
          sessionTimeoutMs: this.settings.sessionTimeoutMs,
          rebalanceTimeoutMs: this.settings.rebalanceTimeoutMs,
          memberId: this.#memberId,
          groupInstanceId: this.settings.groupInstanceId,
          protocolType: 'consumer',
          protocols: this.#protocols(),
          reason: null,
        },
        { extraTimeoutMs: this.settings.rebalanceTimeoutMs },
      );
      if (!this.#alive(session)) return false;
      if (join.errorCode === KafkaCode.MEMBER_ID_REQUIRED) {
        this.#memberId = join.memberId;
        return false;
      }
      if (join.errorCode !== KafkaCode.NONE) {
        if (join.errorCode === KafkaCode.COORDINATOR_LOAD_IN_PROGRESS) throw kafkaError(join.errorCode, 'The coordinator is loading');
        this.#onGroupError(join.errorCode, 'JoinGroup');
        return false;
      }
      this.#memberId = join.memberId;
      this.#generationId = join.generationId;
      this.#leaderId = join.leader;
      this.#protocol = join.protocolName;
      this.#rejoinNeeded = false;
      const isLeader = join.leader === join.memberId;
      // The coordinator names the protocol of every group it forms (nullable only in the schema).
      const assignments = isLeader && !join.skipAssignment ? await this.#leaderAssign(join.members, join.protocolName!) : [];
      if (!this.#alive(session)) return false;
      const { body: sync } = await this.#channel.send(
        ApiKey.SyncGroup,
        {
          groupId: this.settings.groupId,
          generationId: this.#generationId,
          memberId: this.#memberId,
          groupInstanceId: this.settings.groupInstanceId,
          protocolType: 'consumer',
          protocolName: this.#protocol,
          assignments,
        },
        { extraTimeoutMs: this.settings.rebalanceTimeoutMs },
      );
      if (!this.#alive(session)) return false;
      if (sync.errorCode !== KafkaCode.NONE) {
        this.#rejoinNeeded = true;
        this.#onGroupError(sync.errorCode, 'SyncGroup');
        return false;
      }
      this.#lastHeartbeat = Date.now();
      this.#joining = false;
      const assigned = decodeConsumerAssignment(sync.assignment).assignedPartitions.flatMap((a) => a.partitions.map((partition) => ({ topic: a.topic, partition })));
      await this.#apply(session, assigned);
      if (!this.#alive(session)) return false;
      this.#logger.info('joined the group', { groupId: this.settings.groupId, memberId: this.#memberId, generationId: this.#generationId, leader: isLeader, protocol: this.#protocol, partitions: assigned.length });
      this.#emit('group.join', this.state());
      return true;
    } catch (error) {
      this.#rejoinNeeded = true;
      throw error;
    } finally {
      this.#joining = false;
    }
  }

  /** Leader: decodes the subscriptions, runs the selected assignor, encodes the assignments. */
  async #leaderAssign(joined: readonly JoinedMember[], protocol: string): Promise<Array<{ memberId: string; assignment: Uint8Array }>> {
    const assignor = this.settings.assignors.find((a) => a.name === protocol || (a.aliases ?? []).includes(protocol));
    if (!assignor) throw kafkaError(KafkaCode.INCONSISTENT_GROUP_PROTOCOL, `The group chose protocol ${protocol}, which this member does not have`);
    const members = decodeMembers(joined, (memberId, error) => {
      this.#logger.warn('unreadable member subscription', { groupId: this.settings.groupId, memberId, error: String(error) });
    });
    const topics = [...new Set(members.flatMap((m) => m.topics))].sort();
    const partitionCounts = await this.#partitionCounts(topics);
    this.#assignedCounts = partitionCounts;
    this.#groupTopics = topics;
    const { assignments, heldBack } = await computeAssignments(assignor, { members, partitionCounts });
    if (heldBack > 0) this.#logger.debug('partitions held back until their owners revoke them', { groupId: this.settings.groupId, partitions: heldBack });
    return encodeAssignments(members, assignments);
  }

  /** Partition counts of `topics` that exist (fresh metadata). */
  async #partitionCounts(topics: readonly string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    if (topics.length === 0) return counts;
    await this.#cluster.refresh(topics);
    for (const t of topics) {
      const meta = this.#cluster.cachedTopic(t);
      if (meta) counts.set(t, meta.partitions.filter((p) => p !== undefined).length);
    }
    return counts;
  }

  /** Applies a new assignment: revokes what is no longer ours, starts what is new. */
  async #apply(session: number, assigned: readonly TopicPartition[]): Promise<void> {
    const target = this.#target!;
    const assignedKeys = new Set(assigned.map(key));
    const revoked = [...this.#owned.values()].filter((tp) => !assignedKeys.has(key(tp)));
    const added = assigned.filter((tp) => !this.#owned.has(key(tp)));
    if (revoked.length > 0) {
      await this.#revoke(revoked, true);
      if (!this.#alive(session)) return;
    }
    if (added.length > 0) {
      let starts: Array<TopicPartitionOffset & { committed: boolean }>;
      try {
        starts = await withRetry(this.#retry, () => this.#startOffsets(added), (error) => {
          if (coordinatorMoved(error)) this.#channel.invalidate();
        });
      } catch (error) {
        this.#requestRejoin('could not read committed offsets');
        throw error;
      }
      if (!this.#alive(session)) return;
      for (const s of starts) {
        this.#owned.set(key(s), { topic: s.topic, partition: s.partition });
        if (s.committed) this.#committer.started(s, s.offset!);
      }
      await target.assign(starts.map((s) => ({ topic: s.topic, partition: s.partition, offset: s.offset })));
      this.#emit('partitions.assigned', { partitions: added });
    }
    // Cooperative: what this member gave up goes to its new owner in a second round.
    if (revoked.length > 0 && this.rebalanceProtocol === 'cooperative') this.#requestRejoin('partitions were revoked');
  }

  /** Committed offsets of `partitions`; where none, fromBeginning of subscribe() (when set) or the consumer's own default. */
  async #startOffsets(partitions: readonly TopicPartition[]): Promise<Array<TopicPartitionOffset & { committed: boolean }>> {
    const committed = await fetchCommittedOffsets(this.#channel, partitions);
    const found = new Map(committed.map((c) => [key(c), c.offset]));
    const out = partitions.map((tp) => {
      const offset = found.get(key(tp));
      return offset !== undefined && offset >= 0 ? { topic: tp.topic, partition: tp.partition, offset, committed: true } : { topic: tp.topic, partition: tp.partition, offset: undefined as number | undefined, committed: false };
    });
    const fromBeginning = this.#subscription.fromBeginning;
    const missing = out.filter((o) => o.offset === undefined);
    if (fromBeginning === undefined || missing.length === 0) return out;
    const timestamp = fromBeginning ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP;
    const looked = await listOffsets(this.#cluster, missing.map((m) => ({ topic: m.topic, partition: m.partition, timestamp })), this.#retry, this.settings.isolationLevel);
    const resolved = new Map(looked.map((l) => [key(l), l.offset]));
    // The looked-up start is not a commit: it is committed once processing moves past it.
    return out.map((o) => (o.offset !== undefined ? o : { ...o, offset: resolved.get(key(o)) }));
  }

  /** Takes partitions away from the consumer; commits their processed positions when asked and auto-commit is on. */
  async #revoke(partitions: readonly TopicPartition[], commit: boolean): Promise<void> {
    const positions = await this.#target!.revoke(partitions);
    if (commit && this.settings.autoCommit && this.#generationId >= 0) {
      await this.#committer.commit(positions).catch((error) => this.#logger.warn('commit on revoke failed', { groupId: this.settings.groupId, error: String(error) }));
    }
    for (const tp of partitions) this.#owned.delete(key(tp));
    this.#committer.forget(partitions);
    this.#emit(commit ? 'partitions.revoked' : 'partitions.lost', { partitions });
  }

  // ------------------------------------------------------------------ commits and metadata

  async #autoCommit(): Promise<void> {
    this.#nextCommitAt = Date.now() + this.settings.autoCommitIntervalMs;
    const positions = this.#target!.positions().filter((p) => this.#owned.has(key(p)));
    await this.#committer.commit(positions).catch((error) => {
      // REBALANCE_IN_PROGRESS and friends: the rejoin commits on revoke instead.
      this.#logger.debug('auto-commit failed', { groupId: this.settings.groupId, error: String(error) });
    });
  }

  /** Manual commit (`consumer.commitOffsets`): offsets are the next ones to consume. */
  async commit(offsets: readonly OffsetToCommit[]): Promise<void> {
    await withRetry(this.#retry, () => this.#committer.commit(offsets), (error) => {
      if (coordinatorMoved(error)) this.#channel.invalidate();
    });
  }

  /** Handlers' heartbeat(): wakes the heartbeat loop when a heartbeat is due. */
  async heartbeat(): Promise<void> {
    if (this.#running && Date.now() >= this.#lastHeartbeat + this.settings.heartbeatIntervalMs) {
      const h = this.#wakeHeartbeat;
      this.#wakeHeartbeat = null;
      h?.();
    }
  }

  /** eachBatch's commitOffsetsIfNecessary(): commits when auto-commit is on and its interval has passed. */
  async commitOffsetsIfNecessary(): Promise<void> {
    if (this.#running && this.settings.autoCommit && !this.#joining && Date.now() >= this.#nextCommitAt) await this.#autoCommit();
  }

  /** The subscription changed (subscribe() while running): re-check it now. */
  subscriptionChanged(): void {
    this.#nextMetadataCheck = 0;
    const m = this.#wakeMain;
    this.#wakeMain = null;
    m?.();
  }

  /** Re-reads the subscription (patterns) and, on the leader, the partition counts; rejoins on a change. */
  async #checkMetadata(session: number): Promise<void> {
    this.#nextMetadataCheck = Date.now() + this.settings.metadataMaxAgeMs;
    const topics = await this.#subscription.current(this.#cluster);
    if (!this.#alive(session)) return;
    if (topics.join('\u0000') !== this.#topics.join('\u0000')) {
      this.#logger.info('subscription changed', { groupId: this.settings.groupId, topics });
      this.#requestRejoin('subscription changed');
      return;
    }
    if (this.#assignedCounts && this.#leaderId === this.#memberId) {
      const counts = await this.#partitionCounts(this.#groupTopics);
      if (this.#alive(session) && !sameCounts(counts, this.#assignedCounts)) this.#requestRejoin('partition counts changed');
    }
  }
}
