/**
 * AlterConfigs (key 33): replaces topic and broker configs (non-incremental).
 * Versions 0–2, flexible from v2.
 */
import { api, a, f, type ApiSchema } from '../schema.ts';

/** AlterConfigs request and response fields, every version. */
export const alterConfigsSchema: ApiSchema = api(33, 'AlterConfigs', '0-2', 2, {
  request: [
    a('resources', '0+', [
      f('resourceType', 'int8', '0+'),
      f('resourceName', 'string', '0+'),
      a('configs', '0+', [
        f('name', 'string', '0+'),
        f('value', 'string', '0+', { nullable: '0+' }),
      ]),
    ]),
    f('validateOnly', 'bool', '0+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '0+'),
    a('responses', '0+', [
      f('errorCode', 'int16', '0+'),
      f('errorMessage', 'string', '0+', { nullable: '0+' }),
      f('resourceType', 'int8', '0+'),
      f('resourceName', 'string', '0+'),
    ]),
  ],
});
