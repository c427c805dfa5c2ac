/**
 * ListOffsets: earliest (-2), latest (-1), max timestamp (-3, v7+), earliest local (-4,
 * v8+), latest tiered (-5, v9+) and by timestamp, looked up by the replica manager (partition/offset-lookup.ts);
 * v0 answers in its old list form. v10's timeoutMs bounds reads from remote storage, which
 * this broker does not have.
 */
import { ApiKey } from '../../../protocol/api-keys.ts';
import type { BrokerContext } from '../context.ts';
import type { ApiRequest, ApiResponseInput } from '../../../protocol/api-messages.ts';
import type { BrokerRequestHeader, HandlerEntry } from '../handler.ts';
import { KafkaCode } from '../../../kafka-error-codes.ts';
import { access } from '../access.ts';

async function handleListOffsets(ctx: BrokerContext, header: BrokerRequestHeader, body: ApiRequest<typeof ApiKey.ListOffsets>): Promise<ApiResponseInput<typeof ApiKey.ListOffsets>> {
  const v = header.apiVersion;
  // Kafka's check: DESCRIBE on each topic (TOPIC_AUTHORIZATION_FAILED per partition).
  const describable = access(ctx, header).filter('describe', 'topic', body.topics.map((t) => t.name));
  const topics = await Promise.all(
    body.topics.map(async (t) => {
      const partitions = await Promise.all(
        t.partitions.map(async (p) => {
          if (!describable(t.name)) return { partitionIndex: p.partitionIndex, errorCode: KafkaCode.TOPIC_AUTHORIZATION_FAILED, oldStyleOffsets: [] as number[], timestamp: -1, offset: -1, leaderEpoch: -1 };
          const found = await ctx.replicaManager.fetchOffset(t.name, p.partitionIndex, p.currentLeaderEpoch, p.timestamp, v);
          const answer = { partitionIndex: p.partitionIndex, errorCode: found.errorCode, oldStyleOffsets: [] as number[], timestamp: -1, offset: -1, leaderEpoch: -1 };
          if (found.errorCode !== 0) return answer;
          if (v === 0) {
            const max = p.maxNumOffsets ?? 1;
            return { ...answer, oldStyleOffsets: found.offset >= 0 && max > 0 ? [found.offset] : [] };
          }
          return { ...answer, offset: found.offset, timestamp: found.timestamp, leaderEpoch: found.leaderEpoch };
        }),
      );
      return { name: t.name, partitions };
    }),
  );
  return { throttleTimeMs: 0, topics };
}

/** ListOffsets v0–10. */
export const listOffsetsHandler: HandlerEntry<typeof ApiKey.ListOffsets> = {
  apiKey: ApiKey.ListOffsets,
  versions: { min: 0, max: 10 },
  handle: handleListOffsets,
};
