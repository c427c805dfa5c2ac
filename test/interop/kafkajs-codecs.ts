/**
 * kafkajs codec plugins (snappy, lz4, zstd) built on our compressors, registered through
 * kafkajs' own CompressionCodecs table — the way its users add codecs.
 */
import kafkajs from 'kafkajs';
import type { Compressor } from '../../core/contracts/compressor.ts';
import { lz4, snappy, zstd } from '../../plugins/compressors/index.ts';

function adapt(compressor: Compressor) {
  return () => ({
    async compress(encoder: { buffer: Buffer }): Promise<Buffer> {
      const out = await compressor.compress(encoder.buffer);
      return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
    },
    async decompress(buffer: Buffer): Promise<Buffer> {
      const out = await compressor.decompress(buffer);
      return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
    },
  });
}

/** Registers snappy, lz4 and zstd with kafkajs (gzip is built in). */
export function registerKafkajsCodecs(): void {
  const { CompressionCodecs, CompressionTypes } = kafkajs;
  const codecs = CompressionCodecs as unknown as Record<number, unknown>;
  codecs[CompressionTypes.Snappy] = adapt(snappy());
  codecs[CompressionTypes.LZ4] = adapt(lz4());
  codecs[CompressionTypes.ZSTD] = adapt(zstd());
}
