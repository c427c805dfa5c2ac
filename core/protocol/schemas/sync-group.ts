/**
 * SyncGroup (key 14): the leader sends the assignment; every member receives its own.
 * Versions 0–5, flexible from v4.
 */
import { api, a, f, type ApiSchema } from '../schema.ts';

/** SyncGroup request and response fields, every version. */
export const syncGroupSchema: ApiSchema = api(14, 'SyncGroup', '0-5', 4, {
  request: [
    f('groupId', 'string', '0+'),
    f('generationId', 'int32', '0+'),
    f('memberId', 'string', '0+'),
    f('groupInstanceId', 'string', '3+', { nullable: '3+' }),
    f('protocolType', 'string', '5+', { nullable: '5+' }),
    f('protocolName', 'string', '5+', { nullable: '5+' }),
    a('assignments', '0+', [
      f('memberId', 'string', '0+'),
      f('assignment', 'bytes', '0+'),
    ]),
  ],
  response: [
    f('throttleTimeMs', 'int32', '1+'),
    f('errorCode', 'int16', '0+'),
    f('protocolType', 'string', '5+', { nullable: '5+' }),
    f('protocolName', 'string', '5+', { nullable: '5+' }),
    f('assignment', 'bytes', '0+'),
  ],
});
