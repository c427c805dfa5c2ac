/** DescribeGroups: state, protocol and members of groups (an unknown group is Dead, no error). */
import { ApiKey } from '../../../protocol/api-keys.ts';
import type { BrokerContext } from '../context.ts';
import type { ApiRequest, ApiResponseInput } from '../../../protocol/api-messages.ts';
import type { BrokerRequestHeader, HandlerEntry } from '../handler.ts';
import { KafkaCode } from '../../../kafka-error-codes.ts';
import { access } from '../access.ts';

// READ (3), DELETE (6) and DESCRIBE (8) as Kafka's AclOperation bits: all a group allows, without ACLs.
const GROUP_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8);
const GROUP_OPERATION_BITS = { read: 3, delete: 6, describe: 8 } as const;

function handleDescribeGroups(ctx: BrokerContext, header: BrokerRequestHeader, body: ApiRequest<typeof ApiKey.DescribeGroups>): ApiResponseInput<typeof ApiKey.DescribeGroups> {
  const include = header.apiVersion >= 3 && body.includeAuthorizedOperations === true;
  // Kafka's check: DESCRIBE on each group (GROUP_AUTHORIZATION_FAILED per group).
  const can = access(ctx, header);
  const describable = can.filter('describe', 'group', body.groups);
  const operations = (id: string) => {
    if (!include) return -2147483648;
    if (can.unrestricted) return GROUP_OPERATIONS;
    return (['read', 'delete', 'describe'] as const).reduce((field, op) => (can.allows(op, 'group', id) ? field | (1 << GROUP_OPERATION_BITS[op]) : field), 0);
  };
  return {
    throttleTimeMs: 0,
    groups: body.groups.map((id) =>
      describable(id)
        ? { ...ctx.groups.describe(id), authorizedOperations: operations(id) }
        : { groupId: id, errorCode: KafkaCode.GROUP_AUTHORIZATION_FAILED, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: -2147483648 },
    ),
  };
}

/** DescribeGroups v0–5. */
export const describeGroupsHandler: HandlerEntry<typeof ApiKey.DescribeGroups> = {
  apiKey: ApiKey.DescribeGroups,
  versions: { min: 0, max: 5 },
  handle: handleDescribeGroups,
};
