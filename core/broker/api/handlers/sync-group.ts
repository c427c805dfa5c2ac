/** SyncGroup: the leader hands in the assignment; every member receives its own part. */
import { ApiKey } from '../../../protocol/api-keys.ts';
import type { BrokerContext } from '../context.ts';
import type { ApiRequest, ApiResponseInput } from '../../../protocol/api-messages.ts';
import type { BrokerRequestHeader, HandlerEntry } from '../handler.ts';
import { KafkaCode } from '../../../kafka-error-codes.ts';
import { access } from '../access.ts';

async function handleSyncGroup(ctx: BrokerContext, header: BrokerRequestHeader, body: ApiRequest<typeof ApiKey.SyncGroup>): Promise<ApiResponseInput<typeof ApiKey.SyncGroup>> {
  const v = header.apiVersion;
  // Kafka's check: READ on the group.
  if (!access(ctx, header).allows('read', 'group', body.groupId)) {
    return { throttleTimeMs: 0, errorCode: KafkaCode.GROUP_AUTHORIZATION_FAILED, protocolType: null, protocolName: null, assignment: new Uint8Array(0) };
  }
  const result = await ctx.groups.sync({
    groupId: body.groupId,
    generationId: body.generationId,
    memberId: body.memberId,
    groupInstanceId: v >= 3 ? (body.groupInstanceId ?? null) : null,
    protocolType: v >= 5 ? (body.protocolType ?? null) : null,
    protocolName: v >= 5 ? (body.protocolName ?? null) : null,
    assignments: body.assignments ?? [],
  });
  return { throttleTimeMs: 0, errorCode: result.errorCode, protocolType: result.protocolType, protocolName: result.protocolName, assignment: result.assignment };
}

/** SyncGroup v0–5. */
export const syncGroupHandler: HandlerEntry<typeof ApiKey.SyncGroup> = {
  apiKey: ApiKey.SyncGroup,
  versions: { min: 0, max: 5 },
  handle: handleSyncGroup,
};
