/**
 * Retention on a timer: for every partition, drop the oldest deletable units (segments)
 * that are older than retention.ms or that push the partition over retention.bytes.
 * Policy lives here; the adapter only deletes (trimBefore) and may round to its segments.
 */
import type { SegmentInfo } from '../contracts/storage.ts';
import type { Broker } from './broker.ts';
import type { PartitionState } from './partition-state.ts';
import type { TopicSettings } from './topic-config.ts';

/**
 * The offset before which retention may delete, given the partition's deletable units
 * (oldest first), its settings and the clock. Never beyond the high watermark, so data a
 * consumer has not been allowed to see yet is never removed.
 */
export function retentionCutoff(segments: readonly SegmentInfo[], settings: TopicSettings, now: number, highWatermark: number): number | null {
  let cutoff: number | null = null;
  let total = segments.reduce((sum, s) => sum + s.sizeBytes, 0);
  for (const segment of segments) {
    if (segment.nextOffset > highWatermark) break;
    const expired = settings.retentionMs >= 0 && segment.maxTimestamp >= 0 && now - segment.maxTimestamp > settings.retentionMs;
    const oversized = settings.retentionBytes >= 0 && total - segment.sizeBytes >= settings.retentionBytes;
    if (!expired && !oversized) break;
    cutoff = segment.nextOffset;
    total -= segment.sizeBytes;
  }
  return cutoff;
}

/** Runs retention periodically for a broker. */
export class RetentionTask {
  #broker: Broker;
  #intervalMs: number;
  #timer: ReturnType<typeof setInterval> | undefined;
  #running: Promise<void> | undefined;

  constructor(broker: Broker, intervalMs: number) {
    this.#broker = broker;
    this.#intervalMs = intervalMs;
  }

  /** Starts the timer (no-op when the interval is 0). */
  start(): void {
    if (this.#intervalMs <= 0 || this.#timer !== undefined) return;
    this.#timer = setInterval(() => void this.runOnce(), this.#intervalMs);
    // Node keeps the process alive for a pending interval; a broker should not by itself.
    (this.#timer as { unref?: () => void }).unref?.();
  }

  /** One pass over every partition; concurrent calls share the pass. */
  runOnce(): Promise<void> {
    this.#running ??= this.#pass().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** Stops the timer and waits for a pass in progress. */
  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  async #pass(): Promise<void> {
    const now = Date.now();
    for (const topic of this.#broker.topics.all()) {
      for (const partition of topic.partitions) {
        try {
          await this.#trim(partition, topic.settings, now);
        } catch (error) {
          this.#broker.logger.error('retention failed', { topic: topic.name, partition: partition.partition, error: String(error) });
        }
      }
    }
  }

  async #trim(partition: PartitionState, settings: TopicSettings, now: number): Promise<void> {
    if (!partition.open) return;
    const cutoff = retentionCutoff(partition.log.segments(), settings, now, partition.highWatermark);
    if (cutoff === null || cutoff <= partition.logStartOffset) return;
    const start = await partition.log.trimBefore(cutoff);
    partition.resync();
    this.#broker.logger.debug('retention trimmed a partition', { topic: partition.topic, partition: partition.partition, logStartOffset: start });
  }
}
