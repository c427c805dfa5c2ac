/**
 * What the consumer's parts share: each assigned partition's positions and prefetch
 * queue ({@link PartitionState}), and whether a run is on ({@link ConsumerState}). The
 * front changes the assignment, the fetcher fills the queues, the handler runner empties
 * them; an epoch per partition lets each drop work made stale by a seek or a revoke.
 */
import { TributaryError } from '../../errors.ts';
import type { FetchedBatch } from './fetched-batch.ts';
import type { TopicPartition } from './types.ts';

/** The map key of a partition. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/** One assigned partition. */
export class PartitionState {
  readonly topic: string;
  readonly partition: number;
  readonly key: string;
  /** Next offset to fetch; null until resolved by ListOffsets. */
  fetchPosition: number | null;
  /** Next offset to hand to the application. */
  position: number | null;
  /** Offset reset policy for a null position: earliest/latest timestamp. */
  resetTo: number;
  paused = false;
  readonly queue: FetchedBatch[] = [];
  queuedBytes = 0;
  /** Bumped by seek and revoke: fetches and batches of an older epoch are dropped. */
  epoch = 0;
  revoked = false;
  fetching = false;
  /** Consecutive failed fetches. */
  failures = 0;
  /** Consecutive handler failures (reset when a handler succeeds). */
  handlerFailures = 0;
  retryAt = 0;

  constructor(topic: string, partition: number, offset: number | undefined, resetTo: number) {
    this.topic = topic;
    this.partition = partition;
    this.key = partitionKey(topic, partition);
    this.fetchPosition = offset ?? null;
    this.position = offset ?? null;
    this.resetTo = resetTo;
  }

  /** Starts a new epoch: what is queued and what is being fetched or handled for the old one is dropped. */
  invalidate(): void {
    this.epoch++;
    this.queue.length = 0;
    this.queuedBytes = 0;
  }
}

/** The assignment and run state the consumer's front, fetcher and handler runner share. */
export class ConsumerState {
  /** Assigned partitions by {@link partitionKey}. */
  readonly partitions = new Map<string, PartitionState>();
  /** True between run() and stop(). */
  running = false;
  /** Bumped by stop(): fetch loops and the processing loop of an earlier run end. */
  generation = 0;
}

/** Checks a `{ topic, partition }` argument (`ERR_INVALID_ARGUMENT`). */
export function checkPartition(tp: TopicPartition): void {
  if (!tp || typeof tp.topic !== 'string' || tp.topic.length === 0 || !Number.isInteger(tp.partition) || tp.partition < 0) {
    throw new TributaryError('ERR_INVALID_ARGUMENT', 'A partition needs { topic, partition ≥ 0 }');
  }
}

/** Checks an offset argument: undefined or a non-negative safe integer (`ERR_INVALID_ARGUMENT`). */
export function checkOffset(offset: unknown): void {
  if (offset !== undefined && (!Number.isSafeInteger(offset) || (offset as number) < 0)) {
    throw new TributaryError('ERR_INVALID_ARGUMENT', `An offset must be a non-negative integer, got ${String(offset)}`);
  }
}
