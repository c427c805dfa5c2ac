/** ListGroups: every group this coordinator knows (v4+: filtered by state; v5+: by type). */
import { ApiKey } from '../../../protocol/api-keys.ts';
import type { BrokerContext } from '../context.ts';
import type { ApiResponseInput } from '../../../protocol/api-messages.ts';
import type { BrokerRequestHeader, HandlerEntry } from '../handler.ts';

function handleListGroups(ctx: BrokerContext, header: BrokerRequestHeader, body: { statesFilter?: string[]; typesFilter?: string[] }): ApiResponseInput<typeof ApiKey.ListGroups> {
  const v = header.apiVersion;
  const result = ctx.groups.list(v >= 4 ? (body.statesFilter ?? []) : [], v >= 5 ? (body.typesFilter ?? []) : []);
  return { throttleTimeMs: 0, errorCode: result.errorCode, groups: result.groups };
}

/** ListGroups v0–5. */
export const listGroupsHandler: HandlerEntry<typeof ApiKey.ListGroups> = {
  apiKey: ApiKey.ListGroups,
  versions: { min: 0, max: 5 },
  handle: handleListGroups,
};
