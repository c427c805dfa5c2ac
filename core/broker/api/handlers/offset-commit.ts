/** OffsetCommit: stores a group's consumed offsets (atomically per request, durable in the metadata store). */
import { ApiKey } from '../../../protocol/api-keys.ts';
import type { BrokerContext } from '../context.ts';
import type { ApiRequest, ApiResponseInput } from '../../../protocol/api-messages.ts';
import type { BrokerRequestHeader, HandlerEntry } from '../handler.ts';
import { KafkaCode } from '../../../kafka-error-codes.ts';
import { access } from '../access.ts';

async function handleOffsetCommit(ctx: BrokerContext, header: BrokerRequestHeader, body: ApiRequest<typeof ApiKey.OffsetCommit>): Promise<ApiResponseInput<typeof ApiKey.OffsetCommit>> {
  const v = header.apiVersion;
  // Kafka's checks: READ on the group (else every partition GROUP_AUTHORIZATION_FAILED), then
  // READ on each topic (TOPIC_AUTHORIZATION_FAILED per partition; only the others are committed).
  const can = access(ctx, header);
  const refuse = (errorCode: number, ts: typeof body.topics) => ts.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) }));
  if (!can.allows('read', 'group', body.groupId)) return { throttleTimeMs: 0, topics: refuse(KafkaCode.GROUP_AUTHORIZATION_FAILED, body.topics) };
  const readable = can.filter('read', 'topic', body.topics.map((t) => t.name));
  const allowed = body.topics.filter((t) => readable(t.name));
  const refused = refuse(KafkaCode.TOPIC_AUTHORIZATION_FAILED, body.topics.filter((t) => !readable(t.name)));
  if (allowed.length === 0 && refused.length > 0) return { throttleTimeMs: 0, topics: refused };
  const committed = await ctx.groups.commitOffsets({
    groupId: body.groupId,
    // v0 carries no generation: a commit outside group management.
    generationId: v >= 1 ? (body.generationIdOrMemberEpoch ?? -1) : -1,
    memberId: v >= 1 ? (body.memberId ?? '') : '',
    groupInstanceId: v >= 7 ? (body.groupInstanceId ?? null) : null,
    retentionTimeMs: v >= 2 && v <= 4 ? (body.retentionTimeMs ?? -1) : -1,
    topics: allowed.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partitionIndex,
        committedOffset: p.committedOffset,
        committedLeaderEpoch: v >= 6 ? (p.committedLeaderEpoch ?? -1) : -1,
        commitTimestamp: v === 1 ? (p.commitTimestamp ?? -1) : -1,
        committedMetadata: p.committedMetadata,
      })),
    })),
  });
  return { throttleTimeMs: 0, topics: [...committed, ...refused] };
}

/** OffsetCommit v0–9 (v9's member epochs belong to KIP-848 groups; classic groups read it as the generation). */
export const offsetCommitHandler: HandlerEntry<typeof ApiKey.OffsetCommit> = {
  apiKey: ApiKey.OffsetCommit,
  versions: { min: 0, max: 9 },
  handle: handleOffsetCommit,
};
