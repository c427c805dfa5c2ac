/**
 * When appended data is made durable: Kafka's flush policy, in the core.
 *
 * - `always`: every append is made with `{ sync: true }` (fsync before the ack).
 * - `interval`: a sync after every `messages` records (in the append that crosses the
 *   count, so its ack waits for it, as Kafka's flush.messages does) and/or once unsynced
 *   data is `ms` old (checked by the {@link FlushScheduler}'s timer, as Kafka's flush.ms).
 * - `never`: the adapter and the OS decide (Kafka's default); close() still syncs.
 *
 * Mechanism: the broker wraps each partition log once with {@link FlushScheduler.wrap}
 * and appends through the wrapper; the wrapper is itself a PartitionLog, so nothing else
 * changes. One scheduler (one timer) serves every partition of a broker.
 */
import type { Logger } from '../contracts/logger.ts';
import { silentLogger } from '../contracts/logger.ts';
import type { AppendOptions, BatchInfo, PartitionLog } from '../contracts/storage.ts';
import { TributaryError } from '../errors.ts';

/** How one partition's appends become durable. */
export type FlushPolicy =
  | { readonly mode: 'always' }
  | { readonly mode: 'interval'; readonly messages?: number; readonly ms?: number }
  | { readonly mode: 'never' };

/** Checks a policy and returns it; `ERR_INVALID_CONFIG` when it makes no sense. */
export function validateFlushPolicy(policy: FlushPolicy): FlushPolicy {
  const mode = (policy as { mode?: unknown } | undefined)?.mode;
  if (mode === 'always' || mode === 'never') return policy;
  if (mode !== 'interval') throw new TributaryError('ERR_INVALID_CONFIG', `Unknown flush policy mode ${JSON.stringify(mode)} (always, interval or never)`);
  const p = policy as { messages?: number; ms?: number };
  for (const [name, value] of [['messages', p.messages], ['ms', p.ms]] as const) {
    if (value !== undefined && !(Number.isSafeInteger(value) && value > 0)) {
      throw new TributaryError('ERR_INVALID_CONFIG', `Flush policy ${name} must be a positive integer, got ${value}`);
    }
  }
  if (p.messages === undefined && p.ms === undefined) {
    throw new TributaryError('ERR_INVALID_CONFIG', 'An interval flush policy needs messages and/or ms');
  }
  return policy;
}

/** Kafka treats Long.MAX_VALUE (the default) as "never"; anything at or past 2^53 is that. */
const KAFKA_NEVER = 2 ** 53;

function configNumber(config: Readonly<Record<string, unknown>>, key: string): number | undefined {
  const raw = config[key];
  if (raw === undefined || raw === null || raw === '') return undefined;
  const n = typeof raw === 'number' ? raw : /^-?\d+$/.test(String(raw).trim()) ? Number(String(raw).trim()) : Number.NaN;
  if (!Number.isFinite(n) || !Number.isInteger(n) || n < 0) {
    throw new TributaryError('ERR_INVALID_CONFIG', `${key} must be a non-negative integer, got ${String(raw)}`, { details: { key, value: raw } });
  }
  return n >= KAFKA_NEVER ? undefined : n;
}

/**
 * The policy described by Kafka's topic configs `flush.messages` and `flush.ms` (both
 * default to "never"). `flush.messages=1` means a sync in every append: `always`.
 */
export function flushPolicyFromTopicConfig(config: Readonly<Record<string, unknown>> = {}): FlushPolicy {
  const messages = configNumber(config, 'flush.messages');
  const ms = configNumber(config, 'flush.ms');
  if (messages !== undefined && messages <= 1) return { mode: 'always' };
  if (ms === 0) return { mode: 'always' };
  if (messages === undefined && ms === undefined) return { mode: 'never' };
  return { mode: 'interval', ...(messages !== undefined ? { messages } : {}), ...(ms !== undefined ? { ms } : {}) };
}

/** Options of {@link FlushScheduler}. */
export interface FlushSchedulerOptions {
  /** Clock in ms (default `Date.now`). */
  now?: () => number;
  /** How often the timer looks for data older than a policy's `ms` (default 1000). */
  tickMs?: number;
  /** Where failed background syncs are reported. */
  logger?: Logger;
}

/** Book-keeping for one wrapped log. */
interface Tracked {
  readonly log: PartitionLog;
  readonly policy: FlushPolicy;
  /** Records appended since the last sync started. */
  unsynced: number;
  /** When the oldest unsynced append completed (-1 when everything is synced). */
  dirtySince: number;
}

/**
 * Applies flush policies to partition logs: wraps them, counts what is unsynced, and
 * syncs what has waited too long, on a timer (`start`) or on demand (`flushDue`).
 */
export class FlushScheduler {
  readonly #now: () => number;
  readonly #tickMs: number;
  readonly #logger: Logger;
  readonly #tracked = new Set<Tracked>();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(options: FlushSchedulerOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#tickMs = options.tickMs ?? 1000;
    if (!(this.#tickMs > 0)) throw new TributaryError('ERR_INVALID_CONFIG', `tickMs must be positive, got ${this.#tickMs}`);
    this.#logger = options.logger ?? silentLogger;
  }

  /** Number of logs currently wrapped (closed wrappers are forgotten). */
  get size(): number {
    return this.#tracked.size;
  }

  /**
   * Returns a PartitionLog that appends to `log` under `policy`. Reads and everything
   * else pass straight through; `sync()` and `close()` also reset the unsynced count.
   */
  wrap(log: PartitionLog, policy: FlushPolicy): PartitionLog {
    validateFlushPolicy(policy);
    const t: Tracked = { log, policy, unsynced: 0, dirtySince: -1 };
    this.#tracked.add(t);
    const sync = async () => {
      t.unsynced = 0;
      t.dirtySince = -1;
      await log.sync();
    };
    const append = async (batch: Uint8Array, info: BatchInfo, options?: AppendOptions): Promise<void> => {
      if (policy.mode === 'always') return log.append(batch, info, { ...options, sync: true });
      await log.append(batch, info, options);
      if (policy.mode === 'never' || options?.sync) return;
      t.unsynced += Math.max(1, info.recordCount);
      if (t.dirtySince < 0) t.dirtySince = this.#now();
      if (policy.messages !== undefined && t.unsynced >= policy.messages) await sync();
    };
    return {
      get topic() {
        return log.topic;
      },
      get partition() {
        return log.partition;
      },
      get recovery() {
        return log.recovery;
      },
      startOffset: () => log.startOffset(),
      endOffset: () => log.endOffset(),
      sizeBytes: () => log.sizeBytes(),
      append,
      read: (offset, maxBytes, options) => log.read(offset, maxBytes, options),
      truncateTo: (offset) => log.truncateTo(offset),
      trimBefore: (offset) => log.trimBefore(offset),
      offsetForTimestamp: (timestamp) => log.offsetForTimestamp(timestamp),
      segments: () => log.segments(),
      sync,
      close: async () => {
        this.#tracked.delete(t);
        await log.close();
      },
    };
  }

  /**
   * Syncs every wrapped log whose oldest unsynced data is at least its policy's `ms`
   * old; returns how many it synced. Failures are logged, not thrown (the next append
   * or tick tries again).
   */
  async flushDue(): Promise<number> {
    const now = this.#now();
    let synced = 0;
    for (const t of this.#tracked) {
      if (t.policy.mode !== 'interval' || t.policy.ms === undefined || t.dirtySince < 0) continue;
      if (now - t.dirtySince < t.policy.ms) continue;
      const { unsynced, dirtySince } = t;
      t.unsynced = 0;
      t.dirtySince = -1;
      try {
        await t.log.sync();
        synced++;
      } catch (error) {
        // Keep it dirty so that the next tick retries.
        t.unsynced += unsynced;
        if (t.dirtySince < 0) t.dirtySince = dirtySince;
        this.#logger.error('flush failed', { topic: t.log.topic, partition: t.log.partition, error: String(error) });
      }
    }
    return synced;
  }

  /** Syncs every wrapped log that has unsynced data (before a clean shutdown, say). */
  async flushAll(): Promise<void> {
    await Promise.all([...this.#tracked].filter((t) => t.unsynced > 0).map(async (t) => {
      t.unsynced = 0;
      t.dirtySince = -1;
      await t.log.sync();
    }));
  }

  /** Starts the timer that calls {@link flushDue} every `tickMs` (it does not keep a process alive). */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      this.flushDue().catch((error: unknown) => this.#logger.error('flush tick failed', { error: String(error) }));
    }, this.#tickMs);
    (this.#timer as { unref?: () => void }).unref?.();
  }

  /** Stops the timer. */
  stop(): void {
    if (this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
