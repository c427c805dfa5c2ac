/**
 * The operator's cluster operations the active controller serves (Kafka's admin APIs that
 * change where replicas live and who leads): AlterPartitionReassignments (45),
 * ListPartitionReassignments (46), ElectLeaders (43) and UnregisterBroker (64). They take and
 * answer Kafka's own request and response bodies, so a broker forwards a client's request to
 * the controller listener unchanged, and an in-process controller answers it directly. Every
 * answer carries its error codes (NOT_CONTROLLER at the top level while not active), never a
 * throw; a throw means no controller was reached.
 */
import type { ApiKey } from '../../protocol/api-keys.ts';
import type { ApiRequest, ApiResponse } from '../../protocol/api-messages.ts';

/** What an active controller answers for the operator. */
export interface ClusterOperations {
  alterPartitionReassignments(request: ApiRequest<typeof ApiKey.AlterPartitionReassignments>): Promise<ApiResponse<typeof ApiKey.AlterPartitionReassignments>>;
  listPartitionReassignments(request: ApiRequest<typeof ApiKey.ListPartitionReassignments>): Promise<ApiResponse<typeof ApiKey.ListPartitionReassignments>>;
  electLeaders(request: ApiRequest<typeof ApiKey.ElectLeaders>): Promise<ApiResponse<typeof ApiKey.ElectLeaders>>;
  unregisterBroker(request: ApiRequest<typeof ApiKey.UnregisterBroker>): Promise<ApiResponse<typeof ApiKey.UnregisterBroker>>;
}
