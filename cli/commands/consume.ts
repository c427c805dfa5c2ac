/**
 * `tributary consume`: prints messages like `kcat -C` and kafka-console-consumer.sh —
 * from the beginning, the end, an offset or a timestamp, with or without a group, as a
 * kcat format string or one JSON object per line; `--exit` stops at the end of the
 * partitions (kcat -e), `--max-messages` after N.
 */
import type { Admin } from '../../core/client/admin.ts';
import type { Consumer, ConsumerMessage, EachBatchPayload, TopicPartition, TopicPartitionOffset } from '../../core/client/consumer.ts';
import { brokersFrom, choice, GLOBAL_HELP, int, list, parseFlags, parseInteger, str, type Flags } from '../args.ts';
import { withClient } from '../connect.ts';
import { EXIT, notFoundError, usageError } from '../exit-codes.ts';
import { compileFormat, jsonLine, type PrintableMessage } from '../message-format.ts';
import { cliSerde, SERDE_NAMES, serdeHelp } from '../serde-choice.ts';

const HELP = [
  'Usage: tributary consume <topic>… [options]',
  '',
  'Prints messages, by default each value on its own line, like `kcat -C`.',
  '',
  '  -t, --topic <name>           a topic (repeatable; or give topics as arguments)',
  '  -o, --from <where>           beginning | end | <offset> | -<n> (n before the end)',
  '                               | @<timestamp-ms>',
  '                               (default: beginning; with --group: where the group has no',
  '                               committed offset, and only beginning or end)',
  '      --offset <n>             same as --from <n>',
  '      --timestamp <ms>         same as --from @<ms>',
  '  -p, --partition <n>          only this partition (repeatable; not with --group)',
  '  -g, --group <id>             consume as a member of this consumer group (commits offsets)',
  '  -F, --format <fmt>           kcat-style: %t topic, %p partition, %o offset, %k key, %v value,',
  '                               %h headers (k=v,…), %T timestamp, %K/%S key/value length,',
  '                               %% and \\n \\t escapes (default: "%v\\n")',
  '  -K, --key-separator <sep>    print key<sep>value (a shortcut for --format "%k<sep>%v\\n")',
  '  -J, --json                   one JSON object per line: topic, partition, offset, timestamp,',
  '                               key, value, headers',
  '  -e, --exit                   exit once every partition is read to its end (kcat -e)',
  '  -c, --max-messages <n>       exit after n messages',
  serdeHelp('deserializer'),
  '      --key-deserializer <n>   string (default) | json | int32 | int64 | bytes',
  '',
  'Without --exit or --max-messages, consumes until interrupted (Ctrl-C, exit 0).',
  'A message the deserializer cannot read is reported on stderr and skipped; the exit',
  'code is then 1.',
  '',
  GLOBAL_HELP,
].join('\n');

/** Where to start, parsed from --from/--offset/--timestamp. */
export type StartAt =
  | { kind: 'beginning' }
  | { kind: 'end' }
  | { kind: 'offset'; offset: number }
  | { kind: 'fromEnd'; count: number }
  | { kind: 'timestamp'; timestamp: number };

/** Parses --from (and its spellings --offset and --timestamp). */
export function startFrom(flags: Flags): StartAt | undefined {
  const given = ['from', 'offset', 'timestamp'].filter((f) => str(flags, f) !== undefined);
  if (given.length > 1) throw usageError(`give one of --from, --offset and --timestamp (got ${given.map((g) => `--${g}`).join(' and ')})`);
  const offset = str(flags, 'offset');
  if (offset !== undefined) return { kind: 'offset', offset: parseInteger(offset, '--offset') };
  const ts = str(flags, 'timestamp');
  if (ts !== undefined) return { kind: 'timestamp', timestamp: parseInteger(ts, '--timestamp') };
  const from = str(flags, 'from');
  if (from === undefined) return undefined;
  if (from === 'beginning' || from === 'earliest') return { kind: 'beginning' };
  if (from === 'end' || from === 'latest') return { kind: 'end' };
  if (from.startsWith('@')) return { kind: 'timestamp', timestamp: parseInteger(from.slice(1), '--from @<timestamp>') };
  if (/^-\d+$/.test(from)) return { kind: 'fromEnd', count: parseInteger(from.slice(1), '--from -<n>') };
  if (/^\d+$/.test(from)) return { kind: 'offset', offset: parseInteger(from, '--from') };
  throw usageError(`--from: expected beginning, end, <offset>, -<n> or @<timestamp-ms>, got "${from}"`);
}

/** Start offsets of the given partitions of `topic` for `start`, clamped to what the log holds. */
async function startOffsets(admin: Admin, topic: string, partitions: readonly number[], start: StartAt): Promise<TopicPartitionOffset[]> {
  const offsets = await admin.fetchTopicOffsets(topic);
  const byTime = start.kind === 'timestamp' ? await admin.fetchTopicOffsetsByTimestamp(topic, start.timestamp) : [];
  return partitions.map((partition) => {
    const o = offsets.find((x) => x.partition === partition)!;
    let offset: number;
    switch (start.kind) {
      case 'beginning': offset = o.low; break;
      case 'end': offset = o.high; break;
      case 'offset': offset = start.offset; break;
      case 'fromEnd': offset = o.high - start.count; break;
      case 'timestamp': offset = byTime.find((x) => x.partition === partition)?.offset ?? o.high; break;
    }
    const clamped = Math.min(Math.max(offset, o.low), o.high);
    // An offset asked for by number that is not there is said, not silently moved.
    if (start.kind === 'offset' && clamped !== offset) {
      console.error(offset < o.low
        ? `% ${topic} [${partition}]: offset ${offset} is before the log start ${o.low} (older records are gone: retention or deleted records); starting at ${o.low}`
        : `% ${topic} [${partition}]: offset ${offset} is past the log end ${o.high}; starting at ${o.high}, waiting for new records`);
    }
    return { topic, partition, offset: clamped };
  });
}

const keyOf = (topic: string, partition: number) => `${topic}\u0000${partition}`;

async function run(argv: string[]): Promise<number> {
  const { flags, positionals } = parseFlags(argv, {
    topic: { type: 'string', short: 't', multiple: true },
    from: { type: 'string', short: 'o' },
    offset: { type: 'string' },
    timestamp: { type: 'string' },
    partition: { type: 'string', short: 'p', multiple: true },
    group: { type: 'string', short: 'g' },
    format: { type: 'string', short: 'F' },
    'key-separator': { type: 'string', short: 'K' },
    json: { type: 'boolean', short: 'J' },
    exit: { type: 'boolean', short: 'e' },
    'max-messages': { type: 'string', short: 'c' },
    deserializer: { type: 'string', short: 's' },
    'key-deserializer': { type: 'string' },
    schema: { type: 'string' },
    type: { type: 'string' },
    'schema-id': { type: 'string' },
  });
  const topics = [...new Set([...list(flags, 'topic'), ...positionals])];
  if (topics.length === 0) throw usageError('a topic is required (--topic <name> or as an argument)');
  const start = startFrom(flags);
  const partitionsWanted = list(flags, 'partition').map((p) => parseInteger(p, '--partition', 0, 2_147_483_647));
  const group = str(flags, 'group');
  if (group !== undefined && group === '') throw usageError('--group must not be empty');
  if (group !== undefined && partitionsWanted.length > 0) throw usageError('--partition cannot be combined with --group (the group assigns partitions)');
  if (group !== undefined && start && start.kind !== 'beginning' && start.kind !== 'end') throw usageError('with --group, --from takes beginning or end (where the group has no committed offset); reset a group\'s offsets with `tributary groups reset`');
  if (partitionsWanted.length > 0 && topics.length > 1) throw usageError('--partition needs exactly one topic');
  const maxMessages = int(flags, 'max-messages', undefined, 1);
  const formats = ['format', 'key-separator', 'json'].filter((f) => flags[f] !== undefined);
  if (formats.length > 1) throw usageError(`give one of --format, --key-separator and --json (got ${formats.map((f) => `--${f}`).join(' and ')})`);
  const sep = str(flags, 'key-separator');
  const print: (m: PrintableMessage) => string = flags.json ? jsonLine : compileFormat(str(flags, 'format') ?? (sep !== undefined ? `%k${sep.replaceAll('%', '%%')}%v\\n` : '%v\\n'));
  const value = await cliSerde(choice(flags, 'deserializer', SERDE_NAMES, 'string'), { schema: str(flags, 'schema'), type: str(flags, 'type'), schemaId: int(flags, 'schema-id', undefined, 0, 2_147_483_647) });
  const key = await cliSerde(choice(flags, 'key-deserializer', ['string', 'json', 'int32', 'int64', 'bytes'] as const, 'string'), {});

  return withClient(brokersFrom(flags), {}, async (client) => {
    const admin = client.admin();
    const existing = new Set(await admin.listTopics());
    for (const t of topics) if (!existing.has(t)) throw notFoundError(`unknown topic "${t}"`, { topic: t });
    const metas = await admin.describeTopics(topics);
    for (const p of partitionsWanted) {
      const count = metas[0]!.partitions.length;
      if (p >= count) throw notFoundError(`topic "${topics[0]}" has no partition ${p} (it has ${count})`, { topic: topics[0], partition: p });
    }
    // The consumer hands over bytes; deserializing here lets one bad record be reported
    // and skipped instead of stopping the consumer.
    const serializers = { key: 'raw', value: 'raw' };
    let skipped = 0;
    const decode = (m: ConsumerMessage): PrintableMessage | null => {
      try {
        return {
          topic: m.topic,
          partition: m.partition,
          offset: m.offset,
          timestamp: m.timestamp,
          headers: m.headers,
          keySize: m.key === null ? -1 : (m.key as Uint8Array).length,
          valueSize: m.value === null ? -1 : (m.value as Uint8Array).length,
          key: key.serializer.deserialize(m.key, { topic: m.topic, isKey: true }),
          value: value.serializer.deserialize(m.value, { topic: m.topic, isKey: false }),
        };
      } catch (error) {
        skipped++;
        console.error(`% skipped ${m.topic} [${m.partition}] at offset ${m.offset}: ${(error as Error).message}`);
        return null;
      }
    };
    const fromBeginning = (start?.kind ?? 'beginning') === 'beginning';
    const groupMember = group === undefined ? undefined : client.consumer({ groupId: group, serializers, fromBeginning });
    const consumer: Consumer = groupMember ?? client.consumer({ serializers, fromBeginning });

    // High watermarks when we started: --exit stops once every partition reaches them.
    const ends = new Map<string, number>();
    if (flags.exit) {
      for (const t of topics) for (const o of await admin.fetchTopicOffsets(t)) ends.set(keyOf(t, o.partition), o.high);
    }

    let finish!: (error?: unknown) => void;
    const finished = new Promise<void>((resolve, reject) => {
      finish = (error?: unknown) => (error === undefined ? resolve() : reject(error));
    });
    let count = 0;
    let stopping = false;
    const stdout = process.stdout;
    stdout.on('error', (error: { code?: string }) => {
      // A closed pipe (`| head`) is a normal way for a reader to stop.
      if (error.code === 'EPIPE') stopping = true, finish();
      else finish(error);
    });
    const atEnd = (): boolean => {
      if (!flags.exit) return false;
      const assigned = consumer.assignment();
      if (assigned.length === 0) return group === undefined;
      const positions = new Map(consumer.positions().map((p) => [keyOf(p.topic, p.partition), p.offset ?? -1]));
      return assigned.every((tp: TopicPartition) => {
        const end = ends.get(keyOf(tp.topic, tp.partition)) ?? 0;
        const pos = positions.get(keyOf(tp.topic, tp.partition));
        return end === 0 || (pos !== undefined && pos >= end);
      });
    };

    const eachBatch = async ({ batch, resolveOffset }: EachBatchPayload) => {
      if (stopping) return;
      let out = '';
      let last = -1;
      for (const m of batch.messages) {
        last = m.offset;
        const printable = decode(m);
        if (printable === null) continue;
        out += print(printable);
        count++;
        if (maxMessages !== undefined && count >= maxMessages) {
          stopping = true;
          break;
        }
      }
      if (last >= 0) resolveOffset(last);
      if (out.length > 0 && !stdout.write(out)) await drained();
      if (stopping || atEnd()) {
        stopping = true;
        finish();
      }
    };

    // Waits for stdout to take more, or for the end: a reader that went away never drains.
    const drained = () => new Promise<void>((resolve) => {
      const done = () => {
        stdout.off('drain', done);
        stdout.off('error', done);
        stdout.off('close', done);
        resolve();
      };
      stdout.once('drain', done);
      stdout.once('error', done);
      stdout.once('close', done);
      finished.then(done, done);
    });

    const onSignal = () => {
      stopping = true;
      finish();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      if (group === undefined) {
        const assignment: TopicPartitionOffset[] = [];
        for (const meta of metas) {
          const parts = partitionsWanted.length > 0 ? partitionsWanted : meta.partitions.map((p) => p.partitionId).sort((a, b) => a - b);
          assignment.push(...(await startOffsets(admin, meta.name, parts, start ?? { kind: 'beginning' })));
        }
        await consumer.assign(assignment);
      } else {
        await groupMember!.subscribe({ topics, fromBeginning });
      }
      await consumer.run({ eachBatch });
      consumer.done().then(() => finish(), (error) => finish(error));
      // Partitions that start at their end never deliver a batch: check now and then.
      const poll = flags.exit
        ? setInterval(() => {
            if (atEnd()) {
              stopping = true;
              finish();
            }
          }, 100)
        : undefined;
      try {
        await finished;
      } finally {
        if (poll !== undefined) clearInterval(poll);
      }
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await consumer.close().catch(() => {});
    }
    if (skipped > 0) {
      console.error(`% ${skipped} message(s) could not be deserialized and were skipped`);
      return EXIT.FAILURE;
    }
    return EXIT.OK;
  });
}

/** The `tributary consume` command. */
export const consumeCommand = { summary: 'print messages of topics (kcat -C style)', help: () => HELP, run: (argv: string[]) => (argv.includes('--help') || argv.includes('-h') ? (console.log(HELP), Promise.resolve(EXIT.OK)) : run(argv)) };
