/** Settings of the group coordinator, named after the Kafka broker configs they mirror. */
import { TributaryError } from '../../errors.ts';
import { type GroupTimers, systemTimers } from './timers.ts';

/** Options of the group coordinator (all optional; defaults are Kafka's). */
export interface GroupCoordinatorOptions {
  /** group.min.session.timeout.ms: the smallest session timeout a member may ask for. Default 6000. */
  readonly minSessionTimeoutMs?: number;
  /** group.max.session.timeout.ms: the largest session timeout a member may ask for. Default 1800000. */
  readonly maxSessionTimeoutMs?: number;
  /**
   * group.initial.rebalance.delay.ms: how long the first rebalance of an empty group waits
   * for more members (extended by each new member, up to the rebalance timeout). Default 3000.
   */
  readonly initialRebalanceDelayMs?: number;
  /** offsets.retention.minutes in ms: how long an empty group's offsets are kept. Default 7 days. */
  readonly offsetsRetentionMs?: number;
  /** offsets.retention.check.interval.ms: how often expired offsets are removed. Default 600000; 0 disables. */
  readonly offsetsRetentionCheckIntervalMs?: number;
  /** offset.metadata.max.bytes: the longest metadata string of a commit. Default 4096. */
  readonly offsetMetadataMaxBytes?: number;
  /** group.max.size: members per group. Default unlimited. */
  readonly maxGroupSize?: number;
  /** Clock and timers; default the runtime's. */
  readonly timers?: GroupTimers;
}

/** Options with every default applied. */
export interface GroupSettings {
  readonly minSessionTimeoutMs: number;
  readonly maxSessionTimeoutMs: number;
  readonly initialRebalanceDelayMs: number;
  readonly offsetsRetentionMs: number;
  readonly offsetsRetentionCheckIntervalMs: number;
  readonly offsetMetadataMaxBytes: number;
  readonly maxGroupSize: number;
  readonly timers: GroupTimers;
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || Number.isNaN(v) || v < 0) throw new TributaryError('ERR_INVALID_ARGUMENT', `${name} must be a non-negative number, got ${v}`);
  return v;
}

/** Validates options and fills in defaults. */
export function groupSettings(options: GroupCoordinatorOptions = {}): GroupSettings {
  const settings: GroupSettings = {
    minSessionTimeoutMs: nonNegative('minSessionTimeoutMs', options.minSessionTimeoutMs, 6000),
    maxSessionTimeoutMs: nonNegative('maxSessionTimeoutMs', options.maxSessionTimeoutMs, 1_800_000),
    initialRebalanceDelayMs: nonNegative('initialRebalanceDelayMs', options.initialRebalanceDelayMs, 3000),
    offsetsRetentionMs: nonNegative('offsetsRetentionMs', options.offsetsRetentionMs, 7 * 24 * 3600 * 1000),
    offsetsRetentionCheckIntervalMs: nonNegative('offsetsRetentionCheckIntervalMs', options.offsetsRetentionCheckIntervalMs, 600_000),
    offsetMetadataMaxBytes: nonNegative('offsetMetadataMaxBytes', options.offsetMetadataMaxBytes, 4096),
    maxGroupSize: nonNegative('maxGroupSize', options.maxGroupSize, Number.MAX_SAFE_INTEGER),
    timers: options.timers ?? systemTimers,
  };
  if (settings.minSessionTimeoutMs > settings.maxSessionTimeoutMs) {
    throw new TributaryError('ERR_INVALID_ARGUMENT', `minSessionTimeoutMs ${settings.minSessionTimeoutMs} exceeds maxSessionTimeoutMs ${settings.maxSessionTimeoutMs}`);
  }
  return settings;
}
