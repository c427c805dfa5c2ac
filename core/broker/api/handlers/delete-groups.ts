/** DeleteGroups: removes empty groups and their committed offsets. */
import { ApiKey } from '../../../protocol/api-keys.ts';
import type { BrokerContext } from '../context.ts';
import type { ApiResponseInput } from '../../../protocol/api-messages.ts';
import type { BrokerRequestHeader, HandlerEntry } from '../handler.ts';

async function handleDeleteGroups(ctx: BrokerContext, header: BrokerRequestHeader, body: { groupsNames: string[] }): Promise<ApiResponseInput<typeof ApiKey.DeleteGroups>> {
  return { throttleTimeMs: 0, results: await ctx.groups.deleteGroups(body.groupsNames) };
}

/** DeleteGroups v0–2. */
export const deleteGroupsHandler: HandlerEntry<typeof ApiKey.DeleteGroups> = {
  apiKey: ApiKey.DeleteGroups,
  versions: { min: 0, max: 2 },
  handle: handleDeleteGroups,
};
