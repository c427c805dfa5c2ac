/**
 * `guardStorage(adapter)`: the one place that holds every storage adapter to the contract
 * (abstract-level style). The guard validates arguments, rejects use before open and after
 * close, checks offset order and read range, resolves `minOneBatch`, and runs each log's
 * mutations (append, truncateTo, trimBefore, sync, close) one at a time, in call order;
 * then it calls the adapter, whose methods may assume all of that (see PartitionLog in
 * core/contracts/storage.ts). Optional primitives get fallbacks here: `appendBatches`
 * becomes one append after another when the adapter has no native one.
 *
 * The guard sits on the hot path of every produce and fetch, so it is written to cost
 * close to nothing there:
 * - `read` is synchronous up to the adapter's call and returns the adapter's own promise
 *   (or a shared resolved one for a read at the log end): no async wrapper, no await.
 * - `append` on an idle log calls the adapter at once; with an `appendSync` primitive
 *   it answers with a shared resolved promise, so an append costs no promise at all.
 *   Only an append that must wait behind another mutation gets a queue entry (a closure
 *   and a promise), and only an asynchronous adapter append gets a completion callback
 *   (bound once per log, not per call).
 * - Read options are resolved to one of two frozen objects, never copied per call.
 * - Argument checks are inline comparisons; the coded error is built (by
 *   core/storage/arguments.ts, which words it the same for every adapter) only on failure.
 */
import type {
  AppendOptions,
  BatchInfo,
  BatchToAppend,
  GuardedPartitionLog,
  GuardedStorage,
  GuardedStorageCapabilities,
  MetadataOp,
  MetadataStore,
  PartitionLog,
  PartitionLogOptions,
  PartitionRef,
  ReadOptions,
  ReadResult,
  RecoveryEvent,
  SegmentInfo,
  Storage,
} from '../contracts/storage.ts';
import { KafkaCode, TributaryError, kafkaError } from '../errors.ts';
import {
  checkAppendArguments,
  checkMaxBytes,
  checkMetadataKey,
  checkMetadataOps,
  checkMetadataValue,
  checkOffsetArgument,
  checkPartitionLogOptions,
  checkTimestampArgument,
} from './arguments.ts';

/** Marks a guarded storage; a symbol (own and enumerable) so that `{ ...guarded }` stays marked. */
export const GUARDED: unique symbol = Symbol.for('tributary.storage.guarded') as never;

const RESOLVED: Promise<void> = Promise.resolve();
const EMPTY: ReadResult = Object.freeze({ chunks: Object.freeze([]) as unknown as Uint8Array[], bytes: 0 });
const EMPTY_READ: Promise<ReadResult> = Promise.resolve(EMPTY);
const MIN_ONE: ReadOptions = Object.freeze({ minOneBatch: true });
const NOT_MIN_ONE: ReadOptions = Object.freeze({ minOneBatch: false });
const noop = (): void => {};

/** True when `storage` was returned by {@link guardStorage} (or is a spread copy of one). */
export function isGuardedStorage(storage: unknown): storage is GuardedStorage {
  return typeof storage === 'object' && storage !== null && (storage as { [GUARDED]?: unknown })[GUARDED] === true;
}

/** Runs a throwing check and returns its error as a rejection (the slow path only). */
function rejection<T>(check: () => void): Promise<T> {
  try {
    check();
  } catch (error) {
    return Promise.reject(error);
  }
  // The inline test and the check disagree: still refuse, with the check's code.
  return Promise.reject(new TributaryError('ERR_INVALID_ARGUMENT', 'invalid storage call'));
}

function isOffset(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/** The inline form of `checkAppendArguments`: true when it would pass. */
function validAppend(batch: Uint8Array, info: BatchInfo): boolean {
  return (
    batch instanceof Uint8Array &&
    batch.byteLength > 0 &&
    typeof info === 'object' &&
    info !== null &&
    isOffset(info.baseOffset) &&
    isOffset(info.lastOffset) &&
    info.lastOffset >= info.baseOffset &&
    Number.isSafeInteger(info.maxTimestamp) &&
    isOffset(info.recordCount)
  );
}

function closedError(topic: string, partition: number): TributaryError {
  return new TributaryError('ERR_STORAGE_CLOSED', `The log of ${topic}-${partition} is closed`, { details: { topic, partition } });
}

function orderError(topic: string, partition: number, baseOffset: number, endOffset: number): TributaryError {
  return new TributaryError('ERR_OFFSET_ORDER', `Batch at offset ${baseOffset} is below the log end offset ${endOffset} of ${topic}-${partition}`, {
    details: { topic, partition, baseOffset, endOffset },
  });
}

function rangeError(topic: string, partition: number, offset: number, startOffset: number, endOffset: number): TributaryError {
  return kafkaError(KafkaCode.OFFSET_OUT_OF_RANGE, `Offset ${offset} is outside [${startOffset}, ${endOffset}] of ${topic}-${partition}`, {
    details: { topic, partition, offset, startOffset, endOffset },
  });
}

/** Calls `fn`, turning a synchronous throw of a non-async adapter method into a rejection. */
function attempt<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return fn();
  } catch (error) {
    return Promise.reject(error);
  }
}

/** What a guarded log needs from its storage's guard. */
interface LogOwner {
  forget(log: GuardedLog): void;
}

/**
 * The guard of one partition log. `#pending` counts the mutations admitted and not yet
 * settled; while it is zero a mutation runs at once, otherwise it waits behind `#tail`.
 */
class GuardedLog implements GuardedPartitionLog {
  readonly topic: string;
  readonly partition: number;
  /** The key of this log in its storage guard. */
  readonly key: string;
  readonly #inner: PartitionLog;
  readonly #owner: LogOwner;
  /** The adapter has the appendSync primitive (looked up once, not per append). */
  readonly #appendSync: boolean;
  #closed = false;
  #closing: Promise<void> | undefined;
  #pending = 0;
  #tail: Promise<unknown> = RESOLVED;
  /** Bound once: the completion callback of every tracked mutation. */
  readonly #settle = (): void => {
    this.#pending--;
  };

  constructor(inner: PartitionLog, key: string, owner: LogOwner) {
    this.topic = inner.topic;
    this.partition = inner.partition;
    this.key = key;
    this.#inner = inner;
    this.#owner = owner;
    this.#appendSync = typeof inner.appendSync === 'function';
  }

  /** The adapter's log under this guard. */
  get inner(): PartitionLog {
    return this.#inner;
  }

  /** True once closed (by `close`, the storage's close, or deletePartition). */
  get closed(): boolean {
    return this.#closed;
  }

  get recovery(): readonly RecoveryEvent[] {
    return this.#inner.recovery;
  }

  startOffset(): number {
    return this.#inner.startOffset();
  }

  endOffset(): number {
    return this.#inner.endOffset();
  }

  sizeBytes(): number {
    return this.#inner.sizeBytes();
  }

  segments(): readonly SegmentInfo[] {
    return this.#inner.segments();
  }

  append(batch: Uint8Array, info: BatchInfo, options?: AppendOptions): Promise<void> {
    if (this.#closed) return Promise.reject(closedError(this.topic, this.partition));
    if (!validAppend(batch, info)) return rejection(() => checkAppendArguments(batch, info));
    if (this.#pending !== 0) return this.#enqueue(() => this.#appendNow(batch, info, options));
    // The idle fast path, inline: with appendSync nothing is allocated at all.
    const inner = this.#inner;
    if (this.#appendSync) {
      const end = inner.endOffset();
      if (info.baseOffset < end) return Promise.reject(orderError(this.topic, this.partition, info.baseOffset, end));
      try {
        inner.appendSync!(batch, info, options);
      } catch (error) {
        return Promise.reject(error);
      }
      return RESOLVED;
    }
    return this.#track(this.#appendNow(batch, info, options));
  }

  appendBatches(batches: readonly BatchToAppend[], options?: AppendOptions): Promise<void> {
    if (this.#closed) return Promise.reject(closedError(this.topic, this.partition));
    if (!Array.isArray(batches)) return Promise.reject(new TributaryError('ERR_INVALID_ARGUMENT', 'appendBatches takes an array of { batch, info }'));
    for (let i = 0; i < batches.length; i++) {
      const entry = batches[i];
      if (typeof entry !== 'object' || entry === null) return Promise.reject(new TributaryError('ERR_INVALID_ARGUMENT', `appendBatches: entry ${i} is not a { batch, info }`));
      if (!validAppend(entry.batch, entry.info)) return rejection(() => checkAppendArguments(entry.batch, entry.info));
      const previous = i > 0 ? batches[i - 1]!.info : undefined;
      if (previous !== undefined && entry.info.baseOffset <= previous.lastOffset) {
        return Promise.reject(orderError(this.topic, this.partition, entry.info.baseOffset, previous.lastOffset + 1));
      }
    }
    if (batches.length === 0) return RESOLVED;
    // A copy: the caller may reuse its array while the append waits in the queue.
    const own = batches.slice();
    if (this.#pending === 0) return this.#track(this.#appendBatchesNow(own, options));
    return this.#enqueue(() => this.#appendBatchesNow(own, options));
  }

  read(offset: number, maxBytes: number, options?: ReadOptions): Promise<ReadResult> {
    if (this.#closed) return Promise.reject(closedError(this.topic, this.partition));
    if (!(typeof maxBytes === 'number' && maxBytes >= 0)) return rejection(() => checkMaxBytes(maxBytes));
    const inner = this.#inner;
    const end = inner.endOffset();
    if (offset === end) return EMPTY_READ;
    const start = inner.startOffset();
    if (!(offset >= start && offset < end && Number.isSafeInteger(offset))) return Promise.reject(rangeError(this.topic, this.partition, offset, start, end));
    // Synchronously up to here: an adapter that reads its index in the call sees the same
    // bounds. try/catch inline rather than through attempt(): no closure per read.
    try {
      return inner.read(offset, maxBytes, options === undefined || options.minOneBatch !== false ? MIN_ONE : NOT_MIN_ONE);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  truncateTo(offset: number): Promise<void> {
    if (this.#closed) return Promise.reject(closedError(this.topic, this.partition));
    if (!isOffset(offset)) return rejection(() => checkOffsetArgument('truncateTo', offset));
    if (this.#pending === 0) return this.#track(this.#truncateNow(offset));
    return this.#enqueue(() => this.#truncateNow(offset));
  }

  trimBefore(offset: number): Promise<number> {
    if (this.#closed) return Promise.reject(closedError(this.topic, this.partition));
    if (!isOffset(offset)) return rejection(() => checkOffsetArgument('trimBefore', offset));
    if (this.#pending === 0) return this.#track(this.#trimNow(offset));
    return this.#enqueue(() => this.#trimNow(offset));
  }

  offsetForTimestamp(timestamp: number): Promise<number | null> {
    if (this.#closed) return Promise.reject(closedError(this.topic, this.partition));
    if (typeof timestamp !== 'number' || Number.isNaN(timestamp)) return rejection(() => checkTimestampArgument(timestamp));
    return attempt(() => this.#inner.offsetForTimestamp(timestamp));
  }

  sync(): Promise<void> {
    if (this.#closed) return Promise.reject(closedError(this.topic, this.partition));
    if (this.#pending === 0) return this.#track(attempt(() => this.#inner.sync()));
    return this.#enqueue(() => this.#inner.sync());
  }

  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    this.#shut();
    // Mutations admitted before the close still run; then the adapter closes the log.
    const inner = this.#inner;
    this.#closing = this.#pending === 0 ? attempt(() => inner.close()) : this.#tail.then(() => inner.close());
    return this.#closing;
  }

  /**
   * Refuses every later call and resolves once the mutations already admitted have
   * settled, without closing the adapter's log (its storage closes or deletes it).
   */
  drain(): Promise<void> {
    this.#shut();
    return this.#pending === 0 ? RESOLVED : this.#tail.then(noop, noop);
  }

  #shut(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#owner.forget(this);
  }

  /** Counts `run` as pending until it settles (an already settled shared promise needs nothing). */
  #track<T>(run: Promise<T>): Promise<T> {
    if (run === (RESOLVED as Promise<unknown>)) return run;
    this.#pending++;
    this.#tail = run;
    run.then(this.#settle, this.#settle);
    return run;
  }

  #enqueue<T>(op: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(op, op);
    return this.#track(run);
  }

  #appendNow(batch: Uint8Array, info: BatchInfo, options: AppendOptions | undefined): Promise<void> {
    const inner = this.#inner;
    const end = inner.endOffset();
    if (info.baseOffset < end) return Promise.reject(orderError(this.topic, this.partition, info.baseOffset, end));
    if (this.#appendSync) {
      try {
        inner.appendSync!(batch, info, options);
      } catch (error) {
        return Promise.reject(error);
      }
      return RESOLVED;
    }
    try {
      return inner.append(batch, info, options);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async #appendBatchesNow(batches: readonly BatchToAppend[], options: AppendOptions | undefined): Promise<void> {
    const inner = this.#inner;
    const end = inner.endOffset();
    if (batches[0]!.info.baseOffset < end) throw orderError(this.topic, this.partition, batches[0]!.info.baseOffset, end);
    if (inner.appendBatches !== undefined) return inner.appendBatches(batches, options);
    // The fallback: one after another, in order; a failure leaves the earlier ones stored.
    for (const { batch, info } of batches) {
      if (this.#appendSync) inner.appendSync!(batch, info, options);
      else await inner.append(batch, info, options);
    }
  }

  #truncateNow(offset: number): Promise<void> {
    const inner = this.#inner;
    if (offset >= inner.endOffset()) return RESOLVED;
    return attempt(() => inner.truncateTo(offset));
  }

  #trimNow(offset: number): Promise<number> {
    const inner = this.#inner;
    const end = inner.endOffset();
    if (offset > end) {
      return Promise.reject(
        kafkaError(KafkaCode.OFFSET_OUT_OF_RANGE, `Cannot trim ${this.topic}-${this.partition} before ${offset}: the log ends at ${end}`, {
          details: { topic: this.topic, partition: this.partition, offset, endOffset: end },
        }),
      );
    }
    const start = inner.startOffset();
    if (offset <= start) return Promise.resolve(start);
    return attempt(() => inner.trimBefore(offset));
  }
}

function checkPartitionRef(topic: unknown, partition: unknown): void {
  // Which names are legal is the adapter's business (a path, a key); that it is a string is ours.
  if (typeof topic !== 'string') throw new TributaryError('ERR_INVALID_ARGUMENT', `A topic name must be a string, got ${typeof topic}`);
  if (!isOffset(partition)) throw new TributaryError('ERR_INVALID_ARGUMENT', `A partition must be a non-negative integer, got ${String(partition)}`);
}

/**
 * Wraps a storage adapter in the core's guard (see the top of this file). A storage that
 * is already guarded is returned as is, so wrapping twice costs nothing.
 */
export function guardStorage(storage: Storage): GuardedStorage {
  if (isGuardedStorage(storage)) return storage;
  if (typeof storage !== 'object' || storage === null || typeof storage.openPartition !== 'function' || typeof storage.open !== 'function') {
    throw new TributaryError('ERR_INVALID_ARGUMENT', 'guardStorage needs a Storage adapter (an object with open, openPartition, metadata, …)');
  }
  let state: 'new' | 'open' | 'closed' = 'new';
  /** Bumped by close, so that an open() that settles after it does not reopen the guard. */
  let epoch = 0;
  /** The open guarded logs, by `topic\0partition`. */
  const logs = new Map<string, GuardedLog>();
  const owner: LogOwner = {
    forget(log) {
      if (logs.get(log.key) === log) logs.delete(log.key);
    },
  };
  const assertOpen = (): void => {
    if (state !== 'open') throw new TributaryError('ERR_STORAGE_CLOSED', `The ${storage.name} storage is not open`);
  };
  const declared = storage.supports;
  const supports: GuardedStorageCapabilities = Object.freeze({
    durable: declared.durable,
    segmented: declared.segmented ?? false,
    shared: declared.shared ?? false,
    remote: declared.remote ?? false,
  });
  const inner = storage.metadata;

  const metadata: MetadataStore = {
    async get(key) {
      assertOpen();
      checkMetadataKey(key);
      return inner.get(key);
    },
    async put(key, value) {
      assertOpen();
      checkMetadataKey(key);
      checkMetadataValue(value, key);
      return inner.put(key, value);
    },
    async delete(key) {
      assertOpen();
      checkMetadataKey(key);
      return inner.delete(key);
    },
    async list(prefix) {
      assertOpen();
      checkMetadataKey(prefix);
      return inner.list(prefix);
    },
    async write(ops: readonly MetadataOp[]) {
      assertOpen();
      checkMetadataOps(ops);
      return inner.write(ops);
    },
  };

  const guarded: GuardedStorage & { readonly [GUARDED]: true } = {
    [GUARDED]: true,
    name: storage.name,
    supports,
    metadata,

    open() {
      const at = epoch;
      return attempt(() => storage.open()).then(() => {
        if (at === epoch) state = 'open';
      });
    },

    async openPartition(topic: string, partition: number, options?: PartitionLogOptions): Promise<GuardedPartitionLog> {
      assertOpen();
      checkPartitionRef(topic, partition);
      checkPartitionLogOptions(options);
      const log = await storage.openPartition(topic, partition, options);
      const key = `${topic}\u0000${partition}`;
      const known = logs.get(key);
      if (known !== undefined && known.inner === log) return known;
      const fresh = new GuardedLog(log, key, owner);
      logs.set(key, fresh);
      return fresh;
    },

    async listPartitions(): Promise<PartitionRef[]> {
      assertOpen();
      return storage.listPartitions();
    },

    async deletePartition(topic: string, partition: number): Promise<void> {
      assertOpen();
      checkPartitionRef(topic, partition);
      // The log's admitted mutations finish first; the adapter then deletes (and closes) it.
      await logs.get(`${topic}\u0000${partition}`)?.drain();
      return storage.deletePartition(topic, partition);
    },

    async close(): Promise<void> {
      epoch++;
      state = 'closed';
      const open = [...logs.values()];
      await Promise.all(open.map((log) => log.drain()));
      return storage.close();
    },
  };
  return guarded;
}
