/**
 * Retry policy: exponential backoff with jitter for retriable errors (kafkajs's option
 * names, so its users need not relearn them).
 */
import { TributaryError } from '../errors.ts';

/** Retry settings. */
export interface RetryOptions {
  /** Attempts after the first one. Default 5. */
  readonly retries?: number;
  /** Backoff before the first retry, in ms. Default 100. */
  readonly initialRetryTime?: number;
  /**
   * Backoff ceiling, in ms. Default 1000, as the Java producer's retry.backoff.max.ms
   * (KIP-580): after a failover the next attempt comes within a second of the new leader,
   * not several seconds later (kafkajs's default is 30000).
   */
  readonly maxRetryTime?: number;
  /** Growth per attempt. Default 2. */
  readonly multiplier?: number;
  /** Random spread, as a fraction of the backoff (0.2 → ±20%). Default 0.2. */
  readonly factor?: number;
  /**
   * reconnect.backoff.ms: the first wait of the loops that never give up on a broker
   * (fetching, group membership, metadata) once it stops answering. Default 50.
   */
  readonly reconnectBackoffMs?: number;
  /** reconnect.backoff.max.ms: the ceiling those waits grow to (exponentially, with jitter). Default 1000. */
  readonly reconnectBackoffMaxMs?: number;
}

/** Retry settings with every default filled in. */
export type RetryPolicy = Required<RetryOptions>;

/** Fills the defaults and checks the values (`ERR_INVALID_ARGUMENT`). */
export function retryPolicy(options: RetryOptions = {}): RetryPolicy {
  const policy = {
    retries: options.retries ?? 5,
    initialRetryTime: options.initialRetryTime ?? 100,
    maxRetryTime: options.maxRetryTime ?? 1000,
    multiplier: options.multiplier ?? 2,
    factor: options.factor ?? 0.2,
    reconnectBackoffMs: options.reconnectBackoffMs ?? 50,
    reconnectBackoffMaxMs: options.reconnectBackoffMaxMs ?? 1000,
  };
  for (const [name, value] of Object.entries(policy)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new TributaryError('ERR_INVALID_ARGUMENT', `retry.${name} must be a non-negative number, got ${String(value)}`);
    }
  }
  return policy;
}

/** Backoff before retry number `attempt` (1 = first retry). */
export function backoff(policy: RetryPolicy, attempt: number): number {
  const base = Math.min(policy.maxRetryTime, policy.initialRetryTime * policy.multiplier ** Math.max(0, attempt - 1));
  const spread = base * policy.factor;
  return Math.max(0, Math.round(base - spread + Math.random() * 2 * spread));
}

/**
 * Wait before attempt `attempt` (1 = first) of a loop that retries for as long as the
 * consumer or producer runs (librdkafka's and the Java client's reconnect backoff):
 * exponential from `reconnectBackoffMs` to `reconnectBackoffMaxMs`, with ±20% jitter so
 * that clients of a restarted broker do not all come back at once.
 */
export function reconnectBackoff(policy: RetryPolicy, attempt: number): number {
  const base = Math.min(policy.reconnectBackoffMaxMs, policy.reconnectBackoffMs * 2 ** Math.min(30, Math.max(0, attempt - 1)));
  const spread = base * 0.2;
  return Math.max(0, Math.round(base - spread + Math.random() * 2 * spread));
}

/** True when `error` says that trying again may succeed. */
export function isRetriable(error: unknown): boolean {
  return error instanceof TributaryError && error.retriable;
}

/** A promise that resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Runs `attempt` until it succeeds, fails with a non-retriable error, or the retries
 * are spent; `onRetry` runs before each backoff (refresh metadata, reconnect, …).
 */
export async function withRetry<T>(policy: RetryPolicy, attempt: (n: number) => Promise<T>, onRetry?: (error: unknown, n: number) => Promise<void> | void): Promise<T> {
  for (let n = 0; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (!isRetriable(error) || n >= policy.retries) throw error;
      await onRetry?.(error, n + 1);
      await sleep(backoff(policy, n + 1));
    }
  }
}
