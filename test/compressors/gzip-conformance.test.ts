import { compressorConformance } from '../conformance/compressor.ts';
import { gzip } from '../../plugins/compressors/gzip.ts';

compressorConformance('gzip', () => gzip(), { withLimit: (maxDecompressedBytes) => gzip({ maxDecompressedBytes }) });
