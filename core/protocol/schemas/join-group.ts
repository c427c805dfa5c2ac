/**
 * JoinGroup (key 11): a member joins a consumer group (starts or takes part in a rebalance).
 * Versions 0–9, flexible from v6.
 */
import { api, a, f, type ApiSchema } from '../schema.ts';

/** JoinGroup request and response fields, every version. */
export const joinGroupSchema: ApiSchema = api(11, 'JoinGroup', '0-9', 6, {
  request: [
    f('groupId', 'string', '0+'),
    f('sessionTimeoutMs', 'int32', '0+'),
    f('rebalanceTimeoutMs', 'int32', '1+', { default: -1 }),
    f('memberId', 'string', '0+'),
    f('groupInstanceId', 'string', '5+', { nullable: '5+' }),
    f('protocolType', 'string', '0+'),
    a('protocols', '0+', [
      f('name', 'string', '0+'),
      f('metadata', 'bytes', '0+'),
    ]),
    f('reason', 'string', '8+', { nullable: '8+' }),
  ],
  response: [
    f('throttleTimeMs', 'int32', '2+'),
    f('errorCode', 'int16', '0+'),
    f('generationId', 'int32', '0+', { default: -1 }),
    f('protocolType', 'string', '7+', { nullable: '7+' }),
    f('protocolName', 'string', '0+', { nullable: '7+' }),
    f('leader', 'string', '0+'),
    f('skipAssignment', 'bool', '9+'),
    f('memberId', 'string', '0+'),
    a('members', '0+', [
      f('memberId', 'string', '0+'),
      f('groupInstanceId', 'string', '5+', { nullable: '5+' }),
      f('metadata', 'bytes', '0+'),
    ]),
  ],
});
