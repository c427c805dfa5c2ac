/**
 * The handlers the controller listener starts with: ApiVersions, the four inter-broker APIs,
 * the admin requests brokers forward (topics, configs, ACLs), and Fetch of the metadata log.
 */
import type { ApiKey } from '../../../protocol/api-keys.ts';
import type { HandlerEntry } from '../../api/handler.ts';
import { apiVersionsHandler } from '../../api/handlers/api-versions.ts';
import type { ControllerContext } from './context.ts';
import { allocateProducerIdsHandler } from './handlers/allocate-producer-ids.ts';
import { alterPartitionHandler } from './handlers/alter-partition.ts';
import { brokerHeartbeatHandler } from './handlers/broker-heartbeat.ts';
import { brokerRegistrationHandler } from './handlers/broker-registration.ts';
import { metadataFetchHandler } from './handlers/metadata-fetch.ts';
import { controllerCreateAclsHandler, controllerDeleteAclsHandler } from './handlers/acl-admin.ts';
import {
  controllerAlterPartitionReassignmentsHandler,
  controllerElectLeadersHandler,
  controllerListPartitionReassignmentsHandler,
  controllerUnregisterBrokerHandler,
} from './handlers/operator-admin.ts';
import {
  controllerAlterConfigsHandler,
  controllerAlterUserScramCredentialsHandler,
  controllerCreatePartitionsHandler,
  controllerCreateTopicsHandler,
  controllerDeleteTopicsHandler,
  controllerIncrementalAlterConfigsHandler,
} from './handlers/topic-admin.ts';

/** Every API the controller listener serves. */
export const CONTROLLER_HANDLERS: ReadonlyArray<HandlerEntry<ApiKey, ControllerContext>> = Object.freeze([
  apiVersionsHandler,
  metadataFetchHandler,
  brokerRegistrationHandler,
  brokerHeartbeatHandler,
  alterPartitionHandler,
  allocateProducerIdsHandler,
  controllerCreateTopicsHandler,
  controllerDeleteTopicsHandler,
  controllerCreatePartitionsHandler,
  controllerAlterConfigsHandler,
  controllerIncrementalAlterConfigsHandler,
  controllerAlterUserScramCredentialsHandler,
  controllerCreateAclsHandler,
  controllerDeleteAclsHandler,
  controllerAlterPartitionReassignmentsHandler,
  controllerListPartitionReassignmentsHandler,
  controllerElectLeadersHandler,
  controllerUnregisterBrokerHandler,
]);
