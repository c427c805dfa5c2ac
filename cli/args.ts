/**
 * Flag parsing shared by the commands: node:util parseArgs (Node, Deno and Bun all
 * provide it) plus the global flags every command takes, and value checkers whose
 * failures are usage errors (exit 2).
 */
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { usageError } from './exit-codes.ts';
import type { SaslOptions } from '../core/client/sasl-authenticate.ts';
import type { TlsOptions } from '../core/client/transport.ts';

/** A parseArgs option spec. */
export type OptionSpec = { type: 'string' | 'boolean'; short?: string; multiple?: boolean };

/** The flags every command and subcommand accepts. */
export const GLOBAL_OPTIONS = {
  brokers: { type: 'string', short: 'b' },
  help: { type: 'boolean', short: 'h' },
  'sasl-mechanism': { type: 'string' },
  'sasl-username': { type: 'string' },
  'sasl-password': { type: 'string' },
  ssl: { type: 'boolean' },
  'ssl-ca': { type: 'string' },
  'ssl-cert': { type: 'string' },
  'ssl-key': { type: 'string' },
} as const satisfies Record<string, OptionSpec>;

/** Help lines for the global flags. */
export const GLOBAL_HELP = [
  'Global options (every command but broker; before or after the command name):',
  '  -b, --brokers <host:port,…>  brokers to bootstrap from (default 127.0.0.1:9092, env TRIBUTARY_BROKERS)',
  '  --sasl-mechanism <m>         authenticate: plain | scram-sha-256 | scram-sha-512 (env TRIBUTARY_SASL_MECHANISM)',
  '  --sasl-username <name>       SASL user (env TRIBUTARY_SASL_USERNAME)',
  '  --sasl-password <password>   SASL password (env TRIBUTARY_SASL_PASSWORD, which keeps it out of `ps`)',
  '  --ssl                        connect over TLS, trusting the system\'s CAs (env TRIBUTARY_SSL=true)',
  '  --ssl-ca <file>              connect over TLS, trusting this CA (PEM; env TRIBUTARY_SSL_CA)',
  '  --ssl-cert <file>, --ssl-key <file>  a client certificate and its key (PEM) for SSL listeners',
  '  -h, --help                   show this help',
].join('\n');

/**
 * Splits the global flags that come before a command or subcommand name off `argv`
 * (`-b H topics list`, as kcat and rpk accept them): `globals` holds them in order,
 * `rest` starts at the first argument that is not one. The caller passes `globals` on
 * to the command, whose parser accepts them anywhere.
 */
export function splitLeadingGlobals(argv: readonly string[]): { globals: string[]; rest: string[] } {
  const globals: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i]!;
    if (arg === '-h' || arg === '--help') {
      globals.push(arg);
      i++;
    } else if ((arg === '-b' || arg === '--brokers') && i + 1 < argv.length) {
      globals.push(arg, argv[i + 1]!);
      i += 2;
    } else if (arg.startsWith('--brokers=') || (arg.startsWith('-b') && arg.length > 2 && !arg.startsWith('--'))) {
      globals.push(arg);
      i++;
    } else {
      break;
    }
  }
  return { globals, rest: argv.slice(i) };
}

/** True when the global flags ask for help. */
export function asksForHelp(globals: readonly string[]): boolean {
  return globals.includes('-h') || globals.includes('--help');
}

/** Parsed flags: strings, booleans, and string arrays for repeatable flags. */
export type Flags = Record<string, string | boolean | string[] | undefined>;

/** Parses `argv` with the command's options plus the global ones. Bad flags throw (exit 2). */
export function parseFlags(argv: readonly string[], options: Record<string, OptionSpec>): { flags: Flags; positionals: string[] } {
  const all = { ...options, ...GLOBAL_OPTIONS };
  const { values, positionals } = parseArgs({ args: attachNegativeValues(argv, all), options: all, strict: true, allowPositionals: true });
  return { flags: values as Flags, positionals };
}

/**
 * Joins a negative number to the flag before it (`--shift-by -5` → `--shift-by=-5`,
 * `-o -5` → `-o-5`). parseArgs refuses a value that starts with '-' as ambiguous, yet
 * `--retention-ms -1`, `--from -10` and `--shift-by -1` are what people type.
 */
export function attachNegativeValues(argv: readonly string[], options: Record<string, OptionSpec>): string[] {
  const takesValue = new Set<string>();
  for (const [name, spec] of Object.entries(options)) {
    if (spec.type !== 'string') continue;
    takesValue.add(`--${name}`);
    if (spec.short) takesValue.add(`-${spec.short}`);
  }
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const next = argv[i + 1];
    if (takesValue.has(arg) && next !== undefined && /^-\d/.test(next)) {
      out.push(arg.startsWith('--') ? `${arg}=${next}` : `${arg}${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

let lastBrokers: readonly string[] = [];

/** The brokers the running command was pointed at (for error messages). */
export function currentBrokers(): readonly string[] {
  return lastBrokers;
}

let lastConnection: { ssl?: boolean | TlsOptions; sasl?: SaslOptions } = {};

/** The TLS and SASL settings of the last {@link brokersFrom} call (what openClient connects with). */
export function lastConnectionSecurity(): { ssl?: boolean | TlsOptions; sasl?: SaslOptions } {
  return lastConnection;
}

function readFlagFile(file: string, flag: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw usageError(`${flag}: cannot read ${file}: ${(error as Error).message}`);
  }
}

/** The client's `ssl` and `sasl` from the connection flags (and their TRIBUTARY_* variables). */
export function connectionSecurityFrom(flags: Flags, env: Record<string, string | undefined> = process.env): { ssl?: boolean | TlsOptions; sasl?: SaslOptions } {
  const get = (flag: string, variable: string) => (flags[flag] as string | undefined) ?? (env[variable] !== '' ? env[variable] : undefined);
  const mechanism = get('sasl-mechanism', 'TRIBUTARY_SASL_MECHANISM');
  const username = get('sasl-username', 'TRIBUTARY_SASL_USERNAME');
  const password = get('sasl-password', 'TRIBUTARY_SASL_PASSWORD');
  let sasl: SaslOptions | undefined;
  if (mechanism !== undefined || username !== undefined || password !== undefined) {
    if (mechanism === undefined || username === undefined || password === undefined) throw usageError('SASL needs --sasl-mechanism, --sasl-username and --sasl-password (or TRIBUTARY_SASL_PASSWORD)');
    if (!['plain', 'scram-sha-256', 'scram-sha-512'].includes(mechanism.toLowerCase())) throw usageError(`--sasl-mechanism: expected plain, scram-sha-256 or scram-sha-512, got "${mechanism}"`);
    sasl = { mechanism: mechanism.toLowerCase() as SaslOptions['mechanism'], username, password };
  }
  const ca = get('ssl-ca', 'TRIBUTARY_SSL_CA');
  const cert = get('ssl-cert', 'TRIBUTARY_SSL_CERT');
  const key = get('ssl-key', 'TRIBUTARY_SSL_KEY');
  const on = flags.ssl === true || /^(1|true|yes|on)$/i.test(env.TRIBUTARY_SSL ?? '') || ca !== undefined || cert !== undefined;
  if ((cert === undefined) !== (key === undefined)) throw usageError('--ssl-cert and --ssl-key go together');
  const tls: TlsOptions = {
    ...(ca !== undefined ? { ca: readFlagFile(ca, '--ssl-ca') } : {}),
    ...(cert !== undefined ? { cert: readFlagFile(cert, '--ssl-cert'), key: readFlagFile(key!, '--ssl-key') } : {}),
  };
  return { ...(on ? { ssl: Object.keys(tls).length > 0 ? tls : true } : {}), ...(sasl ? { sasl } : {}) };
}

/**
 * The broker list from --brokers, TRIBUTARY_BROKERS or the default; also reads the
 * connection flags (--ssl*, --sasl-*) that openClient then connects with.
 */
export function brokersFrom(flags: Flags, env: Record<string, string | undefined> = process.env): string[] {
  lastConnection = connectionSecurityFrom(flags, env);
  const raw = (flags.brokers as string | undefined) ?? env.TRIBUTARY_BROKERS ?? '127.0.0.1:9092';
  const list = raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (list.length === 0) throw usageError('--brokers: expected host:port[,host:port…]');
  for (const b of list) {
    if (!/^(\[[^\]]+\]|[^:\s]+):\d{1,5}$/.test(b)) throw usageError(`--brokers: expected host:port, got "${b}"`);
  }
  lastBrokers = list;
  return list;
}

/** A string flag's value, or undefined. */
export function str(flags: Flags, name: string): string | undefined {
  const v = flags[name];
  return typeof v === 'string' ? v : undefined;
}

/** A repeatable flag's values ([] when absent). */
export function list(flags: Flags, name: string): string[] {
  const v = flags[name];
  if (v === undefined || typeof v === 'boolean') return [];
  return Array.isArray(v) ? v : [v];
}

/** An integer flag within [min, max], or `fallback` when absent. */
export function int(flags: Flags, name: string, fallback: number, min?: number, max?: number): number;
export function int(flags: Flags, name: string, fallback: undefined, min?: number, max?: number): number | undefined;
export function int(flags: Flags, name: string, fallback: number | undefined, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const raw = str(flags, name);
  if (raw === undefined) return fallback;
  return parseInteger(raw, `--${name}`, min, max);
}

/** Parses an integer in [min, max]; a usage error otherwise. */
export function parseInteger(raw: string, what: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const n = /^-?\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw usageError(`${what}: expected an integer${max === Number.MAX_SAFE_INTEGER ? ` ≥ ${min}` : ` from ${min} to ${max}`}, got "${raw}"`);
  }
  return n;
}

/** A flag that must be one of `choices`, or `fallback`. */
export function choice<T extends string>(flags: Flags, name: string, choices: readonly T[], fallback: T): T {
  const raw = str(flags, name);
  if (raw === undefined) return fallback;
  if (!choices.includes(raw as T)) throw usageError(`--${name}: expected one of ${choices.join(', ')}, got "${raw}"`);
  return raw as T;
}

/** `k=v` pairs of a repeatable flag, in order (a value may contain `=`). */
export function pairs(flags: Flags, name: string): Array<[string, string]> {
  return list(flags, name).map((item) => {
    const i = item.indexOf('=');
    if (i <= 0) throw usageError(`--${name}: expected key=value, got "${item}"`);
    return [item.slice(0, i), item.slice(i + 1)];
  });
}

/** Rejects extra positionals beyond `max`. */
export function noExtraPositionals(positionals: readonly string[], max: number, usage: string): void {
  if (positionals.length > max) throw usageError(`unexpected argument "${positionals[max]}" (${usage})`);
}

/**
 * The topic named by `--topic`/`-t` or the first positional. Exactly one is needed when
 * `required`.
 */
export function topicFrom(flags: Flags, positionals: string[], required: true): string;
export function topicFrom(flags: Flags, positionals: string[], required: false): string | undefined;
export function topicFrom(flags: Flags, positionals: string[], required: boolean): string | undefined {
  const flag = str(flags, 'topic');
  if (flag !== undefined && positionals.length > 0 && positionals[0] !== flag) {
    throw usageError(`two topics given ("${flag}" and "${positionals[0]}"); give one`);
  }
  const topic = flag ?? positionals[0];
  if (required && (topic === undefined || topic === '')) throw usageError('a topic is required (--topic <name> or as the first argument)');
  return topic;
}
