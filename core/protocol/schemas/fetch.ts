/**
 * Fetch (key 1): reads record batches from partitions (long poll).
 * Versions 0–17, flexible from v12.
 */
import { api, a, f, s, type ApiSchema } from '../schema.ts';

/** Fetch request and response fields, every version. */
export const fetchSchema: ApiSchema = api(1, 'Fetch', '0-17', 12, {
  request: [
    f('clusterId', 'string', '12+', { nullable: '12+', tag: 0, tagged: '12+' }),
    f('replicaId', 'int32', '0-14', { default: -1 }),
    s('replicaState', '15+', [
      f('replicaId', 'int32', '15+', { default: -1 }),
      f('replicaEpoch', 'int64', '15+', { default: -1 }),
    ], { tag: 1, tagged: '15+' }),
    f('maxWaitMs', 'int32', '0+'),
    f('minBytes', 'int32', '0+'),
    f('maxBytes', 'int32', '3+', { default: 2147483647 }),
    f('isolationLevel', 'int8', '4+'),
    f('sessionId', 'int32', '7+'),
    f('sessionEpoch', 'int32', '7+', { default: -1 }),
    a('topics', '0+', [
      f('topic', 'string', '0-12'),
      f('topicId', 'uuid', '13+'),
      a('partitions', '0+', [
        f('partition', 'int32', '0+'),
        f('currentLeaderEpoch', 'int32', '9+', { default: -1 }),
        f('fetchOffset', 'int64', '0+'),
        f('lastFetchedEpoch', 'int32', '12+', { default: -1 }),
        f('logStartOffset', 'int64', '5+', { default: -1 }),
        f('partitionMaxBytes', 'int32', '0+'),
        f('replicaDirectoryId', 'uuid', '17+', { tag: 0, tagged: '17+' }),
      ]),
    ]),
    a('forgottenTopicsData', '7+', [
      f('topic', 'string', '7-12'),
      f('topicId', 'uuid', '13+'),
      f('partitions', '[]int32', '7+'),
    ]),
    f('rackId', 'string', '11+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '1+'),
    f('errorCode', 'int16', '7+'),
    f('sessionId', 'int32', '7+'),
    a('responses', '0+', [
      f('topic', 'string', '0-12'),
      f('topicId', 'uuid', '13+'),
      a('partitions', '0+', [
        f('partitionIndex', 'int32', '0+'),
        f('errorCode', 'int16', '0+'),
        f('highWatermark', 'int64', '0+'),
        f('lastStableOffset', 'int64', '4+', { default: -1 }),
        f('logStartOffset', 'int64', '5+', { default: -1 }),
        s('divergingEpoch', '12+', [
          f('epoch', 'int32', '12+', { default: -1 }),
          f('endOffset', 'int64', '12+', { default: -1 }),
        ], { tag: 0, tagged: '12+' }),
        s('currentLeader', '12+', [
          f('leaderId', 'int32', '12+', { default: -1 }),
          f('leaderEpoch', 'int32', '12+', { default: -1 }),
        ], { tag: 1, tagged: '12+' }),
        s('snapshotId', '12+', [
          f('endOffset', 'int64', '0+', { default: -1 }),
          f('epoch', 'int32', '0+', { default: -1 }),
        ], { tag: 2, tagged: '12+' }),
        a('abortedTransactions', '4+', [
          f('producerId', 'int64', '4+'),
          f('firstOffset', 'int64', '4+'),
        ], { nullable: '4+' }),
        f('preferredReadReplica', 'int32', '11+', { default: -1 }),
        f('records', 'records', '0+', { nullable: '0+' }),
      ]),
    ]),
    a('nodeEndpoints', '16+', [
      f('nodeId', 'int32', '16+'),
      f('host', 'string', '16+'),
      f('port', 'int32', '16+'),
      f('rack', 'string', '16+', { nullable: '16+' }),
    ], { tag: 0, tagged: '16+' }),
  ],
});
