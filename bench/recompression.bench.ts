/**
 * The cost of a topic `compression.type` (issue 13 #27): Produce records/s through the
 * broker's handler (in-process, memory storage, acks=1, 1000 records of 100 B per batch)
 * when the batch's codec matches the topic's (the no-decode fast path: bytes stored as
 * sent), against the same run's conversions (the broker decompresses the records section
 * and compresses it again in the topic's codec). `producer` topics are the fast path too.
 *
 * Cases alternate over three rounds and each keeps its best round, so that machine load
 * hits them alike; the ratio is to the matching-codec case of the same target codec.
 */
import { memoryStorage } from '../adapters/memory/index.ts';
import { createDefaultRegistry } from '../adapters/runtime/default-registry.ts';
import { Broker } from '../core/broker/broker.ts';
import { DEFAULT_HANDLERS } from '../core/broker/api/preset.ts';
import { encodeBatch } from '../core/records/record-batch.ts';
import { type BenchRow, measure, report } from './harness.ts';

const RECORDS_PER_BATCH = 1000;
const VALUE_BYTES = 100;
const ROUNDS = 3;
const timeMs = Number(process.env.BENCH_TIME_MS ?? 1000);
const NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

const registry = createDefaultRegistry();
const enc = new TextEncoder();

/** JSON-ish values, compressible as real events are. */
function values(): Uint8Array[] {
  return Array.from({ length: RECORDS_PER_BATCH }, (_, i) => enc.encode(JSON.stringify({ id: i, user: `u${(i * 7919) % 5000}`, kind: ['view', 'click', 'buy'][i % 3], at: 1_763_770_000_000 + i }).padEnd(VALUE_BYTES, ' ')));
}

const batches = new Map<number, Uint8Array>();
for (let codec = 0; codec <= 4; codec++) {
  batches.set(codec, await encodeBatch({ records: values().map((value, i) => ({ key: enc.encode(`k${i % 16}`), value })), compression: codec }, registry));
}

interface Case {
  label: string;
  topicType: string;
  batchCodec: number;
  /** The matching case this one is compared with. */
  baseline?: string;
}

const CASES: Case[] = [
  { label: 'producer topic, lz4 batch (stored as sent)', topicType: 'producer', batchCodec: 3 },
  { label: 'lz4 topic, lz4 batch (match: no decode)', topicType: 'lz4', batchCodec: 3 },
  { label: 'lz4 topic, uncompressed batch (compress)', topicType: 'lz4', batchCodec: 0, baseline: 'lz4 topic, lz4 batch (match: no decode)' },
  { label: 'lz4 topic, gzip batch (gunzip + lz4)', topicType: 'lz4', batchCodec: 1, baseline: 'lz4 topic, lz4 batch (match: no decode)' },
  { label: 'zstd topic, zstd batch (match: no decode)', topicType: 'zstd', batchCodec: 4 },
  { label: 'zstd topic, lz4 batch (lz4 → zstd)', topicType: 'zstd', batchCodec: 3, baseline: 'zstd topic, zstd batch (match: no decode)' },
  { label: 'zstd topic, snappy batch (snappy → zstd)', topicType: 'zstd', batchCodec: 2, baseline: 'zstd topic, zstd batch (match: no decode)' },
  { label: 'gzip topic, gzip batch (match: no decode)', topicType: 'gzip', batchCodec: 1 },
  { label: 'gzip topic, uncompressed batch (gzip)', topicType: 'gzip', batchCodec: 0, baseline: 'gzip topic, gzip batch (match: no decode)' },
  { label: 'uncompressed topic, zstd batch (decompress)', topicType: 'uncompressed', batchCodec: 4 },
];

const broker = new Broker({ handlers: DEFAULT_HANDLERS, storage: memoryStorage(), codecs: registry, retentionCheckIntervalMs: 0 });
await broker.start();

let topicSeq = 0;
async function once(c: Case): Promise<number> {
  // A fresh topic per round keeps memory storage from growing across the run.
  const topic = `bench-${topicSeq++}`;
  await broker.topics.create({ name: topic, numPartitions: 1, replicationFactor: 1, configs: [['compression.type', c.topicType]] });
  const records = batches.get(c.batchCodec)!;
  const m = await measure(async () => {
    // The broker stamps offsets into the bytes in place: each request gets its own copy.
    const r = (await broker.handle({ apiKey: 0, apiVersion: 9, correlationId: 1, clientId: 'bench' }, {
      transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: 0, records: records.slice() }] }],
    })) as { responses: Array<{ partitionResponses: Array<{ errorCode: number }> }> };
    const code = r.responses[0]!.partitionResponses[0]!.errorCode;
    if (code !== 0) throw new Error(`produce failed with ${code} (${c.label})`);
  }, { timeMs, warmupMs: timeMs / 5 });
  await broker.topics.delete(topic);
  return m.opsPerSec * RECORDS_PER_BATCH;
}

const best = new Map<string, number>();
for (let round = 0; round < ROUNDS; round++) {
  for (const c of CASES) best.set(c.label, Math.max(best.get(c.label) ?? 0, await once(c)));
}
await broker.close();

const rows: BenchRow[] = CASES.map((c) => {
  const recordsPerSec = best.get(c.label)!;
  const row: BenchRow = {
    name: c.label,
    recordsPerSec,
    mbPerSec: (recordsPerSec * VALUE_BYTES) / (1024 * 1024),
    extra: { batchBytes: batches.get(c.batchCodec)!.length, codec: NAMES[c.batchCodec]! },
  };
  if (c.baseline) row.ratio = { peer: 'matching codec', value: recordsPerSec / best.get(c.baseline)! };
  return row;
});
report('recompression', rows);
