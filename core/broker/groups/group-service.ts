/**
 * What requests and the broker use of the group coordinator, whichever way groups are
 * placed: {@link GroupCoordinator} coordinates every group on a single node;
 * {@link PartitionedGroupCoordinator} (cluster mode) coordinates the groups of the
 * `__consumer_offsets` partitions this node leads and answers NOT_COORDINATOR for others.
 */
import type { ClassicGroup } from './classic-group.ts';
import type { JoinResult, SyncResult } from './classic-group-member.ts';
import type { DescribedGroup, GroupListing, HeartbeatRequest, JoinRequest, LeaveResult, LeavingMember, SyncRequest } from './membership-manager.ts';
import type { CommitRequest, CommitResult, OffsetFetchResult } from './offset-manager.ts';

/** Where a group's coordinator is, as FindCoordinator answers it. */
export interface CoordinatorLocation {
  readonly errorCode: number;
  readonly errorMessage: string | null;
  /** The coordinator's node id (-1 with an error). */
  readonly nodeId: number;
}

/** The group coordinator as handlers and the broker see it. */
export interface GroupService {
  /** Restores what is stored and starts timers (partitioned: nothing; partitions load as leadership comes). */
  load(): Promise<void>;
  /** Stops every timer, answers waiting requests, waits for writes. */
  close(): Promise<void>;
  /**
   * Where group `groupId` is coordinated (FindCoordinator). Absent: on this node, always
   * (a single node coordinates every group).
   */
  locate?(groupId: string): Promise<CoordinatorLocation>;
  /** The group with this id, if this node coordinates and knows it (inspection, tests). */
  group(groupId: string): ClassicGroup | undefined;
  /** Every known group id. */
  groupIds(): string[];
  /** The topics a group has committed offsets for (inspection, tests). */
  committedTopics(groupId: string): string[];
  /** How many partitions a group has committed offsets for (inspection, tests). */
  offsetCount(groupId: string): number;
  /** JoinGroup; settles when the member may proceed (or fails). */
  join(req: JoinRequest): Promise<JoinResult>;
  /** SyncGroup; a follower's answer waits for the leader's assignment. */
  sync(req: SyncRequest): Promise<SyncResult>;
  /** Heartbeat; returns its error code. */
  heartbeat(req: HeartbeatRequest): number;
  /** LeaveGroup for one or more members. */
  leave(groupId: string, leaving: readonly LeavingMember[]): LeaveResult;
  /** DescribeGroups for one group. */
  describe(groupId: string): DescribedGroup;
  /** ListGroups, optionally filtered by state or type. */
  list(statesFilter?: readonly string[], typesFilter?: readonly string[]): { errorCode: number; groups: GroupListing[] };
  /** OffsetCommit: answered once the offsets are stored (in a cluster: on the in-sync replicas). */
  commitOffsets(req: CommitRequest): Promise<CommitResult>;
  /** OffsetFetch for one group: `topics` null means every committed partition. */
  fetchOffsets(groupId: string, topics: ReadonlyArray<{ name: string; partitionIndexes: readonly number[] }> | null): OffsetFetchResult;
  /** Forgets every group's committed offsets of a deleted topic; returns how many. */
  removeTopicOffsets(topic: string): Promise<number>;
  /** OffsetDelete for one group. */
  deleteOffsets(
    groupId: string,
    topics: ReadonlyArray<{ name: string; partitions: readonly number[] }>,
  ): Promise<{ errorCode: number; topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; errorCode: number }> }> }>;
  /** Removes expired offsets now; returns how many. */
  expireOffsets(): Promise<number>;
  /** DeleteGroups: empty groups go with their offsets. */
  deleteGroups(groupIds: readonly string[]): Promise<Array<{ groupId: string; errorCode: number }>>;
}
