/**
 * Virtual time for the Raft simulation: a {@link Clock} whose timers fire only when the
 * simulation advances it, one at a time in (time, creation) order, with every promise
 * chain settled between two timers. Nothing else in the simulated path waits on real
 * time or real I/O, so the order of events is a function of the seed alone.
 *
 * (The cluster simulation of test/sim fakes the globals with vitest instead, because broker
 * code reaches for them; every Raft timer goes through the injected Clock, so an own clock
 * suffices here and keeps the test runner's timers real.)
 */
import type { Clock } from '../../core/clock.ts';

interface Timer {
  readonly id: number;
  readonly at: number;
  readonly callback: () => void;
}

// A macrotask turn: by then every microtask queued before has run.
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A manually advanced clock. */
export class SimClock implements Clock {
  #now: number;
  #seq = 0;
  // Kept sorted by (at, id): the next timer is the first.
  readonly #timers: Timer[] = [];
  /** Timers fired so far (a measure of work). */
  fired = 0;

  constructor(start: number) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const timer: Timer = { id: ++this.#seq, at: this.#now + Math.max(0, Number.isFinite(ms) ? ms : 0), callback };
    // Binary search for the insertion point (after every timer due at or before the same time).
    let lo = 0;
    let hi = this.#timers.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#timers[mid]!.at <= timer.at) lo = mid + 1;
      else hi = mid;
    }
    this.#timers.splice(lo, 0, timer);
    return timer.id;
  }

  clearTimeout(handle: unknown): void {
    if (typeof handle !== 'number') return;
    const i = this.#timers.findIndex((t) => t.id === handle);
    if (i >= 0) this.#timers.splice(i, 1);
  }

  /** How many timers are pending. */
  get pending(): number {
    return this.#timers.length;
  }

  /** Lets `ms` of virtual time pass: fires every timer due on the way, settling promises after each. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    await settle();
    for (;;) {
      const next = this.#timers[0];
      if (!next || next.at > end) break;
      this.#timers.shift();
      this.#now = Math.max(this.#now, next.at);
      this.fired++;
      next.callback();
      await settle();
    }
    this.#now = end;
  }

  /** Advances in steps of `stepMs` until `done()` or `limitMs` has passed; true when done. */
  async until(done: () => boolean, limitMs: number, stepMs = 10): Promise<boolean> {
    for (let waited = 0; waited < limitMs; waited += stepMs) {
      if (done()) return true;
      await this.advance(stepMs);
    }
    return done();
  }
}
