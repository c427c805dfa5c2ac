import { compressorConformance } from '../../conformance/compressor.ts';
import { lz4 } from '../../plugins/compressors/lz4.ts';

compressorConformance('lz4', () => lz4(), { withLimit: (maxDecompressedBytes) => lz4({ maxDecompressedBytes }) });
