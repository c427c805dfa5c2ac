/**
 * CreateTopics (key 19): creates topics with partitions, replication factor and configs.
 * Versions 0–7, flexible from v5.
 */
import { api, a, f, type ApiSchema } from '../schema.ts';

/** CreateTopics request and response fields, every version. */
export const createTopicsSchema: ApiSchema = api(19, 'CreateTopics', '0-7', 5, {
  request: [
    a('topics', '0+', [
      f('name', 'string', '0+'),
      f('numPartitions', 'int32', '0+'),
      f('replicationFactor', 'int16', '0+'),
      a('assignments', '0+', [
        f('partitionIndex', 'int32', '0+'),
        f('brokerIds', '[]int32', '0+'),
      ]),
      a('configs', '0+', [
        f('name', 'string', '0+'),
        f('value', 'string', '0+', { nullable: '0+' }),
      ]),
    ]),
    f('timeoutMs', 'int32', '0+', { default: 60000 }),
    f('validateOnly', 'bool', '1+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '2+'),
    a('topics', '0+', [
      f('name', 'string', '0+'),
      f('topicId', 'uuid', '7+'),
      f('errorCode', 'int16', '0+'),
      f('errorMessage', 'string', '1+', { nullable: '0+' }),
      f('topicConfigErrorCode', 'int16', '5+', { tag: 0, tagged: '5+' }),
      f('numPartitions', 'int32', '5+', { default: -1 }),
      f('replicationFactor', 'int16', '5+', { default: -1 }),
      a('configs', '5+', [
        f('name', 'string', '5+'),
        f('value', 'string', '5+', { nullable: '5+' }),
        f('readOnly', 'bool', '5+'),
        f('configSource', 'int8', '5+', { default: -1 }),
        f('isSensitive', 'bool', '5+'),
      ], { nullable: '5+' }),
    ]),
  ],
});
