/** ListGroups: every group this coordinator knows (v4+: filtered by state; v5+: by type). */
import { ApiKey } from '../../../protocol/api-keys.ts';
import type { BrokerContext } from '../context.ts';
import type { ApiResponseInput } from '../../../protocol/api-messages.ts';
import type { BrokerRequestHeader, HandlerEntry } from '../handler.ts';
import { access } from '../access.ts';

function handleListGroups(ctx: BrokerContext, header: BrokerRequestHeader, body: { statesFilter?: string[]; typesFilter?: string[] }): ApiResponseInput<typeof ApiKey.ListGroups> {
  const v = header.apiVersion;
  const result = ctx.groups.list(v >= 4 ? (body.statesFilter ?? []) : [], v >= 5 ? (body.typesFilter ?? []) : []);
  // Kafka's check: DESCRIBE on the cluster lists every group; otherwise only those the principal may DESCRIBE.
  const can = access(ctx, header);
  if (can.cluster('describe')) return { throttleTimeMs: 0, errorCode: result.errorCode, groups: result.groups };
  const describable = can.filter('describe', 'group', result.groups.map((g) => g.groupId));
  return { throttleTimeMs: 0, errorCode: result.errorCode, groups: result.groups.filter((g) => describable(g.groupId)) };
}

/** ListGroups v0–5. */
export const listGroupsHandler: HandlerEntry<typeof ApiKey.ListGroups> = {
  apiKey: ApiKey.ListGroups,
  versions: { min: 0, max: 5 },
  handle: handleListGroups,
};
