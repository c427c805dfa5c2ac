/**
 * CreatePartitions (key 37): raises the partition count of topics.
 * Versions 0–3, flexible from v2.
 */
import { api, a, f, type ApiSchema } from '../schema.ts';

/** CreatePartitions request and response fields, every version. */
export const createPartitionsSchema: ApiSchema = api(37, 'CreatePartitions', '0-3', 2, {
  request: [
    a('topics', '0+', [
      f('name', 'string', '0+'),
      f('count', 'int32', '0+'),
      a('assignments', '0+', [
        f('brokerIds', '[]int32', '0+'),
      ], { nullable: '0+' }),
    ]),
    f('timeoutMs', 'int32', '0+'),
    f('validateOnly', 'bool', '0+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '0+'),
    a('results', '0+', [
      f('name', 'string', '0+'),
      f('errorCode', 'int16', '0+'),
      f('errorMessage', 'string', '0+', { nullable: '0+' }),
    ]),
  ],
});
