/**
 * Metadata (key 3): brokers, topics, partitions, leaders and replicas of the cluster.
 * Versions 0–12, flexible from v9.
 */
import { api, a, f, type ApiSchema } from '../schema.ts';

/** Metadata request and response fields, every version. */
export const metadataSchema: ApiSchema = api(3, 'Metadata', '0-12', 9, {
  request: [
    a('topics', '0+', [
      f('topicId', 'uuid', '10+'),
      f('name', 'string', '0+', { nullable: '10+' }),
    ], { nullable: '1+' }),
    f('allowAutoTopicCreation', 'bool', '4+', { default: true }),
    f('includeClusterAuthorizedOperations', 'bool', '8-10'),
    f('includeTopicAuthorizedOperations', 'bool', '8+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '3+'),
    a('brokers', '0+', [
      f('nodeId', 'int32', '0+'),
      f('host', 'string', '0+'),
      f('port', 'int32', '0+'),
      f('rack', 'string', '1+', { nullable: '1+' }),
    ]),
    f('clusterId', 'string', '2+', { nullable: '2+' }),
    f('controllerId', 'int32', '1+', { default: -1 }),
    a('topics', '0+', [
      f('errorCode', 'int16', '0+'),
      f('name', 'string', '0+', { nullable: '12+' }),
      f('topicId', 'uuid', '10+'),
      f('isInternal', 'bool', '1+'),
      a('partitions', '0+', [
        f('errorCode', 'int16', '0+'),
        f('partitionIndex', 'int32', '0+'),
        f('leaderId', 'int32', '0+'),
        f('leaderEpoch', 'int32', '7+', { default: -1 }),
        f('replicaNodes', '[]int32', '0+'),
        f('isrNodes', '[]int32', '0+'),
        f('offlineReplicas', '[]int32', '5+'),
      ]),
      f('topicAuthorizedOperations', 'int32', '8+', { default: -2147483648 }),
    ]),
    f('clusterAuthorizedOperations', 'int32', '8-10', { default: -2147483648 }),
  ],
});
