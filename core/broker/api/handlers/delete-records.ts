/**
 * DeleteRecords: moves each partition's log start offset forward to the given offset (-1:
 * the high watermark), as `kafka-delete-records.sh` and kafkajs's `deleteTopicRecords`
 * ask; answers the new low watermark. timeoutMs bounds waiting for followers, which a
 * cluster of one does not have.
 */
import { ApiKey } from '../../../protocol/api-keys.ts';
import type { BrokerContext } from '../context.ts';
import type { ApiRequest, ApiResponseInput } from '../../../protocol/api-messages.ts';
import type { BrokerRequestHeader, HandlerEntry } from '../handler.ts';
import { KafkaCode } from '../../../kafka-error-codes.ts';
import { access } from '../access.ts';

async function handleDeleteRecords(ctx: BrokerContext, header: BrokerRequestHeader, body: ApiRequest<typeof ApiKey.DeleteRecords>): Promise<ApiResponseInput<typeof ApiKey.DeleteRecords>> {
  // Kafka's check: DELETE on each topic (TOPIC_AUTHORIZATION_FAILED per partition).
  const deletable = access(ctx, header).filter('delete', 'topic', body.topics.map((t) => t.name));
  const topics = await Promise.all(
    body.topics.map(async (t) => ({
      name: t.name,
      partitions: await Promise.all(
        t.partitions.map(async (p) => !deletable(t.name) ? { partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode: KafkaCode.TOPIC_AUTHORIZATION_FAILED } : ({ partitionIndex: p.partitionIndex, ...(await ctx.replicaManager.deleteRecords(t.name, p.partitionIndex, p.offset)) })),
      ),
    })),
  );
  return { throttleTimeMs: 0, topics };
}

/** DeleteRecords v0–2. */
export const deleteRecordsHandler: HandlerEntry<typeof ApiKey.DeleteRecords> = {
  apiKey: ApiKey.DeleteRecords,
  versions: { min: 0, max: 2 },
  handle: handleDeleteRecords,
};
