/**
 * The handlers a broker starts with. `createBroker` passes this list in; broker.ts never
 * imports it, so handlers and the broker do not import each other.
 */
import type { HandlerEntry } from './handler.ts';
import { alterConfigsHandler } from './handlers/alter-configs.ts';
import { apiVersionsHandler } from './handlers/api-versions.ts';
import { createPartitionsHandler } from './handlers/create-partitions.ts';
import { createTopicsHandler } from './handlers/create-topics.ts';
import { deleteGroupsHandler } from './handlers/delete-groups.ts';
import { deleteRecordsHandler } from './handlers/delete-records.ts';
import { deleteTopicsHandler } from './handlers/delete-topics.ts';
import { describeClusterHandler } from './handlers/describe-cluster.ts';
import { describeConfigsHandler } from './handlers/describe-configs.ts';
import { describeGroupsHandler } from './handlers/describe-groups.ts';
import { fetchHandler } from './handlers/fetch.ts';
import { findCoordinatorHandler } from './handlers/find-coordinator.ts';
import { heartbeatHandler } from './handlers/heartbeat.ts';
import { incrementalAlterConfigsHandler } from './handlers/incremental-alter-configs.ts';
import { initProducerIdHandler } from './handlers/init-producer-id.ts';
import { joinGroupHandler } from './handlers/join-group.ts';
import { leaveGroupHandler } from './handlers/leave-group.ts';
import { listGroupsHandler } from './handlers/list-groups.ts';
import { listOffsetsHandler } from './handlers/list-offsets.ts';
import { metadataHandler } from './handlers/metadata.ts';
import { offsetCommitHandler } from './handlers/offset-commit.ts';
import { offsetDeleteHandler } from './handlers/offset-delete.ts';
import { offsetFetchHandler } from './handlers/offset-fetch.ts';
import { offsetForLeaderEpochHandler } from './handlers/offset-for-leader-epoch.ts';
import { produceHandler } from './handlers/produce.ts';
import { saslAuthenticateHandler, saslHandshakeHandler } from './handlers/sasl.ts';
import { syncGroupHandler } from './handlers/sync-group.ts';
import { createAclsHandler, deleteAclsHandler, describeAclsHandler } from './handlers/acls.ts';
import { alterUserScramCredentialsHandler, describeUserScramCredentialsHandler } from './handlers/user-scram-credentials.ts';
import { describeLogDirsHandler } from './handlers/describe-log-dirs.ts';
import { electLeadersHandler } from './handlers/elect-leaders.ts';
import { alterPartitionReassignmentsHandler, listPartitionReassignmentsHandler } from './handlers/partition-reassignments.ts';
import { unregisterBrokerHandler } from './handlers/unregister-broker.ts';

/** Every API a single broker serves today: topics, produce/fetch, groups, idempotent producer ids. */
export const DEFAULT_HANDLERS: readonly HandlerEntry[] = Object.freeze([
  produceHandler,
  fetchHandler,
  listOffsetsHandler,
  metadataHandler,
  offsetCommitHandler,
  offsetFetchHandler,
  findCoordinatorHandler,
  joinGroupHandler,
  heartbeatHandler,
  leaveGroupHandler,
  syncGroupHandler,
  describeGroupsHandler,
  listGroupsHandler,
  apiVersionsHandler,
  createTopicsHandler,
  deleteTopicsHandler,
  deleteRecordsHandler,
  initProducerIdHandler,
  describeConfigsHandler,
  alterConfigsHandler,
  createPartitionsHandler,
  deleteGroupsHandler,
  incrementalAlterConfigsHandler,
  offsetDeleteHandler,
  describeClusterHandler,
  offsetForLeaderEpochHandler,
  saslHandshakeHandler,
  saslAuthenticateHandler,
  describeAclsHandler,
  createAclsHandler,
  deleteAclsHandler,
  describeUserScramCredentialsHandler,
  alterUserScramCredentialsHandler,
  electLeadersHandler,
  alterPartitionReassignmentsHandler,
  listPartitionReassignmentsHandler,
  unregisterBrokerHandler,
  describeLogDirsHandler,
]);
