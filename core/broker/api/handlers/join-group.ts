/** JoinGroup: a member joins a classic group; the answer waits for the rebalance to complete. */
import { ApiKey } from '../../../protocol/api-keys.ts';
import type { BrokerContext } from '../context.ts';
import type { ApiRequest, ApiResponseInput } from '../../../protocol/api-messages.ts';
import type { BrokerRequestHeader, HandlerEntry } from '../handler.ts';
import { KafkaCode } from '../../../kafka-error-codes.ts';
import { access } from '../access.ts';

async function handleJoinGroup(ctx: BrokerContext, header: BrokerRequestHeader, body: ApiRequest<typeof ApiKey.JoinGroup>): Promise<ApiResponseInput<typeof ApiKey.JoinGroup>> {
  const v = header.apiVersion;
  // Kafka's check: READ on the group.
  if (!access(ctx, header).allows('read', 'group', body.groupId)) {
    return { throttleTimeMs: 0, errorCode: KafkaCode.GROUP_AUTHORIZATION_FAILED, generationId: -1, protocolType: null, protocolName: v >= 7 ? null : '', leader: '', skipAssignment: false, memberId: '', members: [] };
  }
  const result = await ctx.groups.join({
    groupId: body.groupId,
    memberId: body.memberId ?? '',
    groupInstanceId: v >= 5 ? (body.groupInstanceId ?? null) : null,
    sessionTimeoutMs: body.sessionTimeoutMs,
    // v0 has no rebalance timeout: Kafka uses the session timeout.
    rebalanceTimeoutMs: v >= 1 && (body.rebalanceTimeoutMs ?? -1) >= 0 ? body.rebalanceTimeoutMs! : body.sessionTimeoutMs,
    protocolType: body.protocolType,
    protocols: body.protocols,
    clientId: header.clientId ?? '',
    clientHost: header.clientHost ?? '',
    requireKnownMemberId: v >= 4,
    supportsSkipAssignment: v >= 9,
  });
  return {
    throttleTimeMs: 0,
    errorCode: result.errorCode,
    generationId: result.generationId,
    protocolType: result.protocolType,
    // Nullable only from v7.
    protocolName: v >= 7 ? result.protocolName : (result.protocolName ?? ''),
    leader: result.leader,
    skipAssignment: result.skipAssignment,
    memberId: result.memberId,
    members: result.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata })),
  };
}

/** JoinGroup v0–9. */
export const joinGroupHandler: HandlerEntry<typeof ApiKey.JoinGroup> = {
  apiKey: ApiKey.JoinGroup,
  versions: { min: 0, max: 9 },
  handle: handleJoinGroup,
};
