/**
 * DescribeCluster (key 60): the cluster id, controller and brokers.
 * Versions 0–1, flexible from v0.
 */
import { api, a, f, type ApiSchema } from '../schema.ts';

/** DescribeCluster request and response fields, every version. */
export const describeClusterSchema: ApiSchema = api(60, 'DescribeCluster', '0-1', 0, {
  request: [
    f('includeClusterAuthorizedOperations', 'bool', '0+'),
    f('endpointType', 'int8', '1+', { default: 1 }),
  ],
  response: [
    f('throttleTimeMs', 'int32', '0+'),
    f('errorCode', 'int16', '0+'),
    f('errorMessage', 'string', '0+', { nullable: '0+' }),
    f('endpointType', 'int8', '1+', { default: 1 }),
    f('clusterId', 'string', '0+'),
    f('controllerId', 'int32', '0+', { default: -1 }),
    a('brokers', '0+', [
      f('brokerId', 'int32', '0+'),
      f('host', 'string', '0+'),
      f('port', 'int32', '0+'),
      f('rack', 'string', '0+', { nullable: '0+' }),
    ]),
    f('clusterAuthorizedOperations', 'int32', '0+', { default: -2147483648 }),
  ],
});
