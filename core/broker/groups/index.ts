/** The classic consumer group coordinator. */
export { GroupCoordinator, type JoinRequest, type SyncRequest, type HeartbeatRequest, type LeavingMember, type LeaveResult, type CommitRequest, type CommitResult, type OffsetFetchResult, type FetchedOffset, type GroupDescription, type GroupListing, type GroupCoordinatorDeps } from './coordinator.ts';
export { ConsumerGroup, type GroupState, type CommittedOffset } from './group.ts';
export { GroupMember, type MemberProtocol, type JoinResult, type SyncResult } from './member.ts';
export { type GroupCoordinatorOptions, type GroupSettings, groupSettings } from './options.ts';
export { type GroupTimers, systemTimers } from './timers.ts';
export { OffsetStore, type StoredGroup, type StoredGroupMeta, type OffsetChange } from './offset-store.ts';
