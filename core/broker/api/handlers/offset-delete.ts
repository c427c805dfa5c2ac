/**
 * OffsetDelete (KIP-496): removes a group's committed offsets of partitions; an active
 * consumer group keeps those of topics it still subscribes to (GROUP_SUBSCRIBED_TO_TOPIC).
 */
import { ApiKey } from '../../../protocol/api-keys.ts';
import type { BrokerContext } from '../context.ts';
import type { ApiRequest, ApiResponseInput } from '../../../protocol/api-messages.ts';
import type { BrokerRequestHeader, HandlerEntry } from '../handler.ts';
import { KafkaCode } from '../../../kafka-error-codes.ts';
import { access } from '../access.ts';

async function handleOffsetDelete(ctx: BrokerContext, header: BrokerRequestHeader, body: ApiRequest<typeof ApiKey.OffsetDelete>): Promise<ApiResponseInput<typeof ApiKey.OffsetDelete>> {
  // Kafka's checks: DELETE on the group (GROUP_AUTHORIZATION_FAILED), READ on each topic (TOPIC_AUTHORIZATION_FAILED per partition).
  const can = access(ctx, header);
  if (!can.allows('delete', 'group', body.groupId)) return { errorCode: KafkaCode.GROUP_AUTHORIZATION_FAILED, throttleTimeMs: 0, topics: [] };
  const readable = can.filter('read', 'topic', body.topics.map((t) => t.name));
  const allowed = body.topics.filter((t) => readable(t.name));
  const refused = body.topics.filter((t) => !readable(t.name)).map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: KafkaCode.TOPIC_AUTHORIZATION_FAILED })) }));
  const r = allowed.length > 0 || refused.length === 0
    ? await ctx.groups.deleteOffsets(body.groupId, allowed.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => p.partitionIndex) })))
    : { errorCode: KafkaCode.NONE, topics: [] };
  return { errorCode: r.errorCode, throttleTimeMs: 0, topics: [...r.topics, ...refused] };
}

/** OffsetDelete v0. */
export const offsetDeleteHandler: HandlerEntry<typeof ApiKey.OffsetDelete> = {
  apiKey: ApiKey.OffsetDelete,
  versions: { min: 0, max: 0 },
  handle: handleOffsetDelete,
};
