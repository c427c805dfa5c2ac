/**
 * The long-poll wait of a Fetch: resolves as soon as any of the watched partitions gets
 * new committed data, the deadline passes, or the broker starts shutting down.
 */
import type { PartitionState } from './partition-state.ts';

/** Tells whether the broker is shutting down, and whom to call when it starts to. */
export interface ShutdownWatch {
  /** True once shutdown has begun. */
  aborted(): boolean;
  /** Calls `listener` once when shutdown begins; returns the unsubscribe function. */
  onAbort(listener: () => void): () => void;
}

/** Why a wait ended. */
export type WakeReason = 'data' | 'timeout' | 'shutdown';

/**
 * Waits up to `timeoutMs` for data on any of `partitions`; the broker's shutdown ends the
 * wait. Every listener and timer is removed before the promise settles.
 */
export function waitForData(partitions: readonly PartitionState[], timeoutMs: number, shutdown?: ShutdownWatch): Promise<WakeReason> {
  if (shutdown?.aborted()) return Promise.resolve('shutdown');
  if (timeoutMs <= 0) return Promise.resolve('timeout');
  return new Promise<WakeReason>((resolve) => {
    const unsubscribers: Array<() => void> = [];
    let unsubscribeShutdown: (() => void) | undefined;
    let done = false;
    const finish = (reason: WakeReason) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      for (const unsubscribe of unsubscribers) unsubscribe();
      unsubscribeShutdown?.();
      resolve(reason);
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    for (const partition of partitions) unsubscribers.push(partition.onData(() => finish('data')));
    unsubscribeShutdown = shutdown?.onAbort(() => finish('shutdown'));
  });
}
