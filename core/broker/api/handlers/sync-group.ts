/** SyncGroup: the leader hands in the assignment; every member receives its own part. */
import { ApiKey } from '../../../protocol/api-keys.ts';
import type { BrokerContext } from '../context.ts';
import type { BrokerRequestHeader, HandlerEntry } from '../handler.ts';

interface SyncGroupRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId?: string | null;
  protocolType?: string | null;
  protocolName?: string | null;
  assignments: Array<{ memberId: string; assignment: Uint8Array }>;
}

async function handleSyncGroup(ctx: BrokerContext, header: BrokerRequestHeader, body: SyncGroupRequest): Promise<Record<string, unknown>> {
  const v = header.apiVersion;
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
export const syncGroupHandler: HandlerEntry = {
  apiKey: ApiKey.SyncGroup,
  versions: { min: 0, max: 5 },
  handle: handleSyncGroup,
};
