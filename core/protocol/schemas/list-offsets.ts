/**
 * ListOffsets (key 2): offsets by timestamp: earliest (-2), latest (-1) or the first at a time.
 * Versions 0–10, flexible from v6.
 */
import { api, a, f, type ApiSchema } from '../schema.ts';

/** ListOffsets request and response fields, every version. */
export const listOffsetsSchema: ApiSchema = api(2, 'ListOffsets', '0-10', 6, {
  request: [
    f('replicaId', 'int32', '0+'),
    f('isolationLevel', 'int8', '2+'),
    a('topics', '0+', [
      f('name', 'string', '0+'),
      a('partitions', '0+', [
        f('partitionIndex', 'int32', '0+'),
        f('currentLeaderEpoch', 'int32', '4+', { default: -1 }),
        f('timestamp', 'int64', '0+'),
        f('maxNumOffsets', 'int32', '0', { default: 1 }),
      ]),
    ]),
    f('timeoutMs', 'int32', '10+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '2+'),
    a('topics', '0+', [
      f('name', 'string', '0+'),
      a('partitions', '0+', [
        f('partitionIndex', 'int32', '0+'),
        f('errorCode', 'int16', '0+'),
        f('oldStyleOffsets', '[]int64', '0'),
        f('timestamp', 'int64', '1+', { default: -1 }),
        f('offset', 'int64', '1+', { default: -1 }),
        f('leaderEpoch', 'int32', '4+', { default: -1 }),
      ]),
    ]),
  ],
});
