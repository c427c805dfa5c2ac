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

// C0 controls, DEL, C1 controls (U+0085 NEL included) and the Unicode line/paragraph separators.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/**
 * Makes text safe for a log line: every control character becomes a visible escape
 * (`\n`, `\x1b`, `\u2028`), so that a client-supplied id (client id, group id, member id,
 * topic) can neither forge a line nor drive the terminal. Text without them is returned as is.
 */
export function escapeLogText(text: string): string {
  CONTROL.lastIndex = 0;
  if (!CONTROL.test(text)) return text;
  return text.replace(CONTROL, (c) => {
    switch (c) {
      case '\n': return '\\n';
      case '\r': return '\\r';
      case '\t': return '\\t';
      default: {
        const code = c.charCodeAt(0);
        return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
      }
    }
  });
}

const LEVEL_ORDER: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

function formatFields(fields: Record<string, unknown> | undefined): string {
  if (!fields) return '';
  // Control characters escaped: client-supplied ids may carry any (see escapeLogText).
  const parts = Object.entries(fields).map(([k, v]) => `${escapeLogText(k)}=${escapeLogText(typeof v === 'string' ? (/[\s"]/.test(v) ? JSON.stringify(v) : v) : (JSON.stringify(v) ?? String(v)))}`);
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
    if (LEVEL_ORDER[lvl] >= min) write(`${new Date().toISOString()} ${lvl.toUpperCase().padEnd(5)} [tributary] ${escapeLogText(message)}${formatFields(fields)}`);
  };
  return Object.freeze({ debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') });
}
