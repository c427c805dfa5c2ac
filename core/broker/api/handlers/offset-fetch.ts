/**
 * OffsetFetch: a group's committed offsets (v0–7: one group, null topics from v2 meaning
 * all; v8+: several groups). requireStable (v7+) is accepted: without transactions no
 * offset is ever pending, so every answer is stable.
 */
import { ApiKey } from '../../../protocol/api-keys.ts';
import type { BrokerContext } from '../context.ts';
import type { OffsetFetchResult } from '../../groups/offset-manager.ts';
import type { ApiRequest, ApiResponseInput } from '../../../protocol/api-messages.ts';
import type { BrokerRequestHeader, HandlerEntry } from '../handler.ts';
import { KafkaCode } from '../../../kafka-error-codes.ts';
import { access, type RequestAccess } from '../access.ts';

type Topics = ReadonlyArray<{ name: string; partitionIndexes: readonly number[] }> | null;

/**
 * One group's offsets under Kafka's checks: DESCRIBE on the group (else GROUP_AUTHORIZATION_FAILED),
 * DESCRIBE on each topic — all topics (null) leaves out the others, named ones answer
 * TOPIC_AUTHORIZATION_FAILED per partition.
 */
function fetchAuthorized(ctx: BrokerContext, can: RequestAccess, groupId: string, topics: Topics): OffsetFetchResult {
  const refuse = (errorCode: number, ts: NonNullable<Topics>) =>
    ts.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode })) }));
  if (!can.allows('describe', 'group', groupId)) return { errorCode: KafkaCode.GROUP_AUTHORIZATION_FAILED, topics: topics === null ? [] : refuse(KafkaCode.GROUP_AUTHORIZATION_FAILED, topics) };
  if (can.unrestricted) return ctx.groups.fetchOffsets(groupId, topics);
  if (topics === null) {
    const r = ctx.groups.fetchOffsets(groupId, null);
    const describable = can.filter('describe', 'topic', r.topics.map((t) => t.name));
    return { errorCode: r.errorCode, topics: r.topics.filter((t) => describable(t.name)) };
  }
  const describable = can.filter('describe', 'topic', topics.map((t) => t.name));
  const allowed = topics.filter((t) => describable(t.name));
  const r = allowed.length > 0 ? ctx.groups.fetchOffsets(groupId, allowed) : { errorCode: KafkaCode.NONE, topics: [] };
  return { errorCode: r.errorCode, topics: [...r.topics, ...refuse(KafkaCode.TOPIC_AUTHORIZATION_FAILED, topics.filter((t) => !describable(t.name)))] };
}

function handleOffsetFetch(ctx: BrokerContext, header: BrokerRequestHeader, body: ApiRequest<typeof ApiKey.OffsetFetch>): ApiResponseInput<typeof ApiKey.OffsetFetch> {
  const v = header.apiVersion;
  const can = access(ctx, header);
  if (v >= 8) {
    const groups = (body.groups ?? []).map((g) => {
      const r = fetchAuthorized(ctx, can, g.groupId, g.topics ?? null);
      return { groupId: g.groupId, topics: r.topics, errorCode: r.errorCode };
    });
    return { throttleTimeMs: 0, groups };
  }
  // v0 and v1 have no null topics (v1 through Kafka's offsets topic always named them).
  const r = fetchAuthorized(ctx, can, body.groupId ?? '', v >= 2 ? (body.topics ?? null) : (body.topics ?? []));
  return { throttleTimeMs: 0, topics: r.topics, errorCode: r.errorCode };
}

/** OffsetFetch v0–9. */
export const offsetFetchHandler: HandlerEntry<typeof ApiKey.OffsetFetch> = {
  apiKey: ApiKey.OffsetFetch,
  versions: { min: 0, max: 9 },
  handle: handleOffsetFetch,
};
