/**
 * OffsetFetch (key 9): reads committed offsets of one group (or several, from v8).
 * Versions 0–9, flexible from v6.
 */
import { api, a, f, type ApiSchema } from '../schema.ts';

/** OffsetFetch request and response fields, every version. */
export const offsetFetchSchema: ApiSchema = api(9, 'OffsetFetch', '0-9', 6, {
  request: [
    f('groupId', 'string', '0-7'),
    a('topics', '0-7', [
      f('name', 'string', '0-7'),
      f('partitionIndexes', '[]int32', '0-7'),
    ], { nullable: '2-7' }),
    a('groups', '8+', [
      f('groupId', 'string', '8+'),
      f('memberId', 'string', '9+', { nullable: '9+' }),
      f('memberEpoch', 'int32', '9+', { default: -1 }),
      a('topics', '8+', [
        f('name', 'string', '8+'),
        f('partitionIndexes', '[]int32', '8+'),
      ], { nullable: '8+' }),
    ]),
    f('requireStable', 'bool', '7+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '3+'),
    a('topics', '0-7', [
      f('name', 'string', '0-7'),
      a('partitions', '0-7', [
        f('partitionIndex', 'int32', '0-7'),
        f('committedOffset', 'int64', '0-7'),
        f('committedLeaderEpoch', 'int32', '5-7', { default: -1 }),
        f('metadata', 'string', '0-7', { nullable: '0-7' }),
        f('errorCode', 'int16', '0-7'),
      ]),
    ]),
    f('errorCode', 'int16', '2-7'),
    a('groups', '8+', [
      f('groupId', 'string', '8+'),
      a('topics', '8+', [
        f('name', 'string', '8+'),
        a('partitions', '8+', [
          f('partitionIndex', 'int32', '8+'),
          f('committedOffset', 'int64', '8+'),
          f('committedLeaderEpoch', 'int32', '8+', { default: -1 }),
          f('metadata', 'string', '8+', { nullable: '8+' }),
          f('errorCode', 'int16', '8+'),
        ]),
      ]),
      f('errorCode', 'int16', '8+'),
    ]),
  ],
});
