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
import type { ConfigOp } from './controller.ts';

/** What an active controller answers for the operator. */
export interface ClusterOperations {
  alterPartitionReassignments(request: ApiRequest<typeof ApiKey.AlterPartitionReassignments>): Promise<ApiResponse<typeof ApiKey.AlterPartitionReassignments>>;
  listPartitionReassignments(request: ApiRequest<typeof ApiKey.ListPartitionReassignments>): Promise<ApiResponse<typeof ApiKey.ListPartitionReassignments>>;
  electLeaders(request: ApiRequest<typeof ApiKey.ElectLeaders>): Promise<ApiResponse<typeof ApiKey.ElectLeaders>>;
  unregisterBroker(request: ApiRequest<typeof ApiKey.UnregisterBroker>): Promise<ApiResponse<typeof ApiKey.UnregisterBroker>>;
}

/**
 * Dynamic broker configs (dynamic-broker-configs.ts): the BROKER resource of AlterConfigs and
 * IncrementalAlterConfigs — "" for the cluster default, a node id for one broker. As the
 * topic config operations: they resolve once committed and reject with coded errors
 * (INVALID_CONFIG for a config that cannot change dynamically, INVALID_REQUEST, NOT_CONTROLLER).
 */
export interface BrokerConfigOperations {
  /** Replaces the resource's dynamic configs (AlterConfigs: the ones not given are removed). */
  alterBrokerConfigs(resource: string, configs: Iterable<readonly [string, string | null | undefined]>, validateOnly?: boolean): Promise<void>;
  /** Sets or deletes single dynamic configs of the resource (IncrementalAlterConfigs). */
  incrementalAlterBrokerConfigs(resource: string, ops: readonly ConfigOp[], validateOnly?: boolean): Promise<void>;
}
