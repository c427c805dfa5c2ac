/**
 * `tributary produce`: one message per input line (stdin or --file), like `kcat -P` and
 * kafka-console-producer.sh — optional key separator, headers, partition, serializer,
 * compression and acks; a progress line for files and large inputs; a summary at the end.
 */
import { Buffer } from 'node:buffer';
import type { Acks, ProducerMessage } from '../../core/client/producer.ts';
import { TributaryError } from '../../core/errors.ts';
import { brokersFrom, choice, GLOBAL_HELP, int, noExtraPositionals, pairs, parseFlags, str, topicFrom } from '../args.ts';
import { withClient } from '../connect.ts';
import { EXIT, notFoundError, usageError } from '../exit-codes.ts';
import { openLines } from '../line-input.ts';
import { formatBytes, formatCount, startProgress } from '../progress.ts';
import { cliSerde, SERDE_NAMES, serdeHelp } from '../serde-choice.ts';

/** Codec names the produce and perf commands accept. */
export const COMPRESSIONS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

/** Partitioners `produce --partitioner` offers (the built-ins, by their registry names). */
export const PARTITIONERS = ['default', 'murmur2', 'sticky', 'round-robin'] as const;

/** Parses `--acks 0|1|all|-1`. */
export function acksFrom(raw: string | undefined, fallback: Acks): Acks {
  if (raw === undefined) return fallback;
  if (raw === 'all' || raw === '-1') return 'all';
  if (raw === '0') return 0;
  if (raw === '1') return 1;
  throw usageError(`--acks: expected 0, 1 or all, got "${raw}"`);
}

const HELP = [
  'Usage: tributary produce <topic> [options] < input',
  '',
  'Sends one message per input line (empty lines are skipped), like `kcat -P`.',
  '',
  '  -t, --topic <name>           the topic (or give it as the first argument)',
  '  -f, --file <path>            read lines from a file instead of stdin',
  '  -K, --key-separator <sep>    split each line at the first <sep> into key and value',
  '  -H, --header <key=value>     a header on every message (repeatable)',
  '  -p, --partition <n>          send every message to this partition (default: the partitioner\'s choice)',
  '      --partitioner <name>     default (keys by murmur2 as the Java client, keyless records sticky',
  '                               per batch as KIP-480) | murmur2 | sticky (both place records as',
  '                               default does) | round-robin (each record to the next partition)',
  serdeHelp('serializer'),
  '      --key-serializer <name>  string (default) | json | int32 | int64',
  '  -z, --compression <codec>    none (default) | gzip | snappy | lz4 | zstd',
  '  -a, --acks <0|1|all>         acknowledgements to wait for (default all)',
  '      --linger-ms <ms>         how long a batch waits for more records (default 5)',
  '      --batch-size <bytes>     batch size limit (default 16384)',
  '      --progress               show the progress line even when stderr is not a terminal',
  '  -q, --quiet                  no progress line and no summary',
  '',
  'Without --progress, the progress line appears only on a terminal, for inputs that take',
  'more than half a second. The summary (records, bytes, time) goes to stderr.',
  '',
  GLOBAL_HELP,
].join('\n');

/** Messages handed to one send() call at most: big enough to amortize the call, small enough to keep latency low. */
const CHUNK = 500;
/** send() calls awaiting acknowledgement before reading pauses. */
const MAX_PENDING = 64;

async function run(argv: string[]): Promise<number> {
  const { flags, positionals } = parseFlags(argv, {
    topic: { type: 'string', short: 't' },
    file: { type: 'string', short: 'f' },
    'key-separator': { type: 'string', short: 'K' },
    header: { type: 'string', short: 'H', multiple: true },
    partition: { type: 'string', short: 'p' },
    partitioner: { type: 'string' },
    serializer: { type: 'string', short: 's' },
    'key-serializer': { type: 'string' },
    schema: { type: 'string' },
    type: { type: 'string' },
    'schema-id': { type: 'string' },
    compression: { type: 'string', short: 'z' },
    acks: { type: 'string', short: 'a' },
    'linger-ms': { type: 'string' },
    'batch-size': { type: 'string' },
    progress: { type: 'boolean' },
    quiet: { type: 'boolean', short: 'q' },
  });
  const topic = topicFrom(flags, positionals, true);
  noExtraPositionals(positionals, 1, 'tributary produce <topic>');
  const separator = str(flags, 'key-separator');
  if (separator === '') throw usageError('--key-separator must not be empty');
  const headers = pairs(flags, 'header');
  const partition = int(flags, 'partition', undefined, 0, 2_147_483_647);
  const partitioner = choice(flags, 'partitioner', PARTITIONERS, 'default');
  if (partition !== undefined && str(flags, 'partitioner') !== undefined) throw usageError('give --partition or --partitioner, not both');
  const value = await cliSerde(choice(flags, 'serializer', SERDE_NAMES, 'string'), { schema: str(flags, 'schema'), type: str(flags, 'type'), schemaId: int(flags, 'schema-id', undefined, 0, 2_147_483_647) });
  const key = await cliSerde(choice(flags, 'key-serializer', ['string', 'json', 'int32', 'int64'] as const, 'string'), {});
  const compression = choice(flags, 'compression', COMPRESSIONS, 'none');
  const acks = acksFrom(str(flags, 'acks'), 'all');
  const lingerMs = int(flags, 'linger-ms', 5, 0, 600_000);
  const batchSize = int(flags, 'batch-size', 16_384, 1, 1 << 30);
  const quiet = flags.quiet === true;
  const input = openLines(str(flags, 'file'));
  const messageHeaders = headers.length > 0 ? headers.map(([k, v]) => ({ key: k, value: v })) : undefined;

  return withClient(brokersFrom(flags), { allowAutoTopicCreation: true }, async (client) => {
    // Lines are serialized here, not in send(), so that a line the serializer refuses
    // is reported with its number (and nothing after it is read).
    const producer = client.producer({ acks, compression, lingerMs, batchSize, partitioner, serializers: { key: 'raw', value: 'raw' } });
    // Resolve the topic first: unknown topics (auto-creation off) fail before any input is read.
    const [meta] = await client.cluster.topicMetadata([topic]);
    const partitions = meta!.partitions.filter((p) => p !== undefined).length;
    if (partition !== undefined && partition >= partitions) throw notFoundError(`topic "${topic}" has no partition ${partition} (it has ${partitions})`, { topic, partition });

    const showProgress = !quiet && (flags.progress === true || process.stderr.isTTY === true);
    const progress = showProgress ? startProgress({ stream: process.stderr, totalBytes: input.totalBytes, delayMs: flags.progress ? 0 : 500 }) : undefined;
    const started = performance.now();
    let read = 0;
    let acked = 0;
    let bytes = 0;
    let lineNo = 0;
    let failure: unknown;
    let interrupted = false;
    const pending = new Set<Promise<void>>();
    let chunk: ProducerMessage[] = [];
    let chunkBytes = 0;

    const flushChunk = () => {
      if (chunk.length === 0) return;
      const messages = chunk;
      const size = chunkBytes;
      chunk = [];
      chunkBytes = 0;
      const p: Promise<void> = producer.send({ topic, messages }).then(
        () => {
          acked += messages.length;
          bytes += size;
          if (progress) {
            progress.state.records = acked;
            progress.state.bytes = bytes;
          }
        },
        (error) => {
          failure ??= error;
          input.close();
        },
      ).finally(() => pending.delete(p));
      pending.add(p);
    };
    const onSigint = () => {
      interrupted = true;
      input.close();
    };
    process.once('SIGINT', onSigint);
    let scheduled = false;
    try {
      for await (const line of input.lines) {
        lineNo++;
        if (progress) progress.state.readBytes += Buffer.byteLength(line) + 1;
        if (line.length === 0) continue;
        let k: string | null = null;
        let v = line;
        if (separator !== undefined) {
          const i = line.indexOf(separator);
          if (i >= 0) {
            k = line.slice(0, i);
            v = line.slice(i + separator.length);
          }
        }
        let message: ProducerMessage;
        try {
          message = {
            key: k === null ? null : key.serializer.serialize(key.fromText(k), { topic, isKey: true }),
            value: value.serializer.serialize(value.fromText(v), { topic, isKey: false }),
            ...(messageHeaders ? { headers: messageHeaders } : {}),
            ...(partition !== undefined ? { partition } : {}),
          };
        } catch (error) {
          throw new TributaryError('ERR_BAD_INPUT', `line ${lineNo}: ${(error as Error).message}`);
        }
        chunk.push(message);
        chunkBytes += Buffer.byteLength(line) - (separator !== undefined && k !== null ? separator.length : 0);
        read++;
        if (chunk.length >= CHUNK) flushChunk();
        else if (!scheduled) {
          // Interactive input: a lone line goes out once the lines already buffered are taken.
          scheduled = true;
          setImmediate(() => {
            scheduled = false;
            flushChunk();
          });
        }
        while (pending.size >= MAX_PENDING) await Promise.race(pending);
        if (failure !== undefined) break;
      }
      flushChunk();
      await Promise.all(pending);
      await producer.flush();
    } finally {
      process.off('SIGINT', onSigint);
      progress?.stop(flags.progress === true);
      await producer.close().catch((error: unknown) => {
        failure ??= error;
      });
    }
    if (failure !== undefined) {
      if (!quiet) console.error(`tributary produce: ${acked} of ${read} records acknowledged before a failure`);
      throw failure;
    }
    const seconds = (performance.now() - started) / 1000;
    if (!quiet) {
      console.error(
        `Produced ${formatCount(acked)} record${acked === 1 ? '' : 's'} (${formatBytes(bytes)}) to "${topic}" in ${seconds.toFixed(2)} s` +
          ` — ${formatCount(acked / Math.max(seconds, 1e-6))} records/s, ${(bytes / 1024 / 1024 / Math.max(seconds, 1e-6)).toFixed(2)} MB/s` +
          (acks === 0 ? ' (acks=0: sent, not confirmed)' : ''),
      );
    }
    return interrupted ? 130 : EXIT.OK;
  });
}

/** The `tributary produce` command. */
export const produceCommand = { summary: 'send lines of stdin or a file as messages', help: () => HELP, run: (argv: string[]) => (argv.includes('--help') || argv.includes('-h') ? (console.log(HELP), Promise.resolve(EXIT.OK)) : run(argv)) };
