/**
 * Every API schema the codec knows, and lookup by API key. Described APIs are not
 * necessarily advertised: SUPPORTED_VERSIONS (supported-versions.ts) lists what the
 * broker serves.
 */
import type { ApiSchema } from '../schema.ts';
import { apiVersionsSchema } from './api-versions.ts';
import { metadataSchema } from './metadata.ts';
import { produceSchema } from './produce.ts';
import { fetchSchema } from './fetch.ts';
import { listOffsetsSchema } from './list-offsets.ts';
import { createTopicsSchema } from './create-topics.ts';
import { deleteTopicsSchema } from './delete-topics.ts';
import { createPartitionsSchema } from './create-partitions.ts';
import { describeConfigsSchema } from './describe-configs.ts';
import { alterConfigsSchema } from './alter-configs.ts';
import { describeClusterSchema } from './describe-cluster.ts';
import { findCoordinatorSchema } from './find-coordinator.ts';
import { joinGroupSchema } from './join-group.ts';
import { syncGroupSchema } from './sync-group.ts';
import { heartbeatSchema } from './heartbeat.ts';
import { leaveGroupSchema } from './leave-group.ts';
import { offsetCommitSchema } from './offset-commit.ts';
import { offsetFetchSchema } from './offset-fetch.ts';
import { describeGroupsSchema } from './describe-groups.ts';
import { listGroupsSchema } from './list-groups.ts';
import { deleteGroupsSchema } from './delete-groups.ts';
import { initProducerIdSchema } from './init-producer-id.ts';
import { saslHandshakeSchema } from './sasl-handshake.ts';
import { saslAuthenticateSchema } from './sasl-authenticate.ts';

export { apiVersionsSchema } from './api-versions.ts';
export { metadataSchema } from './metadata.ts';
export { produceSchema } from './produce.ts';
export { fetchSchema } from './fetch.ts';
export { listOffsetsSchema } from './list-offsets.ts';
export { createTopicsSchema } from './create-topics.ts';
export { deleteTopicsSchema } from './delete-topics.ts';
export { createPartitionsSchema } from './create-partitions.ts';
export { describeConfigsSchema } from './describe-configs.ts';
export { alterConfigsSchema } from './alter-configs.ts';
export { describeClusterSchema } from './describe-cluster.ts';
export { findCoordinatorSchema } from './find-coordinator.ts';
export { joinGroupSchema } from './join-group.ts';
export { syncGroupSchema } from './sync-group.ts';
export { heartbeatSchema } from './heartbeat.ts';
export { leaveGroupSchema } from './leave-group.ts';
export { offsetCommitSchema } from './offset-commit.ts';
export { offsetFetchSchema } from './offset-fetch.ts';
export { describeGroupsSchema } from './describe-groups.ts';
export { listGroupsSchema } from './list-groups.ts';
export { deleteGroupsSchema } from './delete-groups.ts';
export { initProducerIdSchema } from './init-producer-id.ts';
export { saslHandshakeSchema } from './sasl-handshake.ts';
export { saslAuthenticateSchema } from './sasl-authenticate.ts';

/** Every described API, by ascending key. */
export const ALL_SCHEMAS: readonly ApiSchema[] = Object.freeze([
  apiVersionsSchema,
  metadataSchema,
  produceSchema,
  fetchSchema,
  listOffsetsSchema,
  createTopicsSchema,
  deleteTopicsSchema,
  createPartitionsSchema,
  describeConfigsSchema,
  alterConfigsSchema,
  describeClusterSchema,
  findCoordinatorSchema,
  joinGroupSchema,
  syncGroupSchema,
  heartbeatSchema,
  leaveGroupSchema,
  offsetCommitSchema,
  offsetFetchSchema,
  describeGroupsSchema,
  listGroupsSchema,
  deleteGroupsSchema,
  initProducerIdSchema,
  saslHandshakeSchema,
  saslAuthenticateSchema,
].sort((x, y) => x.apiKey - y.apiKey));

/** Schemas by API key. */
export const SCHEMAS: ReadonlyMap<number, ApiSchema> = new Map(ALL_SCHEMAS.map((schema) => [schema.apiKey, schema]));
