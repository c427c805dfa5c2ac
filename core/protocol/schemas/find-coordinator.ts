/**
 * FindCoordinator (key 10): which broker coordinates a group or a transactional id.
 * Versions 0–6, flexible from v3.
 */
import { api, a, f, type ApiSchema } from '../schema.ts';

/** FindCoordinator request and response fields, every version. */
export const findCoordinatorSchema: ApiSchema = api(10, 'FindCoordinator', '0-6', 3, {
  request: [
    f('key', 'string', '0-3'),
    f('keyType', 'int8', '1+'),
    f('coordinatorKeys', '[]string', '4+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '1+'),
    f('errorCode', 'int16', '0-3'),
    f('errorMessage', 'string', '1-3', { nullable: '1-3' }),
    f('nodeId', 'int32', '0-3'),
    f('host', 'string', '0-3'),
    f('port', 'int32', '0-3'),
    a('coordinators', '4+', [
      f('key', 'string', '4+'),
      f('nodeId', 'int32', '4+'),
      f('host', 'string', '4+'),
      f('port', 'int32', '4+'),
      f('errorCode', 'int16', '4+'),
      f('errorMessage', 'string', '4+', { nullable: '4+' }),
    ]),
  ],
});
