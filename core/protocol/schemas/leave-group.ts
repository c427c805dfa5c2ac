/**
 * LeaveGroup (key 13): members leave a group.
 * Versions 0–5, flexible from v4.
 */
import { api, a, f, type ApiSchema } from '../schema.ts';

/** LeaveGroup request and response fields, every version. */
export const leaveGroupSchema: ApiSchema = api(13, 'LeaveGroup', '0-5', 4, {
  request: [
    f('groupId', 'string', '0+'),
    f('memberId', 'string', '0-2'),
    a('members', '3+', [
      f('memberId', 'string', '3+'),
      f('groupInstanceId', 'string', '3+', { nullable: '3+' }),
      f('reason', 'string', '5+', { nullable: '5+' }),
    ]),
  ],
  response: [
    f('throttleTimeMs', 'int32', '1+'),
    f('errorCode', 'int16', '0+'),
    a('members', '3+', [
      f('memberId', 'string', '3+'),
      f('groupInstanceId', 'string', '3+', { nullable: '3+' }),
      f('errorCode', 'int16', '3+'),
    ]),
  ],
});
