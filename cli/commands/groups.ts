/**
 * `tributary groups`: list, describe (members, assignments, committed offsets, lag),
 * reset offsets (a dry run unless --execute, as kafka-consumer-groups.sh) and delete.
 */
import type { Admin } from '../../core/client/admin.ts';
import { brokersFrom, GLOBAL_HELP, list, noExtraPositionals, parseFlags, parseInteger, str, type Flags } from '../args.ts';
import { withClient } from '../connect.ts';
import { EXIT, notFoundError, usageError } from '../exit-codes.ts';
import { withSubcommands, type Subcommand } from '../subcommands.ts';
import { table } from '../table.ts';

const GROUP_HELP = '  -g, --group <id>             the group (or give it as the first argument)';

function groupFrom(flags: Flags, positionals: string[]): string {
  const flag = str(flags, 'group');
  if (flag !== undefined && positionals.length > 0 && positionals[0] !== flag) throw usageError(`two groups given ("${flag}" and "${positionals[0]}"); give one`);
  const group = flag ?? positionals[0];
  if (group === undefined || group === '') throw usageError('a group is required (--group <id> or as the first argument)');
  return group;
}

/** True when the cluster knows the group (listed by some broker). */
async function groupExists(admin: Admin, group: string): Promise<boolean> {
  const { groups } = await admin.listGroups();
  return groups.some((g) => g.groupId === group);
}

async function requireGroup(admin: Admin, group: string): Promise<void> {
  if (!(await groupExists(admin, group))) throw notFoundError(`unknown group "${group}"`, { group });
}

const listGroups: Subcommand = {
  summary: 'list consumer groups',
  help: ['Usage: tributary groups list [options]', '', 'Prints one group id per line.', '', '  -l, --long   also state, protocol type and member count', '', GLOBAL_HELP].join('\n'),
  async run(argv) {
    const { flags, positionals } = parseFlags(argv, { long: { type: 'boolean', short: 'l' } });
    noExtraPositionals(positionals, 0, 'tributary groups list');
    return withClient(brokersFrom(flags), {}, async (client) => {
      const admin = client.admin();
      const { groups } = await admin.listGroups();
      if (!flags.long) {
        if (groups.length > 0) console.log(groups.map((g) => g.groupId).join('\n'));
        return EXIT.OK;
      }
      const described = groups.length === 0 ? [] : (await admin.describeGroups(groups.map((g) => g.groupId))).groups;
      console.log(table(['GROUP', 'STATE', 'TYPE', 'MEMBERS'], groups.map((g) => [g.groupId, g.state || '-', g.protocolType || '-', described.find((d) => d.groupId === g.groupId)?.members.length ?? 0])));
      return EXIT.OK;
    });
  },
};

const describe: Subcommand = {
  summary: 'members, assignments, committed offsets and lag of a group',
  help: [
    'Usage: tributary groups describe <group> [options]',
    '',
    'For each partition the group has committed to or is assigned: the committed offset,',
    'the log end offset, the lag, and the member that owns it (as kafka-consumer-groups.sh).',
    '',
    GROUP_HELP,
    '      --members                list members with their assignments instead',
    '      --json                   one JSON object: state, members, offsets',
    '',
    GLOBAL_HELP,
  ].join('\n'),
  async run(argv) {
    const { flags, positionals } = parseFlags(argv, { group: { type: 'string', short: 'g' }, members: { type: 'boolean' }, json: { type: 'boolean' } });
    const group = groupFrom(flags, positionals);
    noExtraPositionals(positionals, 1, 'tributary groups describe <group>');
    return withClient(brokersFrom(flags), {}, async (client) => {
      const admin = client.admin();
      await requireGroup(admin, group);
      const [desc] = (await admin.describeGroups([group])).groups;
      const offsets = await admin.fetchOffsets({ groupId: group });
      const owner = new Map<string, { memberId: string; clientId: string; clientHost: string }>();
      for (const m of desc!.members) for (const tp of m.assignment) owner.set(`${tp.topic}\u0000${tp.partition}`, m);
      // Assigned partitions without a commit yet still get a row.
      const rows = offsets.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, ...p })));
      for (const m of desc!.members) {
        for (const tp of m.assignment) {
          if (!rows.some((r) => r.topic === tp.topic && r.partition === tp.partition)) rows.push({ topic: tp.topic, partition: tp.partition, offset: -1, metadata: null, high: -1, lag: null });
        }
      }
      // Those rows still get their log end offset (lag stays unknown until a commit), as
      // kafka-consumer-groups.sh shows it.
      for (const topic of new Set(rows.filter((r) => r.high < 0).map((r) => r.topic))) {
        const ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, o.high]));
        for (const r of rows) if (r.topic === topic && r.high < 0) r.high = ends.get(r.partition) ?? -1;
      }
      rows.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
      if (flags.json) {
        console.log(JSON.stringify({
          group,
          state: desc!.state,
          protocolType: desc!.protocolType,
          protocol: desc!.protocol,
          members: desc!.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, host: m.clientHost, topics: m.topics, assignment: m.assignment })),
          offsets: rows.map((r) => ({ topic: r.topic, partition: r.partition, committed: r.offset, logEnd: r.high, lag: r.lag, memberId: owner.get(`${r.topic}\u0000${r.partition}`)?.memberId ?? null })),
        }));
        return EXIT.OK;
      }
      const totalLag = rows.reduce((n, r) => n + (r.lag ?? 0), 0);
      console.log(`Group: ${group}  State: ${desc!.state}  Protocol: ${desc!.protocol || '-'}  Members: ${desc!.members.length}  Total lag: ${totalLag}`);
      if (flags.members) {
        console.log(table(['MEMBER-ID', 'CLIENT-ID', 'HOST', 'TOPICS', 'ASSIGNMENT'], desc!.members.map((m) => [
          m.memberId, m.clientId, m.clientHost, m.topics.join(',') || '-',
          m.assignment.map((tp) => `${tp.topic}:${tp.partition}`).join(',') || '-',
        ])));
        return EXIT.OK;
      }
      if (rows.length === 0) {
        console.log('No committed offsets and no assigned partitions.');
        return EXIT.OK;
      }
      console.log(table(['TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'], rows.map((r) => {
        const m = owner.get(`${r.topic}\u0000${r.partition}`);
        return [r.topic, r.partition, r.offset < 0 ? '-' : r.offset, r.high < 0 ? '-' : r.high, r.lag ?? '-', m?.memberId ?? '-', m?.clientHost ?? '-', m?.clientId ?? '-'];
      })));
      return EXIT.OK;
    });
  },
};

/** Where `groups reset` moves offsets. */
type ResetTarget = { kind: 'earliest' } | { kind: 'latest' } | { kind: 'timestamp'; timestamp: number } | { kind: 'offset'; offset: number } | { kind: 'shift'; by: number };

function resetTargetFrom(flags: Flags): ResetTarget {
  const targets: ResetTarget[] = [];
  if (flags['to-earliest']) targets.push({ kind: 'earliest' });
  if (flags['to-latest']) targets.push({ kind: 'latest' });
  const ts = str(flags, 'to-timestamp');
  if (ts !== undefined) targets.push({ kind: 'timestamp', timestamp: parseInteger(ts, '--to-timestamp') });
  const dt = str(flags, 'to-datetime');
  if (dt !== undefined) {
    const ms = Date.parse(dt);
    if (!Number.isFinite(ms) || ms < 0) throw usageError(`--to-datetime: expected an ISO date-time such as 2026-01-31T12:00:00Z, got "${dt}"`);
    targets.push({ kind: 'timestamp', timestamp: ms });
  }
  const off = str(flags, 'to-offset');
  if (off !== undefined) targets.push({ kind: 'offset', offset: parseInteger(off, '--to-offset') });
  const shift = str(flags, 'shift-by');
  if (shift !== undefined) targets.push({ kind: 'shift', by: parseInteger(shift, '--shift-by', Number.MIN_SAFE_INTEGER) });
  if (targets.length !== 1) throw usageError(`give exactly one of --to-earliest, --to-latest, --to-datetime, --to-timestamp, --to-offset, --shift-by${targets.length > 1 ? ` (got ${targets.length})` : ''}`);
  return targets[0]!;
}

const reset: Subcommand = {
  summary: 'move a group\'s committed offsets (dry run unless --execute)',
  help: [
    'Usage: tributary groups reset <group> (--topic <t>… | --all-topics) <target> [--execute]',
    '',
    'Shows the new offsets; applies them only with --execute. The group must have no',
    'active members (stop its consumers first), as with kafka-consumer-groups.sh.',
    '',
    GROUP_HELP,
    '  -t, --topic <name>           a topic to reset (repeatable)',
    '      --all-topics             every topic the group has committed offsets for',
    '  -p, --partition <n>          only these partitions (repeatable; with one --topic)',
    'Target (exactly one):',
    '      --to-earliest            the start of each partition',
    '      --to-latest              the end of each partition',
    '      --to-datetime <iso>      the first offset at or after a date-time (2026-01-31T12:00:00Z)',
    '      --to-timestamp <ms>      the first offset at or after a timestamp in ms',
    '      --to-offset <n>          this offset (kept within each partition\'s range)',
    '      --shift-by <n>           the committed offset plus n (n may be negative)',
    '      --execute                apply the change (default: dry run)',
    '',
    GLOBAL_HELP,
  ].join('\n'),
  async run(argv) {
    const { flags, positionals } = parseFlags(argv, {
      group: { type: 'string', short: 'g' },
      topic: { type: 'string', short: 't', multiple: true },
      'all-topics': { type: 'boolean' },
      partition: { type: 'string', short: 'p', multiple: true },
      'to-earliest': { type: 'boolean' },
      'to-latest': { type: 'boolean' },
      'to-datetime': { type: 'string' },
      'to-timestamp': { type: 'string' },
      'to-offset': { type: 'string' },
      'shift-by': { type: 'string' },
      execute: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
    });
    const group = groupFrom(flags, positionals);
    noExtraPositionals(positionals, 1, 'tributary groups reset <group>');
    const target = resetTargetFrom(flags);
    const topicsGiven = list(flags, 'topic');
    if (topicsGiven.length > 0 === (flags['all-topics'] === true)) throw usageError('give --topic <name> (repeatable) or --all-topics');
    if (flags.execute && flags['dry-run']) throw usageError('--execute and --dry-run exclude each other');
    const partitions = list(flags, 'partition').map((p) => parseInteger(p, '--partition', 0, 2_147_483_647));
    if (partitions.length > 0 && topicsGiven.length !== 1) throw usageError('--partition needs exactly one --topic');
    return withClient(brokersFrom(flags), {}, async (client) => {
      const admin = client.admin();
      const committed = await admin.fetchOffsets({ groupId: group });
      const existingTopics = new Set(await admin.listTopics());
      let topics = topicsGiven;
      if (flags['all-topics']) {
        topics = committed.map((t) => t.topic).filter((t) => existingTopics.has(t));
        if (topics.length === 0) throw notFoundError(`group "${group}" has no committed offsets to reset (name topics with --topic)`, { group });
      }
      for (const t of topics) if (!existingTopics.has(t)) throw notFoundError(`unknown topic "${t}"`, { topic: t });
      const plan: Array<{ topic: string; partition: number; current: number; next: number }> = [];
      for (const topic of topics) {
        const ranges = await admin.fetchTopicOffsets(topic);
        const byTime = target.kind === 'timestamp' ? await admin.fetchTopicOffsetsByTimestamp(topic, target.timestamp) : [];
        for (const r of ranges.sort((a, b) => a.partition - b.partition)) {
          if (partitions.length > 0 && !partitions.includes(r.partition)) continue;
          const current = committed.find((c) => c.topic === topic)?.partitions.find((p) => p.partition === r.partition)?.offset ?? -1;
          let next: number;
          switch (target.kind) {
            case 'earliest': next = r.low; break;
            case 'latest': next = r.high; break;
            case 'timestamp': next = byTime.find((x) => x.partition === r.partition)?.offset ?? r.high; break;
            case 'offset': next = target.offset; break;
            case 'shift': next = (current < 0 ? r.low : current) + target.by; break;
          }
          plan.push({ topic, partition: r.partition, current, next: Math.min(Math.max(next, r.low), r.high) });
        }
      }
      for (const p of partitions) {
        if (!plan.some((x) => x.partition === p)) throw notFoundError(`topic "${topics[0]}" has no partition ${p}`, { topic: topics[0], partition: p });
      }
      const [desc] = (await admin.describeGroups([group])).groups;
      const state = desc?.state ?? 'Dead';
      console.log(table(['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'NEW-OFFSET'], plan.map((p) => [group, p.topic, p.partition, p.current < 0 ? '-' : p.current, p.next])));
      if (!flags.execute) {
        const active = state !== 'Empty' && state !== 'Dead';
        console.log(`\nDry run: nothing changed. Add --execute to apply.${active ? ` (The group is ${state}: stop its consumers first, or --execute will fail.)` : ''}`);
        return EXIT.OK;
      }
      for (const topic of topics) {
        const mine = plan.filter((p) => p.topic === topic);
        if (mine.length > 0) await admin.setOffsets({ groupId: group, topic, partitions: mine.map((p) => ({ partition: p.partition, offset: p.next })) });
      }
      console.log(`\nReset ${plan.length} partition offset(s) of group "${group}".`);
      return EXIT.OK;
    });
  },
};

const del: Subcommand = {
  summary: 'delete groups and their committed offsets',
  help: ['Usage: tributary groups delete <group>… [options]', '', 'A group with active members cannot be deleted (stop its consumers first).', '', GROUP_HELP.replace('the group', 'a group (repeatable)'), '', GLOBAL_HELP].join('\n'),
  async run(argv) {
    const { flags, positionals } = parseFlags(argv, { group: { type: 'string', short: 'g', multiple: true } });
    const groups = [...list(flags, 'group'), ...positionals];
    if (groups.length === 0) throw usageError('a group is required (--group <id> or as an argument)');
    return withClient(brokersFrom(flags), {}, async (client) => {
      const admin = client.admin();
      for (const g of groups) await requireGroup(admin, g);
      await admin.deleteGroups(groups);
      for (const g of groups) console.log(`Deleted group "${g}".`);
      return EXIT.OK;
    });
  },
};

/** The `tributary groups` command. */
export const groupsCommand = withSubcommands('groups', 'List, describe, reset and delete consumer groups.', { list: listGroups, describe, reset, delete: del }, { ls: 'list', rm: 'delete', 'reset-offsets': 'reset' });
