/**
 * LeaveGroup: members leave (v0–2: one member id; v3+: a batch, by member id or, for
 * administrative removal, by group.instance.id alone).
 */
import { ApiKey } from '../../../protocol/api-keys.ts';
import type { BrokerContext } from '../context.ts';
import type { ApiRequest, ApiResponseInput } from '../../../protocol/api-messages.ts';
import type { BrokerRequestHeader, HandlerEntry } from '../handler.ts';
import { KafkaCode } from '../../../kafka-error-codes.ts';
import { access } from '../access.ts';

function handleLeaveGroup(ctx: BrokerContext, header: BrokerRequestHeader, body: ApiRequest<typeof ApiKey.LeaveGroup>): ApiResponseInput<typeof ApiKey.LeaveGroup> {
  // Kafka's check: READ on the group.
  if (!access(ctx, header).allows('read', 'group', body.groupId)) return { throttleTimeMs: 0, errorCode: KafkaCode.GROUP_AUTHORIZATION_FAILED, members: [] };
  if (header.apiVersion < 3) {
    const result = ctx.groups.leave(body.groupId, [{ memberId: body.memberId ?? '', groupInstanceId: null }]);
    // Before v3 the single member's error is the response's error.
    const errorCode = result.errorCode !== 0 ? result.errorCode : (result.members[0]?.errorCode ?? 0);
    return { throttleTimeMs: 0, errorCode, members: [] };
  }
  const leaving = (body.members ?? []).map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId ?? null }));
  const result = ctx.groups.leave(body.groupId, leaving);
  return { throttleTimeMs: 0, errorCode: result.errorCode, members: result.members };
}

/** LeaveGroup v0–5. */
export const leaveGroupHandler: HandlerEntry<typeof ApiKey.LeaveGroup> = {
  apiKey: ApiKey.LeaveGroup,
  versions: { min: 0, max: 5 },
  handle: handleLeaveGroup,
};
