/**
 * The Storage extension point: partition logs plus a small metadata store.
 *
 * Mechanism lives here (how to append, read, delete, sync); policy lives in the core
 * (what retention removes, when to sync, which offsets a batch gets). Adapters stay thin.
 * Offsets and timestamps are JavaScript numbers: exact up to 2^53, far beyond any log.
 */
import type { Plugin, PluginFactory } from './plugin.ts';

/** Facts about one RecordBatch, computed by the core from its header before append. */
export interface BatchInfo {
  /** Offset of the first record in the batch. */
  readonly baseOffset: number;
  /** Offset of the last record (baseOffset + lastOffsetDelta). */
  readonly lastOffset: number;
  /** Largest record timestamp in the batch (ms since epoch; -1 when unknown). */
  readonly maxTimestamp: number;
  /** Number of records in the batch. */
  readonly recordCount: number;
}

/** Options for one append. */
export interface AppendOptions {
  /**
   * Make the batch durable before the returned promise resolves (fsync, LevelDB sync
   * write). The core sets it under the `always` flush policy; adapters that are not
   * durable ignore it.
   */
  readonly sync?: boolean;
}

/** Options for one read. */
export interface ReadOptions {
  /**
   * Return the first batch even when it alone exceeds `maxBytes` (Kafka's KIP-74 rule
   * that a fetch always makes progress). Default true.
   */
  readonly minOneBatch?: boolean;
}

/** Result of a read: whole batches in offset order, exactly as they were appended. */
export interface ReadResult {
  /**
   * The stored batch bytes, possibly split into several chunks (one per segment, say);
   * their concatenation is a sequence of whole batches. Empty when nothing is there.
   */
  readonly chunks: Uint8Array[];
  /** Total bytes over all chunks. */
  readonly bytes: number;
}

/** One unit that retention can delete (a segment file, a group of batches, …). */
export interface SegmentInfo {
  /** First offset held. */
  readonly baseOffset: number;
  /** One past the last offset held. */
  readonly nextOffset: number;
  /** Largest batch max timestamp held (-1 when unknown). */
  readonly maxTimestamp: number;
  /** Bytes held. */
  readonly sizeBytes: number;
}

/** A damage or repair found when opening a partition, reported rather than thrown. */
export interface RecoveryEvent {
  /** What happened: `truncated-tail`, `rebuilt-index`, `dropped-segment`, … */
  readonly kind: string;
  /** Human-readable description. */
  readonly message: string;
  /** Offset from which data was dropped, when that applies. */
  readonly fromOffset?: number;
  /** Bytes dropped, when that applies. */
  readonly bytesDropped?: number;
  /** File or key involved, when that applies. */
  readonly location?: string;
}

/** One batch of a multi-batch append: its bytes and the facts the core computed from its header. */
export interface BatchToAppend {
  readonly batch: Uint8Array;
  readonly info: BatchInfo;
}

/**
 * One partition's log. Appends must come in offset order: a batch whose base offset is
 * below `endOffset()` is rejected with code `ERR_OFFSET_ORDER` (gaps are allowed).
 * Concurrent mutations are serialized; a read running beside an append sees a
 * consistent prefix of whole batches, never half a batch.
 *
 * What an adapter implements and what a caller gets differ in their preconditions (the
 * abstract-level way): every storage the core hands out is wrapped by `guardStorage`
 * (core/storage/guard.ts), which validates arguments, rejects use after close, checks
 * offset order and range, applies `minOneBatch`'s default, and runs mutations (append,
 * truncateTo, trimBefore, sync, close) one at a time. An adapter's methods are therefore
 * only called on an open log, with valid arguments, an offset inside
 * `[startOffset(), endOffset()]` for `read`, a base offset ≥ `endOffset()` for `append`,
 * never beside another mutation of the same log — adapters implement mechanism only.
 */
export interface PartitionLog {
  readonly topic: string;
  readonly partition: number;
  /** Problems found and repaired when this log was opened (empty when clean). */
  readonly recovery: readonly RecoveryEvent[];
  /** First offset still held (the log start offset). */
  startOffset(): number;
  /** One past the last offset held: the offset the next batch starts at. */
  endOffset(): number;
  /** Bytes of batch data held. */
  sizeBytes(): number;
  /**
   * Appends one whole RecordBatch (bytes as received, base offset already assigned).
   * The caller hands the bytes over: it must not modify them afterwards, so an adapter
   * may keep them without copying (copying only to avoid pinning a larger buffer).
   * A failed append changes nothing: `endOffset()` stays where it was, and the next
   * append may take the same base offset (the core never leaves a hole for a failed
   * write — Kafka assigns no offset to one).
   */
  append(batch: Uint8Array, info: BatchInfo, options?: AppendOptions): Promise<void>;
  /**
   * Optional primitive: the same as `append`, applied before it returns (an adapter
   * whose log lives in memory). When present the guard calls it instead of `append`
   * and answers with a shared resolved promise: no promise per append.
   */
  appendSync?(batch: Uint8Array, info: BatchInfo, options?: AppendOptions): void;
  /**
   * Optional primitive: appends several batches, in offset order, in one operation (one
   * atomic write where the adapter can). Without it the guard appends them one by one,
   * which may leave a prefix of them stored when one fails.
   */
  appendBatches?(batches: readonly BatchToAppend[], options?: AppendOptions): Promise<void>;
  /**
   * Reads whole batches starting with the one that contains `offset` (the next one when
   * `offset` falls in a gap), then every following batch while the total stays within
   * `maxBytes`. An `offset` at `endOffset()` gives an empty result; outside
   * `[startOffset(), endOffset()]` it is an `OFFSET_OUT_OF_RANGE` error. The chunks may
   * share memory with the stored data: callers must not modify them.
   */
  read(offset: number, maxBytes: number, options?: ReadOptions): Promise<ReadResult>;
  /**
   * Drops everything at and after `offset` (replica divergence): a batch holding `offset`
   * goes whole. At or past `endOffset()` it does nothing.
   */
  truncateTo(offset: number): Promise<void>;
  /**
   * Drops whole batches that end before `offset` (retention). An adapter may keep more,
   * up to its segment boundary; returns the real new log start offset (≤ `offset`).
   * `trimBefore(endOffset())` empties the log (start = end, as Kafka's retention may delete
   * the active segment); an `offset` past `endOffset()` is `OFFSET_OUT_OF_RANGE`.
   */
  trimBefore(offset: number): Promise<number>;
  /**
   * Base offset (never below the start) of the first batch, in offset order, whose max
   * timestamp is ≥ `timestamp`, or null when none is.
   */
  offsetForTimestamp(timestamp: number): Promise<number | null>;
  /** The deletable units, oldest first, for the core's retention policy. */
  segments(): readonly SegmentInfo[];
  /** Makes everything appended so far durable. */
  sync(): Promise<void>;
  /** Syncs and releases resources; the log is unusable afterwards. */
  close(): Promise<void>;
}

/** One operation of an atomic metadata write. */
export type MetadataOp =
  | { readonly type: 'put'; readonly key: string; readonly value: Uint8Array }
  | { readonly type: 'delete'; readonly key: string };

/** A small key-value store for topics and configs, committed offsets, producer state. */
export interface MetadataStore {
  get(key: string): Promise<Uint8Array | undefined>;
  put(key: string, value: Uint8Array): Promise<void>;
  delete(key: string): Promise<void>;
  /** Every entry whose key starts with `prefix`, sorted by key. */
  list(prefix: string): Promise<Array<{ key: string; value: Uint8Array }>>;
  /** Applies all operations or none. */
  write(ops: readonly MetadataOp[]): Promise<void>;
}

/** What a storage adapter declares it can do; the core branches on these. */
export interface StorageCapabilities {
  /** Data survives close and reopen (and, with sync, a crash). */
  readonly durable: boolean;
  /** `trimBefore` rounds down to segment boundaries. */
  readonly segmented?: boolean;
  /**
   * Several brokers (processes) may open the same data at once, as a shared database
   * would allow; the core must not assume it is the only writer (default false).
   */
  readonly shared?: boolean;
  /**
   * The data lives across a network: calls are slower and may fail transiently, so the
   * core should batch and retry rather than assume a local disk (default false).
   */
  readonly remote?: boolean;
}

/** Per-partition settings an adapter may honour (those that segment their logs do). */
export interface PartitionLogOptions {
  /** Roll to a new segment when the active one would exceed this size (Kafka's segment.bytes). */
  readonly segmentBytes?: number;
  /** Roll to a new segment when the active one is older than this (Kafka's segment.ms). */
  readonly segmentMs?: number;
}

/** Identifies a partition. */
export interface PartitionRef {
  readonly topic: string;
  readonly partition: number;
}

/** A storage adapter: partition logs plus a metadata store. */
export interface Storage extends Plugin {
  readonly supports: StorageCapabilities;
  /** Opens (creates when missing) the storage; must be called before anything else. */
  open(): Promise<void>;
  /**
   * Opens or creates a partition's log (the same object while it stays open),
   * recovering it first when the adapter is durable (see `PartitionLog.recovery`).
   */
  openPartition(topic: string, partition: number, options?: PartitionLogOptions): Promise<PartitionLog>;
  /** Every partition that has a log, opened or not. */
  listPartitions(): Promise<PartitionRef[]>;
  /** Deletes a partition's log and its data. */
  deletePartition(topic: string, partition: number): Promise<void>;
  /** The metadata store. */
  readonly metadata: MetadataStore;
  /** Syncs and closes every open log and the metadata store. */
  close(): Promise<void>;
}

/** The capabilities of a guarded storage: every flag present, those not declared false. */
export interface GuardedStorageCapabilities extends StorageCapabilities {
  readonly segmented: boolean;
  readonly shared: boolean;
  readonly remote: boolean;
}

/** A partition log as the guard hands it out: the optional primitives are always there. */
export interface GuardedPartitionLog extends PartitionLog {
  /** Appends several batches in offset order (natively, or one by one as a fallback). */
  appendBatches(batches: readonly BatchToAppend[], options?: AppendOptions): Promise<void>;
}

/** A storage wrapped by `guardStorage`: checked calls, serialized mutations, full capabilities. */
export interface GuardedStorage extends Storage {
  readonly supports: GuardedStorageCapabilities;
  openPartition(topic: string, partition: number, options?: PartitionLogOptions): Promise<GuardedPartitionLog>;
}

/** A factory that builds a storage adapter from options. */
export type StorageFactory<O = unknown> = PluginFactory<Storage, O>;
