/** Heartbeat: keeps a member's session alive and tells it when a rebalance is under way. */
import type { Broker, BrokerRequestHeader, HandlerEntry } from '../broker.ts';

interface HeartbeatRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId?: string | null;
}

function handleHeartbeat(broker: Broker, header: BrokerRequestHeader, body: HeartbeatRequest): Record<string, unknown> {
  const errorCode = broker.groups.heartbeat({
    groupId: body.groupId,
    generationId: body.generationId,
    memberId: body.memberId,
    groupInstanceId: header.apiVersion >= 3 ? (body.groupInstanceId ?? null) : null,
  });
  return { throttleTimeMs: 0, errorCode };
}

/** Heartbeat v0–4. */
export const heartbeatHandler: HandlerEntry = { minVersion: 0, maxVersion: 4, handle: handleHeartbeat };
