/**
 * `tributary topics reassign | reassignments | elect-leaders`: moving replicas between
 * brokers and choosing leaders — the parts of kafka-reassign-partitions.sh and
 * kafka-leader-election.sh an operator needs. `reassign` takes one partition from flags or a
 * plan file in kafka-reassign-partitions' JSON format, and `--dry-run` shows the change
 * without making it.
 */
import { readFileSync } from 'node:fs';
import type { Admin } from '../../core/client/admin.ts';
import { ElectionType } from '../../core/client/admin-operations.ts';
import { KafkaCode } from '../../core/errors.ts';
import { kafkaErrorByCode } from '../../core/kafka-error-codes.ts';
import { brokersFrom, choice, GLOBAL_HELP, int, noExtraPositionals, parseFlags, parseInteger, str, topicFrom } from '../args.ts';
import { withClient } from '../connect.ts';
import { EXIT, notFoundError, usageError } from '../exit-codes.ts';
import type { Subcommand } from '../subcommands.ts';
import { table } from '../table.ts';

/** One partition's move. */
export interface PlannedMove {
  readonly topic: string;
  readonly partition: number;
  /** Target replicas, preferred leader first (null: cancel the reassignment under way). */
  readonly replicas: number[] | null;
}

/** A comma-separated broker id list (`2,3`). */
export function parseReplicaList(raw: string, what = '--replicas'): number[] {
  const ids = raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map((s) => parseInteger(s, what, 0, 2 ** 31 - 1));
  if (ids.length === 0) throw usageError(`${what}: expected broker ids such as 2,3`);
  if (new Set(ids).size !== ids.length) throw usageError(`${what}: a broker is named twice in "${raw}"`);
  return ids;
}

/** The moves of a kafka-reassign-partitions plan: `{"version":1,"partitions":[{"topic","partition","replicas"}]}`. */
export function parsePlan(text: string, file: string): PlannedMove[] {
  let plan: unknown;
  try {
    plan = JSON.parse(text);
  } catch (error) {
    throw usageError(`${file}: not JSON (${(error as Error).message})`);
  }
  const partitions = (plan as { partitions?: unknown })?.partitions;
  if (!Array.isArray(partitions) || partitions.length === 0) throw usageError(`${file}: expected {"version":1,"partitions":[{"topic":…,"partition":…,"replicas":[…]}]}`);
  return partitions.map((p: { topic?: unknown; partition?: unknown; replicas?: unknown }, i) => {
    if (typeof p?.topic !== 'string' || !Number.isInteger(p.partition)) throw usageError(`${file}: partitions[${i}] needs a topic and a partition`);
    if (p.replicas !== null && (!Array.isArray(p.replicas) || !p.replicas.every((r) => Number.isInteger(r)))) throw usageError(`${file}: partitions[${i}].replicas must be broker ids (or null to cancel)`);
    return { topic: p.topic, partition: p.partition as number, replicas: p.replicas === null ? null : [...(p.replicas as number[])] };
  });
}

/** Partitions of `moves` still being reassigned. */
async function stillMoving(admin: Admin, moves: readonly PlannedMove[]): Promise<Array<{ topic: string; partition: number }>> {
  const listed = await admin.listPartitionReassignments();
  const moving = new Set(listed.topics.flatMap((t) => t.partitions.map((p) => `${t.topic}\u0000${p.partition}`)));
  return moves.filter((m) => moving.has(`${m.topic}\u0000${m.partition}`));
}

const reassign: Subcommand = {
  summary: 'move a partition\'s replicas to other brokers (or cancel a move)',
  help: [
    'Usage: tributary topics reassign --topic <t> --partition <p> --replicas <id,id,…> [options]',
    '       tributary topics reassign --plan <file.json> [options]',
    '',
    'New replicas copy the partition from its leader and join the in-sync replicas; once',
    'every target is in sync the removed replicas stop and delete their copies. The first',
    'target is the preferred leader. Producing and consuming go on meanwhile.',
    '',
    '  -t, --topic <name>        the topic',
    '  -p, --partition <n>       the partition',
    '      --replicas <ids>      target broker ids, preferred leader first (e.g. 3,2)',
    '      --cancel              cancel the reassignment under way (back to the original replicas)',
    '      --plan <file>         a kafka-reassign-partitions plan:',
    '                            {"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[3,2]}]}',
    '      --dry-run             print the current and target replicas; change nothing',
    '      --wait                wait until the moves are done',
    '      --timeout <ms>        how long --wait waits (default 300000)',
    '',
    'Moves are not throttled (replica.alter.log.dirs / leader.replication.throttled.* are not supported).',
    '',
    GLOBAL_HELP,
  ].join('\n'),
  async run(argv) {
    const { flags, positionals } = parseFlags(argv, {
      topic: { type: 'string', short: 't' },
      partition: { type: 'string', short: 'p' },
      replicas: { type: 'string' },
      cancel: { type: 'boolean' },
      plan: { type: 'string' },
      'dry-run': { type: 'boolean' },
      wait: { type: 'boolean' },
      timeout: { type: 'string' },
    });
    const planFile = str(flags, 'plan');
    let moves: PlannedMove[];
    if (planFile !== undefined) {
      noExtraPositionals(positionals, 0, 'tributary topics reassign --plan <file>');
      if (str(flags, 'topic') || str(flags, 'replicas') || flags.cancel) throw usageError('--plan names every move: give no --topic, --replicas or --cancel with it');
      let text: string;
      try {
        text = readFileSync(planFile, 'utf8');
      } catch (error) {
        throw notFoundError(`cannot read ${planFile}: ${(error as Error).message}`);
      }
      moves = parsePlan(text, planFile);
    } else {
      const topic = topicFrom(flags, positionals, true);
      noExtraPositionals(positionals, 1, 'tributary topics reassign --topic <t> --partition <p> --replicas <ids>');
      const partition = int(flags, 'partition', undefined, 0, 2 ** 31 - 1);
      if (partition === undefined) throw usageError('--partition is required');
      const raw = str(flags, 'replicas');
      if (flags.cancel && raw !== undefined) throw usageError('give either --replicas or --cancel');
      if (!flags.cancel && raw === undefined) throw usageError('--replicas is required (or --cancel)');
      moves = [{ topic, partition, replicas: flags.cancel ? null : parseReplicaList(raw!) }];
    }
    const timeoutMs = int(flags, 'timeout', 300_000, 1);
    return withClient(brokersFrom(flags), {}, async (client) => {
      const admin = client.admin();
      const topics = [...new Set(moves.map((m) => m.topic))];
      const existing = new Set(await admin.listTopics());
      for (const t of topics) if (!existing.has(t)) throw notFoundError(`unknown topic "${t}"`, { topic: t });
      const metas = await admin.describeTopics(topics);
      const current = (m: PlannedMove) => metas.find((t) => t.name === m.topic)?.partitions.find((p) => p.partitionId === m.partition);
      for (const m of moves) if (!current(m)) throw notFoundError(`topic "${m.topic}" has no partition ${m.partition}`, { topic: m.topic, partition: m.partition });
      const rows = moves.map((m) => [m.topic, m.partition, current(m)!.replicas.join(','), m.replicas === null ? '(cancel)' : m.replicas.join(',')] as [string, number, string, string]);
      if (flags['dry-run']) {
        const known = new Set((await admin.describeCluster()).brokers.map((b) => b.nodeId));
        const unknown = moves.flatMap((m) => m.replicas ?? []).filter((id) => !known.has(id));
        console.log(table(['TOPIC', 'PARTITION', 'CURRENT', 'TARGET'], rows));
        if (unknown.length > 0) console.log(`Warning: broker(s) ${[...new Set(unknown)].join(', ')} are not among the live brokers.`);
        console.log('Dry run: nothing changed.');
        return EXIT.OK;
      }
      const byTopic = new Map<string, PlannedMove[]>();
      for (const m of moves) byTopic.set(m.topic, [...(byTopic.get(m.topic) ?? []), m]);
      await admin.alterPartitionReassignments({ topics: [...byTopic].map(([topic, ms]) => ({ topic, partitionAssignment: ms.map((m) => ({ partition: m.partition, replicas: m.replicas })) })) });
      console.log(table(['TOPIC', 'PARTITION', 'CURRENT', 'TARGET'], rows));
      console.log(moves.some((m) => m.replicas === null) ? 'Cancelled.' : 'Reassignment started.');
      if (!flags.wait) return EXIT.OK;
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const left = await stillMoving(admin, moves);
        if (left.length === 0) break;
        if (Date.now() > deadline) {
          console.error(`tributary topics reassign: ${left.length} partition(s) still moving after ${timeoutMs} ms (see \`tributary topics reassignments\`)`);
          return EXIT.FAILURE;
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      console.log('Reassignment done.');
      return EXIT.OK;
    });
  },
};

const reassignments: Subcommand = {
  summary: 'the reassignments under way',
  help: ['Usage: tributary topics reassignments [options]', '', 'One row per partition being moved: its replicas now, the ones being added and removed.', '', '      --json   one JSON object per partition', '', GLOBAL_HELP].join('\n'),
  async run(argv) {
    const { flags, positionals } = parseFlags(argv, { json: { type: 'boolean' } });
    noExtraPositionals(positionals, 0, 'tributary topics reassignments');
    return withClient(brokersFrom(flags), {}, async (client) => {
      const listed = await client.admin().listPartitionReassignments();
      const rows = listed.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, ...p })));
      if (flags.json) {
        for (const r of rows) console.log(JSON.stringify(r));
        return EXIT.OK;
      }
      if (rows.length === 0) {
        console.log('No reassignments in progress.');
        return EXIT.OK;
      }
      console.log(table(['TOPIC', 'PARTITION', 'REPLICAS', 'ADDING', 'REMOVING'], rows.map((r) => [r.topic, r.partition, r.replicas.join(','), r.addingReplicas.join(','), r.removingReplicas.join(',')])));
      return EXIT.OK;
    });
  },
};

const electLeaders: Subcommand = {
  summary: 'elect preferred (or, for leaderless partitions, unclean) leaders',
  help: [
    'Usage: tributary topics elect-leaders [--topic <t> [--partition <p>]] [--type preferred|unclean]',
    '',
    'preferred: the first replica leads again where it is in sync (after a restart, say);',
    'unclean: a leaderless partition takes any live replica as leader — acknowledged records',
    'the in-sync replicas had and it lacks are LOST. Without --topic: every partition.',
    '',
    '  -t, --topic <name>      only this topic',
    '  -p, --partition <n>     only this partition (with --topic)',
    '      --type <type>       preferred (default) or unclean',
    '',
    GLOBAL_HELP,
  ].join('\n'),
  async run(argv) {
    const { flags, positionals } = parseFlags(argv, { topic: { type: 'string', short: 't' }, partition: { type: 'string', short: 'p' }, type: { type: 'string' } });
    const topic = topicFrom(flags, positionals, false);
    noExtraPositionals(positionals, 1, 'tributary topics elect-leaders [--topic <t>]');
    const partition = int(flags, 'partition', undefined, 0, 2 ** 31 - 1);
    if (partition !== undefined && topic === undefined) throw usageError('--partition needs --topic');
    const type = choice(flags, 'type', ['preferred', 'unclean'] as const, 'preferred');
    return withClient(brokersFrom(flags), {}, async (client) => {
      const admin = client.admin();
      let partitions: Array<{ topic: string; partitions: number[] }> | undefined;
      if (topic !== undefined) {
        if (!(await admin.listTopics()).includes(topic)) throw notFoundError(`unknown topic "${topic}"`, { topic });
        const [meta] = await admin.describeTopics([topic]);
        partitions = [{ topic, partitions: partition !== undefined ? [partition] : meta!.partitions.map((p) => p.partitionId).sort((a, b) => a - b) }];
      }
      const outcome = await admin.electLeaders({ type: type === 'preferred' ? ElectionType.PREFERRED : ElectionType.UNCLEAN, ...(partitions ? { partitions } : {}) });
      const elected = outcome.filter((o) => o.errorCode === KafkaCode.NONE);
      const failed = outcome.filter((o) => o.errorCode !== KafkaCode.NONE && o.errorCode !== KafkaCode.ELECTION_NOT_NEEDED);
      const notNeeded = outcome.filter((o) => o.errorCode === KafkaCode.ELECTION_NOT_NEEDED);
      for (const o of elected) console.log(`Elected a leader for ${o.topic}-${o.partition}.`);
      for (const o of notNeeded) console.log(`${o.topic}-${o.partition}: election not needed.`);
      for (const o of failed) console.error(`${o.topic}-${o.partition}: ${kafkaErrorByCode(o.errorCode)?.name ?? `error ${o.errorCode}`}${o.errorMessage ? ` (${o.errorMessage})` : ''}`);
      if (outcome.length === 0) console.log('Every partition is led by its preferred replica: nothing to elect.');
      return failed.length > 0 ? EXIT.FAILURE : EXIT.OK;
    });
  },
};

/** The subcommands this file adds to `tributary topics`. */
export const TOPIC_OPERATION_SUBCOMMANDS: Record<string, Subcommand> = { reassign, reassignments, 'elect-leaders': electLeaders };
