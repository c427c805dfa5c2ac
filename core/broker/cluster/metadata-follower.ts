/**
 * A broker's view of the metadata log: it reads committed batches (from the quorum in this
 * process, or fetched from the active controller) and replays them into the broker's
 * {@link MetadataLoader} in order — every publisher (the replica manager first) prepares
 * for a batch before the image names what it creates. This is the only way a broker in a
 * cluster learns about topics, leaders and other brokers (Kafka's BrokerMetadataListener).
 */
import { type Clock, sleep } from '../../clock.ts';
import type { Logger } from '../../contracts/logger.ts';
import { KafkaCode, TributaryError } from '../../errors.ts';
import { imageDiffRecords } from '../metadata/image-diff.ts';
import { imageFromRecords } from '../metadata/image-records.ts';
import type { MetadataLoader } from '../metadata/metadata-publisher.ts';
import type { MetadataRecord } from '../metadata/records.ts';
import { type MetadataQuorum, nextOffsetAfter } from '../quorum/metadata-quorum.ts';

/** Errors that retrying cannot fix: the configured address is not a controller. */
function isConfigurationError(error: unknown): boolean {
  return error instanceof TributaryError && (error.code === 'ERR_NOT_A_CONTROLLER' || error.kafkaCode === KafkaCode.UNSUPPORTED_VERSION || error.code === 'INCONSISTENT_CLUSTER_ID');
}

/** Where a follower reads the metadata log. */
export type MetadataSource = Pick<MetadataQuorum, 'read'>;

/** Options of {@link MetadataFollower}. */
export interface MetadataFollowerOptions {
  readonly source: MetadataSource;
  readonly loader: MetadataLoader;
  readonly clock: Clock;
  readonly logger: Logger;
  /** How long one read waits for new batches (a long poll). Default 500 ms. */
  readonly pollMs?: number;
  /** Pause after a failed read before the next. Default 500 ms. */
  readonly retryBackoffMs?: number;
}

/** Replays the metadata log into a loader, one batch after another, until stopped. */
export class MetadataFollower {
  readonly #options: MetadataFollowerOptions;
  #nextOffset = 0;
  #highWatermark = -1;
  #running = false;
  #loop: Promise<void> | undefined;
  readonly #waiters = new Set<{ offset: number; resolve: () => void }>();
  #failures = 0;
  // Start-up backlog read but not yet applied (see #run), and where reading goes on.
  #backlog: MetadataRecord[] = [];
  #backlogEnd = 0;
  #readFrom = 0;
  #fatal: unknown;

  constructor(options: MetadataFollowerOptions) {
    this.#options = options;
  }

  /** The offset after the last applied record (what heartbeats report, minus one). */
  get nextOffset(): number {
    return this.#nextOffset;
  }

  /** The highest applied metadata offset, -1 before the first batch. */
  get appliedOffset(): number {
    return this.#nextOffset - 1;
  }

  /** True once everything committed when we last looked has been applied. */
  get caughtUp(): boolean {
    return this.#highWatermark >= 0 && this.#nextOffset >= this.#highWatermark;
  }

  /** Starts the replay loop. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Resolves once every record up to `offset` (exclusive) has been applied, or the follower stops. */
  waitForOffset(offset: number): Promise<void> {
    if (this.#nextOffset >= offset || !this.#running) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.add({ offset, resolve }));
  }

  /**
   * Resolves once this broker has applied everything the metadata log had committed when
   * called (after a forwarded admin operation: the caller then sees its own change).
   */
  async syncWithLog(): Promise<void> {
    const { highWatermark } = await this.#options.source.read(this.#nextOffset, 0);
    await this.waitForOffset(highWatermark);
  }

  /**
   * Resolves once the follower has applied what was committed when it first read
   * successfully; rejects when the metadata log cannot be read because of a misconfiguration.
   */
  async waitForCatchUp(): Promise<void> {
    while (this.#running && !this.caughtUp) {
      await new Promise<void>((resolve) => {
        const waiter = { offset: Number.MAX_SAFE_INTEGER, resolve };
        this.#waiters.add(waiter);
        // Woken by the next applied batch or read; re-checked by the loop condition.
      });
    }
    if (this.#fatal) throw this.#fatal;
  }

  /** Stops the loop (an in-flight read finishes first). */
  async stop(): Promise<void> {
    this.#running = false;
    for (const w of this.#waiters) w.resolve();
    this.#waiters.clear();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const { source, loader, clock, logger } = this.#options;
    const pollMs = this.#options.pollMs ?? 500;
    while (this.#running) {
      try {
        const read = await source.read(this.#readFrom, this.caughtUp ? pollMs : 0);
        if (!this.#running) return;
        if (this.#failures > 0) logger.info('metadata log reachable again', { afterFailures: this.#failures });
        this.#failures = 0;
        if (read.snapshot && read.snapshot.endOffset > this.#nextOffset) await this.#loadSnapshot(read.snapshot.endOffset, read.snapshot.records);
        const fresh = read.batches.filter((b) => b.baseOffset >= this.#nextOffset); // older: a read raced a reconnect
        if (!this.caughtUp && (fresh.length > 0 || this.#backlog.length > 0)) {
          // The backlog at start is applied as one change (Kafka hands its replica manager the
          // final image at start-up): a partition never becomes leader at an epoch the log has
          // long moved past, which would rewrite its leader-epoch cache from a stale state.
          const known = this.#backlogEnd;
          for (const b of fresh) if (b.baseOffset >= known) this.#backlog.push(...b.records);
          if (fresh.length > 0) this.#backlogEnd = Math.max(known, nextOffsetAfter(fresh[fresh.length - 1]!));
          if (this.#backlogEnd >= read.highWatermark) {
            const records = this.#backlog;
            await loader.prepare(records);
            await Promise.all(loader.publishPrepared(records));
            this.#backlog = [];
            this.#nextOffset = this.#backlogEnd;
          } else {
            // More backlog to read: ask from its end, publish nothing yet.
            this.#readFrom = this.#backlogEnd;
            continue;
          }
        } else {
          for (const batch of fresh) {
            // Prepare (open logs) before publishing; a failure here is retried from the same batch.
            await loader.prepare(batch.records);
            await Promise.all(loader.publishPrepared(batch.records));
            this.#nextOffset = nextOffsetAfter(batch);
          }
        }
        this.#readFrom = this.#nextOffset;
        this.#highWatermark = Math.max(this.#highWatermark, read.highWatermark);
        this.#wake();
      } catch (error) {
        if (!this.#running) return;
        // A misconfiguration (the address is no controller, UNSUPPORTED_VERSION) ends the start
        // with its reason instead of a wait that never ends; once caught up, every error is retried.
        if (this.#highWatermark < 0 && isConfigurationError(error)) {
          this.#fatal = error;
          this.#running = false;
          this.#wake();
          return;
        }
        this.#failures++;
        // First failure and then every tenth: a controller that is down is loud but not a flood.
        if (this.#failures === 1 || this.#failures % 10 === 0) {
          logger.warn('cannot read the metadata log; retrying', { nextOffset: this.#nextOffset, failures: this.#failures, error: String(error) });
        }
        this.#wake();
        await sleep(clock, this.#options.retryBackoffMs ?? 500);
      }
    }
  }

  /**
   * The source answered with a snapshot (it no longer holds the log this follower needs):
   * the image becomes the snapshot's, published as one change from the current image
   * (image-diff.ts) so the publishers see what went and what came. A start-up backlog read
   * before it is covered by it and dropped.
   */
  async #loadSnapshot(endOffset: number, records: readonly MetadataRecord[]): Promise<void> {
    const { loader, logger } = this.#options;
    const change = imageDiffRecords(loader.image, imageFromRecords(records));
    await loader.prepare(change);
    await Promise.all(loader.publishPrepared(change));
    logger.info('metadata snapshot loaded', { from: this.#nextOffset, endOffset, records: records.length, changes: change.length });
    this.#backlog = [];
    this.#nextOffset = endOffset;
    this.#backlogEnd = endOffset;
    this.#readFrom = endOffset;
  }

  #wake(): void {
    for (const w of [...this.#waiters]) {
      if (this.#nextOffset >= w.offset || w.offset === Number.MAX_SAFE_INTEGER) {
        this.#waiters.delete(w);
        w.resolve();
      }
    }
  }
}
