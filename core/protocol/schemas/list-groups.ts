/**
 * ListGroups (key 16): the groups the coordinator knows.
 * Versions 0–5, flexible from v3.
 */
import { api, a, f, type ApiSchema } from '../schema.ts';

/** ListGroups request and response fields, every version. */
export const listGroupsSchema: ApiSchema = api(16, 'ListGroups', '0-5', 3, {
  request: [
    f('statesFilter', '[]string', '4+'),
    f('typesFilter', '[]string', '5+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '1+'),
    f('errorCode', 'int16', '0+'),
    a('groups', '0+', [
      f('groupId', 'string', '0+'),
      f('protocolType', 'string', '0+'),
      f('groupState', 'string', '4+'),
      f('groupType', 'string', '5+'),
    ]),
  ],
});
