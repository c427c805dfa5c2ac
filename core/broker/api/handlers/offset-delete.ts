/**
 * OffsetDelete (KIP-496): removes a group's committed offsets of partitions; an active
 * consumer group keeps those of topics it still subscribes to (GROUP_SUBSCRIBED_TO_TOPIC).
 */
import { ApiKey } from '../../../protocol/api-keys.ts';
import type { BrokerContext } from '../context.ts';
import type { ApiRequest, ApiResponseInput } from '../../../protocol/api-messages.ts';
import type { BrokerRequestHeader, HandlerEntry } from '../handler.ts';

async function handleOffsetDelete(ctx: BrokerContext, _header: BrokerRequestHeader, body: ApiRequest<typeof ApiKey.OffsetDelete>): Promise<ApiResponseInput<typeof ApiKey.OffsetDelete>> {
  const r = await ctx.groups.deleteOffsets(body.groupId, body.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => p.partitionIndex) })));
  return { errorCode: r.errorCode, throttleTimeMs: 0, topics: r.topics };
}

/** OffsetDelete v0. */
export const offsetDeleteHandler: HandlerEntry<typeof ApiKey.OffsetDelete> = {
  apiKey: ApiKey.OffsetDelete,
  versions: { min: 0, max: 0 },
  handle: handleOffsetDelete,
};
