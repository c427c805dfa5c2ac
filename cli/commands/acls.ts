/**
 * `tributary acls`: list, add and remove ACLs — kafka-acls.sh's flags (`--allow-principal
 * User:alice --operation read --topic t --resource-pattern-type prefixed`), against a
 * broker started with `--authorizer standard`. The caller needs DESCRIBE (list) or ALTER
 * (add, remove) on the cluster, or to be a super user.
 */
import type { AclBinding, AclOperation, AclPatternType, AclResourceType } from '../../core/contracts/authorizer.ts';
import type { AclFilter } from '../../core/client/admin.ts';
import { kafkaName } from '../../core/broker/acl/acl-wire.ts';
import { brokersFrom, GLOBAL_HELP, list, noExtraPositionals, parseFlags, str, type Flags } from '../args.ts';
import { withClient } from '../connect.ts';
import { EXIT, usageError } from '../exit-codes.ts';
import { withSubcommands, type Subcommand } from '../subcommands.ts';
import { table } from '../table.ts';

const OPERATIONS: readonly AclOperation[] = ['all', 'read', 'write', 'create', 'delete', 'alter', 'describe', 'cluster-action', 'describe-configs', 'alter-configs', 'idempotent-write'];

const RESOURCE_FLAGS = {
  topic: { type: 'string', short: 't', multiple: true },
  group: { type: 'string', short: 'g', multiple: true },
  'transactional-id': { type: 'string', multiple: true },
  cluster: { type: 'boolean' },
  'resource-pattern-type': { type: 'string' },
} as const;

const RESOURCE_HELP = [
  '  -t, --topic <name>                 a topic (repeatable; `*` is every topic)',
  '  -g, --group <name>                 a consumer group (repeatable)',
  '      --transactional-id <id>        a transactional id (repeatable)',
  '      --cluster                      the cluster itself',
  '      --resource-pattern-type <type> literal (default) | prefixed; list and remove also take any | match',
];

/** An operation as typed (`read`, `DESCRIBE_CONFIGS`, `describe-configs`). */
function operationOf(raw: string): AclOperation {
  const op = raw.toLowerCase().replace(/_/g, '-') as AclOperation;
  if (!OPERATIONS.includes(op)) throw usageError(`--operation: expected one of ${OPERATIONS.join(', ')}, got "${raw}"`);
  return op;
}

function principalOf(raw: string, flag: string): string {
  if (!/^[^:]+:.+$/.test(raw)) throw usageError(`${flag}: expected Type:name (e.g. User:alice), got "${raw}"`);
  return raw;
}

/** The resources the flags name, each as type and name. */
function resourcesOf(flags: Flags): Array<{ resourceType: AclResourceType; resourceName: string }> {
  return [
    ...list(flags, 'topic').map((resourceName) => ({ resourceType: 'topic' as const, resourceName })),
    ...list(flags, 'group').map((resourceName) => ({ resourceType: 'group' as const, resourceName })),
    ...list(flags, 'transactional-id').map((resourceName) => ({ resourceType: 'transactional-id' as const, resourceName })),
    ...(flags.cluster ? [{ resourceType: 'cluster' as const, resourceName: 'kafka-cluster' }] : []),
  ];
}

function patternOf(flags: Flags, allowFilters: boolean, fallback: AclPatternType | 'any'): AclPatternType | 'any' | 'match' {
  const raw = str(flags, 'resource-pattern-type')?.toLowerCase();
  if (raw === undefined) return fallback;
  const allowed = allowFilters ? ['literal', 'prefixed', 'any', 'match'] : ['literal', 'prefixed'];
  if (!allowed.includes(raw)) throw usageError(`--resource-pattern-type: expected one of ${allowed.join(', ')}, got "${raw}"`);
  return raw as AclPatternType | 'any' | 'match';
}

function print(acls: readonly AclBinding[], json: boolean): void {
  if (json) {
    for (const acl of acls) console.log(JSON.stringify(acl));
    return;
  }
  if (acls.length === 0) return;
  const rows = acls.map((a) => [a.principal, a.host, kafkaName(a.permission), kafkaName(a.operation), kafkaName(a.resourceType), a.resourceName, kafkaName(a.patternType)]);
  console.log(table(['PRINCIPAL', 'HOST', 'PERMISSION', 'OPERATION', 'RESOURCE', 'NAME', 'PATTERN'], rows));
}

const add: Subcommand = {
  summary: 'add ACLs (every principal × host × operation × resource given)',
  help: [
    'Usage: tributary acls add --allow-principal <p> | --deny-principal <p> [options] <resource>',
    '',
    '  tributary acls add --allow-principal User:alice --operation read --operation write --topic orders',
    '  tributary acls add --allow-principal User:alice --operation read --group app- --resource-pattern-type prefixed',
    '',
    '      --allow-principal <Type:name>  principal allowed (repeatable; User:* is everyone)',
    '      --deny-principal <Type:name>   principal denied (repeatable; a DENY beats any ALLOW)',
    '      --allow-host <ip>              host of the allow ACLs (default *)',
    '      --deny-host <ip>               host of the deny ACLs (default *)',
    `      --operation <op>               ${OPERATIONS.join(' | ')} (repeatable; default all)`,
    ...RESOURCE_HELP,
    '',
    GLOBAL_HELP,
  ].join('\n'),
  async run(argv) {
    const { flags, positionals } = parseFlags(argv, {
      ...RESOURCE_FLAGS,
      'allow-principal': { type: 'string', multiple: true },
      'deny-principal': { type: 'string', multiple: true },
      'allow-host': { type: 'string', multiple: true },
      'deny-host': { type: 'string', multiple: true },
      operation: { type: 'string', multiple: true },
    });
    noExtraPositionals(positionals, 0, 'tributary acls add');
    const resources = resourcesOf(flags);
    if (resources.length === 0) throw usageError('name a resource: --topic, --group, --transactional-id or --cluster');
    const allow = list(flags, 'allow-principal').map((p) => principalOf(p, '--allow-principal'));
    const deny = list(flags, 'deny-principal').map((p) => principalOf(p, '--deny-principal'));
    if (allow.length + deny.length === 0) throw usageError('name a principal: --allow-principal or --deny-principal');
    const operations = list(flags, 'operation').map(operationOf);
    const patternType = patternOf(flags, false, 'literal') as AclPatternType;
    const acls: AclBinding[] = [];
    const hostsOf = (name: string) => (list(flags, name).length > 0 ? list(flags, name) : ['*']);
    for (const [permission, principals, hosts] of [['allow', allow, hostsOf('allow-host')], ['deny', deny, hostsOf('deny-host')]] as const) {
      for (const principal of principals) for (const host of hosts) for (const operation of operations.length > 0 ? operations : ['all' as const]) {
        for (const r of resources) acls.push({ principal, host, ...r, patternType, operation, permission });
      }
    }
    return withClient(brokersFrom(flags), {}, async (client) => {
      await client.admin().createAcls({ acls });
      console.log(`Added ${acls.length} ACL(s):`);
      print(acls, false);
      return EXIT.OK;
    });
  },
};

/** The filters list and remove use: one per resource given, or one for every resource. */
function filtersOf(flags: Flags): AclFilter[] {
  const resources = resourcesOf(flags);
  const principal = str(flags, 'principal');
  const host = str(flags, 'host');
  const operations = list(flags, 'operation').map(operationOf);
  const base: AclFilter = {
    ...(principal !== undefined ? { principal: principalOf(principal, '--principal') } : {}),
    ...(host !== undefined ? { host } : {}),
  };
  const withOps = (f: AclFilter): AclFilter[] => (operations.length === 0 ? [f] : operations.map((operation) => ({ ...f, operation })));
  if (resources.length === 0) return withOps({ ...base, patternType: patternOf(flags, true, 'any') });
  const patternType = patternOf(flags, true, 'literal');
  return resources.flatMap((r) => withOps({ ...base, ...r, patternType }));
}

const FILTER_FLAGS = {
  ...RESOURCE_FLAGS,
  principal: { type: 'string' },
  host: { type: 'string' },
  operation: { type: 'string', multiple: true },
} as const;

const FILTER_HELP = [
  '      --principal <Type:name>        only this principal\'s ACLs',
  '      --host <ip>                    only ACLs of this host',
  '      --operation <op>               only ACLs of this operation (repeatable)',
  ...RESOURCE_HELP,
];

const listAcls: Subcommand = {
  summary: 'list ACLs (all, or those of a resource or principal)',
  help: [
    'Usage: tributary acls list [options]',
    '',
    'Without a resource, lists the ACLs of every resource. With --resource-pattern-type match and a',
    'resource, lists every ACL that applies to it (literal, * and prefixed ones).',
    '',
    ...FILTER_HELP,
    '      --json                         one JSON object per ACL',
    '',
    GLOBAL_HELP,
  ].join('\n'),
  async run(argv) {
    const { flags, positionals } = parseFlags(argv, { ...FILTER_FLAGS, json: { type: 'boolean' } });
    noExtraPositionals(positionals, 0, 'tributary acls list');
    const filters = filtersOf(flags);
    return withClient(brokersFrom(flags), {}, async (client) => {
      const found: AclBinding[] = [];
      for (const filter of filters) found.push(...(await client.admin().describeAcls(filter)));
      print(found, flags.json === true);
      return EXIT.OK;
    });
  },
};

const remove: Subcommand = {
  summary: 'remove the ACLs that match (of a resource, principal, operation…)',
  help: [
    'Usage: tributary acls remove [options]',
    '',
    '  tributary acls remove --principal User:alice --topic orders',
    '',
    ...FILTER_HELP,
    '',
    'Without any of them, nothing is removed unless --all is given.',
    '      --all                          remove every ACL',
    '',
    GLOBAL_HELP,
  ].join('\n'),
  async run(argv) {
    const { flags, positionals } = parseFlags(argv, { ...FILTER_FLAGS, all: { type: 'boolean' } });
    noExtraPositionals(positionals, 0, 'tributary acls remove');
    const narrowed = resourcesOf(flags).length > 0 || str(flags, 'principal') !== undefined || str(flags, 'host') !== undefined || list(flags, 'operation').length > 0;
    if (!narrowed && !flags.all) throw usageError('say which ACLs to remove (--principal, --topic, …), or --all for every one');
    return withClient(brokersFrom(flags), {}, async (client) => {
      const results = await client.admin().deleteAcls({ filters: filtersOf(flags) });
      const removed = results.flatMap((r) => r.deleted);
      console.log(`Removed ${removed.length} ACL(s)${removed.length > 0 ? ':' : '.'}`);
      print(removed, false);
      return EXIT.OK;
    });
  },
};

/** The `tributary acls` command. */
export const aclsCommand = withSubcommands('acls', 'List, add and remove ACLs (brokers started with --authorizer standard).', { list: listAcls, add, remove }, { ls: 'list', rm: 'remove', '--list': 'list', '--add': 'add', '--remove': 'remove' });
