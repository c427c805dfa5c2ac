/**
 * The clock and one-shot timers that time-driven parts run on (group sessions, broker
 * heartbeats and session timeouts, replica lag, fetch back-off). Injectable so that tests
 * and the deterministic cluster simulation drive time themselves instead of waiting.
 */

/** A clock with one-shot timers. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `callback` once after `ms`; returns a handle for {@link clearTimeout}. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancels a timer (a handle that already fired or is undefined is ignored). */
  clearTimeout(handle: unknown): void;
}

/** The runtime's clock and timers (web-standard globals, present in Node, Deno and Bun). */
export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  setTimeout: (callback: () => void, ms: number): unknown => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle: unknown): void => {
    if (handle !== undefined) globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>);
  },
});

/** Resolves after `ms` on `clock` (a sleep that a simulated clock can drive). */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}
