/**
 * The event trace of one simulation run: every fault, every client outcome and every
 * invariant check appends a line stamped with virtual time. Two runs of the same seed
 * must produce the same lines (the determinism test compares their hashes), and a failing
 * run prints its tail, so a failure can be read as well as replayed.
 */
import { createHash } from 'node:crypto';

/** An append-only list of trace lines with a running hash. */
export class SimTrace {
  readonly #lines: string[] = [];
  readonly #hash = createHash('sha256');
  readonly #now: () => number;
  readonly #keep: number;
  #count = 0;

  /** `now` stamps lines with virtual time; only the last `keep` lines are kept for printing. */
  constructor(now: () => number, keep = 400) {
    this.#now = now;
    this.#keep = keep;
  }

  /** Appends one line. */
  add(line: string): void {
    const stamped = `${this.#now()} ${line}`;
    this.#hash.update(stamped);
    this.#hash.update('\n');
    this.#count++;
    this.#lines.push(stamped);
    if (this.#lines.length > this.#keep * 2) this.#lines.splice(0, this.#lines.length - this.#keep);
  }

  /** Number of lines appended. */
  get length(): number {
    return this.#count;
  }

  /** The last `n` lines. */
  tail(n = 60): string[] {
    return this.#lines.slice(-n);
  }

  /** The sha-256 of every line so far (a copy of the running hash: more lines may follow). */
  digest(): string {
    return this.#hash.copy().digest('hex');
  }
}
