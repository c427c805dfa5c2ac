/**
 * OffsetCommit (key 8): commits consumed offsets for a group.
 * Versions 0–9, flexible from v8.
 */
import { api, a, f, type ApiSchema } from '../schema.ts';

/** OffsetCommit request and response fields, every version. */
export const offsetCommitSchema: ApiSchema = api(8, 'OffsetCommit', '0-9', 8, {
  request: [
    f('groupId', 'string', '0+'),
    f('generationIdOrMemberEpoch', 'int32', '1+', { default: -1 }),
    f('memberId', 'string', '1+'),
    f('groupInstanceId', 'string', '7+', { nullable: '7+' }),
    f('retentionTimeMs', 'int64', '2-4', { default: -1 }),
    a('topics', '0+', [
      f('name', 'string', '0+'),
      a('partitions', '0+', [
        f('partitionIndex', 'int32', '0+'),
        f('committedOffset', 'int64', '0+'),
        f('committedLeaderEpoch', 'int32', '6+', { default: -1 }),
        f('commitTimestamp', 'int64', '1', { default: -1 }),
        f('committedMetadata', 'string', '0+', { nullable: '0+' }),
      ]),
    ]),
  ],
  response: [
    f('throttleTimeMs', 'int32', '3+'),
    a('topics', '0+', [
      f('name', 'string', '0+'),
      a('partitions', '0+', [
        f('partitionIndex', 'int32', '0+'),
        f('errorCode', 'int16', '0+'),
      ]),
    ]),
  ],
});
