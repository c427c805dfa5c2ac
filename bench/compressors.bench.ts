/**
 * Compressors: compress and decompress MB/s and compression ratio on a ~1 MiB
 * Kafka-like payload (JSON records), each codec next to peers measured in the same run:
 * gzip (fflate plugin, and the native bestGzip adapter) vs node:zlib and the web-standard
 * CompressionStream; snappy (ours) vs
 * snappyjs; lz4 (ours) vs lz4js; zstd WebAssembly vs the native backend bestZstd() picks.
 * MB/s counts uncompressed bytes in both directions. Implementations of one codec are
 * measured in alternating rounds, best round kept, so that machine load hits them alike.
 */
import * as zlib from 'node:zlib';
import { measure, report, type BenchRow } from './harness.ts';
import { bestGzip } from '../adapters/runtime/gzip-native.ts';
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
const ROUNDS = 3;
const envTime = Number((globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.BENCH_TIME_MS ?? 1000);

interface Impl {
  label: string;
  codec: Codec;
  /** The label of the peer this row is compared with, if any. */
  peer?: string;
}

/**
 * Measures every implementation of one codec in alternating rounds and keeps each one's
 * best round: on a loaded machine that compares like with like far better than one
 * long run each, one after the other.
 */
async function group(codec: string, impls: Impl[]): Promise<void> {
  const compressed = new Map<string, Uint8Array>();
  for (const impl of impls) {
    const z = (await impl.codec.compress(data)) as Uint8Array;
    const back = (await impl.codec.decompress(z)) as Uint8Array;
    if (back.length !== data.length || back.some((b, i) => b !== data[i])) throw new Error(`${codec} ${impl.label}: round trip failed`);
    compressed.set(impl.label, z);
  }
  const best = new Map<string, { c: number; d: number }>(impls.map((i) => [i.label, { c: 0, d: 0 }]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const impl of impls) {
      const z = compressed.get(impl.label)!;
      const b = best.get(impl.label)!;
      b.c = Math.max(b.c, (await measure(() => impl.codec.compress(data), { timeMs: envTime / ROUNDS })).opsPerSec * mb);
      b.d = Math.max(b.d, (await measure(() => impl.codec.decompress(z), { timeMs: envTime / ROUNDS })).opsPerSec * mb);
    }
  }
  for (const impl of impls) {
    const z = compressed.get(impl.label)!;
    const b = best.get(impl.label)!;
    const peer = impl.peer ? best.get(impl.peer) : undefined;
    const extra = { ratio: `${(data.length / z.length).toFixed(2)}×`, bytes: z.length };
    rows.push({ name: `${codec} compress (${impl.label})`, mbPerSec: b.c, extra, ...(peer && { ratio: { peer: impl.peer!, value: b.c / peer.c } }) });
    rows.push({ name: `${codec} decompress (${impl.label})`, mbPerSec: b.d, extra, ...(peer && { ratio: { peer: impl.peer!, value: b.d / peer.d } }) });
  }
}

const rows: BenchRow[] = [];

// gzip at level 6 everywhere (the Java client's default).
await group('gzip', [
  { label: 'plugin, fflate', codec: gzip(), peer: 'node:zlib' },
  { label: 'adapter bestGzip, native', codec: bestGzip(), peer: 'node:zlib' },
  { label: 'node:zlib', codec: { compress: (d) => zlib.gzipSync(d, { level: 6 }), decompress: (d) => zlib.gunzipSync(d) } },
  {
    label: 'CompressionStream',
    codec: { compress: (d) => streamThrough(d, new CompressionStream('gzip')), decompress: (d) => streamThrough(d, new DecompressionStream('gzip')) },
  },
]);

await group('snappy', [
  { label: 'ours, xerial', codec: snappy(), peer: 'snappyjs, raw' },
  { label: 'ours, raw', codec: snappy({ framing: 'raw' }), peer: 'snappyjs, raw' },
  { label: 'snappyjs, raw', codec: { compress: (d) => SnappyJS.compress(d), decompress: (d) => SnappyJS.uncompress(d) } },
]);

await group('lz4', [
  { label: 'ours', codec: lz4(), peer: 'lz4js' },
  { label: 'lz4js', codec: { compress: (d) => lz4js.compress(d), decompress: (d) => lz4js.decompress(d) } },
]);

const native = await bestZstdBackend();
await group('zstd', [
  { label: 'plugin, wasm', codec: zstd(), ...(native.name !== 'wasm' && { peer: `bestZstd, ${native.name}` }) },
  ...(native.name !== 'wasm' ? [{ label: `bestZstd, ${native.name}`, codec: zstd({ backend: native }) }] : []),
]);

report('compressors', rows);
