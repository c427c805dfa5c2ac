/** A minimal structured logger that adapters and the broker write to. */

/** Log levels, most verbose first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** Anything with these four methods can be a Tributary logger (console fits). */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** A logger that drops everything. */
export const silentLogger: Logger = Object.freeze({
  debug() {},
  info() {},
  warn() {},
  error() {},
});

const LEVEL_ORDER: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

function formatFields(fields: Record<string, unknown> | undefined): string {
  if (!fields) return '';
  const parts = Object.entries(fields).map(([k, v]) => `${k}=${typeof v === 'string' ? (/\s/.test(v) ? JSON.stringify(v) : v) : JSON.stringify(v)}`);
  return parts.length > 0 ? ` ${parts.join(' ')}` : '';
}

/**
 * A logger writing one line per event at or above `level` to standard error, through
 * `console.error` (standard error in Node, Deno and Bun alike, so a program's standard
 * output stays its own). What a client logs when given no logger: warnings and errors.
 */
export function stderrLogger(level: LogLevel = 'warn', write: (line: string) => void = (line) => globalThis.console.error(line)): Logger {
  const min = LEVEL_ORDER[level] ?? LEVEL_ORDER.warn;
  const at = (lvl: Exclude<LogLevel, 'silent'>) => (message: string, fields?: Record<string, unknown>) => {
    if (LEVEL_ORDER[lvl] >= min) write(`${new Date().toISOString()} ${lvl.toUpperCase().padEnd(5)} [tributary] ${message}${formatFields(fields)}`);
  };
  return Object.freeze({ debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') });
}
