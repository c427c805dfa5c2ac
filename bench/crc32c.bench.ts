/**
 * CRC32C throughput (MB/s) on 1 MiB and 16 KiB buffers: ours (WebAssembly path for
 * ≥ 256 B), our portable TypeScript path, and kafkajs' crc32C, measured in the same run.
 */
import { createRequire } from 'node:module';
import { crc32c, crc32cImplementation, crc32cPortable } from '../core/records/crc32c.ts';
import { measure, report, type BenchRow } from './harness.ts';

const require = createRequire(import.meta.url);
const kafkajsCrc32c = require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (b: Buffer) => number;

const rows: BenchRow[] = [];
for (const [label, size] of [['1 MiB', 1 << 20], ['16 KiB', 16 << 10]] as const) {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (i * 2654435761) >>> 24;
  const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (crc32c(data) !== kafkajsCrc32c(buffer) || crc32cPortable(data) !== kafkajsCrc32c(buffer)) throw new Error('CRC mismatch with kafkajs');
  let sink = 0;
  const peer = await measure(() => (sink ^= kafkajsCrc32c(buffer)));
  const ours = await measure(() => (sink ^= crc32c(data)));
  const portable = await measure(() => (sink ^= crc32cPortable(data)));
  const mb = (ops: number) => (ops * size) / 1e6;
  rows.push({ name: `crc32c ${label} (ours, ${crc32cImplementation})`, mbPerSec: mb(ours.opsPerSec), ratio: { peer: 'kafkajs', value: ours.opsPerSec / peer.opsPerSec } });
  rows.push({ name: `crc32c ${label} (ours, portable TS)`, mbPerSec: mb(portable.opsPerSec), ratio: { peer: 'kafkajs', value: portable.opsPerSec / peer.opsPerSec } });
  rows.push({ name: `crc32c ${label} (kafkajs)`, mbPerSec: mb(peer.opsPerSec), extra: { sink: sink & 1 } });
}
report('crc32c', rows);
