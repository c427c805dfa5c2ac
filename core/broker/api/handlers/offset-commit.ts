/** OffsetCommit: stores a group's consumed offsets (atomically per request, durable in the metadata store). */
import { ApiKey } from '../../../protocol/api-keys.ts';
import type { BrokerContext } from '../context.ts';
import type { ApiRequest, ApiResponseInput } from '../../../protocol/api-messages.ts';
import type { BrokerRequestHeader, HandlerEntry } from '../handler.ts';

async function handleOffsetCommit(ctx: BrokerContext, header: BrokerRequestHeader, body: ApiRequest<typeof ApiKey.OffsetCommit>): Promise<ApiResponseInput<typeof ApiKey.OffsetCommit>> {
  const v = header.apiVersion;
  const topics = await ctx.groups.commitOffsets({
    groupId: body.groupId,
    // v0 carries no generation: a commit outside group management.
    generationId: v >= 1 ? (body.generationIdOrMemberEpoch ?? -1) : -1,
    memberId: v >= 1 ? (body.memberId ?? '') : '',
    groupInstanceId: v >= 7 ? (body.groupInstanceId ?? null) : null,
    retentionTimeMs: v >= 2 && v <= 4 ? (body.retentionTimeMs ?? -1) : -1,
    topics: body.topics.map((t) => ({
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
  return { throttleTimeMs: 0, topics };
}

/** OffsetCommit v0–9 (v9's member epochs belong to KIP-848 groups; classic groups read it as the generation). */
export const offsetCommitHandler: HandlerEntry<typeof ApiKey.OffsetCommit> = {
  apiKey: ApiKey.OffsetCommit,
  versions: { min: 0, max: 9 },
  handle: handleOffsetCommit,
};
