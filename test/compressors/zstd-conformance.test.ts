import { compressorConformance } from '../../conformance/compressor.ts';
import { zstd } from '../../plugins/compressors/zstd.ts';

compressorConformance('zstd', () => zstd(), { withLimit: (maxDecompressedBytes) => zstd({ maxDecompressedBytes }) });

import { bestZstd } from '../../adapters/runtime/zstd-native.ts';
compressorConformance('zstd (best native backend)', () => bestZstd(), { withLimit: (maxDecompressedBytes) => bestZstd({ maxDecompressedBytes }) });
