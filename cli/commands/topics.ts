/**
 * `tributary topics`: create, list, describe, alter (configs), delete — the everyday
 * parts of kafka-topics.sh and kafka-configs.sh for topics.
 */
import type { Admin } from '../../core/client/admin.ts';
import { ConfigResourceType } from '../../core/client/admin.ts';
import { brokersFrom, GLOBAL_HELP, int, list, noExtraPositionals, pairs, parseFlags, topicFrom } from '../args.ts';
import { withClient } from '../connect.ts';
import { EXIT, notFoundError, usageError } from '../exit-codes.ts';
import { withSubcommands, type Subcommand } from '../subcommands.ts';
import { table } from '../table.ts';
import { TOPIC_OPERATION_SUBCOMMANDS } from './topics-operations.ts';

const TOPIC_HELP = '  -t, --topic <name>           the topic (or give it as the first argument)';

/** Throws the CLI's not-found error (exit 3) when `topic` does not exist. */
export async function requireTopic(admin: Admin, topic: string): Promise<void> {
  const topics = await admin.listTopics();
  if (!topics.includes(topic)) throw notFoundError(`unknown topic "${topic}"`, { topic });
}

const create: Subcommand = {
  summary: 'create a topic',
  help: [
    'Usage: tributary topics create <topic> [options]',
    '',
    TOPIC_HELP,
    '  -p, --partitions <n>         number of partitions (default: the broker\'s num.partitions)',
    '  -r, --replication-factor <n> replicas per partition (default: the broker\'s; a cluster of one has 1)',
    '  -c, --config <key=value>     a topic config, e.g. retention.ms=3600000 (repeatable)',
    '      --if-not-exists          succeed when the topic exists already (else exit 4)',
    '',
    GLOBAL_HELP,
  ].join('\n'),
  async run(argv) {
    const { flags, positionals } = parseFlags(argv, {
      topic: { type: 'string', short: 't' },
      partitions: { type: 'string', short: 'p' },
      'replication-factor': { type: 'string', short: 'r' },
      config: { type: 'string', short: 'c', multiple: true },
      'if-not-exists': { type: 'boolean' },
    });
    const topic = topicFrom(flags, positionals, true);
    noExtraPositionals(positionals, 1, 'tributary topics create <topic>');
    const numPartitions = int(flags, 'partitions', undefined, 1, 1_000_000);
    const replicationFactor = int(flags, 'replication-factor', undefined, 1, 32767);
    const configs = Object.fromEntries(pairs(flags, 'config'));
    return withClient(brokersFrom(flags), {}, async (client) => {
      const admin = client.admin();
      const created = await admin.createTopics({
        topics: [{ topic, ...(numPartitions !== undefined ? { numPartitions } : {}), ...(replicationFactor !== undefined ? { replicationFactor } : {}), configs }],
      });
      if (!created) {
        if (flags['if-not-exists']) {
          console.log(`Topic "${topic}" exists already.`);
          return EXIT.OK;
        }
        console.error(`tributary topics create: topic "${topic}" exists already (use --if-not-exists to accept that) [TOPIC_ALREADY_EXISTS]`);
        return EXIT.EXISTS;
      }
      const [meta] = await admin.describeTopics([topic]);
      console.log(`Created topic "${topic}" with ${meta?.partitions.length ?? numPartitions} partition(s).`);
      return EXIT.OK;
    });
  },
};

const listTopics: Subcommand = {
  summary: 'list topics',
  help: ['Usage: tributary topics list [options]', '', 'Prints one topic name per line.', '', '  -l, --long   also partitions and total messages (latest − earliest offsets)', '', GLOBAL_HELP].join('\n'),
  async run(argv) {
    const { flags, positionals } = parseFlags(argv, { long: { type: 'boolean', short: 'l' } });
    noExtraPositionals(positionals, 0, 'tributary topics list');
    return withClient(brokersFrom(flags), {}, async (client) => {
      const admin = client.admin();
      const names = await admin.listTopics();
      if (!flags.long) {
        if (names.length > 0) console.log(names.join('\n'));
        return EXIT.OK;
      }
      const rows: Array<[string, number, number]> = [];
      for (const name of names) {
        const offsets = await admin.fetchTopicOffsets(name);
        rows.push([name, offsets.length, offsets.reduce((n, o) => n + (o.high - o.low), 0)]);
      }
      console.log(table(['TOPIC', 'PARTITIONS', 'MESSAGES'], rows));
      return EXIT.OK;
    });
  },
};

/** Config sources by Kafka's names (DescribeConfigsResponse; kafka-configs.sh prints the same). */
const CONFIG_SOURCES: Record<number, string> = { 1: 'DYNAMIC_TOPIC_CONFIG', 2: 'DYNAMIC_BROKER_CONFIG', 3: 'DYNAMIC_DEFAULT_BROKER_CONFIG', 4: 'STATIC_BROKER_CONFIG', 5: 'DEFAULT_CONFIG', 6: 'DYNAMIC_BROKER_LOGGER_CONFIG' };

const describe: Subcommand = {
  summary: 'partitions, leaders, replicas, offsets and configs of topics',
  help: [
    'Usage: tributary topics describe [<topic>…] [options]',
    '',
    'Without topics, describes every topic.',
    '',
    TOPIC_HELP,
    '  -a, --all-configs            list every config, not only the ones set on the topic',
    '      --json                   one JSON object per topic',
    '',
    GLOBAL_HELP,
  ].join('\n'),
  async run(argv) {
    const { flags, positionals } = parseFlags(argv, { topic: { type: 'string', short: 't', multiple: true }, 'all-configs': { type: 'boolean', short: 'a' }, json: { type: 'boolean' } });
    const wanted = [...list(flags, 'topic'), ...positionals];
    return withClient(brokersFrom(flags), {}, async (client) => {
      const admin = client.admin();
      const existing = await admin.listTopics();
      for (const t of wanted) if (!existing.includes(t)) throw notFoundError(`unknown topic "${t}"`, { topic: t });
      const names = wanted.length > 0 ? wanted : existing;
      if (names.length === 0) return EXIT.OK;
      const metas = await admin.describeTopics(names);
      const configs = await admin.describeConfigs({ resources: names.map((name) => ({ type: ConfigResourceType.TOPIC, name })) });
      const out: string[] = [];
      for (const meta of metas) {
        const offsets = await admin.fetchTopicOffsets(meta.name);
        const entries = configs.resources.find((r) => r.resourceName === meta.name)?.configEntries ?? [];
        const shown = flags['all-configs'] ? entries : entries.filter((e) => e.configSource === 1);
        const partitions = [...meta.partitions].sort((a, b) => a.partitionId - b.partitionId).map((p) => {
          const o = offsets.find((x) => x.partition === p.partitionId);
          return { partition: p.partitionId, leader: p.leader, leaderEpoch: p.leaderEpoch, replicas: p.replicas, isr: p.isr, offline: p.offlineReplicas, earliest: o?.low ?? -1, latest: o?.high ?? -1 };
        });
        if (flags.json) {
          out.push(JSON.stringify({
            topic: meta.name,
            topicId: meta.topicId,
            partitions,
            configs: Object.fromEntries(shown.map((e) => [e.configName, e.configValue])),
          }));
          continue;
        }
        const rf = partitions[0]?.replicas.length ?? 0;
        out.push(`Topic: ${meta.name}${/^[0-]*$/.test(meta.topicId) ? '' : `  TopicId: ${meta.topicId}`}  PartitionCount: ${partitions.length}  ReplicationFactor: ${rf}  Messages: ${partitions.reduce((n, p) => n + (p.latest - p.earliest), 0)}`);
        out.push(indent(table(
          ['PARTITION', 'LEADER', 'REPLICAS', 'ISR', 'OFFLINE', 'EARLIEST', 'LATEST', 'MESSAGES'],
          partitions.map((p) => [p.partition, p.leader < 0 ? 'none' : p.leader, p.replicas.join(',') || '-', p.isr.join(',') || '-', p.offline.join(',') || '-', p.earliest, p.latest, p.latest - p.earliest]),
        )));
        if (shown.length > 0) {
          out.push(`  Configs${flags['all-configs'] ? '' : ' (set on the topic; --all-configs for all)'}:`);
          out.push(indent(table(['NAME', 'VALUE', 'SOURCE'], shown.map((e) => [e.configName, e.configValue ?? '(null)', CONFIG_SOURCES[e.configSource] ?? String(e.configSource)])), 4));
        } else {
          out.push('  Configs: none set on the topic (--all-configs to see the defaults)');
        }
        out.push('');
      }
      console.log(out.join('\n').trimEnd());
      return EXIT.OK;
    });
  },
};

const alter: Subcommand = {
  summary: 'set or remove topic configs',
  help: [
    'Usage: tributary topics alter <topic> [options]',
    '',
    'Changes only the configs named; the others keep their values.',
    '',
    TOPIC_HELP,
    '  -c, --config <key=value>     set a config (repeatable)',
    '  -d, --delete-config <key>    remove a config set on the topic, back to the default (repeatable)',
    '  -p, --partitions <n>         grow the topic to n partitions',
    '',
    GLOBAL_HELP,
  ].join('\n'),
  async run(argv) {
    const { flags, positionals } = parseFlags(argv, {
      topic: { type: 'string', short: 't' },
      config: { type: 'string', short: 'c', multiple: true },
      'delete-config': { type: 'string', short: 'd', multiple: true },
      partitions: { type: 'string', short: 'p' },
    });
    const topic = topicFrom(flags, positionals, true);
    noExtraPositionals(positionals, 1, 'tributary topics alter <topic>');
    const set = pairs(flags, 'config');
    const removed = list(flags, 'delete-config');
    const partitions = int(flags, 'partitions', undefined, 1, 1_000_000);
    if (set.length === 0 && removed.length === 0 && partitions === undefined) throw usageError('nothing to alter: give --config, --delete-config or --partitions');
    return withClient(brokersFrom(flags), {}, async (client) => {
      const admin = client.admin();
      await requireTopic(admin, topic);
      if (set.length > 0 || removed.length > 0) await alterTopicConfigs(admin, topic, set, removed);
      if (partitions !== undefined) await admin.createPartitions({ topicPartitions: [{ topic, count: partitions }] });
      const what = [
        ...set.map(([k, v]) => `${k}=${v}`),
        ...removed.map((k) => `${k} removed`),
        ...(partitions !== undefined ? [`${partitions} partitions`] : []),
      ];
      console.log(`Altered topic "${topic}": ${what.join(', ')}.`);
      return EXIT.OK;
    });
  },
};

/**
 * Sets and removes configs of a topic. The broker speaks the legacy AlterConfigs, which
 * replaces a topic's whole set of overrides, so the current overrides are read first and
 * sent back with the changes.
 */
async function alterTopicConfigs(admin: Admin, topic: string, set: ReadonlyArray<[string, string]>, removed: readonly string[]): Promise<void> {
  const described = await admin.describeConfigs({ resources: [{ type: ConfigResourceType.TOPIC, name: topic }] });
  const entries = described.resources[0]?.configEntries ?? [];
  const known = new Set(entries.map((e) => e.configName));
  for (const [k] of set) if (known.size > 0 && !known.has(k)) throw usageError(`unknown topic config "${k}" (see \`tributary topics describe ${topic} --all-configs\`)`);
  const overrides = new Map(entries.filter((e) => e.configSource === 1).map((e) => [e.configName, e.configValue]));
  for (const k of removed) {
    if (!overrides.has(k)) throw usageError(`config "${k}" is not set on topic "${topic}"`);
    overrides.delete(k);
  }
  for (const [k, v] of set) overrides.set(k, v);
  await admin.alterConfigs({ resources: [{ type: ConfigResourceType.TOPIC, name: topic, configEntries: [...overrides].map(([name, value]) => ({ name, value })) }] });
}

const del: Subcommand = {
  summary: 'delete topics',
  help: ['Usage: tributary topics delete <topic>… [options]', '', TOPIC_HELP, '      --if-exists              succeed when a topic does not exist (else exit 3)', '', GLOBAL_HELP].join('\n'),
  async run(argv) {
    const { flags, positionals } = parseFlags(argv, { topic: { type: 'string', short: 't', multiple: true }, 'if-exists': { type: 'boolean' } });
    const names = [...list(flags, 'topic'), ...positionals];
    if (names.length === 0) throw usageError('a topic is required (--topic <name> or as an argument)');
    return withClient(brokersFrom(flags), {}, async (client) => {
      const admin = client.admin();
      const existing = new Set(await admin.listTopics());
      const missing = names.filter((n) => !existing.has(n));
      if (missing.length > 0 && !flags['if-exists']) throw notFoundError(`unknown topic "${missing[0]}"`, { topic: missing[0] });
      const present = names.filter((n) => existing.has(n));
      if (present.length > 0) await admin.deleteTopics({ topics: present });
      for (const n of present) console.log(`Deleted topic "${n}".`);
      return EXIT.OK;
    });
  },
};

function indent(text: string, by = 2): string {
  const pad = ' '.repeat(by);
  return text.split('\n').map((l) => pad + l).join('\n');
}

/** The `tributary topics` command. */
export const topicsCommand = withSubcommands('topics', 'Create, list, describe, alter and delete topics.', { create, list: listTopics, describe, alter, delete: del, ...TOPIC_OPERATION_SUBCOMMANDS }, { ls: 'list', rm: 'delete', '--list': 'list', '--create': 'create', '--describe': 'describe', '--delete': 'delete' });

