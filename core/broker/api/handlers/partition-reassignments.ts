/**
 * AlterPartitionReassignments (45) and ListPartitionReassignments (46) on a broker: forwarded
 * to the active controller, which writes the target replicas to the metadata log (KIP-455;
 * reassignment.ts) — the broker answers once its own image has the change. A broker without a
 * cluster controller (a single node) has one replica per partition and nothing to move:
 * it answers each partition as Kafka's rules would for a cluster of one broker.
 */
import { kafkaError, KafkaCode } from '../../../errors.ts';
import { ApiKey } from '../../../protocol/api-keys.ts';
import type { ApiRequest, ApiResponseInput } from '../../../protocol/api-messages.ts';
import { NO_ERROR, toErrorPair } from '../../error-pair.ts';
import { access } from '../access.ts';
import type { BrokerContext } from '../context.ts';
import type { HandlerEntry } from '../handler.ts';

async function handleAlter(ctx: BrokerContext, body: ApiRequest<typeof ApiKey.AlterPartitionReassignments>): Promise<ApiResponseInput<typeof ApiKey.AlterPartitionReassignments>> {
  const forward = ctx.controller.alterPartitionReassignments;
  if (forward) {
    try {
      return await forward(body);
    } catch (error) {
      return { throttleTimeMs: 0, ...toErrorPair(error), responses: [] };
    }
  }
  // One broker: the only assignment there is is the current one.
  const responses = body.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => {
      try {
        const partition = ctx.image.topic(t.name)?.partitions[p.partitionIndex];
        if (!partition) throw kafkaError(KafkaCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic "${t.name}" has no partition ${p.partitionIndex}`);
        if (p.replicas === null) throw kafkaError(KafkaCode.NO_REASSIGNMENT_IN_PROGRESS, `No reassignment of ${t.name}-${p.partitionIndex} is in progress`);
        const same = p.replicas.length === partition.replicas.length && p.replicas.every((id, i) => partition.replicas[i] === id);
        if (!same) throw kafkaError(KafkaCode.INVALID_REPLICA_ASSIGNMENT, `This broker runs alone (no cluster controller): replicas ${p.replicas.join(',')} name brokers that are not registered`);
        return { partitionIndex: p.partitionIndex, ...NO_ERROR };
      } catch (error) {
        return { partitionIndex: p.partitionIndex, ...toErrorPair(error) };
      }
    }),
  }));
  return { throttleTimeMs: 0, ...NO_ERROR, responses };
}

async function handleList(ctx: BrokerContext, body: ApiRequest<typeof ApiKey.ListPartitionReassignments>): Promise<ApiResponseInput<typeof ApiKey.ListPartitionReassignments>> {
  const forward = ctx.controller.listPartitionReassignments;
  if (!forward) return { throttleTimeMs: 0, ...NO_ERROR, topics: [] };
  try {
    return await forward(body);
  } catch (error) {
    return { throttleTimeMs: 0, ...toErrorPair(error), topics: [] };
  }
}

/** AlterPartitionReassignments v0. */
export const alterPartitionReassignmentsHandler: HandlerEntry<typeof ApiKey.AlterPartitionReassignments> = {
  apiKey: ApiKey.AlterPartitionReassignments,
  versions: { min: 0, max: 0 },
  // Kafka's check: ALTER on the cluster.
  handle: (ctx, header, body) =>
    access(ctx, header).cluster('alter') ? handleAlter(ctx, body) : { throttleTimeMs: 0, errorCode: KafkaCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'Not authorized to reassign partitions', responses: [] },
};

/** ListPartitionReassignments v0. */
export const listPartitionReassignmentsHandler: HandlerEntry<typeof ApiKey.ListPartitionReassignments> = {
  apiKey: ApiKey.ListPartitionReassignments,
  versions: { min: 0, max: 0 },
  // Kafka's check: DESCRIBE on the cluster.
  handle: (ctx, header, body) =>
    access(ctx, header).cluster('describe') ? handleList(ctx, body) : { throttleTimeMs: 0, errorCode: KafkaCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'Not authorized to list partition reassignments', topics: [] },
};
