/**
 * OffsetFetch: a group's committed offsets (v0–7: one group, null topics from v2 meaning
 * all; v8+: several groups). requireStable (v7+) is accepted: without transactions no
 * offset is ever pending, so every answer is stable.
 */
import { ApiKey } from '../../../protocol/api-keys.ts';
import type { BrokerContext } from '../context.ts';
import type { ApiRequest, ApiResponseInput } from '../../../protocol/api-messages.ts';
import type { BrokerRequestHeader, HandlerEntry } from '../handler.ts';

function handleOffsetFetch(ctx: BrokerContext, header: BrokerRequestHeader, body: ApiRequest<typeof ApiKey.OffsetFetch>): ApiResponseInput<typeof ApiKey.OffsetFetch> {
  const v = header.apiVersion;
  if (v >= 8) {
    const groups = (body.groups ?? []).map((g) => {
      const r = ctx.groups.fetchOffsets(g.groupId, g.topics ?? null);
      return { groupId: g.groupId, topics: r.topics, errorCode: r.errorCode };
    });
    return { throttleTimeMs: 0, groups };
  }
  // v0 and v1 have no null topics (v1 through Kafka's offsets topic always named them).
  const r = ctx.groups.fetchOffsets(body.groupId ?? '', v >= 2 ? (body.topics ?? null) : (body.topics ?? []));
  return { throttleTimeMs: 0, topics: r.topics, errorCode: r.errorCode };
}

/** OffsetFetch v0–9. */
export const offsetFetchHandler: HandlerEntry<typeof ApiKey.OffsetFetch> = {
  apiKey: ApiKey.OffsetFetch,
  versions: { min: 0, max: 9 },
  handle: handleOffsetFetch,
};
