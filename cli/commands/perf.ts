/**
 * `tributary perf`: load tests in the manner of kafka-producer-perf-test.sh and
 * kafka-consumer-perf-test.sh — records/s, MB/s and latency percentiles.
 *
 * - `perf produce`: sends --records records of --record-size bytes, optionally capped at
 *   --throughput records/s; latency is send() → acknowledgement per record.
 * - `perf consume`: reads a topic from the beginning as fast as it can.
 * - `perf e2e`: a consumer at the end of the topic and a producer at once; latency is
 *   send() → the consumer's handler, per record.
 */
import type { Admin } from '../../core/client/admin.ts';
import type { Acks } from '../../core/client/producer.ts';
import type { Client } from '../../core/client/client.ts';
import { brokersFrom, choice, GLOBAL_HELP, int, noExtraPositionals, parseFlags, str, topicFrom, type Flags } from '../args.ts';
import { withClient } from '../connect.ts';
import { EXIT, notFoundError } from '../exit-codes.ts';
import { LatencySamples } from '../latency-stats.ts';
import { withSubcommands, type Subcommand } from '../subcommands.ts';
import { acksFrom, COMPRESSIONS } from './produce.ts';

const PRODUCE_OPTIONS = {
  topic: { type: 'string', short: 't' },
  records: { type: 'string', short: 'n' },
  'record-size': { type: 'string', short: 's' },
  throughput: { type: 'string' },
  acks: { type: 'string', short: 'a' },
  compression: { type: 'string', short: 'z' },
  'batch-size': { type: 'string' },
  'linger-ms': { type: 'string' },
  partitions: { type: 'string', short: 'p' },
  'report-interval-ms': { type: 'string' },
} as const;

const PRODUCE_HELP = [
  '  -t, --topic <name>           the topic (default tributary-perf; created when missing)',
  '  -n, --records <n>            records to send (default 100000)',
  '  -s, --record-size <bytes>    value size (default 100)',
  '      --throughput <n>         at most n records/s; -1 for no limit (default -1)',
  '  -a, --acks <0|1|all>         default all',
  '  -z, --compression <codec>    none (default) | gzip | snappy | lz4 | zstd',
  '      --batch-size <bytes>     producer batch size (default 16384)',
  '      --linger-ms <ms>         producer linger (default 5)',
  '  -p, --partitions <n>         partitions of the topic when it is created (default 1)',
  '      --report-interval-ms <n> interim report every n ms on stderr (default 5000; 0: none)',
].join('\n');

interface ProduceSettings {
  topic: string;
  records: number;
  recordSize: number;
  throughput: number;
  acks: Acks;
  compression: (typeof COMPRESSIONS)[number];
  batchSize: number;
  lingerMs: number;
  partitions: number;
  reportIntervalMs: number;
}

function produceSettings(flags: Flags, positionals: string[]): ProduceSettings {
  const topic = topicFrom(flags, positionals, false) ?? 'tributary-perf';
  noExtraPositionals(positionals, 1, 'tributary perf <mode> [topic]');
  const throughput = int(flags, 'throughput', -1, -1);
  return {
    topic,
    records: int(flags, 'records', 100_000, 1, 100_000_000),
    recordSize: int(flags, 'record-size', 100, 1, 64 * 1024 * 1024),
    throughput: throughput === 0 ? -1 : throughput,
    acks: acksFrom(str(flags, 'acks'), 'all'),
    compression: choice(flags, 'compression', COMPRESSIONS, 'none'),
    batchSize: int(flags, 'batch-size', 16_384, 1, 1 << 30),
    lingerMs: int(flags, 'linger-ms', 5, 0, 600_000),
    partitions: int(flags, 'partitions', 1, 1, 100_000),
    reportIntervalMs: int(flags, 'report-interval-ms', 5000, 0),
  };
}

/** Creates the topic when it does not exist. */
async function ensureTopic(admin: Admin, topic: string, partitions: number): Promise<void> {
  if ((await admin.listTopics()).includes(topic)) return;
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }] });
}

/** A payload of random capital letters (as Kafka's perf test), the same for every record. */
function payload(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = 65 + Math.floor(Math.random() * 26);
  return bytes;
}

const ms = (n: number) => n.toFixed(2);
const mbs = (bytes: number, seconds: number) => (bytes / 1024 / 1024 / Math.max(seconds, 1e-9)).toFixed(2);
const rate = (n: number, seconds: number) => (n / Math.max(seconds, 1e-9)).toFixed(1);

function latencyLine(samples: LatencySamples): string {
  const s = samples.summary();
  return `${ms(s.avg)} ms avg latency, ${ms(s.max)} ms max latency, ${ms(s.p50)} ms 50th, ${ms(s.p95)} ms 95th, ${ms(s.p99)} ms 99th, ${ms(s.p999)} ms 99.9th.`;
}

/**
 * Sends the records and resolves when all are acknowledged. `stamp` writes the send time
 * into a payload (e2e mode). At most `window` records are unacknowledged at once, so
 * memory stays bounded however many records are asked for.
 */
async function produceLoad(client: Client, s: ProduceSettings, onInterim: (line: string) => void, stamp?: (value: Uint8Array, now: number) => Uint8Array): Promise<{ seconds: number; latencies: LatencySamples }> {
  const producer = client.producer({ acks: s.acks, compression: s.compression, batchSize: s.batchSize, lingerMs: s.lingerMs });
  await producer.connect();
  const value = payload(s.recordSize);
  const latencies = new LatencySamples(s.records);
  // Little's law: latency ≈ records in flight / throughput, so the window is kept near what
  // fills the pipeline (16 batches), not the producer's whole buffer memory.
  const window = Math.max(100, Math.ceil((s.batchSize * 16) / s.recordSize));
  let inflight = 0;
  let wake: (() => void) | null = null;
  let failure: unknown;
  const started = performance.now();
  let windowStart = started;
  let windowCount = 0;
  let windowLatency = 0;
  let windowMax = 0;
  for (let i = 0; i < s.records && failure === undefined; i++) {
    const sentAt = performance.now();
    inflight++;
    const settle = () => {
      inflight--;
      if (wake) {
        const w = wake;
        wake = null;
        w();
      }
    };
    // One reaction per record (not then + finally): the bookkeeping is part of what is measured.
    producer.send({ topic: s.topic, messages: [{ value: stamp ? stamp(value, sentAt) : value }] }).then(
      () => {
        const lat = performance.now() - sentAt;
        latencies.add(lat);
        windowCount++;
        windowLatency += lat;
        if (lat > windowMax) windowMax = lat;
        settle();
      },
      (error) => {
        failure ??= error;
        settle();
      },
    );
    if (inflight >= window) await new Promise<void>((resolve) => (wake = resolve));
    if (s.throughput > 0) {
      // Ahead of the allowed rate: sleep until the schedule catches up (in steps of ≥ 2 ms).
      const due = started + ((i + 1) / s.throughput) * 1000;
      const ahead = due - performance.now();
      if (ahead >= 2) await new Promise((resolve) => setTimeout(resolve, ahead));
    }
    const now = performance.now();
    if (s.reportIntervalMs > 0 && now - windowStart >= s.reportIntervalMs) {
      const secs = (now - windowStart) / 1000;
      onInterim(`${windowCount} records sent, ${rate(windowCount, secs)} records/sec (${mbs(windowCount * s.recordSize, secs)} MB/sec), ${ms(windowCount ? windowLatency / windowCount : 0)} ms avg latency, ${ms(windowMax)} ms max latency.`);
      windowStart = now;
      windowCount = 0;
      windowLatency = 0;
      windowMax = 0;
    }
  }
  await producer.flush();
  while (inflight > 0) await new Promise<void>((resolve) => (wake = resolve));
  const seconds = (performance.now() - started) / 1000;
  await producer.close();
  if (failure !== undefined) throw failure;
  return { seconds, latencies };
}

const produce: Subcommand = {
  summary: 'producer load test (kafka-producer-perf-test)',
  help: ['Usage: tributary perf produce [<topic>] [options]', '', 'Sends records as fast as allowed; prints records/s, MB/s and latency percentiles.', '', PRODUCE_HELP, '', GLOBAL_HELP].join('\n'),
  async run(argv) {
    const { flags, positionals } = parseFlags(argv, PRODUCE_OPTIONS);
    const s = produceSettings(flags, positionals);
    return withClient(brokersFrom(flags), {}, async (client) => {
      await ensureTopic(client.admin(), s.topic, s.partitions);
      const { seconds, latencies } = await produceLoad(client, s, (line) => console.error(line));
      console.log(`${s.records} records sent, ${rate(s.records, seconds)} records/sec (${mbs(s.records * s.recordSize, seconds)} MB/sec), ${latencyLine(latencies)}`);
      return EXIT.OK;
    });
  },
};

const consume: Subcommand = {
  summary: 'consumer load test (kafka-consumer-perf-test)',
  help: [
    'Usage: tributary perf consume [<topic>] [options]',
    '',
    'Reads the topic from the beginning; prints records/s, MB/s and the time to the first record.',
    '',
    '  -t, --topic <name>           the topic (default tributary-perf)',
    '  -n, --records <n>            stop after n records (default: every record in the topic at start)',
    '',
    GLOBAL_HELP,
  ].join('\n'),
  async run(argv) {
    const { flags, positionals } = parseFlags(argv, { topic: { type: 'string', short: 't' }, records: { type: 'string', short: 'n' } });
    const topic = topicFrom(flags, positionals, false) ?? 'tributary-perf';
    noExtraPositionals(positionals, 1, 'tributary perf consume [topic]');
    return withClient(brokersFrom(flags), {}, async (client) => {
      const admin = client.admin();
      if (!(await admin.listTopics()).includes(topic)) throw notFoundError(`unknown topic "${topic}" (fill it with \`tributary perf produce ${topic}\`)`, { topic });
      const offsets = await admin.fetchTopicOffsets(topic);
      const available = offsets.reduce((n, o) => n + o.high - o.low, 0);
      const wanted = Math.min(int(flags, 'records', available, 1), available);
      if (wanted === 0) {
        console.log(`0 records consumed: "${topic}" is empty.`);
        return EXIT.OK;
      }
      const consumer = client.consumer({ fromBeginning: true });
      await consumer.assign(offsets.map((o) => ({ topic, partition: o.partition, offset: o.low })));
      let count = 0;
      let bytes = 0;
      let firstAt = 0;
      let done!: () => void;
      const finished = new Promise<void>((resolve) => (done = resolve));
      const started = performance.now();
      await consumer.run({
        eachBatch: ({ batch }) => {
          if (firstAt === 0) firstAt = performance.now();
          for (const m of batch.messages) {
            if (count >= wanted) break;
            count++;
            bytes += (m.value?.length ?? 0) + (m.key?.length ?? 0);
          }
          if (count >= wanted) done();
        },
      });
      await Promise.race([finished, consumer.done()]);
      const seconds = (performance.now() - started) / 1000;
      await consumer.close();
      console.log(`${count} records consumed, ${rate(count, seconds)} records/sec (${mbs(bytes, seconds)} MB/sec) in ${seconds.toFixed(2)} s, ${ms(firstAt - started)} ms to the first record.`);
      return EXIT.OK;
    });
  },
};

const e2e: Subcommand = {
  summary: 'producer and consumer at once: end-to-end latency',
  help: [
    'Usage: tributary perf e2e [<topic>] [options]',
    '',
    'A consumer reads from the end of the topic while a producer sends; prints the producer\'s',
    'numbers and the end-to-end latency (send → consumer) percentiles.',
    '',
    PRODUCE_HELP,
    '',
    GLOBAL_HELP,
  ].join('\n'),
  async run(argv) {
    const { flags, positionals } = parseFlags(argv, PRODUCE_OPTIONS);
    const s = produceSettings(flags, positionals);
    // The send time travels in the first 8 bytes of each value.
    s.recordSize = Math.max(s.recordSize, 8);
    return withClient(brokersFrom(flags), {}, async (client) => {
      const admin = client.admin();
      await ensureTopic(admin, s.topic, s.partitions);
      const offsets = await admin.fetchTopicOffsets(s.topic);
      const consumer = client.consumer({ maxWaitMs: 100 });
      await consumer.assign(offsets.map((o) => ({ topic: s.topic, partition: o.partition, offset: o.high })));
      const endToEnd = new LatencySamples(s.records);
      let received = 0;
      let done!: () => void;
      const finished = new Promise<void>((resolve) => (done = resolve));
      await consumer.run({
        eachBatch: ({ batch }) => {
          const now = performance.now();
          for (const m of batch.messages) {
            const v = m.value as Uint8Array;
            endToEnd.add(now - new DataView(v.buffer, v.byteOffset, 8).getFloat64(0));
            received++;
          }
          if (received >= s.records) done();
        },
      });
      const stamped = new Uint8Array(s.recordSize);
      const { seconds, latencies } = await produceLoad(client, s, (line) => console.error(line), (value, now) => {
        // Each record needs its own bytes: the producer keeps a reference until it encodes the batch.
        const out = stamped.slice();
        out.set(value.subarray(8), 8);
        new DataView(out.buffer).setFloat64(0, now);
        return out;
      });
      await Promise.race([finished, consumer.done()]);
      await consumer.close();
      console.log(`${s.records} records sent, ${rate(s.records, seconds)} records/sec (${mbs(s.records * s.recordSize, seconds)} MB/sec), ${latencyLine(latencies)}`);
      console.log(`${received} records received end to end: ${latencyLine(endToEnd)}`);
      return EXIT.OK;
    });
  },
};

/** The `tributary perf` command. */
export const perfCommand = withSubcommands('perf', 'Load tests: producer, consumer and end-to-end records/s, MB/s and latency percentiles.', { produce, consume, e2e });
