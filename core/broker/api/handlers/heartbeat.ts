/** Heartbeat: keeps a member's session alive and tells it when a rebalance is under way. */
import { ApiKey } from '../../../protocol/api-keys.ts';
import type { BrokerContext } from '../context.ts';
import type { ApiRequest, ApiResponseInput } from '../../../protocol/api-messages.ts';
import type { BrokerRequestHeader, HandlerEntry } from '../handler.ts';
import { KafkaCode } from '../../../kafka-error-codes.ts';
import { access } from '../access.ts';

function handleHeartbeat(ctx: BrokerContext, header: BrokerRequestHeader, body: ApiRequest<typeof ApiKey.Heartbeat>): ApiResponseInput<typeof ApiKey.Heartbeat> {
  // Kafka's check: READ on the group.
  if (!access(ctx, header).allows('read', 'group', body.groupId)) return { throttleTimeMs: 0, errorCode: KafkaCode.GROUP_AUTHORIZATION_FAILED };
  const errorCode = ctx.groups.heartbeat({
    groupId: body.groupId,
    generationId: body.generationId,
    memberId: body.memberId,
    groupInstanceId: header.apiVersion >= 3 ? (body.groupInstanceId ?? null) : null,
  });
  return { throttleTimeMs: 0, errorCode };
}

/** Heartbeat v0–4. */
export const heartbeatHandler: HandlerEntry<typeof ApiKey.Heartbeat> = {
  apiKey: ApiKey.Heartbeat,
  versions: { min: 0, max: 4 },
  handle: handleHeartbeat,
};
