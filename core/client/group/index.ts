/** Consumer groups on the client side: the group consumer, its membership, offsets, and the admin's group operations. */
export { GroupConsumer, type GroupConsumerOptions, type SubscribeOptions } from './group-consumer.ts';
export { GroupMembership, type GroupEventListener, type GroupEventName, type GroupEvents, type GroupState, type MembershipSettings } from './membership.ts';
export { CoordinatorChannel, GROUP_CLIENT_VERSIONS, findCoordinator } from './coordinator-channel.ts';
export { NO_MEMBER, commitOffsets, fetchCommittedOffsets, type CommittedOffset, type Committer, type OffsetToCommit } from './offsets.ts';
export { Subscription } from './subscription.ts';
export {
  deleteGroups,
  describeGroups,
  fetchOffsets,
  listGroups,
  resetOffsets,
  setOffsets,
  type GroupDescription,
  type GroupMemberDescription,
  type GroupOverview,
  type GroupPartitionOffset,
  type ResetOffsetsOptions,
} from './admin-groups.ts';
