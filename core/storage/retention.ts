/**
 * Retention policy, in the core: which old segments of a partition log to delete, by
 * time (`retention.ms`) and by size (`retention.bytes`), computed from `log.segments()`.
 * The adapter only performs the deletion (`trimBefore`).
 *
 * The rules follow Kafka's UnifiedLog.deleteOldSegments:
 * - segments are considered oldest first, and deletion stops at the first one that is
 *   kept (the log start only moves forward, and never past a kept segment);
 * - time: a segment goes when `now - maxTimestamp > retention.ms`; a segment whose max
 *   timestamp is unknown (-1) is kept, since nothing says it is old (Kafka would fall
 *   back to the file's mtime, which the core does not have);
 * - size: then, while the log is larger than `retention.bytes`, the oldest segments go
 *   as long as what remains is still at least `retention.bytes`;
 * - a segment goes only when the high watermark is at or past its end, so the log start
 *   never overtakes what consumers may read;
 * - the last (active) segment may go too when it breaches the policy (Kafka rolls it
 *   first), leaving an empty log that continues at the same offset; an empty last segment
 *   is never "deleted".
 * `retention.ms = -1` and `retention.bytes < 0` disable that half.
 */
import type { SegmentInfo } from '../contracts/storage.ts';
import { TributaryError } from '../errors.ts';

/** Kafka's default retention.ms: 7 days. */
export const DEFAULT_RETENTION_MS = 604_800_000;
/** Kafka's default retention.bytes: unlimited. */
export const DEFAULT_RETENTION_BYTES = -1;

/** One topic's retention settings. */
export interface RetentionConfig {
  /** Keep data at most this long, by record timestamp (ms); -1: no time limit. */
  readonly retentionMs: number;
  /** Keep at most about this many bytes per partition; negative: no size limit. */
  readonly retentionBytes: number;
}

/** The defaults: 7 days, unlimited size. */
export const DEFAULT_RETENTION: RetentionConfig = Object.freeze({ retentionMs: DEFAULT_RETENTION_MS, retentionBytes: DEFAULT_RETENTION_BYTES });

function integerConfig(config: Readonly<Record<string, unknown>>, key: string, fallback: number, min: number): number {
  const raw = config[key];
  if (raw === undefined || raw === null || raw === '') return fallback;
  const n = typeof raw === 'number' ? raw : /^-?\d+$/.test(String(raw).trim()) ? Number(String(raw).trim()) : Number.NaN;
  if (!Number.isInteger(n) || n < min) {
    throw new TributaryError('ERR_INVALID_CONFIG', `${key} must be an integer ≥ ${min}, got ${String(raw)}`, { details: { key, value: raw } });
  }
  return n;
}

/**
 * Reads `retention.ms` and `retention.bytes` from a topic's config (strings, as Kafka's
 * configs are, or numbers), with Kafka's defaults. `ERR_INVALID_CONFIG` for values that
 * are not integers or are below -1 (retention.ms).
 */
export function retentionConfigFromTopicConfig(config: Readonly<Record<string, unknown>> = {}): RetentionConfig {
  return {
    retentionMs: integerConfig(config, 'retention.ms', DEFAULT_RETENTION_MS, -1),
    retentionBytes: integerConfig(config, 'retention.bytes', DEFAULT_RETENTION_BYTES, Number.MIN_SAFE_INTEGER),
  };
}

/** Why a segment is deleted. */
export type RetentionReason = 'time' | 'size';

/** What {@link planRetention} decided for one log. */
export interface RetentionPlan {
  /** Pass this to `trimBefore`; null when nothing is to be deleted. */
  readonly trimBefore: number | null;
  /** The segments to delete, oldest first, with the reason for each. */
  readonly segments: ReadonlyArray<SegmentInfo & { readonly reason: RetentionReason }>;
  /** Bytes those segments hold. */
  readonly bytes: number;
}

/** The state of a log that {@link planRetention} needs besides its segments. */
export interface RetentionInput {
  /** The log's segments, oldest first (`log.segments()`). */
  readonly segments: readonly SegmentInfo[];
  /** The log end offset (`log.endOffset()`). */
  readonly endOffset: number;
  /** Offsets at and past this are not deleted (default: endOffset). */
  readonly highWatermark?: number;
  /** The current time in ms. */
  readonly now: number;
}

/** Decides which segments retention deletes; pure, so the broker and tests can ask. */
export function planRetention(input: RetentionInput, config: RetentionConfig): RetentionPlan {
  const segs = input.segments;
  const n = segs.length;
  const hw = input.highWatermark ?? input.endOffset;
  // A segment's end is where the next begins (or the log end for the last one).
  const upper = (i: number) => (i + 1 < n ? segs[i + 1]!.baseOffset : input.endOffset);
  const eligible = (i: number) => hw >= upper(i) && !(i === n - 1 && segs[i]!.sizeBytes === 0);
  const chosen: Array<SegmentInfo & { reason: RetentionReason }> = [];
  let k = 0;
  if (config.retentionMs >= 0) {
    while (k < n && eligible(k)) {
      const s = segs[k]!;
      const expired = s.sizeBytes === 0 || (s.maxTimestamp >= 0 && input.now - s.maxTimestamp > config.retentionMs);
      if (!expired) break;
      chosen.push({ ...s, reason: 'time' });
      k++;
    }
  }
  if (config.retentionBytes >= 0) {
    let remaining = 0;
    for (let i = k; i < n; i++) remaining += segs[i]!.sizeBytes;
    let excess = remaining - config.retentionBytes;
    while (excess >= 0 && k < n && eligible(k) && excess - segs[k]!.sizeBytes >= 0) {
      excess -= segs[k]!.sizeBytes;
      chosen.push({ ...segs[k]!, reason: 'size' });
      k++;
    }
  }
  return {
    trimBefore: k > 0 ? upper(k - 1) : null,
    segments: chosen,
    bytes: chosen.reduce((sum, s) => sum + s.sizeBytes, 0),
  };
}
