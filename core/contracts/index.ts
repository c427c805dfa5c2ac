/** The extension points of Tributary. */
export type * from './plugin.ts';
export type * from './serializer.ts';
export type * from './compressor.ts';
export type * from './partitioner.ts';
export type * from './storage.ts';
export type * from './logger.ts';
export { CompressionCodec } from './compressor.ts';
export { silentLogger, stderrLogger } from './logger.ts';
