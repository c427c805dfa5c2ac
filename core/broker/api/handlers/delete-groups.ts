/** DeleteGroups: removes empty groups and their committed offsets. */
import { ApiKey } from '../../../protocol/api-keys.ts';
import type { BrokerContext } from '../context.ts';
import type { ApiResponseInput } from '../../../protocol/api-messages.ts';
import type { BrokerRequestHeader, HandlerEntry } from '../handler.ts';
import { KafkaCode } from '../../../kafka-error-codes.ts';
import { access } from '../access.ts';

async function handleDeleteGroups(ctx: BrokerContext, header: BrokerRequestHeader, body: { groupsNames: string[] }): Promise<ApiResponseInput<typeof ApiKey.DeleteGroups>> {
  // Kafka's check: DELETE on each group (GROUP_AUTHORIZATION_FAILED per group).
  const deletable = access(ctx, header).filter('delete', 'group', body.groupsNames);
  const allowed = body.groupsNames.filter(deletable);
  const deleted = allowed.length > 0 ? await ctx.groups.deleteGroups(allowed) : [];
  const byId = new Map(deleted.map((r) => [r.groupId, r]));
  return { throttleTimeMs: 0, results: body.groupsNames.map((groupId) => byId.get(groupId) ?? { groupId, errorCode: KafkaCode.GROUP_AUTHORIZATION_FAILED }) };
}

/** DeleteGroups v0–2. */
export const deleteGroupsHandler: HandlerEntry<typeof ApiKey.DeleteGroups> = {
  apiKey: ApiKey.DeleteGroups,
  versions: { min: 0, max: 2 },
  handle: handleDeleteGroups,
};
