/**
 * Compression — the four Kafka codecs on the same data. The producer compresses each
 * batch once, the broker stores the compressed bytes as they came (it never recompresses),
 * and the consumer decompresses: so compression saves network, disk and broker memory at
 * the cost of producer and consumer CPU.
 *
 * 10,000 truck positions (JSON values, keyed by truck) go to one topic per codec; the
 * example prints the bytes the broker stored for each, the ratio to uncompressed, and how
 * long producing and reading back took. Then it times the codecs alone on the same bytes.
 *
 * What to expect: gzip and zstd squeeze hardest; zstd does it faster. lz4 and snappy
 * compress less but cost very little CPU. Ratios depend on batch size (each batch is
 * compressed alone): bigger batches (`batchSize`, `lingerMs`) compress better.
 *
 * Run: npm run example -- compression
 */
import { createBroker, encodeBatchSync, BATCH_HEADER_SIZE } from '../mod.ts';
import { isMain } from './shared/is-main.ts';
import type { Log } from './shared/log.ts';
import { readTopic } from './shared/read-topic.ts';
import { simulateFleet, type TruckPosition } from './shared/trucks.ts';

const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
const RECORDS = 10_000;

/** One codec's numbers. */
export interface CodecRow {
  readonly codec: (typeof CODECS)[number];
  /** Batch bytes the broker stored for the 10k records. */
  readonly storedBytes: number;
  /** Uncompressed stored bytes / these stored bytes. */
  readonly ratio: number;
  readonly produceMs: number;
  readonly consumeMs: number;
  /** Records read back (must be all of them). */
  readonly recordsRead: number;
  /** Codec alone on the whole data set, ms (none for `none`). */
  readonly compressMs?: number;
  readonly decompressMs?: number;
}

/** Runs the example, printing through `log`. Fewer records make a quicker test. */
export async function main(log: Log = console.log, records = RECORDS): Promise<CodecRow[]> {
  // 50 trucks × 200 reports; the same array for every codec.
  const fleet = simulateFleet(50);
  const positions: TruckPosition[] = [];
  while (positions.length < records) positions.push(...fleet.tick());
  positions.length = records;

  const broker = await createBroker();
  const client = broker.client({ serializers: { key: 'string', value: 'json' } });
  const rows: CodecRow[] = [];
  let blockBytes = 0;
  try {
    for (const codec of CODECS) {
      const topic = `positions.${codec}`;
      await client.admin().createTopics({ topics: [{ topic, numPartitions: 1 }] });
      // One producer per codec; `compression` could also be set per send or per topic.
      const producer = client.producer({ compression: codec, lingerMs: 5 });
      let t = performance.now();
      await producer.send({ topic, messages: positions.map((p) => ({ key: p.truckId, value: p })) });
      const produceMs = performance.now() - t;
      await producer.close();

      t = performance.now();
      const read = await readTopic(client, topic);
      const consumeMs = performance.now() - t;

      // The broker's log holds the batches exactly as the producer compressed them.
      const log0 = await broker.broker.storage.openPartition(topic, 0);
      const storedBytes = log0.sizeBytes();
      const ratio = rows.length === 0 ? 1 : rows[0]!.storedBytes / storedBytes;
      rows.push({ codec, storedBytes, ratio, produceMs, consumeMs, recordsRead: read.length });
    }

    // The codecs alone, on the records section of one big uncompressed batch of all the data.
    const plain = encodeBatchSync({
      records: positions.map((p) => ({ key: new TextEncoder().encode(p.truckId), value: new TextEncoder().encode(JSON.stringify(p)), headers: [], timestamp: p.at })),
    }).subarray(BATCH_HEADER_SIZE);
    blockBytes = plain.length;
    for (const row of rows) {
      if (row.codec === 'none') continue;
      const compressor = broker.registry.create('compressor', row.codec);
      await compressor.decompress(await compressor.compress(plain)); // warm up (WebAssembly, native bindings)
      let t = performance.now();
      const packed = await compressor.compress(plain);
      const compressMs = performance.now() - t;
      t = performance.now();
      const unpacked = await compressor.decompress(packed);
      const decompressMs = performance.now() - t;
      if (unpacked.length !== plain.length) throw new Error(`${row.codec} did not round-trip`);
      Object.assign(row, { compressMs, decompressMs });
    }
  } finally {
    await client.close();
    await broker.close();
  }

  log(`${records.toLocaleString('en')} truck positions as JSON, one topic per codec (default batch size 16 KiB):`);
  log('');
  log('codec    stored bytes   ratio   produce ms   read ms   records read');
  for (const r of rows) {
    log(`${r.codec.padEnd(8)} ${r.storedBytes.toLocaleString('en').padStart(12)}  ${r.ratio.toFixed(2).padStart(5)}x ${r.produceMs.toFixed(0).padStart(11)} ${r.consumeMs.toFixed(0).padStart(9)} ${String(r.recordsRead).padStart(14)}`);
  }
  log('');
  log(`The codecs alone, on all ${records.toLocaleString('en')} records as one block (${(blockBytes / 1024).toFixed(0)} KiB):`);
  log('codec    compress ms   decompress ms');
  for (const r of rows) {
    if (r.compressMs !== undefined) log(`${r.codec.padEnd(8)} ${r.compressMs.toFixed(1).padStart(11)} ${r.decompressMs!.toFixed(1).padStart(15)}`);
  }
  const best = rows.reduce((a, b) => (b.ratio > a.ratio ? b : a));
  log('');
  log(`Smallest: ${best.codec} (${best.ratio.toFixed(2)}x). Times are one run on this machine: indicative, not a benchmark.`);
  return rows;
}

if (isMain(import.meta.url)) await main();
