/**
 * The long-poll wait of a Fetch: resolves as soon as any of the watched partitions gets
 * new committed data, the deadline passes, or the broker starts shutting down.
 */
import type { PartitionState } from './partition-state.ts';

/** Why a wait ended. */
export type WakeReason = 'data' | 'timeout' | 'shutdown';

/**
 * Waits up to `timeoutMs` for data on any of `partitions`. `signal` aborts the wait (broker
 * shutdown). Every listener and timer is removed before the promise settles.
 */
export function waitForData(partitions: readonly PartitionState[], timeoutMs: number, signal?: AbortSignal): Promise<WakeReason> {
  if (signal?.aborted) return Promise.resolve('shutdown');
  if (timeoutMs <= 0) return Promise.resolve('timeout');
  return new Promise<WakeReason>((resolve) => {
    const unsubscribers: Array<() => void> = [];
    let done = false;
    const finish = (reason: WakeReason) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      for (const unsubscribe of unsubscribers) unsubscribe();
      signal?.removeEventListener('abort', onAbort);
      resolve(reason);
    };
    const onAbort = () => finish('shutdown');
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    for (const partition of partitions) unsubscribers.push(partition.onData(() => finish('data')));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
