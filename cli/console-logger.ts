/** A Logger for the command line: one line per event on stderr, filtered by level. */
import { escapeLogText, type LogLevel, type Logger } from '../core/contracts/logger.ts';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/**
 * A field value as it appears after `key=`: strings bare unless they hold whitespace or a
 * quote (then JSON-quoted), anything else as JSON. Control characters — client-supplied
 * ids may carry any — are escaped either way, so one event stays one harmless line.
 */
function value(v: unknown): string {
  if (typeof v === 'string') return /[\s"]/.test(v) ? escapeLogText(JSON.stringify(v)) : escapeLogText(v);
  return escapeLogText(JSON.stringify(v) ?? String(v));
}

function format(fields: Record<string, unknown> | undefined): string {
  if (!fields) return '';
  const parts = Object.entries(fields).map(([k, v]) => `${escapeLogText(k)}=${value(v)}`);
  return parts.length ? ` ${parts.join(' ')}` : '';
}

/** A logger writing `time level message key=value…` lines at or above `level`. */
export function consoleLogger(level: LogLevel = 'info', write: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Logger {
  const min = ORDER[level];
  const at = (lvl: Exclude<LogLevel, 'silent'>) => (message: string, fields?: Record<string, unknown>) => {
    if (ORDER[lvl] >= min) write(`${new Date().toISOString()} ${lvl.toUpperCase().padEnd(5)} ${escapeLogText(message)}${format(fields)}`);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
