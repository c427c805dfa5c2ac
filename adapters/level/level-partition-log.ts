/**
 * One partition's log in LevelDB: a data key per batch (the bytes exactly as received)
 * plus a 24-byte index key per batch, written together in one atomic `db.batch`, so the
 * two can never disagree after a crash. The partition's registry entry holds the two
 * offsets that cannot be derived from the batches (start offset after retention, end
 * offset after truncation) and is rewritten in the same atomic write as the deletions
 * that move them. There is no other mutable state on disk.
 *
 * The core's guard (core/storage/guard.ts) checks arguments, offset order, read range and
 * the closed state, and runs mutations one at a time, so none of that is repeated here.
 */
import type {
  AppendOptions,
  BatchInfo,
  BatchToAppend,
  PartitionLog,
  PartitionLogOptions,
  ReadOptions,
  ReadResult,
  RecoveryEvent,
  SegmentInfo,
} from '../../core/contracts/storage.ts';
import type { Logger } from '../../core/contracts/logger.ts';
import { TributaryError } from '../../core/errors.ts';
import { BATCH_LOG_OVERHEAD, readBatchHeader, verifyBatchCrc } from '../../core/records/batch-header.ts';
import { BatchIndex, type SegmentGrouping } from './batch-index.ts';
import { KeyKind, decodeBounds, decodeIndexEntry, encodeBounds, encodeIndexEntry, offsetKey, offsetOfKey, partitionPrefix, prefixEnd } from './keys.ts';
import { VIEW, plain, type LevelDatabase } from './level-db.ts';
import { ioError } from './level-errors.ts';

/** What a log needs from the storage that owns it. */
export interface LevelLogContext {
  readonly db: LevelDatabase;
  readonly logger: Logger;
  /** Makes every earlier write durable (one sync write for the whole database). */
  syncDatabase(): Promise<void>;
  /** Tells the storage that this log closed, so that it stops handing it out. */
  released(log: LevelPartitionLog): void;
}

/** Retention units default to 1 MiB of batches when the topic sets no segment.bytes. */
const DEFAULT_SEGMENT_BYTES = 1024 * 1024;
/** Batches deleted per atomic write by trim and truncate (bounds the size of one write). */
const DELETE_CHUNK = 1000;

const EMPTY: ReadResult = Object.freeze({ chunks: [], bytes: 0 }) as ReadResult;

type Op = { type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array };

/** A LevelDB-backed {@link PartitionLog}; build it with {@link LevelPartitionLog.open}. */
export class LevelPartitionLog implements PartitionLog {
  readonly topic: string;
  readonly partition: number;
  readonly recovery: RecoveryEvent[] = [];

  readonly #ctx: LevelLogContext;
  readonly #index = new BatchIndex();
  readonly #dataPrefix: Uint8Array;
  readonly #indexPrefix: Uint8Array;
  readonly #registryKey: Uint8Array;
  readonly #grouping: SegmentGrouping;
  #start = 0;
  #endFloor = 0;
  #segments: SegmentInfo[] | undefined;
  #closed = false;

  private constructor(ctx: LevelLogContext, topic: string, partition: number, options: PartitionLogOptions) {
    this.#ctx = ctx;
    this.topic = topic;
    this.partition = partition;
    this.#dataPrefix = partitionPrefix(KeyKind.data, topic, partition);
    this.#indexPrefix = partitionPrefix(KeyKind.index, topic, partition);
    this.#registryKey = partitionPrefix(KeyKind.partition, topic, partition);
    this.#grouping = { segmentBytes: options.segmentBytes ?? DEFAULT_SEGMENT_BYTES, segmentMs: options.segmentMs };
  }

  /**
   * Opens (or creates) the log of `topic`/`partition`: loads the index, then checks the
   * newest batch (present, length, header, CRC) and drops it—repeatedly—while it is bad,
   * recording each repair in `recovery`.
   */
  static async open(ctx: LevelLogContext, topic: string, partition: number, options: PartitionLogOptions = {}): Promise<LevelPartitionLog> {
    const log = new LevelPartitionLog(ctx, topic, partition, options);
    try {
      await log.#load();
    } catch (error) {
      throw ioError(`open partition ${topic}-${partition}`, error);
    }
    return log;
  }

  startOffset(): number {
    return this.#start;
  }

  endOffset(): number {
    const n = this.#index.length;
    return n === 0 ? this.#endFloor : Math.max(this.#index.lastAt(n - 1) + 1, this.#endFloor);
  }

  sizeBytes(): number {
    return this.#index.bytes;
  }

  async append(batch: Uint8Array, info: BatchInfo, options?: AppendOptions): Promise<void> {
    await this.appendBatches([{ batch, info }], options);
  }

  /** Several batches in one atomic `db.batch`: all of them are stored, or none. */
  async appendBatches(batches: readonly BatchToAppend[], options?: AppendOptions): Promise<void> {
    const ops: Op[] = [];
    for (const { batch, info } of batches) {
      if (batch.length > 0xffffffff) throw invalid(`batch of ${batch.length} bytes is too large`);
      const entry = { lastOffset: info.lastOffset, maxTimestamp: info.maxTimestamp, recordCount: info.recordCount, sizeBytes: batch.length };
      // The batch and its index entry exist together or not at all.
      ops.push({ type: 'put', key: offsetKey(this.#dataPrefix, info.baseOffset), value: batch }, { type: 'put', key: offsetKey(this.#indexPrefix, info.baseOffset), value: encodeIndexEntry(entry) });
    }
    try {
      await this.#ctx.db.batch(ops, { ...VIEW, sync: options?.sync === true });
    } catch (error) {
      throw ioError(`append to ${this.topic}-${this.partition}`, error);
    }
    for (const { batch, info } of batches) {
      this.#index.push({ baseOffset: info.baseOffset, lastOffset: info.lastOffset, maxTimestamp: info.maxTimestamp, sizeBytes: batch.length });
    }
    this.#segments = undefined;
  }

  async read(offset: number, maxBytes: number, options?: ReadOptions): Promise<ReadResult> {
    // The index says which batches to return before LevelDB is touched; the iterator
    // then reads a snapshot, so a concurrent append or trim never yields half a batch.
    const index = this.#index;
    const first = index.findFrom(offset);
    const n = index.length;
    let count = 0;
    let bytes = 0;
    while (first + count < n) {
      const size = index.sizeAt(first + count);
      if (bytes + size > maxBytes) break;
      bytes += size;
      count++;
    }
    if (count === 0) {
      if (first >= n || options?.minOneBatch === false) return EMPTY;
      count = 1;
      bytes = index.sizeAt(first);
    }
    let values: Uint8Array[];
    try {
      values = await this.#ctx.db
        .values({
          ...VIEW,
          gte: offsetKey(this.#dataPrefix, index.baseAt(first)),
          lt: offsetKey(this.#dataPrefix, index.lastAt(first + count - 1) + 1),
          limit: count,
          // Large enough that the whole answer comes back in one native round trip.
          highWaterMarkBytes: bytes + 1024,
        })
        .all();
    } catch (error) {
      throw ioError(`read ${this.topic}-${this.partition}`, error);
    }
    const chunks = new Array<Uint8Array>(values.length);
    let total = 0;
    for (let i = 0; i < values.length; i++) {
      const chunk = plain(values[i]!);
      chunks[i] = chunk;
      total += chunk.length;
    }
    return { chunks, bytes: total };
  }

  async truncateTo(offset: number): Promise<void> {
    const keep = this.#index.findFrom(offset); // batches holding offsets ≥ `offset` go
    const start = Math.min(this.#start, offset);
    const bounds = { startOffset: start, endFloor: offset };
    if (this.#index.length === keep) {
      await this.#writeBounds(bounds); // only the end moves (it was past the last batch)
    }
    // Newest first, so that a crash between two writes leaves a shorter log, never a hole.
    while (this.#index.length > keep) {
      const from = Math.max(keep, this.#index.length - DELETE_CHUNK);
      await this.#deleteBatches(from, this.#index.length, bounds);
      this.#index.dropTail(this.#index.length - from);
    }
    this.#start = start;
    this.#endFloor = offset;
    this.#segments = undefined;
  }

  async trimBefore(offset: number): Promise<number> {
    const target = offset;
    const drop = this.#index.findFrom(target); // batches ending before `target` go
    // Oldest first, so that a crash between two writes leaves a later start, never a hole.
    let done = 0;
    while (done < drop) {
      const k = Math.min(DELETE_CHUNK, drop - done);
      const next = k < this.#index.length ? Math.min(target, this.#index.baseAt(k)) : target;
      const bounds = { startOffset: Math.max(this.#start, next), endFloor: Math.max(this.#endFloor, next) };
      await this.#deleteBatches(0, k, bounds);
      this.#index.dropHead(k);
      this.#start = bounds.startOffset;
      this.#endFloor = bounds.endFloor;
      done += k;
    }
    if (drop === 0) {
      // Nothing to delete (the target is inside the first batch or in a gap before it).
      const next = this.#index.length > 0 ? Math.min(target, this.#index.baseAt(0)) : target;
      if (next > this.#start) {
        const bounds = { startOffset: next, endFloor: Math.max(this.#endFloor, next) };
        await this.#writeBounds(bounds);
        this.#start = bounds.startOffset;
        this.#endFloor = bounds.endFloor;
      }
    }
    this.#segments = undefined;
    return this.#start;
  }

  async offsetForTimestamp(timestamp: number): Promise<number | null> {
    const i = this.#index.findTimestamp(timestamp);
    if (i >= this.#index.length) return null;
    return Math.max(this.#index.baseAt(i), this.#start);
  }

  segments(): readonly SegmentInfo[] {
    this.#segments ??= this.#index.segments(this.#grouping);
    return this.#segments;
  }

  async sync(): Promise<void> {
    await this.#ctx.syncDatabase();
  }

  async close(): Promise<void> {
    await this.release(true);
  }

  /**
   * Optionally syncs and marks the log closed (the guard let its pending mutations finish
   * first). The storage calls it with `sync` false when it syncs the whole database once itself.
   */
  async release(sync: boolean): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#ctx.released(this);
    if (sync) await this.#ctx.syncDatabase();
  }

  /** Deletes batches [from, to) of the index, and rewrites the bounds, in one atomic write. */
  async #deleteBatches(from: number, to: number, bounds: { startOffset: number; endFloor: number }): Promise<void> {
    const ops: Op[] = [];
    for (let i = from; i < to; i++) {
      const base = this.#index.baseAt(i);
      ops.push({ type: 'del', key: offsetKey(this.#dataPrefix, base) }, { type: 'del', key: offsetKey(this.#indexPrefix, base) });
    }
    ops.push({ type: 'put', key: this.#registryKey, value: encodeBounds(bounds) });
    try {
      await this.#ctx.db.batch(ops, { ...VIEW, sync: true });
    } catch (error) {
      throw ioError(`delete batches of ${this.topic}-${this.partition}`, error);
    }
  }

  async #writeBounds(bounds: { startOffset: number; endFloor: number }): Promise<void> {
    try {
      await this.#ctx.db.put(this.#registryKey, encodeBounds(bounds), { ...VIEW, sync: true });
    } catch (error) {
      throw ioError(`update bounds of ${this.topic}-${this.partition}`, error);
    }
  }

  #report(event: RecoveryEvent): void {
    this.recovery.push(event);
    this.#ctx.logger.warn(`level storage: ${event.message}`, { topic: this.topic, partition: this.partition, kind: event.kind, fromOffset: event.fromOffset });
  }

  async #load(): Promise<void> {
    const db = this.#ctx.db;
    const registered: Uint8Array | undefined = await db.get(this.#registryKey, VIEW);
    if (registered === undefined) {
      // A new partition. A deletePartition cut short by a crash removes the registry
      // entry first, so clear any keys it left behind before the first write.
      await db.clear({ ...VIEW, gte: this.#dataPrefix, lt: prefixEnd(this.#dataPrefix) });
      await db.clear({ ...VIEW, gte: this.#indexPrefix, lt: prefixEnd(this.#indexPrefix) });
      await db.put(this.#registryKey, encodeBounds({ startOffset: 0, endFloor: 0 }), { ...VIEW, sync: true });
      return;
    }
    const bounds = decodeBounds(registered);
    if (bounds === undefined) {
      this.#report({ kind: 'reset-bounds', message: `partition ${this.topic}-${this.partition}: unreadable bounds record, deriving bounds from the batches`, location: 'registry' });
    }

    // Load the index (24 bytes a batch; the batch bytes are not read).
    const iterator = db.iterator({ ...VIEW, gte: this.#indexPrefix, lt: prefixEnd(this.#indexPrefix), highWaterMarkBytes: 1 << 20 });
    let badFrom: number | undefined;
    try {
      for (;;) {
        const entries: Array<[Uint8Array, Uint8Array]> = await iterator.nextv(4096);
        if (entries.length === 0) break;
        for (const [key, value] of entries) {
          const base = offsetOfKey(key);
          const entry = decodeIndexEntry(value);
          const n = this.#index.length;
          if (!entry || entry.lastOffset < base || (n > 0 && base <= this.#index.lastAt(n - 1))) {
            badFrom = base;
            break;
          }
          this.#index.push({ baseOffset: base, lastOffset: entry.lastOffset, maxTimestamp: entry.maxTimestamp, sizeBytes: entry.sizeBytes });
        }
        if (badFrom !== undefined) break;
      }
    } finally {
      await iterator.close();
    }
    if (badFrom !== undefined) {
      // Cannot happen through this adapter; keep the valid prefix rather than fail.
      await db.clear({ ...VIEW, gte: offsetKey(this.#dataPrefix, badFrom), lt: prefixEnd(this.#dataPrefix) });
      await db.clear({ ...VIEW, gte: offsetKey(this.#indexPrefix, badFrom), lt: prefixEnd(this.#indexPrefix) });
      this.#report({ kind: 'truncated-tail', message: `partition ${this.topic}-${this.partition}: damaged index entry at ${badFrom}, dropped it and everything after`, fromOffset: badFrom });
    }

    // Check the newest batch; drop it while it is missing, torn or fails its CRC.
    while (this.#index.length > 0) {
      const i = this.#index.length - 1;
      const batch = this.#index.at(i);
      const dataKey = offsetKey(this.#dataPrefix, batch.baseOffset);
      const bytes: Uint8Array | undefined = await db.get(dataKey, VIEW);
      const problem = checkStored(bytes, batch.baseOffset, batch.lastOffset, batch.sizeBytes);
      if (problem === undefined) break;
      await db.batch(
        [
          { type: 'del', key: dataKey },
          { type: 'del', key: offsetKey(this.#indexPrefix, batch.baseOffset) },
        ],
        { ...VIEW, sync: true },
      );
      this.#index.dropTail(1);
      this.#report({
        kind: 'truncated-tail',
        message: `partition ${this.topic}-${this.partition}: dropped the batch at offset ${batch.baseOffset} (${problem})`,
        fromOffset: batch.baseOffset,
        bytesDropped: bytes?.length ?? 0,
        location: `${this.topic}-${this.partition}@${batch.baseOffset}`,
      });
    }

    // Data keys past the last indexed batch have no index entry (cannot happen through
    // this adapter, whose writes are atomic); they would shadow future appends.
    const n = this.#index.length;
    const afterLast = n === 0 ? this.#dataPrefix : offsetKey(this.#dataPrefix, this.#index.lastAt(n - 1) + 1);
    const stray = await db.keys({ ...VIEW, gte: afterLast, lt: prefixEnd(this.#dataPrefix), limit: 1 }).all();
    if (stray.length > 0) {
      const from = offsetOfKey(stray[0]!);
      await db.clear({ ...VIEW, gte: afterLast, lt: prefixEnd(this.#dataPrefix) });
      this.#report({ kind: 'dropped-orphans', message: `partition ${this.topic}-${this.partition}: removed batch data without index entries from offset ${from}`, fromOffset: from });
    }

    const lastEnd = n === 0 ? 0 : this.#index.lastAt(n - 1) + 1;
    const firstBase = n === 0 ? lastEnd : this.#index.baseAt(0);
    this.#endFloor = bounds?.endFloor ?? lastEnd;
    this.#start = Math.min(bounds?.startOffset ?? firstBase, this.endOffset());
  }
}

function invalid(message: string): TributaryError {
  return new TributaryError('ERR_INVALID_ARGUMENT', message);
}

/** Why a stored batch is unusable, or undefined when it is sound. */
function checkStored(bytes: Uint8Array | undefined, baseOffset: number, lastOffset: number, size: number): string | undefined {
  if (bytes === undefined) return 'batch data is missing';
  if (bytes.length !== size) return `stored ${bytes.length} bytes, index says ${size}`;
  try {
    const header = readBatchHeader(bytes, 0);
    if (header.batchLength + BATCH_LOG_OVERHEAD !== bytes.length) return `length field says ${header.batchLength + BATCH_LOG_OVERHEAD} bytes, ${bytes.length} stored`;
    if (header.baseOffset !== baseOffset) return `header base offset ${header.baseOffset} differs from key offset ${baseOffset}`;
    if (header.baseOffset + header.lastOffsetDelta !== lastOffset) return `header last offset ${header.baseOffset + header.lastOffsetDelta} differs from index ${lastOffset}`;
    verifyBatchCrc(bytes, 0, header);
  } catch (error) {
    return (error as Error).message;
  }
  return undefined;
}
