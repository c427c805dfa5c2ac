/**
 * The conformance suites, one per extension point. A plugin of your own proves that it
 * complies by running the same suite the built-ins run, inside a vitest test file:
 *
 * ```ts
 * import { compressorConformance } from 'tributary/conformance';
 * compressorConformance('my-codec', () => myCodec());
 * ```
 */
export * from './compressor.ts';
export * from './serializer.ts';
export * from './partitioner.ts';
export * from './storage/index.ts';
export * from './metadata-quorum/index.ts';
export * from './authorizer.ts';
