/**
 * How examples print. Each example's `main(log)` writes its story line by line through
 * a `Log`: `console.log` when you run it, a collecting array when its test runs it, so the
 * test can assert on what a user would see.
 */

/** Prints one line of an example's output. */
export type Log = (line: string) => void;

/** A Log that keeps the lines (and prints nothing): what the examples' tests use. */
export function collectLog(): { log: Log; lines: string[] } {
  const lines: string[] = [];
  return { log: (line) => void lines.push(line), lines };
}
