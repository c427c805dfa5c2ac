/**
 * ElectLeaders (43) on a broker: forwarded to the active controller (leader-election.ts: PREFERRED
 * and UNCLEAN elections, Kafka's error codes); the broker answers once its own image has the
 * new leaders. A broker without a cluster controller leads every partition it has, which is
 * each partition's only (so preferred) replica: ELECTION_NOT_NEEDED.
 */
import { KafkaCode } from '../../../errors.ts';
import { ApiKey } from '../../../protocol/api-keys.ts';
import type { ApiRequest, ApiResponseInput } from '../../../protocol/api-messages.ts';
import { toErrorPair } from '../../error-pair.ts';
import { access } from '../access.ts';
import type { BrokerContext } from '../context.ts';
import type { HandlerEntry } from '../handler.ts';

async function handleElectLeaders(ctx: BrokerContext, body: ApiRequest<typeof ApiKey.ElectLeaders>): Promise<ApiResponseInput<typeof ApiKey.ElectLeaders>> {
  const forward = ctx.controller.electLeaders;
  if (forward) {
    try {
      return await forward(body);
    } catch (error) {
      return { throttleTimeMs: 0, errorCode: toErrorPair(error).errorCode, replicaElectionResults: [] };
    }
  }
  const answer = (topic: string, partitionId: number) => {
    const known = ctx.image.topic(topic)?.partitions[partitionId] !== undefined;
    return known
      ? { partitionId, errorCode: KafkaCode.ELECTION_NOT_NEEDED, errorMessage: `This broker is the only replica of ${topic}-${partitionId} and leads it` }
      : { partitionId, errorCode: KafkaCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic "${topic}" has no partition ${partitionId}` };
  };
  const replicaElectionResults = body.topicPartitions === null
    ? ctx.image.topics().map((t) => ({ topic: t.name, partitionResult: [] }))
    : body.topicPartitions.map((t) => ({ topic: t.topic, partitionResult: t.partitions.map((p) => answer(t.topic, p)) }));
  return { throttleTimeMs: 0, errorCode: 0, replicaElectionResults };
}

/** ElectLeaders v0–2 (v0 always elects the preferred replica). */
export const electLeadersHandler: HandlerEntry<typeof ApiKey.ElectLeaders> = {
  apiKey: ApiKey.ElectLeaders,
  versions: { min: 0, max: 2 },
  handle: (ctx, header, body) => {
    // Kafka's check: ALTER on the cluster, else every named partition (and the answer) refused.
    if (!access(ctx, header).cluster('alter')) {
      const refused = { errorCode: KafkaCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'Not authorized to elect leaders' };
      return {
        throttleTimeMs: 0,
        errorCode: KafkaCode.CLUSTER_AUTHORIZATION_FAILED,
        replicaElectionResults: (body.topicPartitions ?? []).map((t) => ({ topic: t.topic, partitionResult: t.partitions.map((partitionId) => ({ partitionId, ...refused })) })),
      };
    }
    return handleElectLeaders(ctx, body);
  },
};
