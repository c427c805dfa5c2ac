/** The Compressor extension point: a Kafka compression codec. */
import type { Plugin, PluginFactory } from './plugin.ts';

/** Kafka's codec ids as stored in the low three bits of a RecordBatch's attributes. */
export const CompressionCodec = Object.freeze({ none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const);

/** A codec id: 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd. */
export type CompressionCodecId = (typeof CompressionCodec)[keyof typeof CompressionCodec];

/**
 * Compresses and decompresses the records section of a RecordBatch. Output must be
 * readable by the Java client and librdkafka, and input written by them must decode.
 * Failures are `TributaryError` with code `ERR_COMPRESSION` / `ERR_DECOMPRESSION`.
 */
export interface Compressor extends Plugin {
  /** The Kafka codec id this compressor implements (1..4). */
  readonly codec: Exclude<CompressionCodecId, 0>;
  /** Compresses `data`. */
  compress(data: Uint8Array): Promise<Uint8Array>;
  /** Decompresses `data`. */
  decompress(data: Uint8Array): Promise<Uint8Array>;
}

/** A factory that builds a compressor from options (level, …). */
export type CompressorFactory<O = unknown> = PluginFactory<Compressor, O>;
