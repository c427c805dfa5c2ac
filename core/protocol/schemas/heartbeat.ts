/**
 * Heartbeat (key 12): keeps a group member alive and tells it when to rejoin.
 * Versions 0–4, flexible from v4.
 */
import { api, f, type ApiSchema } from '../schema.ts';

/** Heartbeat request and response fields, every version. */
export const heartbeatSchema: ApiSchema = api(12, 'Heartbeat', '0-4', 4, {
  request: [
    f('groupId', 'string', '0+'),
    f('generationId', 'int32', '0+'),
    f('memberId', 'string', '0+'),
    f('groupInstanceId', 'string', '3+', { nullable: '3+' }),
  ],
  response: [
    f('throttleTimeMs', 'int32', '1+'),
    f('errorCode', 'int16', '0+'),
  ],
});
