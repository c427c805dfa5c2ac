/**
 * Generates core/protocol/generated/*.ts from Apache Kafka's JSON message definitions
 * (../shared/kafka-protocol/messages, relative to the repository root): for each API we
 * implement, the runtime schema the generic codec reads and writes, and the TypeScript
 * types of its request and response; plus index.ts with `ApiKey`, `ALL_SCHEMAS`,
 * `SCHEMAS` and the `Messages` map from API key to request/response types.
 *
 * The generated files are committed, so a clone builds without ../shared.
 *
 *   npm run generate:protocol              writes the files
 *   npm run generate:protocol -- --check   exits 1 when a file is missing or stale
 *
 * Value conventions of the generated types follow the codec (see core/protocol/index.ts):
 * int64 decodes to number, uuid to a string, bytes and records to Uint8Array views.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Where Kafka's definitions are read from. */
export const MESSAGES_DIR = resolve(root, '../shared/kafka-protocol/messages');
/** Where the generated files go. */
export const OUTPUT_DIR = resolve(root, 'core/protocol/generated');

/** The APIs we implement, each with one line saying what it is for (our words). */
const APIS: ReadonlyArray<readonly [name: string, about: string]> = [
  ['Produce', 'appends record batches to partitions'],
  ['Fetch', 'reads record batches from partitions (long poll)'],
  ['ListOffsets', 'offsets by timestamp: earliest (-2), latest (-1) or the first at a time'],
  ['Metadata', 'brokers, topics, partitions, leaders and replicas of the cluster'],
  ['OffsetCommit', 'commits consumed offsets for a group'],
  ['OffsetFetch', 'reads committed offsets of one group (or several, from v8)'],
  ['FindCoordinator', 'which broker coordinates a group or a transactional id'],
  ['JoinGroup', 'a member joins a consumer group (starts or takes part in a rebalance)'],
  ['Heartbeat', 'keeps a group member alive and tells it when to rejoin'],
  ['LeaveGroup', 'members leave a group'],
  ['SyncGroup', 'the leader sends the assignment; every member receives its own'],
  ['DescribeGroups', 'the state, protocol and members of groups'],
  ['ListGroups', 'the groups the coordinator knows'],
  ['SaslHandshake', 'chooses a SASL mechanism'],
  ['ApiVersions', 'which API versions the broker serves (the handshake every client sends first)'],
  ['CreateTopics', 'creates topics with partitions, replication factor and configs'],
  ['DeleteTopics', 'deletes topics by name (or id from v6)'],
  ['InitProducerId', 'assigns a producer id and epoch (idempotent and transactional producers)'],
  ['DescribeConfigs', 'reads topic and broker configs'],
  ['AlterConfigs', 'replaces topic and broker configs (non-incremental)'],
  ['SaslAuthenticate', 'carries SASL authentication bytes'],
  ['CreatePartitions', 'raises the partition count of topics'],
  ['DeleteRecords', 'moves partitions\' log start offsets forward (deletes records before an offset)'],
  ['DeleteGroups', 'deletes empty groups and their committed offsets'],
  ['IncrementalAlterConfigs', 'sets, deletes, appends to or subtracts from single configs (what kafka-configs.sh sends)'],
  ['OffsetDelete', 'deletes a group\'s committed offsets of partitions it no longer consumes'],
  ['DescribeCluster', 'the cluster id, controller and brokers'],
  ['AlterPartition', 'a partition leader proposes a new in-sync replica set to the controller (inter-broker)'],
  ['BrokerRegistration', 'a broker registers with the active controller at start-up (inter-broker)'],
  ['BrokerHeartbeat', 'a broker keeps its registration alive and learns whether it is fenced (inter-broker)'],
  ['AllocateProducerIds', 'a broker takes a block of producer ids from the controller (inter-broker)'],
  ['OffsetForLeaderEpoch', 'the end offset of a leader epoch in a partition (followers and clients find where logs diverged)'],
  ['Vote', 'a candidate asks the controller quorum\'s voters for their vote in an epoch (Raft, KIP-595)'],
  ['BeginQuorumEpoch', 'a newly elected quorum leader tells the voters it leads an epoch (Raft, KIP-595)'],
  ['EndQuorumEpoch', 'a quorum leader that steps down asks the voters to elect another at once (Raft, KIP-595)'],
  ['DescribeQuorum', 'the controller quorum: leader, epoch, high watermark and each voter\'s and observer\'s progress'],
  ['FetchSnapshot', 'a quorum follower or observer reads a snapshot of the metadata log (Raft, KIP-630)'],
  ['ElectLeaders', 'runs a preferred (or unclean) leader election for partitions'],
  ['AlterPartitionReassignments', 'starts or cancels moving partitions\' replicas to other brokers'],
  ['ListPartitionReassignments', 'the reassignments in progress'],
  ['DescribeLogDirs', 'the log directories of a broker and the size of each partition in them'],
  ['DescribeAcls', 'the access control entries that match a filter'],
  ['CreateAcls', 'adds access control entries'],
  ['DeleteAcls', 'removes the access control entries that match filters'],
  ['DescribeUserScramCredentials', 'which SCRAM mechanisms and iterations users have (never the secrets)'],
  ['AlterUserScramCredentials', 'sets or deletes users\' salted SCRAM credentials'],
  ['UnregisterBroker', 'removes a broker\'s registration from the cluster (decommission)'],
];

/** Free-standing data formats (never flexible) that go in consumer-protocol.ts. */
const DATA: ReadonlyArray<readonly [name: string, schemaName: string, about: string]> = [
  ['ConsumerProtocolSubscription', 'consumerSubscriptionSchema', 'the subscription a member sends in JoinGroup (protocol metadata)'],
  ['ConsumerProtocolAssignment', 'consumerAssignmentSchema', 'the assignment the leader sends in SyncGroup'],
];

interface KafkaField {
  name: string;
  type: string;
  versions: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number;
  default?: string | number | boolean;
  about?: string;
  fields?: KafkaField[];
}

interface KafkaMessage {
  apiKey?: number;
  name: string;
  validVersions: string;
  flexibleVersions: string;
  fields: KafkaField[];
  commonStructs?: Array<{ name: string; versions: string; fields: KafkaField[] }>;
}

const PRIMITIVES = new Set(['int8', 'int16', 'int32', 'int64', 'uint16', 'uint32', 'float64', 'bool', 'string', 'bytes', 'records', 'uuid']);
const NUMERIC = new Set(['int8', 'int16', 'int32', 'int64', 'uint16', 'uint32', 'float64']);

const TS_TYPES: Record<string, string> = {
  int8: 'number', int16: 'number', int32: 'number', int64: 'number', uint16: 'number', uint32: 'number', float64: 'number',
  bool: 'boolean', string: 'string', bytes: 'Uint8Array', records: 'Uint8Array', uuid: 'string',
};

function load(dir: string, name: string): KafkaMessage {
  const text = readFileSync(join(dir, `${name}.json`), 'utf8');
  // Kafka's files carry `//` comment lines (the license, version notes): not JSON.
  return JSON.parse(text.split('\n').filter((line) => !/^\s*\/\//.test(line)).join('\n')) as KafkaMessage;
}

function parseRange(range: string): [number, number] {
  if (range === 'none') return [1, 0];
  let m = /^(\d+)\+$/.exec(range);
  if (m) return [Number(m[1]), Infinity];
  m = /^(\d+)-(\d+)$/.exec(range);
  if (m) return [Number(m[1]), Number(m[2])];
  m = /^(\d+)$/.exec(range);
  if (m) return [Number(m[1]), Number(m[1])];
  throw new Error(`bad version range ${range}`);
}

function overlaps(range: string | undefined, [min, max]: [number, number]): boolean {
  if (range === undefined) return false;
  const [a, b] = parseRange(range);
  return a <= max && b >= min;
}

const lower = (s: string) => s[0]!.toLowerCase() + s.slice(1);
const kebab = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const human = (range: string) => range.replace('-', '–');

/** The explicit default the codec needs: numeric or boolean, and not the codec's own 0 / false. */
function defaultOf(field: KafkaField): number | boolean | undefined {
  if (field.default === undefined || !(NUMERIC.has(field.type) || field.type === 'bool')) return undefined;
  const value = field.type === 'bool' ? field.default === true || field.default === 'true' : Number(field.default);
  if (value === 0 || value === false) return undefined;
  if (typeof value === 'number' && !Number.isFinite(value)) throw new Error(`bad default ${field.default} of ${field.name}`);
  return value;
}

interface Context {
  readonly range: [number, number];
  readonly flexible: boolean;
  readonly common: Map<string, KafkaField[]>;
  /** Prefix of the struct type names (`ProduceRequest`). */
  readonly prefix: string;
  /** Struct interfaces of this message, by type name, in order of first use. */
  readonly structs: Map<string, string>;
}

function structFields(field: KafkaField, base: string, ctx: Context): KafkaField[] {
  const sub = field.fields ?? ctx.common.get(base);
  if (!sub) throw new Error(`struct ${base} (field ${field.name}) not found`);
  return sub;
}

/** The schema literal of `fields` (f/a/s calls), indented by `depth`. */
function schemaOf(fields: KafkaField[], ctx: Context, depth: number, used: Set<string>): string {
  const pad = '  '.repeat(depth);
  const lines: string[] = [];
  for (const field of fields) {
    if (!overlaps(field.versions, ctx.range)) continue;
    const isArray = field.type.startsWith('[]');
    const base = isArray ? field.type.slice(2) : field.type;
    const options: string[] = [];
    if (field.nullableVersions !== undefined && overlaps(field.nullableVersions, ctx.range)) options.push(`nullable: ${quote(field.nullableVersions)}`);
    if (field.taggedVersions !== undefined && ctx.flexible) {
      options.push(`tag: ${field.tag}`, `tagged: ${quote(field.taggedVersions)}`);
    }
    const def = defaultOf(field);
    if (def !== undefined) options.push(`default: ${def}`);
    const opts = options.length > 0 ? `, { ${options.join(', ')} }` : '';
    const name = quote(lower(field.name));
    if (PRIMITIVES.has(base)) {
      used.add('f');
      lines.push(`${pad}f(${name}, ${quote(field.type)}, ${quote(field.versions)}${opts}),`);
    } else {
      const helper = isArray ? 'a' : 's';
      used.add(helper);
      const inner = schemaOf(structFields(field, base, ctx), ctx, depth + 1, used);
      lines.push(`${pad}${helper}(${name}, ${quote(field.versions)}, [\n${inner}\n${pad}]${opts}),`);
    }
  }
  return lines.join('\n');
}

function doc(text: string, pad: string): string {
  const clean = text.replace(/\*\//g, '*\\/').replace(/\s+/g, ' ').trim().replace(/([^.])$/, '$1.');
  return `${pad}/** ${clean} */`;
}

function fieldNote(field: KafkaField, ctx: Context): string {
  const notes = [`Versions ${human(field.versions)}`];
  if (field.nullableVersions !== undefined && overlaps(field.nullableVersions, ctx.range)) notes.push(`nullable ${human(field.nullableVersions)}`);
  if (field.taggedVersions !== undefined && ctx.flexible) notes.push(`tagged ${human(field.taggedVersions)} (tag ${field.tag})`);
  const def = defaultOf(field);
  if (def !== undefined) notes.push(`default ${def}`);
  const about = (field.about ?? '').trim().replace(/\.?$/, '.');
  return `${about === '.' ? '' : `${about} `}${notes.join(', ')}.`;
}

/** Adds the interface of a struct (and of its own structs) to ctx.structs; returns its type name. */
function structInterface(typeName: string, fields: KafkaField[], ctx: Context, about: string): string {
  if (ctx.structs.has(typeName)) return typeName;
  ctx.structs.set(typeName, ''); // reserve the place (order of first use), filled below
  const members: string[] = [];
  for (const field of fields) {
    if (!overlaps(field.versions, ctx.range)) continue;
    const isArray = field.type.startsWith('[]');
    const base = isArray ? field.type.slice(2) : field.type;
    let type: string;
    if (PRIMITIVES.has(base)) type = TS_TYPES[base]!;
    // Struct names are unique within a message; the message name prefixes them (once).
    else type = structInterface(base.startsWith(ctx.prefix) ? base : `${ctx.prefix}${base}`, structFields(field, base, ctx), ctx, field.about?.trim() || `The \`${lower(field.name)}\` struct.`);
    if (isArray) type = `${type}[]`;
    if (field.nullableVersions !== undefined && overlaps(field.nullableVersions, ctx.range)) type = `${type} | null`;
    members.push(doc(fieldNote(field, ctx), '  '), `  ${lower(field.name)}: ${type};`);
  }
  const body = members.length > 0 ? `{\n${members.join('\n')}\n}` : '{}';
  // An empty body would be `{}` (any non-nullish value): a record of nothing says what it means.
  const decl = members.length > 0 ? `export interface ${typeName} ${body}` : `export type ${typeName} = Record<string, never>;`;
  ctx.structs.set(typeName, `${doc(about, '')}\n${decl}`);
  return typeName;
}

function rangeOf(message: KafkaMessage): [number, number] {
  return parseRange(message.validVersions);
}

function flexibleFrom(message: KafkaMessage): number | null {
  return message.flexibleVersions === 'none' ? null : parseRange(message.flexibleVersions)[0];
}

const HEADER = (sources: string[]) => `// Generated by scripts/generate-protocol.ts from Apache Kafka's message definitions
// (${sources.join(', ')}; Apache License 2.0). Do not edit: run \`npm run generate:protocol\`.
`;

function generateApi(dir: string, name: string, about: string): { file: string; text: string; apiKey: number; schemaName: string } {
  const request = load(dir, `${name}Request`);
  const response = load(dir, `${name}Response`);
  if (request.apiKey === undefined || request.apiKey !== response.apiKey) throw new Error(`${name}: request and response API keys differ`);
  if (request.validVersions !== response.validVersions || request.flexibleVersions !== response.flexibleVersions) {
    throw new Error(`${name}: request and response version ranges differ`);
  }
  const range = rangeOf(request);
  const flex = flexibleFrom(request);
  const versions = range[0] === range[1] ? `${range[0]}` : `${range[0]}-${range[1]}`;
  const schemaName = `${lower(name)}Schema`;
  const used = new Set<string>();
  const sides: string[] = [];
  const types: string[] = [];
  for (const [side, message] of [['request', request], ['response', response]] as const) {
    const ctx: Context = {
      range, flexible: flex !== null, common: new Map((message.commonStructs ?? []).map((c) => [c.name, c.fields])),
      prefix: message.name, structs: new Map(),
    };
    sides.push(`  ${side}: [\n${schemaOf(message.fields, ctx, 2, used)}\n  ],`);
    structInterface(message.name, message.fields, ctx,
      `${name} ${side}, versions ${human(versions)}${flex === null ? '' : `, flexible from v${flex}`}. Decoded, every field is present (fields a version lacks hold their defaults); to encode, see \`ApiRequestInput\` / \`ApiResponseInput\`.`);
    types.push(...ctx.structs.values());
  }
  const helpers = ['api', ...[...used].sort()].join(', ');
  const text = `${HEADER([`${name}Request.json`, `${name}Response.json`])}/**
 * ${name} (key ${request.apiKey}): ${about}.
 * Versions ${human(versions)}${flex === null ? ', never flexible' : `, flexible from v${flex}`}.
 */
import { ${helpers}, type ApiSchema } from '../schema.ts';

/** ${name} request and response fields, every version. */
export const ${schemaName}: ApiSchema = api(${request.apiKey}, ${quote(name)}, ${quote(versions)}, ${flex}, {
${sides.join('\n')}
});

${types.join('\n\n')}
`;
  return { file: `${kebab(name)}.ts`, text, apiKey: request.apiKey, schemaName };
}

function generateData(dir: string): string {
  const used = new Set<string>();
  const parts: string[] = [];
  const types: string[] = [];
  for (const [name, schemaName, about] of DATA) {
    const message = load(dir, name);
    const range = rangeOf(message);
    const flex = flexibleFrom(message);
    const ctx: Context = { range, flexible: flex !== null, common: new Map(), prefix: name, structs: new Map() };
    parts.push(`/** ${name}, versions ${human(message.validVersions)}: ${about}. */
export const ${schemaName}: DataSchema = Object.freeze({
  name: ${quote(name)},
  minVersion: ${range[0]},
  maxVersion: ${range[1]},
  flexibleFrom: ${flex},
  fields: [
${schemaOf(message.fields, ctx, 2, used)}
  ],
});`);
    structInterface(name, message.fields, ctx, `${name}, versions ${human(message.validVersions)}: ${about}.`);
    types.push(...ctx.structs.values());
  }
  return `${HEADER(DATA.map(([name]) => `${name}.json`))}/**
 * The consumer group's embedded formats, each an int16 version followed by the fields
 * of that version (never flexible).
 */
import { ${[...used].sort().join(', ')}, type DataSchema } from '../schema.ts';

${parts.join('\n\n')}

${types.join('\n\n')}
`;
}

function generateIndex(apis: Array<{ name: string; file: string; apiKey: number; schemaName: string }>): string {
  const byKey = [...apis].sort((x, y) => x.apiKey - y.apiKey);
  const imports = byKey.map((a) => `import { ${a.schemaName}, type ${a.name}Request, type ${a.name}Response } from './${a.file}';`);
  const reexports = byKey.map((a) => `export * from './${a.file}';`);
  return `${HEADER(['the files listed in the script'])}/**
 * Every API we implement: its key by name, its schema, and its request/response types.
 * Described APIs are not necessarily advertised: version-policy.ts says what is.
 */
import type { ApiSchema } from '../schema.ts';
${imports.join('\n')}

${reexports.join('\n')}
export * from './consumer-protocol.ts';

/** Kafka API keys by name (the numbers on the wire). */
export const ApiKey = Object.freeze({
${byKey.map((a) => `  ${a.name}: ${a.apiKey},`).join('\n')}
} as const);

/** Every described API, by ascending key. */
export const ALL_SCHEMAS: readonly ApiSchema[] = Object.freeze([
${byKey.map((a) => `  ${a.schemaName},`).join('\n')}
]);

/** Schemas by API key. */
export const SCHEMAS: ReadonlyMap<number, ApiSchema> = new Map(ALL_SCHEMAS.map((schema) => [schema.apiKey, schema]));

/** API key → its decoded request and response types. */
export interface Messages {
${byKey.map((a) => `  /** ${a.name} */\n  ${a.apiKey}: { request: ${a.name}Request; response: ${a.name}Response };`).join('\n')}
}
`;
}

/** Every generated file (name → content) from the definitions in `dir`. */
export function generateProtocol(dir: string = MESSAGES_DIR): Map<string, string> {
  const out = new Map<string, string>();
  const apis: Array<{ name: string; file: string; apiKey: number; schemaName: string }> = [];
  for (const [name, about] of APIS) {
    const api = generateApi(dir, name, about);
    out.set(api.file, api.text);
    apis.push({ name, file: api.file, apiKey: api.apiKey, schemaName: api.schemaName });
  }
  out.set('consumer-protocol.ts', generateData(dir));
  out.set('index.ts', generateIndex(apis));
  return out;
}

/** Names of the files in `outputDir` that differ from what would be generated (or are missing or extra). */
export function staleFiles(generated: Map<string, string>, outputDir: string = OUTPUT_DIR): string[] {
  const stale: string[] = [];
  for (const [file, text] of generated) {
    const path = join(outputDir, file);
    if (!existsSync(path) || readFileSync(path, 'utf8') !== text) stale.push(file);
  }
  if (existsSync(outputDir)) for (const file of readdirSync(outputDir)) if (!generated.has(file)) stale.push(file);
  return stale;
}

function main(args: string[]): number {
  if (!existsSync(MESSAGES_DIR)) {
    console.error(`generate-protocol: ${MESSAGES_DIR} does not exist (Kafka's message definitions are needed)`);
    return 1;
  }
  const generated = generateProtocol(MESSAGES_DIR);
  if (args.includes('--check')) {
    const stale = staleFiles(generated);
    if (stale.length > 0) {
      console.error(`generate-protocol: stale or missing in core/protocol/generated: ${stale.join(', ')} — run npm run generate:protocol`);
      return 1;
    }
    console.log(`generate-protocol: ${generated.size} files up to date`);
    return 0;
  }
  mkdirSync(OUTPUT_DIR, { recursive: true });
  for (const [file, text] of generated) writeFileSync(join(OUTPUT_DIR, file), text);
  console.log(`generate-protocol: wrote ${generated.size} files to ${OUTPUT_DIR}`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) process.exitCode = main(process.argv.slice(2));
