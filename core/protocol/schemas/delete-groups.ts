/**
 * DeleteGroups (key 42): deletes empty groups and their committed offsets.
 * Versions 0–2, flexible from v2.
 */
import { api, a, f, type ApiSchema } from '../schema.ts';

/** DeleteGroups request and response fields, every version. */
export const deleteGroupsSchema: ApiSchema = api(42, 'DeleteGroups', '0-2', 2, {
  request: [
    f('groupsNames', '[]string', '0+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '0+'),
    a('results', '0+', [
      f('groupId', 'string', '0+'),
      f('errorCode', 'int16', '0+'),
    ]),
  ],
});
