/**
 * Compressors: compress and decompress MB/s and compression ratio on a ~1 MiB
 * Kafka-like payload (JSON records), each codec next to peers measured in the same run:
 * gzip (fflate) vs node:zlib and the web-standard CompressionStream; snappy (ours) vs
 * snappyjs; lz4 (ours) vs lz4js; zstd WebAssembly vs the native backend bestZstd() picks.
 * MB/s counts uncompressed bytes in both directions.
 */
import * as zlib from 'node:zlib';
import { measure, report, type BenchRow } from './harness.ts';
import { bestZstdBackend } from '../adapters/runtime/zstd-native.ts';
import { gzip } from '../plugins/compressors/gzip.ts';
import { lz4 } from '../plugins/compressors/lz4.ts';
import { snappy } from '../plugins/compressors/snappy.ts';
import { zstd } from '../plugins/compressors/zstd.ts';
// @ts-expect-error snappyjs ships no types
import SnappyJS from 'snappyjs';
// @ts-expect-error lz4js ships no types
import lz4js from 'lz4js';

/** ~1 MiB of newline-separated JSON events, as a producer batch of small records would hold. */
function payload(bytes = 1024 * 1024): Uint8Array {
  let x = 42;
  const next = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
  const kinds = ['page_view', 'click', 'add_to_cart', 'checkout', 'login', 'search'];
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = JSON.stringify({
      eventId: `${(next() >>> 0).toString(16)}-${i}`,
      userId: `u${next() % 20_000}`,
      kind: kinds[next() % kinds.length],
      ts: 1_763_770_000_000 + i * 11 + (next() % 7),
      page: `/products/${next() % 500}`,
      price: (next() % 50_000) / 100,
      ua: 'Mozilla/5.0 (X11; Linux x86_64)',
    });
    lines.push(line);
    size += line.length + 1;
  }
  return new TextEncoder().encode(lines.join('\n')).subarray(0, bytes);
}

type Codec = { compress(d: Uint8Array): unknown; decompress(d: Uint8Array): unknown };

async function streamThrough(data: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const out = await new Response(new Blob([data]).stream().pipeThrough(stream)).arrayBuffer();
  return new Uint8Array(out);
}

const data = payload();
const mb = data.length / (1024 * 1024);
const rows: BenchRow[] = [];

async function run(codec: string, impl: string, c: Codec): Promise<{ c: number; d: number }> {
  const compressed = (await c.compress(data)) as Uint8Array;
  const back = (await c.decompress(compressed)) as Uint8Array;
  if (back.length !== data.length) throw new Error(`${codec} ${impl} round trip failed`);
  const comp = await measure(() => c.compress(data));
  const decomp = await measure(() => c.decompress(compressed));
  const extra = { ratio: `${(data.length / compressed.length).toFixed(2)}×`, bytes: compressed.length };
  rows.push({ name: `${codec} compress (${impl})`, mbPerSec: comp.opsPerSec * mb, extra });
  rows.push({ name: `${codec} decompress (${impl})`, mbPerSec: decomp.opsPerSec * mb, extra });
  return { c: comp.opsPerSec * mb, d: decomp.opsPerSec * mb };
}

function peerRatio(ours: { c: number; d: number }, first: number, peer: string, theirs: { c: number; d: number }): void {
  rows[first]!.ratio = { peer, value: ours.c / theirs.c };
  rows[first + 1]!.ratio = { peer, value: ours.d / theirs.d };
}

// gzip, level 6 everywhere (the Java client's default).
let at = rows.length;
const gz = await run('gzip', 'fflate, ours', gzip());
const gzNode = await run('gzip', 'node:zlib sync', { compress: (d) => zlib.gzipSync(d, { level: 6 }), decompress: (d) => zlib.gunzipSync(d) });
const gzWeb = await run('gzip', 'CompressionStream', {
  compress: (d) => streamThrough(d, new CompressionStream('gzip')),
  decompress: (d) => streamThrough(d, new DecompressionStream('gzip')),
});
peerRatio(gz, at, 'node:zlib', gzNode);
rows.splice(at + 2, 0, ...[]);
void gzWeb;

at = rows.length;
const sn = await run('snappy', 'ours, xerial', snappy());
const snRaw = await run('snappy', 'ours, raw block', snappy({ framing: 'raw' }));
const snJs = await run('snappy', 'snappyjs, raw block', {
  compress: (d) => SnappyJS.compress(d),
  decompress: (d) => SnappyJS.uncompress(d),
});
peerRatio(sn, at, 'snappyjs', snJs);
peerRatio(snRaw, at + 2, 'snappyjs', snJs);

at = rows.length;
const l = await run('lz4', 'ours', lz4());
const lJs = await run('lz4', 'lz4js', { compress: (d) => lz4js.compress(d), decompress: (d) => lz4js.decompress(d) });
peerRatio(l, at, 'lz4js', lJs);

at = rows.length;
const native = await bestZstdBackend();
const zw = await run('zstd', 'wasm, level 3', zstd());
if (native.name !== 'wasm') {
  const zn = await run('zstd', `${native.name}, level 3`, zstd({ backend: native }));
  peerRatio(zw, at, native.name, zn);
}

report('compressors', rows);
