/**
 * The operator's `tributary cluster` subcommands. `drain` moves every replica off a node by
 * reassignment (each to the live broker holding the fewest replicas that has none of that
 * partition yet; the partition keeps its replication factor and its leader order) and waits
 * until the moves are done; then the node can be stopped and `unregister` removes its
 * registration (Kafka's UnregisterBroker: a broker still running would register again, so
 * stop it first). `log-dirs` is kafka-log-dirs --describe: each broker's log directory with
 * its partitions' sizes. `configs` is kafka-configs --entity-type brokers: dynamic broker
 * configs, cluster-wide or per broker.
 */
import { brokersFrom, GLOBAL_HELP, int, list, noExtraPositionals, parseFlags, parseInteger } from '../args.ts';
import { withClient } from '../connect.ts';
import { EXIT, usageError } from '../exit-codes.ts';
import type { Subcommand } from '../subcommands.ts';
import { table } from '../table.ts';

/** One partition as the plan sees it. */
export interface PartitionReplicas {
  readonly topic: string;
  readonly partition: number;
  readonly replicas: readonly number[];
}

/** One planned move: the partition's replicas with `node` replaced. */
export interface DrainMove extends PartitionReplicas {
  readonly target: number[];
}

/**
 * The moves that take every replica off `node`: each replica of it goes to the broker of
 * `live` (not `node`, not already a replica of that partition) with the fewest replicas so
 * far (lowest id on ties), in the same place in the list — so a partition `node` preferred
 * to lead gets a new preferred leader. Throws a usage error when a partition has nowhere to go.
 */
export function planDrain(partitions: readonly PartitionReplicas[], node: number, live: readonly number[]): DrainMove[] {
  const load = new Map<number, number>(live.filter((id) => id !== node).map((id) => [id, 0]));
  for (const p of partitions) for (const id of p.replicas) if (load.has(id)) load.set(id, load.get(id)! + 1);
  const moves: DrainMove[] = [];
  for (const p of [...partitions].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition))) {
    if (!p.replicas.includes(node)) continue;
    const candidates = [...load].filter(([id]) => !p.replicas.includes(id)).sort((a, b) => a[1] - b[1] || a[0] - b[0]);
    const chosen = candidates[0]?.[0];
    if (chosen === undefined) {
      throw usageError(`no broker can take the replica of ${p.topic}-${p.partition} (replicas ${p.replicas.join(',')}; live brokers ${live.join(',')}): add a broker first, or lower its replication factor by a reassignment`);
    }
    load.set(chosen, load.get(chosen)! + 1);
    moves.push({ ...p, target: p.replicas.map((id) => (id === node ? chosen : id)) });
  }
  return moves;
}

const drain: Subcommand = {
  summary: 'move every replica off a broker (before removing it)',
  help: [
    'Usage: tributary cluster drain --node <id> [options]',
    '',
    'Reassigns each replica on the broker to another live broker (the least loaded one that',
    'has no replica of that partition), keeping every replication factor, and waits until',
    'the moves are done. Its leaderships move too. Then stop the broker and run',
    '`tributary cluster unregister --node <id>`.',
    '',
    '  -n, --node <id>        the broker to drain',
    '      --dry-run          print the moves; change nothing',
    '      --timeout <ms>     how long to wait for the moves (default 600000)',
    '',
    GLOBAL_HELP,
  ].join('\n'),
  async run(argv) {
    const { flags, positionals } = parseFlags(argv, { node: { type: 'string', short: 'n' }, 'dry-run': { type: 'boolean' }, timeout: { type: 'string' } });
    noExtraPositionals(positionals, 0, 'tributary cluster drain --node <id>');
    const node = int(flags, 'node', undefined, 0, 2 ** 31 - 1);
    if (node === undefined) throw usageError('--node is required');
    const timeoutMs = int(flags, 'timeout', 600_000, 1);
    return withClient(brokersFrom(flags), {}, async (client) => {
      const admin = client.admin();
      const live = (await admin.describeCluster()).brokers.map((b) => b.nodeId);
      const { topics } = await admin.fetchTopicMetadata();
      const partitions = topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionId, replicas: p.replicas })));
      const moves = planDrain(partitions, node, live);
      if (moves.length === 0) {
        console.log(`Broker ${node} holds no replicas.`);
        return EXIT.OK;
      }
      console.log(table(['TOPIC', 'PARTITION', 'CURRENT', 'TARGET'], moves.map((m) => [m.topic, m.partition, m.replicas.join(','), m.target.join(',')])));
      if (flags['dry-run']) {
        console.log('Dry run: nothing changed.');
        return EXIT.OK;
      }
      const byTopic = new Map<string, DrainMove[]>();
      for (const m of moves) byTopic.set(m.topic, [...(byTopic.get(m.topic) ?? []), m]);
      await admin.alterPartitionReassignments({ topics: [...byTopic].map(([topic, ms]) => ({ topic, partitionAssignment: ms.map((m) => ({ partition: m.partition, replicas: m.target })) })) });
      console.log(`Moving ${moves.length} replica(s) off broker ${node}…`);
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const listed = await admin.listPartitionReassignments();
        const moving = listed.topics.reduce((n, t) => n + t.partitions.filter((p) => moves.some((m) => m.topic === t.topic && m.partition === p.partition)).length, 0);
        if (moving === 0) break;
        if (Date.now() > deadline) {
          console.error(`tributary cluster drain: ${moving} partition(s) still moving after ${timeoutMs} ms (see \`tributary topics reassignments\`)`);
          return EXIT.FAILURE;
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      console.log(`Broker ${node} is drained. Stop it, then run \`tributary cluster unregister --node ${node}\`.`);
      return EXIT.OK;
    });
  },
};

const unregister: Subcommand = {
  summary: 'remove a stopped broker\'s registration (decommission)',
  help: [
    'Usage: tributary cluster unregister --node <id>',
    '',
    'Takes the broker out of every in-sync replica set and removes its registration',
    '(UnregisterBroker). Drain it and stop it first: a running broker registers again.',
    '',
    '  -n, --node <id>        the broker to remove',
    '',
    GLOBAL_HELP,
  ].join('\n'),
  async run(argv) {
    const { flags, positionals } = parseFlags(argv, { node: { type: 'string', short: 'n' } });
    noExtraPositionals(positionals, 0, 'tributary cluster unregister --node <id>');
    const node = int(flags, 'node', undefined, 0, 2 ** 31 - 1);
    if (node === undefined) throw usageError('--node is required');
    return withClient(brokersFrom(flags), {}, async (client) => {
      await client.admin().unregisterBroker(node);
      console.log(`Broker ${node} unregistered.`);
      return EXIT.OK;
    });
  },
};


const logDirs: Subcommand = {
  summary: 'each broker\'s log directory and partition sizes (kafka-log-dirs)',
  help: [
    'Usage: tributary cluster log-dirs [--node <id>]… [--topic <t>]… [--json]',
    '',
    'Asks every live broker (or those named) for its log directory and, per partition it',
    'hosts, the bytes on disk and how far its log end is behind the high watermark.',
    '',
    '  -n, --node <id>        only this broker (repeatable)',
    '  -t, --topic <name>     only this topic\'s partitions (repeatable)',
    '      --json             one JSON object per broker',
    '',
    GLOBAL_HELP,
  ].join('\n'),
  async run(argv) {
    const { flags, positionals } = parseFlags(argv, { node: { type: 'string', short: 'n', multiple: true }, topic: { type: 'string', short: 't', multiple: true }, json: { type: 'boolean' } });
    noExtraPositionals(positionals, 0, 'tributary cluster log-dirs');
    const nodes = list(flags, 'node').map((raw) => parseInteger(raw, '--node', 0, 2 ** 31 - 1));
    const topics = list(flags, 'topic');
    return withClient(brokersFrom(flags), {}, async (client) => {
      const admin = client.admin();
      let wanted: Array<{ topic: string; partitions: number[] }> | undefined;
      if (topics.length > 0) {
        const metas = await admin.describeTopics(topics);
        wanted = metas.map((m) => ({ topic: m.name, partitions: m.partitions.map((p) => p.partitionId) }));
      }
      const described = await admin.describeLogDirs({ ...(nodes.length > 0 ? { brokers: nodes } : {}), ...(wanted ? { topics: wanted } : {}) });
      if (flags.json) {
        for (const b of described) console.log(JSON.stringify(b));
        return EXIT.OK;
      }
      const rows = described.flatMap((b) => b.logDirs.flatMap((d) => d.topics.flatMap((t) => t.partitions.map((p) => [b.broker, d.logDir, t.topic, p.partition, p.size, p.offsetLag] as [number, string, string, number, number, number]))));
      console.log(table(['BROKER', 'LOG DIR', 'TOPIC', 'PARTITION', 'SIZE', 'OFFSET LAG'], rows));
      return EXIT.OK;
    });
  },
};


/** Kafka's config source names (DescribeConfigsResponse). */
const SOURCES: Record<number, string> = { 1: 'DYNAMIC_TOPIC_CONFIG', 2: 'DYNAMIC_BROKER_CONFIG', 3: 'DYNAMIC_DEFAULT_BROKER_CONFIG', 4: 'STATIC_BROKER_CONFIG', 5: 'DEFAULT_CONFIG' };

const configs: Subcommand = {
  summary: 'show or change broker configs, cluster-wide or of one broker (kafka-configs --entity-type brokers)',
  help: [
    'Usage: tributary cluster configs [--node <id>] [--set <key=value>]… [--delete <key>]… [--all]',
    '',
    'Without --set or --delete, shows the broker configs (of --node, default the first live',
    'broker) that are set dynamically; --all shows every one with its source. --set and',
    '--delete change the cluster-wide default, or with --node that broker\'s own value; every',
    'broker applies the change from the metadata log. Only the broker defaults of topic',
    'configs change dynamically (log.retention.ms, log.retention.bytes, log.segment.bytes,',
    'log.roll.ms, log.cleanup.policy, compression.type, message.max.bytes, min.insync.replicas,',
    'unclean.leader.election.enable, log.message.timestamp.type).',
    '',
    '  -n, --node <id>          one broker (default: the cluster-wide default)',
    '      --set <key=value>    set a config (repeatable)',
    '      --delete <key>       remove a dynamic value (repeatable)',
    '  -a, --all                show every config, not only the dynamic ones',
    '',
    GLOBAL_HELP,
  ].join('\n'),
  async run(argv) {
    const { flags, positionals } = parseFlags(argv, { node: { type: 'string', short: 'n' }, set: { type: 'string', multiple: true }, delete: { type: 'string', multiple: true }, all: { type: 'boolean', short: 'a' } });
    noExtraPositionals(positionals, 0, 'tributary cluster configs');
    const node = int(flags, 'node', undefined, 0, 2 ** 31 - 1);
    const sets = list(flags, 'set').map((item) => {
      const i = item.indexOf('=');
      if (i <= 0) throw usageError(`--set: expected key=value, got "${item}"`);
      return { name: item.slice(0, i), value: item.slice(i + 1), operation: 0 };
    });
    const deletes = list(flags, 'delete').map((name) => ({ name, value: null, operation: 1 }));
    return withClient(brokersFrom(flags), {}, async (client) => {
      const admin = client.admin();
      if (sets.length + deletes.length > 0) {
        await admin.incrementalAlterConfigs({ resources: [{ type: 4, name: node === undefined ? '' : String(node), configEntries: [...sets, ...deletes] }] });
        console.log(`Updated the ${node === undefined ? 'cluster-wide default' : `config of broker ${node}`}: ${[...sets.map((s) => `${s.name}=${s.value}`), ...deletes.map((d) => `-${d.name}`)].join(', ')}.`);
        return EXIT.OK;
      }
      const shown = node ?? (await admin.describeCluster()).brokers[0]?.nodeId;
      if (shown === undefined) throw usageError('no live broker to describe');
      const described = await admin.describeConfigs({ resources: [{ type: 4, name: String(shown) }] });
      const entries = described.resources[0]?.configEntries ?? [];
      const rows = entries.filter((e) => flags.all || e.configSource === 2 || e.configSource === 3).map((e) => [e.configName, e.configValue ?? '', SOURCES[e.configSource] ?? String(e.configSource)] as [string, string, string]);
      if (rows.length === 0) console.log(`No dynamic configs on broker ${shown} (--all shows every config).`);
      else console.log(table(['NAME', 'VALUE', 'SOURCE'], rows));
      return EXIT.OK;
    });
  },
};

/** The subcommands this file adds to `tributary cluster`. */
export const CLUSTER_OPERATION_SUBCOMMANDS: Record<string, Subcommand> = { drain, unregister, 'log-dirs': logDirs, configs };
