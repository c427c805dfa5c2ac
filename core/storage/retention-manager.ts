/**
 * Runs the retention policy over a broker's partitions, periodically and on demand.
 * The policy is {@link planRetention}; the only storage call is `trimBefore`.
 */
import type { Logger } from '../contracts/logger.ts';
import { silentLogger } from '../contracts/logger.ts';
import type { PartitionLog } from '../contracts/storage.ts';
import { TributaryError } from '../errors.ts';
import { planRetention, type RetentionConfig, type RetentionReason } from './retention.ts';

/** One partition to keep within its topic's retention. */
export interface RetentionTarget {
  readonly log: PartitionLog;
  readonly config: RetentionConfig;
  /** Offsets at and past this are kept (the high watermark; default: the log end). */
  readonly highWatermark?: number;
}

/** What retention removed from one partition. */
export interface RetentionOutcome {
  readonly topic: string;
  readonly partition: number;
  /** The log start offset before and after. */
  readonly previousStartOffset: number;
  readonly startOffset: number;
  /** Segments and bytes removed. */
  readonly deletedSegments: number;
  readonly deletedBytes: number;
  /** Why (time, size or both), without repeats. */
  readonly reasons: readonly RetentionReason[];
}

/**
 * Applies retention to one partition now: plans from `log.segments()` and trims.
 * Returns what was removed, or null when nothing was due.
 */
export async function applyRetention(target: RetentionTarget, now: number): Promise<RetentionOutcome | null> {
  const { log } = target;
  const plan = planRetention({ segments: log.segments(), endOffset: log.endOffset(), now, ...(target.highWatermark !== undefined ? { highWatermark: target.highWatermark } : {}) }, target.config);
  if (plan.trimBefore === null) return null;
  const previousStartOffset = log.startOffset();
  const startOffset = await log.trimBefore(plan.trimBefore);
  // The adapter may keep more than asked (segment rounding); count only what went.
  const gone = plan.segments.filter((s) => s.nextOffset <= startOffset);
  return {
    topic: log.topic,
    partition: log.partition,
    previousStartOffset,
    startOffset,
    deletedSegments: gone.length,
    deletedBytes: gone.reduce((sum, s) => sum + s.sizeBytes, 0),
    reasons: [...new Set(gone.map((s) => s.reason))],
  };
}

/** Options of {@link RetentionManager}. */
export interface RetentionManagerOptions {
  /** The partitions to look after, asked anew at every run (topics come and go). */
  targets: () => Iterable<RetentionTarget> | Promise<Iterable<RetentionTarget>>;
  /** Period of the timer in ms (default 300000, Kafka's log.retention.check.interval.ms). */
  intervalMs?: number;
  /** Clock in ms (default `Date.now`). */
  now?: () => number;
  /** Where removals and failures are reported. */
  logger?: Logger;
  /** Called after every run (timer or on demand) with what it removed. */
  onRun?: (outcomes: RetentionOutcome[]) => void;
}

/**
 * Keeps partitions within their retention: `run()` on demand, `start()` for a timer.
 * Runs never overlap: a run asked for while one is going starts after it.
 */
export class RetentionManager {
  readonly #options: RetentionManagerOptions;
  readonly #now: () => number;
  readonly #logger: Logger;
  readonly #intervalMs: number;
  #timer: ReturnType<typeof setInterval> | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: RetentionManagerOptions) {
    if (typeof options?.targets !== 'function') throw new TributaryError('ERR_INVALID_ARGUMENT', 'RetentionManager needs a targets() function');
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#logger = options.logger ?? silentLogger;
    this.#intervalMs = options.intervalMs ?? 300_000;
    if (!(this.#intervalMs > 0)) throw new TributaryError('ERR_INVALID_CONFIG', `intervalMs must be positive, got ${this.#intervalMs}`);
  }

  /** True while the timer is running. */
  get started(): boolean {
    return this.#timer !== undefined;
  }

  /**
   * Applies retention to every target now; returns what was removed. A partition that
   * fails (closed, deleted, I/O error) is logged and skipped; the others still run.
   */
  run(): Promise<RetentionOutcome[]> {
    const next = this.#queue.then(() => this.#runOnce());
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #runOnce(): Promise<RetentionOutcome[]> {
    const now = this.#now();
    const outcomes: RetentionOutcome[] = [];
    for (const target of await this.#options.targets()) {
      try {
        const outcome = await applyRetention(target, now);
        if (outcome) {
          outcomes.push(outcome);
          this.#logger.info('retention removed segments', { ...outcome, reasons: outcome.reasons.join(',') });
        }
      } catch (error) {
        this.#logger.warn('retention failed for a partition', { topic: target.log.topic, partition: target.log.partition, error: String(error) });
      }
    }
    this.#options.onRun?.(outcomes);
    return outcomes;
  }

  /** Starts the periodic run (the timer does not keep a process alive). */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      this.run().catch((error: unknown) => this.#logger.error('retention run failed', { error: String(error) }));
    }, this.#intervalMs);
    (this.#timer as { unref?: () => void }).unref?.();
  }

  /** Resolves when no run is in progress or queued (for a clean shutdown). */
  async idle(): Promise<void> {
    await this.#queue;
  }

  /** Stops the periodic run; a run in progress finishes. */
  stop(): void {
    if (this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
