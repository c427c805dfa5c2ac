/** DescribeCluster: the cluster id, the controller and the brokers. */
import { KafkaCode } from '../../../errors.ts';
import { ApiKey } from '../../../protocol/api-keys.ts';
import { CLUSTER_OPERATIONS, authorizedOperations, grantedOperations } from '../../authorized-operations.ts';
import { access } from '../access.ts';
import { addressOn, type BrokerContext } from '../context.ts';
import type { ApiRequest, ApiResponseInput } from '../../../protocol/api-messages.ts';
import type { BrokerRequestHeader, HandlerEntry } from '../handler.ts';

function handleDescribeCluster(ctx: BrokerContext, header: BrokerRequestHeader, body: ApiRequest<typeof ApiKey.DescribeCluster>): ApiResponseInput<typeof ApiKey.DescribeCluster> {
  const endpointType = header.apiVersion >= 1 ? (body.endpointType ?? 1) : 1;
  // Kafka's check: DESCRIBE on the cluster, else CLUSTER_AUTHORIZATION_FAILED for the whole answer.
  const can = access(ctx, header);
  const operations = can.unrestricted ? CLUSTER_OPERATIONS : grantedOperations('cluster', (op) => can.cluster(op));
  const base = { throttleTimeMs: 0, endpointType, clusterId: ctx.clusterId, controllerId: ctx.controllerId, clusterAuthorizedOperations: authorizedOperations(body.includeClusterAuthorizedOperations, operations) };
  if (!can.cluster('describe')) return { ...base, errorCode: KafkaCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'Not authorized to describe the cluster', brokers: [] };
  if (endpointType !== 1) {
    // Only broker endpoints exist here; controller endpoints are a KRaft notion (MISMATCHED_ENDPOINT_TYPE).
    return { ...base, errorCode: KafkaCode.MISMATCHED_ENDPOINT_TYPE, errorMessage: 'This endpoint serves brokers only', brokers: [] };
  }
  return {
    ...base,
    errorCode: 0,
    errorMessage: null,
    brokers: ctx.image.brokers().map((e) => addressOn(ctx, header.listener, e)).map((b) => ({ brokerId: b.nodeId, host: b.host, port: b.port, rack: b.rack })),
  };
}

/** DescribeCluster v0–1. */
export const describeClusterHandler: HandlerEntry<typeof ApiKey.DescribeCluster> = {
  apiKey: ApiKey.DescribeCluster,
  versions: { min: 0, max: 1 },
  handle: handleDescribeCluster,
};
