/**
 * The operator's requests brokers forward to the controller listener: AlterPartitionReassignments,
 * ListPartitionReassignments, ElectLeaders and UnregisterBroker, answered by the active
 * controller's {@link ClusterOperations} as they came (NOT_CONTROLLER at the top level while it
 * is not active, so the broker's channel looks for the one that is).
 */
import { KafkaCode } from '../../../../errors.ts';
import { ApiKey } from '../../../../protocol/api-keys.ts';
import type { HandlerEntry } from '../../../api/handler.ts';
import type { ControllerContext } from '../context.ts';

const UNSERVED = 'This controller does not serve cluster operations';

/** AlterPartitionReassignments v0 on the controller listener. */
export const controllerAlterPartitionReassignmentsHandler: HandlerEntry<typeof ApiKey.AlterPartitionReassignments, ControllerContext> = {
  apiKey: ApiKey.AlterPartitionReassignments,
  versions: { min: 0, max: 0 },
  handle: (ctx, _header, body) => ctx.controller.alterPartitionReassignments?.(body) ?? Promise.resolve({ throttleTimeMs: 0, errorCode: KafkaCode.UNSUPPORTED_VERSION, errorMessage: UNSERVED, responses: [] }),
};

/** ListPartitionReassignments v0 on the controller listener. */
export const controllerListPartitionReassignmentsHandler: HandlerEntry<typeof ApiKey.ListPartitionReassignments, ControllerContext> = {
  apiKey: ApiKey.ListPartitionReassignments,
  versions: { min: 0, max: 0 },
  handle: (ctx, _header, body) => ctx.controller.listPartitionReassignments?.(body) ?? Promise.resolve({ throttleTimeMs: 0, errorCode: KafkaCode.UNSUPPORTED_VERSION, errorMessage: UNSERVED, topics: [] }),
};

/** ElectLeaders v0–2 on the controller listener. */
export const controllerElectLeadersHandler: HandlerEntry<typeof ApiKey.ElectLeaders, ControllerContext> = {
  apiKey: ApiKey.ElectLeaders,
  versions: { min: 0, max: 2 },
  handle: (ctx, _header, body) => ctx.controller.electLeaders?.(body) ?? Promise.resolve({ throttleTimeMs: 0, errorCode: KafkaCode.UNSUPPORTED_VERSION, replicaElectionResults: [] }),
};

/** UnregisterBroker v0 on the controller listener. */
export const controllerUnregisterBrokerHandler: HandlerEntry<typeof ApiKey.UnregisterBroker, ControllerContext> = {
  apiKey: ApiKey.UnregisterBroker,
  versions: { min: 0, max: 0 },
  handle: (ctx, _header, body) => ctx.controller.unregisterBroker?.(body) ?? Promise.resolve({ throttleTimeMs: 0, errorCode: KafkaCode.UNSUPPORTED_VERSION, errorMessage: UNSERVED }),
};
