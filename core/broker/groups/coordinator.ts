/**
 * The group coordinator for classic consumer groups: a thin front, as Kafka's new group
 * coordinator (GroupCoordinatorService over GroupMetadataManager and OffsetMetadataManager)
 * is shaped. It owns the lifecycle (load → running → closed) and routes each request:
 *
 * - membership ({@link MembershipManager}): JoinGroup, SyncGroup, Heartbeat, LeaveGroup,
 *   DescribeGroups, ListGroups, rebalance and session timers;
 * - offsets ({@link OffsetManager}): OffsetCommit, OffsetFetch, removal of a deleted topic's
 *   offsets, retention;
 * - persistence ({@link GroupStore}; today {@link MetadataGroupStore} in the metadata store).
 *
 * DeleteGroups touches both, so it is answered here: membership says whether the group may
 * go, the offset manager removes what is stored.
 */
import { KafkaCode } from '../../kafka-error-codes.ts';
import type { Logger } from '../../contracts/logger.ts';
import type { MetadataStore } from '../../contracts/storage.ts';
import type { ClassicGroup } from './classic-group.ts';
import type { JoinResult, SyncResult } from './classic-group-member.ts';
import type { GroupStore } from './group-store.ts';
import {
  type DescribedGroup,
  type GroupListing,
  type HeartbeatRequest,
  type JoinRequest,
  type LeaveResult,
  type LeavingMember,
  MembershipManager,
  type SyncRequest,
} from './membership-manager.ts';
import { MetadataGroupStore } from './metadata-group-store.ts';
import { type CommitRequest, type CommitResult, type OffsetFetchResult, OffsetManager } from './offset-manager.ts';
import { type GroupCoordinatorOptions, type GroupSettings, groupSettings } from './options.ts';
import { type CoordinatorPhase, phaseError } from './phase.ts';
import type { GroupService } from './group-service.ts';
import { storeFailureCode } from './group-partitioning.ts';

// The request and answer shapes stay importable from here, where the handlers first found them.
export type { ClassicGroupState } from './classic-group.ts';
export type { OffsetAndMetadata } from './offset-and-metadata.ts';
export type { DescribedGroup, GroupListing, HeartbeatRequest, JoinRequest, LeaveResult, LeavingMember, SyncRequest } from './membership-manager.ts';
export type { CommitRequest, CommitResult, FetchedOffset, OffsetFetchResult } from './offset-manager.ts';

/** What the coordinator needs from its broker. */
export interface GroupCoordinatorDeps {
  /** The metadata store offsets persist in (used when no {@link groupStore} is given; one of the two is needed). */
  readonly store?: MetadataStore;
  /** Where groups persist; default a {@link MetadataGroupStore} over {@link store}. */
  readonly groupStore?: GroupStore;
  readonly logger: Logger;
  /** Whether a commit may name this partition (UNKNOWN_TOPIC_OR_PARTITION otherwise). */
  readonly partitionExists: (topic: string, partition: number) => boolean;
  /** Whether loading removes stored offsets of partitions the image does not have (default true; see OffsetManagerDeps). */
  readonly dropUnknownOnLoad?: boolean;
}

/** The coordinator of every group on this broker: real lifecycle state (timers, storage). */
export class GroupCoordinator implements GroupService {
  /** Settings with defaults applied. */
  readonly settings: GroupSettings;
  readonly #logger: Logger;
  readonly #store: GroupStore;
  readonly #membership: MembershipManager;
  readonly #offsets: OffsetManager;
  #phase: CoordinatorPhase = 'new';

  constructor(deps: GroupCoordinatorDeps, options: GroupCoordinatorOptions = {}) {
    this.settings = groupSettings(options);
    this.#logger = deps.logger;
    if (!deps.groupStore && !deps.store) throw new TypeError('GroupCoordinator needs a groupStore or a metadata store');
    this.#store = deps.groupStore ?? new MetadataGroupStore(deps.store!);
    const phase = (): CoordinatorPhase => this.#phase;
    // The two managers meet only here: offsets ask membership who may commit, membership asks
    // offsets whether an unused group still holds any.
    const hasOffsets = (groupId: string): boolean => this.#offsets.hasOffsets(groupId);
    this.#membership = new MembershipManager({ settings: this.settings, store: this.#store, logger: deps.logger, phase, hasOffsets });
    this.#offsets = new OffsetManager({
      settings: this.settings,
      store: this.#store,
      logger: deps.logger,
      phase,
      membership: this.#membership,
      partitionExists: deps.partitionExists,
      ...(deps.dropUnknownOnLoad !== undefined ? { dropUnknownOnLoad: deps.dropUnknownOnLoad } : {}),
    });
  }

  /** Restores committed offsets from the store and starts offset expiry. */
  async load(): Promise<void> {
    if (this.#phase !== 'new') return;
    this.#phase = 'loading';
    const groups = await this.#offsets.load();
    if (this.#phase !== 'loading') return; // closed while loading
    this.#phase = 'running';
    this.#offsets.startExpiry();
    this.#logger.info('group coordinator loaded', { groups });
  }

  /** Stops every timer, answers every waiting request with COORDINATOR_NOT_AVAILABLE, waits for writes. */
  async close(): Promise<void> {
    if (this.#phase === 'closed') return;
    this.#phase = 'closed';
    this.#offsets.stopExpiry();
    this.#membership.close();
    await this.#store.settle();
  }

  /**
   * Gives up the groups (cluster mode: this node no longer leads their partition): stops
   * every timer, answers waiting JoinGroup and SyncGroup requests with NOT_COORDINATOR, and
   * from now on answers every request NOT_COORDINATOR, so members find the new coordinator.
   * Writes under way finish or fail on their own (the log refuses a node that lost it).
   */
  unload(): void {
    if (this.#phase === 'closed' || this.#phase === 'unloaded') return;
    this.#phase = 'unloaded';
    this.#offsets.stopExpiry();
    this.#membership.close(KafkaCode.NOT_COORDINATOR);
  }

  /** The lifecycle phase (loading, running, unloaded, …). */
  get phase(): CoordinatorPhase {
    return this.#phase;
  }

  /** The group with this id, if the coordinator knows it (for inspection and tests). */
  group(groupId: string): ClassicGroup | undefined {
    return this.#membership.group(groupId);
  }

  /** Every known group id. */
  groupIds(): string[] {
    return this.#membership.groupIds();
  }

  /** The topics a group has committed offsets for (for inspection and tests). */
  committedTopics(groupId: string): string[] {
    return this.#offsets.committedTopics(groupId);
  }

  /** How many partitions a group has committed offsets for (for inspection and tests). */
  offsetCount(groupId: string): number {
    return this.#offsets.offsetCount(groupId);
  }

  // ---------------------------------------------------------------- Membership

  /** Handles a JoinGroup; the promise settles when the member may proceed (or fails). */
  join(req: JoinRequest): Promise<JoinResult> {
    return this.#membership.join(req);
  }

  /** Handles a SyncGroup; a follower's promise settles when the leader has sent the assignment. */
  sync(req: SyncRequest): Promise<SyncResult> {
    return this.#membership.sync(req);
  }

  /** Handles a Heartbeat; returns its error code. */
  heartbeat(req: HeartbeatRequest): number {
    return this.#membership.heartbeat(req);
  }

  /** Handles a LeaveGroup for one or more members. */
  leave(groupId: string, leaving: readonly LeavingMember[]): LeaveResult {
    return this.#membership.leave(groupId, leaving);
  }

  /** Describes one group (an unknown group is reported as Dead with no error, as Kafka does up to v5). */
  describe(groupId: string): DescribedGroup {
    return this.#membership.describe(groupId);
  }

  /** Lists groups, optionally only those in some states (case-insensitive) or of some types. */
  list(statesFilter: readonly string[] = [], typesFilter: readonly string[] = []): { errorCode: number; groups: GroupListing[] } {
    return this.#membership.list(statesFilter, typesFilter);
  }

  // ---------------------------------------------------------------- Offsets

  /** Handles an OffsetCommit: checks membership and generation, then persists atomically. */
  commitOffsets(req: CommitRequest): Promise<CommitResult> {
    return this.#offsets.commitOffsets(req);
  }

  /** Handles OffsetFetch for one group: `topics` null means every committed partition. */
  fetchOffsets(groupId: string, topics: ReadonlyArray<{ name: string; partitionIndexes: readonly number[] }> | null): OffsetFetchResult {
    return this.#offsets.fetchOffsets(groupId, topics);
  }

  /**
   * Forgets every group's committed offsets of a deleted topic, as Kafka does, so that a
   * topic created again under the same name does not inherit positions in the old data.
   * Returns how many offsets were removed.
   */
  removeTopicOffsets(topic: string): Promise<number> {
    return this.#offsets.removeTopicOffsets(topic);
  }

  /** Handles OffsetDelete for one group (see {@link OffsetManager.deleteOffsets}). */
  deleteOffsets(groupId: string, topics: ReadonlyArray<{ name: string; partitions: readonly number[] }>): ReturnType<OffsetManager['deleteOffsets']> {
    return this.#offsets.deleteOffsets(groupId, topics);
  }

  /** Removes expired offsets now (the retention timer calls this too); returns how many. */
  expireOffsets(): Promise<number> {
    return this.#offsets.expireOffsets();
  }

  // ---------------------------------------------------------------- Both

  /** Deletes empty groups with their offsets: GROUP_ID_NOT_FOUND / NON_EMPTY_GROUP otherwise. */
  async deleteGroups(groupIds: readonly string[]): Promise<Array<{ groupId: string; errorCode: number }>> {
    const unavailable = phaseError(this.#phase);
    return Promise.all(
      groupIds.map(async (groupId) => {
        if (unavailable !== KafkaCode.NONE) return { groupId, errorCode: unavailable };
        const refused = this.#membership.validateDeleteGroup(groupId);
        if (refused !== KafkaCode.NONE) return { groupId, errorCode: refused };
        try {
          await this.#offsets.deleteGroup(this.#membership.group(groupId)!);
        } catch (error) {
          this.#logger.error('group deletion failed to persist', { groupId, error: String(error) });
          return { groupId, errorCode: storeFailureCode(error) };
        }
        return { groupId, errorCode: KafkaCode.NONE };
      }),
    );
  }
}
