/**
 * Exit codes of the `tributary` command and the mapping from errors to them. Scripts
 * branch on these, so they stay stable: documented in `tributary --help`.
 */
import { TributaryError } from '../core/errors.ts';

/** The exit codes every command uses. */
export const EXIT = Object.freeze({
  /** Done as asked. */
  OK: 0,
  /** Runtime failure: broker unreachable, a request refused, I/O error. */
  FAILURE: 1,
  /** Usage error: unknown command or flag, bad flag value, missing argument. */
  USAGE: 2,
  /** Not found: unknown topic, group or input file. */
  NOT_FOUND: 3,
  /** Already exists: `topics create` of an existing topic (without --if-not-exists). */
  EXISTS: 4,
} as const);

/** The exit-code table as `tributary --help` prints it. */
export const EXIT_CODES_HELP = [
  'Exit codes:',
  '    0  ok',
  '    1  runtime failure (broker unreachable, request refused by the broker, unreadable record, I/O error)',
  '    2  usage error (unknown command or flag, bad value, missing argument)',
  '    3  not found (unknown topic, partition, group or file)',
  '    4  already exists (topics create without --if-not-exists)',
  '  130  produce interrupted (Ctrl-C) before its input ended; what was read was still sent',
].join('\n');

/**
 * Error codes that mean "the command line was wrong", found before anything was sent.
 * A broker's refusal (INVALID_REPLICATION_FACTOR, INVALID_CONFIG, INVALID_PARTITIONS, …)
 * is not one of them: the command line parsed, the broker said no, and its reason is
 * what helps — exit 1 with it, not a pointer to --help.
 */
const USAGE_CODES = new Set(['ERR_USAGE', 'ERR_INVALID_ARGUMENT', 'ERR_INVALID_CONFIG_FILE', 'ERR_UNKNOWN_CODEC', 'ERR_UNKNOWN_PLUGIN', 'ERR_INVALID_OPTIONS']);
/** Error codes that mean "what you named does not exist". */
const NOT_FOUND_CODES = new Set(['ERR_NOT_FOUND', 'RESOURCE_NOT_FOUND', 'UNKNOWN_TOPIC_OR_PARTITION', 'UNKNOWN_TOPIC_ID', 'GROUP_ID_NOT_FOUND', 'ERR_GROUP_NOT_FOUND', 'ENOENT']);
/** Error codes that mean "the broker could not be reached". */
const UNREACHABLE_CODES = new Set(['ERR_NO_BROKERS', 'ERR_CONNECT_FAILED', 'ERR_CONNECTION_CLOSED']);

/** A usage error (exit 2): a bad flag value or a missing argument. */
export function usageError(message: string): TributaryError {
  return new TributaryError('ERR_USAGE', message);
}

/** A not-found error (exit 3). */
export function notFoundError(message: string, details?: Record<string, unknown>): TributaryError {
  return new TributaryError('ERR_NOT_FOUND', message, details ? { details } : {});
}

/** The exit code for an error thrown by a command. */
export function exitCodeOf(error: unknown): number {
  const code = (error as { code?: unknown })?.code;
  if (typeof code !== 'string') return EXIT.FAILURE;
  if (code.startsWith('ERR_PARSE_ARGS') || USAGE_CODES.has(code)) return EXIT.USAGE;
  if (NOT_FOUND_CODES.has(code)) return EXIT.NOT_FOUND;
  if (code === 'TOPIC_ALREADY_EXISTS') return EXIT.EXISTS;
  return EXIT.FAILURE;
}

/** True when `error` says no broker could be reached. */
export function isUnreachable(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && UNREACHABLE_CODES.has(code);
}

/**
 * One line describing `error` for a person: the message, its code in brackets when it
 * has one, and for unreachable brokers what to do about it.
 */
export function describeError(error: unknown, brokers: readonly string[] | undefined): string {
  if (isUnreachable(error)) {
    const where = brokers && brokers.length > 0 ? brokers.join(', ') : 'the broker';
    return `cannot reach a broker at ${where} — is one running? Start one with \`npm start\` (or \`tributary broker\`), or point --brokers/TRIBUTARY_BROKERS at yours [${(error as TributaryError).code}]`;
  }
  const code = (error as { code?: unknown })?.code;
  const message = code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? unknownOption(error) : error instanceof Error ? error.message : String(error);
  // parseArgs messages already read well; their codes add nothing for a person.
  if (typeof code === 'string' && !code.startsWith('ERR_PARSE_ARGS') && code !== 'ERR_USAGE' && code !== 'ERR_NOT_FOUND') {
    // An error answered by the broker (it carries the Kafka error number) says so: the
    // reason is the broker's, not the command line's.
    const refused = typeof (error as { kafkaCode?: unknown }).kafkaCode === 'number' && exitCodeOf(error) === EXIT.FAILURE;
    return `${refused ? 'the broker refused: ' : ''}${firstLine(message)} [${code}]`;
  }
  return firstLine(message);
}

function firstLine(text: string): string {
  const i = text.indexOf('\n');
  return i < 0 ? text : text.slice(0, i);
}

/**
 * parseArgs words an unknown flag as advice about positionals that start with '-', which
 * hides the point; say which flag is unknown (the --help hint follows on its own line).
 */
function unknownOption(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const flag = /option '([^']+)'/i.exec(message)?.[1];
  return flag === undefined ? message : `unknown option ${flag}`;
}
