import { compressorConformance } from '../../conformance/compressor.ts';
import { snappy } from '../../plugins/compressors/snappy.ts';

compressorConformance('snappy', () => snappy(), { withLimit: (maxDecompressedBytes) => snappy({ maxDecompressedBytes }) });

compressorConformance('snappy (raw blocks)', () => snappy({ framing: 'raw' }), { withLimit: (maxDecompressedBytes) => snappy({ framing: 'raw', maxDecompressedBytes }) });
