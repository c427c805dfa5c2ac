/** DescribeGroups: state, protocol and members of groups (an unknown group is Dead, no error). */
import { ApiKey } from '../../../protocol/api-keys.ts';
import type { BrokerContext } from '../context.ts';
import type { ApiRequest, ApiResponseInput } from '../../../protocol/api-messages.ts';
import type { BrokerRequestHeader, HandlerEntry } from '../handler.ts';

// READ (3), DELETE (6) and DESCRIBE (8) as Kafka's AclOperation bits: all a group allows, without ACLs.
const GROUP_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8);

function handleDescribeGroups(ctx: BrokerContext, header: BrokerRequestHeader, body: ApiRequest<typeof ApiKey.DescribeGroups>): ApiResponseInput<typeof ApiKey.DescribeGroups> {
  const include = header.apiVersion >= 3 && body.includeAuthorizedOperations === true;
  return {
    throttleTimeMs: 0,
    groups: body.groups.map((id) => ({ ...ctx.groups.describe(id), authorizedOperations: include ? GROUP_OPERATIONS : -2147483648 })),
  };
}

/** DescribeGroups v0–5. */
export const describeGroupsHandler: HandlerEntry<typeof ApiKey.DescribeGroups> = {
  apiKey: ApiKey.DescribeGroups,
  versions: { min: 0, max: 5 },
  handle: handleDescribeGroups,
};
