import { compressorConformance } from '../../conformance/compressor.ts';
import { gzip } from '../../plugins/compressors/gzip.ts';

compressorConformance('gzip', () => gzip(), { withLimit: (maxDecompressedBytes) => gzip({ maxDecompressedBytes }) });

import { nativeGzip } from '../../adapters/runtime/gzip-native.ts';
compressorConformance('gzip (native zlib)', () => nativeGzip(), { withLimit: (maxDecompressedBytes) => nativeGzip({ maxDecompressedBytes }) });
