/**
 * Produce (key 0): appends record batches to partitions.
 * Versions 0–11, flexible from v9.
 */
import { api, a, f, s, type ApiSchema } from '../schema.ts';

/** Produce request and response fields, every version. */
export const produceSchema: ApiSchema = api(0, 'Produce', '0-11', 9, {
  request: [
    f('transactionalId', 'string', '3+', { nullable: '3+' }),
    f('acks', 'int16', '0+'),
    f('timeoutMs', 'int32', '0+'),
    a('topicData', '0+', [
      f('name', 'string', '0+'),
      a('partitionData', '0+', [
        f('index', 'int32', '0+'),
        f('records', 'records', '0+', { nullable: '0+' }),
      ]),
    ]),
  ],
  response: [
    a('responses', '0+', [
      f('name', 'string', '0+'),
      a('partitionResponses', '0+', [
        f('index', 'int32', '0+'),
        f('errorCode', 'int16', '0+'),
        f('baseOffset', 'int64', '0+'),
        f('logAppendTimeMs', 'int64', '2+', { default: -1 }),
        f('logStartOffset', 'int64', '5+', { default: -1 }),
        a('recordErrors', '8+', [
          f('batchIndex', 'int32', '8+'),
          f('batchIndexErrorMessage', 'string', '8+', { nullable: '8+' }),
        ]),
        f('errorMessage', 'string', '8+', { nullable: '8+' }),
        s('currentLeader', '10+', [
          f('leaderId', 'int32', '10+', { default: -1 }),
          f('leaderEpoch', 'int32', '10+', { default: -1 }),
        ], { tag: 0, tagged: '10+' }),
      ]),
    ]),
    f('throttleTimeMs', 'int32', '1+'),
    a('nodeEndpoints', '10+', [
      f('nodeId', 'int32', '10+'),
      f('host', 'string', '10+'),
      f('port', 'int32', '10+'),
      f('rack', 'string', '10+', { nullable: '10+' }),
    ], { tag: 0, tagged: '10+' }),
  ],
});
