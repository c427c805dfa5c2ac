/** The classic group coordinator: a thin front over membership, offsets and their store. */
export { GroupCoordinator, type GroupCoordinatorDeps } from './coordinator.ts';
export {
  MembershipManager,
  joinError,
  syncError,
  type MembershipManagerDeps,
  type CommitIdentity,
  type JoinRequest,
  type SyncRequest,
  type HeartbeatRequest,
  type LeavingMember,
  type LeaveResult,
  type DescribedGroup,
  type GroupListing,
} from './membership-manager.ts';
export { OffsetManager, type OffsetManagerDeps, type CommitRequest, type CommitResult, type OffsetFetchResult, type FetchedOffset } from './offset-manager.ts';
export { ClassicGroup, type ClassicGroupState } from './classic-group.ts';
export type { OffsetAndMetadata } from './offset-and-metadata.ts';
export { ClassicGroupMember, type MemberProtocol, type JoinResult, type SyncResult } from './classic-group-member.ts';
export { type GroupCoordinatorOptions, type GroupSettings, groupSettings } from './options.ts';
export { type GroupTimers, systemTimers } from './timers.ts';
export { type GroupStore, type StoredGroup, type StoredGroupMeta, type OffsetChange } from './group-store.ts';
export { MetadataGroupStore } from './metadata-group-store.ts';
export { GROUP_OFFSETS_TOPIC, LogGroupStore, type LogGroupStoreOptions } from './log-group-store.ts';
export { type CoordinatorPhase, phaseError, stopped } from './phase.ts';
export { type GroupLog, type GroupLogRecords, storageGroupLog } from './log-group-store.ts';
export { type GroupService, type CoordinatorLocation } from './group-service.ts';
export { PartitionedGroupCoordinator, type PartitionedGroupCoordinatorDeps } from './partitioned-coordinator.ts';
export { replicatedGroupLog, type ReplicatedGroupLogOptions } from './replicated-group-log.ts';
export {
  type GroupPartitioning,
  type GroupPartitioningOptions,
  type OffsetsTopicSpec,
  CoordinatorWriteError,
  coordinatorErrorOf,
  groupPartitioning,
  javaStringHashCode,
  kafkaAbs,
  offsetsTopicSpec,
  partitionForGroup,
} from './group-partitioning.ts';
