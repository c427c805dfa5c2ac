/**
 * DescribeGroups (key 15): the state, protocol and members of groups.
 * Versions 0–5, flexible from v5.
 */
import { api, a, f, type ApiSchema } from '../schema.ts';

/** DescribeGroups request and response fields, every version. */
export const describeGroupsSchema: ApiSchema = api(15, 'DescribeGroups', '0-5', 5, {
  request: [
    f('groups', '[]string', '0+'),
    f('includeAuthorizedOperations', 'bool', '3+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '1+'),
    a('groups', '0+', [
      f('errorCode', 'int16', '0+'),
      f('groupId', 'string', '0+'),
      f('groupState', 'string', '0+'),
      f('protocolType', 'string', '0+'),
      f('protocolData', 'string', '0+'),
      a('members', '0+', [
        f('memberId', 'string', '0+'),
        f('groupInstanceId', 'string', '4+', { nullable: '4+' }),
        f('clientId', 'string', '0+'),
        f('clientHost', 'string', '0+'),
        f('memberMetadata', 'bytes', '0+'),
        f('memberAssignment', 'bytes', '0+'),
      ]),
      f('authorizedOperations', 'int32', '3+', { default: -2147483648 }),
    ]),
  ],
});
