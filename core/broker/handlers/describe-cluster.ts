/** DescribeCluster: the cluster id, the controller and the brokers. */
import { CLUSTER_OPERATIONS, authorizedOperations } from '../authorized-operations.ts';
import type { Broker, BrokerRequestHeader, HandlerEntry } from '../broker.ts';

interface DescribeClusterRequest {
  includeClusterAuthorizedOperations: boolean;
  endpointType?: number;
}

function handleDescribeCluster(broker: Broker, header: BrokerRequestHeader, body: DescribeClusterRequest): Record<string, unknown> {
  const endpointType = header.apiVersion >= 1 ? (body.endpointType ?? 1) : 1;
  const base = { throttleTimeMs: 0, endpointType, clusterId: broker.clusterId, controllerId: broker.controllerId, clusterAuthorizedOperations: authorizedOperations(body.includeClusterAuthorizedOperations, CLUSTER_OPERATIONS) };
  if (endpointType !== 1) {
    // Only broker endpoints exist here; controller endpoints are a KRaft notion (MISMATCHED_ENDPOINT_TYPE).
    return { ...base, errorCode: 114, errorMessage: 'This endpoint serves brokers only', brokers: [] };
  }
  return {
    ...base,
    errorCode: 0,
    errorMessage: null,
    brokers: broker.brokers().map((b) => ({ brokerId: b.nodeId, host: b.host, port: b.port, rack: b.rack })),
  };
}

/** DescribeCluster v0–1. */
export const describeClusterHandler: HandlerEntry = { minVersion: 0, maxVersion: 1, handle: handleDescribeCluster };
