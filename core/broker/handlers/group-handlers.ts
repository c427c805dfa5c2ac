/** The handlers of the consumer-group APIs and InitProducerId, by API key (added to the defaults). */
import type { HandlerEntry } from '../broker.ts';
import { deleteGroupsHandler } from './delete-groups.ts';
import { describeGroupsHandler } from './describe-groups.ts';
import { heartbeatHandler } from './heartbeat.ts';
import { initProducerIdHandler } from './init-producer-id.ts';
import { joinGroupHandler } from './join-group.ts';
import { leaveGroupHandler } from './leave-group.ts';
import { listGroupsHandler } from './list-groups.ts';
import { offsetCommitHandler } from './offset-commit.ts';
import { offsetFetchHandler } from './offset-fetch.ts';
import { syncGroupHandler } from './sync-group.ts';

/** API key → handler for OffsetCommit, OffsetFetch, JoinGroup … DeleteGroups and InitProducerId. */
export const GROUP_HANDLERS: ReadonlyArray<readonly [number, HandlerEntry]> = [
  [8, offsetCommitHandler],
  [9, offsetFetchHandler],
  [11, joinGroupHandler],
  [12, heartbeatHandler],
  [13, leaveGroupHandler],
  [14, syncGroupHandler],
  [15, describeGroupsHandler],
  [16, listGroupsHandler],
  [22, initProducerIdHandler],
  [42, deleteGroupsHandler],
];
