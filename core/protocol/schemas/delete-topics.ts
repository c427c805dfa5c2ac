/**
 * DeleteTopics (key 20): deletes topics by name (or id from v6).
 * Versions 0–6, flexible from v4.
 */
import { api, a, f, type ApiSchema } from '../schema.ts';

/** DeleteTopics request and response fields, every version. */
export const deleteTopicsSchema: ApiSchema = api(20, 'DeleteTopics', '0-6', 4, {
  request: [
    a('topics', '6+', [
      f('name', 'string', '6+', { nullable: '6+' }),
      f('topicId', 'uuid', '6+'),
    ]),
    f('topicNames', '[]string', '0-5'),
    f('timeoutMs', 'int32', '0+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '1+'),
    a('responses', '0+', [
      f('name', 'string', '0+', { nullable: '6+' }),
      f('topicId', 'uuid', '6+'),
      f('errorCode', 'int16', '0+'),
      f('errorMessage', 'string', '5+', { nullable: '5+' }),
    ]),
  ],
});
