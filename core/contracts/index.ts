/** The extension points of Tributary. */
export type * from './plugin.ts';
export type * from './serializer.ts';
export type * from './compressor.ts';
export type * from './partitioner.ts';
export type * from './storage.ts';
export type * from './logger.ts';
export { CompressionCodec } from './compressor.ts';
export { silentLogger, stderrLogger } from './logger.ts';
export type * from './authorizer.ts';
export { ACL_OPERATION_CODES, ACL_PATTERN_TYPE_CODES, ACL_PERMISSION_CODES, ACL_RESOURCE_TYPE_CODES, ANONYMOUS_PRINCIPAL, CLUSTER_RESOURCE_NAME, WILDCARD, WILDCARD_PRINCIPAL } from './authorizer.ts';
