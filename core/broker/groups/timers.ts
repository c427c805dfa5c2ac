/**
 * The clock and timers the group coordinator runs on. Injectable so that tests can drive
 * session timeouts, rebalance timeouts and the initial rebalance delay without waiting.
 */

/** A clock with one-shot timers. */
export interface GroupTimers {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `callback` once after `ms`; returns a handle for {@link clearTimeout}. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancels a timer (a handle that already fired or is undefined is ignored). */
  clearTimeout(handle: unknown): void;
}

/** The runtime's clock and timers (web-standard globals, present in Node, Deno and Bun). */
export const systemTimers: GroupTimers = Object.freeze({
  now: () => Date.now(),
  setTimeout: (callback: () => void, ms: number): unknown => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle: unknown): void => {
    if (handle !== undefined) globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>);
  },
});
