/**
 * A partition log on the filesystem, the Kafka way: a directory of segments named by
 * base offset, each with a sparse offset index and a time index; appends serialized
 * by the core's guard; reads served from the files with one positional read of
 * whole batches; recovery on open. See README.md in this folder for the design.
 *
 * The core's guard (core/storage/guard.ts) checks arguments, offset order, read range
 * and the closed state, and runs mutations one at a time; what is here is the mechanism
 * (a read that races a truncation re-checks its range when it retries).
 */
import { readdir, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { AppendOptions, BatchInfo, PartitionLog, ReadOptions, ReadResult, RecoveryEvent, SegmentInfo } from '../../core/contracts/storage.ts';
import type { Logger } from '../../core/contracts/logger.ts';
import { TributaryError, kafkaError } from '../../core/errors.ts';
import { BATCH_HEADER_SIZE, BatchField, batchSizeAt } from '../../core/records/batch-header.ts';
import { Segment } from './segment.ts';
import { parseSegmentName, segmentPaths } from './segment-files.ts';
import { DamagedHeader, headerProblem, int32At, int64At, walkHeaders } from './header-walk.ts';
import { makeDirectory, readFileIfExists, syncDirectory } from './file-io.ts';
import { errnoOf, storageError } from './fs-errors.ts';

/** Name of the marker a clean close leaves in the partition directory. */
export const CLEAN_SHUTDOWN_FILE = '.clean-shutdown';

/** Settings of one partition log. */
export interface FilesystemLogConfig {
  readonly dir: string;
  readonly topic: string;
  readonly partition: number;
  readonly segmentBytes: number;
  readonly segmentMs: number;
  readonly indexIntervalBytes: number;
  readonly logger: Logger;
  /** Called once the log is closed, so that the storage forgets it. */
  readonly onClose?: () => void;
  /** Called as an operation starts (the storage's budget of open files: most recently used). */
  readonly onUse?: (log: FilesystemPartitionLog) => void;
}

/** Relative offsets and positions are int32 in the indexes. */
const MAX_INT32 = 0x7fffffff;

/** A partition log stored as segment files; see {@link FilesystemPartitionLog.open}. */
export class FilesystemPartitionLog implements PartitionLog {
  readonly topic: string;
  readonly partition: number;
  readonly recovery: RecoveryEvent[] = [];
  private readonly config: FilesystemLogConfig;
  private segs: Segment[] = [];
  private closed = false;
  /** Bumped by every truncation or deletion, so that a read overlapping one retries. */
  private generation = 0;
  /** Wall-clock creation time of the active segment, for segment.ms when timestamps are missing. */
  private activeCreatedAt = Date.now();
  private readonly windowBytes: number;
  /**
   * Files were created or deleted since the directory was last fsynced. The directory
   * fsync waits for the next durable operation (a sync append, sync()), so that rolling
   * and retention do not pay for it on their own.
   */
  private directoryDirty = false;
  /** The partition directory itself was created and its parent not fsynced since. */
  private parentDirty = false;
  /** Operations in flight: a busy log is never parked. */
  private busy = 0;
  /** Every file is closed (see {@link park}); the next operation reopens what it needs. */
  private parked = false;
  private parking: Promise<void> | undefined;
  private waking: Promise<void> | undefined;

  private constructor(config: FilesystemLogConfig) {
    this.config = config;
    this.topic = config.topic;
    this.partition = config.partition;
    this.windowBytes = Math.max(8192, 2 * config.indexIntervalBytes + BATCH_HEADER_SIZE);
  }

  /**
   * Opens (creating when missing) the log in `config.dir` and recovers it: after a
   * clean close, the active segment is CRC-checked from its last index entry; after a
   * crash, entirely. Older segments were fsynced when they were rolled, so only their
   * headers past the last index entry are checked. Damage is truncated and reported in
   * `recovery`; damaged or missing indexes are rebuilt.
   */
  static async open(config: FilesystemLogConfig): Promise<FilesystemPartitionLog> {
    const log = new FilesystemPartitionLog(config);
    const { dir, logger } = config;
    try {
      // A new partition directory must reach the disk with the first durable write.
      if (await makeDirectory(dir)) log.parentDirty = true;
      const marker = join(dir, CLEAN_SHUTDOWN_FILE);
      const clean = (await readFileIfExists(marker)) !== undefined;
      if (clean) {
        // The marker must be gone for good before new appends: a crash from now on is unclean.
        await unlink(marker);
        await syncDirectory(dir);
      }
      const names = await readdir(dir);
      const bases = new Set<number>();
      const others: Array<{ name: string; baseOffset: number }> = [];
      for (const name of names) {
        const parsed = parseSegmentName(name);
        if (parsed === undefined) continue;
        if (parsed.suffix === '.log') bases.add(parsed.baseOffset);
        else others.push({ name, baseOffset: parsed.baseOffset });
      }
      for (const orphan of others) {
        // An index without its log: left by a crash in the middle of a deletion.
        if (!bases.has(orphan.baseOffset)) await unlink(join(dir, orphan.name));
      }
      const sorted = [...bases].sort((a, b) => a - b);
      for (let i = 0; i < sorted.length; i++) {
        const baseOffset = sorted[i]!;
        const previous = log.segs[log.segs.length - 1];
        if (previous !== undefined && baseOffset < previous.nextOffset) {
          await log.dropSegmentFiles(baseOffset, `its base offset ${baseOffset} overlaps the previous segment, which ends at ${previous.nextOffset}`);
          continue;
        }
        const isLast = i === sorted.length - 1;
        const segment = await Segment.load({
          dir,
          baseOffset,
          mode: isLast ? (clean ? 'tail' : 'full') : 'headers',
          indexIntervalBytes: config.indexIntervalBytes,
          previousLastOffset: previous ? previous.nextOffset - 1 : -1,
          logger,
          events: log.recovery,
        });
        // Older segments keep no file open: a read reopens the data file when it needs it.
        if (!isLast) {
          await segment.deactivate();
          await segment.suspend();
        }
        if (!isLast && segment.size === 0) {
          // Empty older segments hold nothing and would break "segments are contiguous runs of batches".
          await segment.remove();
          log.note('dropped-segment', `${segment.paths.log}: empty older segment removed`, { location: segment.paths.log });
          continue;
        }
        log.segs.push(segment);
      }
      if (log.segs.length === 0) {
        log.segs.push(await Segment.create(dir, 0, config.indexIntervalBytes));
        log.directoryDirty = true;
      } else await log.active.activate();
    } catch (error) {
      for (const s of log.segs) await s.close().catch(() => {});
      throw storageError(error, 'open partition log in', dir);
    }
    return log;
  }

  /** File handles open right now (3 for a working log, 0 once parked). */
  get openHandles(): number {
    let n = 0;
    for (const s of this.segs) n += s.openHandles;
    return n;
  }

  /** True while parked (no file open). */
  get isParked(): boolean {
    return this.parked;
  }

  /**
   * Closes every file of an idle log, keeping its state in memory (the storage does this to
   * the least recently used logs when it holds more open files than its budget, as Kafka's
   * file handle use would need an unbounded ulimit). The next operation reopens what it
   * needs. False when the log is busy, closed or already parked.
   */
  park(): Promise<boolean> {
    if (this.closed || this.busy > 0 || this.parked || this.parking !== undefined) return Promise.resolve(false);
    this.parked = true;
    const run = (async () => {
      for (const s of this.segs) await s.suspend();
    })();
    this.parking = run.finally(() => (this.parking = undefined));
    return run.then(
      () => true,
      (error: unknown) => {
        this.config.logger.warn(`could not park the log of ${this.topic}-${this.partition}`, { error: String(error) });
        return true;
      },
    );
  }

  /** Marks an operation started, and waits (only when parked) for the files to reopen. */
  private begin(): Promise<void> | undefined {
    this.busy++;
    this.config.onUse?.(this);
    if (!this.parked && this.parking === undefined) return undefined;
    return this.wake();
  }

  private end(): void {
    this.busy--;
  }

  private async wake(): Promise<void> {
    if (this.parking !== undefined) await this.parking.catch(() => undefined);
    if (!this.parked) return;
    this.waking ??= this.active.activate().finally(() => (this.waking = undefined));
    await this.waking;
    this.parked = false;
  }

  private get active(): Segment {
    return this.segs[this.segs.length - 1]!;
  }

  startOffset(): number {
    return this.segs[0]!.baseOffset;
  }

  endOffset(): number {
    return this.active.nextOffset;
  }

  sizeBytes(): number {
    let total = 0;
    for (const s of this.segs) total += s.size;
    return total;
  }

  segments(): readonly SegmentInfo[] {
    return this.segs.map((s) => ({ baseOffset: s.baseOffset, nextOffset: s.nextOffset, maxTimestamp: s.maxTimestamp, sizeBytes: s.size }));
  }

  async append(batch: Uint8Array, info: BatchInfo, options?: AppendOptions): Promise<void> {
    const waiting = this.begin();
    try {
      if (waiting !== undefined) await waiting;
      return await this.appendNow(batch, info, options);
    } finally {
      this.end();
    }
  }

  private async appendNow(batch: Uint8Array, info: BatchInfo, options?: AppendOptions): Promise<void> {
    this.checkBatch(batch, info);
    if (this.shouldRoll(batch.length, info)) await this.roll(info.baseOffset);
    const segment = this.active;
    await segment.append(batch, info);
    if (options?.sync) {
      await segment.flushData();
      await this.syncDirectoryIfDirty();
    }
  }

  /** The batch must be one whole v2 batch whose header agrees with `info`: recovery trusts the bytes. */
  private checkBatch(batch: Uint8Array, info: BatchInfo): void {
    const problem =
      !Number.isSafeInteger(info.baseOffset) || info.baseOffset < 0 || !Number.isSafeInteger(info.lastOffset) || info.lastOffset < info.baseOffset
        ? `offsets ${info.baseOffset}..${info.lastOffset} are not valid`
        : batch.length < BATCH_HEADER_SIZE || batchSizeAt(batch) !== batch.length
          ? `${batch.length} bytes are not one whole RecordBatch`
          : int64At(batch, 0) !== info.baseOffset || int64At(batch, 0) + int32At(batch, BatchField.lastOffsetDelta) !== info.lastOffset
            ? `the batch header says offsets ${int64At(batch, 0)}+${int32At(batch, BatchField.lastOffsetDelta)}, the append says ${info.baseOffset}..${info.lastOffset}`
            : batch[BatchField.magic] !== 2
              ? `magic ${batch[BatchField.magic]} is not 2`
              : undefined;
    if (problem !== undefined) throw new TributaryError('ERR_INVALID_BATCH', `cannot append to ${this.topic}-${this.partition}: ${problem}`, { details: { baseOffset: info.baseOffset } });
  }

  private shouldRoll(size: number, info: BatchInfo): boolean {
    const segment = this.active;
    if (segment.size === 0) return false;
    if (segment.size + size > Math.min(this.config.segmentBytes, MAX_INT32)) return true;
    if (info.lastOffset - segment.baseOffset > MAX_INT32) return true;
    // Kafka's segment.ms counts from the first batch's timestamp, else from creation.
    const first = segment.firstBatchMaxTimestamp;
    const waited = first >= 0 && info.maxTimestamp >= 0 ? info.maxTimestamp - first : Date.now() - this.activeCreatedAt;
    return waited > this.config.segmentMs;
  }

  /**
   * Starts a new active segment at `baseOffset`. The old segment's data is fsynced
   * first, so that recovery after a crash only ever needs to CRC-check the last segment
   * (its indexes are not: recovery checks and rebuilds indexes anyway).
   */
  private async roll(baseOffset: number): Promise<void> {
    const old = this.active;
    await old.flushData();
    await old.deactivate();
    let segment: Segment;
    try {
      segment = await Segment.create(this.config.dir, baseOffset, this.config.indexIntervalBytes);
    } catch (error) {
      await old.activate();
      throw error;
    }
    this.segs.push(segment);
    this.directoryDirty = true;
    this.activeCreatedAt = Date.now();
  }

  private async syncDirectoryIfDirty(): Promise<void> {
    if (!this.directoryDirty && !this.parentDirty) return;
    try {
      if (this.directoryDirty) await syncDirectory(this.config.dir);
      this.directoryDirty = false;
      if (this.parentDirty) await syncDirectory(dirname(this.config.dir));
      this.parentDirty = false;
    } catch (error) {
      throw storageError(error, 'fsync', this.config.dir);
    }
  }

  async read(offset: number, maxBytes: number, options?: ReadOptions): Promise<ReadResult> {
    const waiting = this.begin();
    try {
      if (waiting !== undefined) await waiting;
      return await this.readNow(offset, maxBytes, options);
    } finally {
      this.end();
    }
  }

  private async readNow(offset: number, maxBytes: number, options?: ReadOptions): Promise<ReadResult> {
    const minOneBatch = options?.minOneBatch !== false;
    for (let retry = false; ; retry = true) {
      if (retry) {
        // The guard checked the range against the log as it was; a truncation, a trim or
        // a close since then moved it, so a retry checks again.
        this.checkOpen();
        const start = this.startOffset();
        const end = this.endOffset();
        if (offset < start || offset > end) {
          throw kafkaError(1, `offset ${offset} is outside ${start}..${end} of ${this.topic}-${this.partition}`, { details: { offset, startOffset: start, endOffset: end } });
        }
      }
      const generation = this.generation;
      try {
        const result = await this.readOnce(offset, maxBytes, minOneBatch);
        // A truncation during the read may have let a new append reuse the bytes it read.
        if (this.generation !== generation) continue;
        return result;
      } catch (error) {
        // A truncation or deletion ran beside this read: the files moved under it. Retry.
        if (this.generation !== generation && !this.closed) continue;
        if (error instanceof DamagedHeader) throw this.corrupt(offset, error);
        throw error;
      }
    }
  }

  private async readOnce(offset: number, maxBytes: number, minOneBatch: boolean): Promise<ReadResult> {
    const chunks: Uint8Array[] = [];
    let bytes = 0;
    if (offset === this.endOffset()) return { chunks, bytes };
    const segs = this.segs;
    let i = floorSegment(segs, offset);
    let target = offset;
    while (i < segs.length) {
      const segment = segs[i]!;
      const segEnd = segment.size; // a snapshot: appends in flight stay invisible
      if (segEnd === 0 || target >= segment.nextOffset) {
        i++;
        continue;
      }
      segment.acquire();
      let more: boolean;
      try {
        more = await this.readSegment(segment, segEnd, target, chunks.length === 0 && minOneBatch, maxBytes - bytes, chunks);
      } finally {
        segment.release();
      }
      bytes = 0;
      for (const c of chunks) bytes += c.length;
      if (!more) break;
      i++;
      if (i < segs.length) target = segs[i]!.baseOffset;
    }
    return { chunks, bytes };
  }

  /**
   * Appends to `chunks` one view of the whole batches of `segment` from the one that
   * holds `target`, within `budget` bytes. Returns true when the segment was read to its
   * end with budget left (the caller may continue with the next segment).
   *
   * Usually one positional read: from the sparse index entry (or from where the previous
   * read stopped) it reads the budget plus a window, finds the target batch among the
   * headers, and returns a view of the whole batches that fit. When that read does not
   * cover the answer (a far target, a first batch over the budget) it falls back to a
   * header walk and a second read.
   */
  private async readSegment(segment: Segment, segEnd: number, target: number, firstMayExceed: boolean, budget: number, chunks: Uint8Array[]): Promise<boolean> {
    const cached = segment.lastRead !== undefined && segment.lastRead.offset === target;
    const start = segment.lookupPosition(target);
    const span = Math.min(segEnd - start, Math.max(0, budget) + (cached ? 0 : this.windowBytes));
    const data = span > 0 ? await segment.read(start, span) : new Uint8Array(0);
    let p = 0;
    let previousLast = -1;
    while (p + BATCH_HEADER_SIZE <= data.length) {
      const problem = headerProblem(data, p, start, segEnd, previousLast);
      if (problem !== undefined) throw new DamagedHeader(start + p, problem);
      const last = int64At(data, p) + int32At(data, p + BatchField.lastOffsetDelta);
      if (last >= target) break;
      previousLast = last;
      p += batchSizeAt(data, p);
    }
    if (p >= segEnd - start) return true; // only batches below the target (offset in a trailing gap)
    const coversBudget = start + data.length === segEnd || data.length - p >= budget;
    if (p + BATCH_HEADER_SIZE <= data.length && coversBudget && batchSizeAt(data, p) <= data.length - p) {
      return this.takeBatches(segment, segEnd, data, p, start, budget, firstMayExceed, chunks);
    }
    const found = await walkHeaders(segment, start + p, segEnd, this.windowBytes, (b) => b.lastOffset >= target);
    if (found === undefined) return true;
    let want = Math.min(budget, segEnd - found.position);
    if (found.size > want) {
      if (!firstMayExceed) return false;
      want = found.size;
    }
    return this.takeBatches(segment, segEnd, await segment.read(found.position, want), 0, found.position, budget, firstMayExceed, chunks);
  }

  /**
   * Pushes a view of the whole batches in `data` from `p` (the batch holding the target)
   * that fit in `budget` (the first one regardless when `firstMayExceed`), checking each
   * header on the way: a damaged length would otherwise make us return garbage.
   */
  private takeBatches(segment: Segment, segEnd: number, data: Uint8Array, p: number, dataStart: number, budget: number, firstMayExceed: boolean, chunks: Uint8Array[]): boolean {
    let q = p;
    let lastOffset = -1;
    while (q + BATCH_HEADER_SIZE <= data.length) {
      const problem = headerProblem(data, q, dataStart, segEnd, lastOffset);
      if (problem !== undefined) {
        if (q === p) throw new DamagedHeader(dataStart + q, problem);
        break;
      }
      const size = batchSizeAt(data, q);
      if (q + size > data.length) break;
      if (q - p + size > budget && !(q === p && firstMayExceed)) break;
      lastOffset = int64At(data, q) + int32At(data, q + BatchField.lastOffsetDelta);
      q += size;
    }
    if (q === p) return false;
    chunks.push(data.subarray(p, q));
    segment.lastRead = { offset: lastOffset + 1, position: dataStart + q };
    return dataStart + q === segEnd && q - p < budget;
  }

  private corrupt(offset: number, damage: DamagedHeader): TributaryError {
    const segment = this.segs[floorSegment(this.segs, offset)];
    const location = segment?.paths.log ?? this.config.dir;
    const message = `${location}: ${damage.message} (reading offset ${offset})`;
    if (!this.recovery.some((e) => e.kind === 'corrupt-read' && e.message === message)) {
      this.note('corrupt-read', message, { fromOffset: offset, location });
    }
    return kafkaError(2, message, { cause: damage, details: { offset, location, position: damage.position } });
  }

  async offsetForTimestamp(timestamp: number): Promise<number | null> {
    const waiting = this.begin();
    try {
      if (waiting !== undefined) await waiting;
      return await this.offsetForTimestampNow(timestamp);
    } finally {
      this.end();
    }
  }

  private async offsetForTimestampNow(timestamp: number): Promise<number | null> {
    for (let retry = false; ; retry = true) {
      if (retry) this.checkOpen(); // closed while the files were being walked
      const generation = this.generation;
      try {
        for (const segment of this.segs) {
          if (segment.size === 0 || segment.maxTimestamp < timestamp) continue;
          segment.acquire();
          try {
            const found = await walkHeaders(segment, segment.lookupTimestampPosition(timestamp), segment.size, this.windowBytes, (b) => b.maxTimestamp >= timestamp);
            if (found !== undefined) return Math.max(found.baseOffset, this.startOffset());
          } finally {
            segment.release();
          }
        }
        return null;
      } catch (error) {
        if (this.generation !== generation && !this.closed) continue;
        if (error instanceof DamagedHeader) throw this.corrupt(this.startOffset(), error);
        throw error;
      }
    }
  }

  async truncateTo(offset: number): Promise<void> {
    const waiting = this.begin();
    try {
      if (waiting !== undefined) await waiting;
      return await this.truncateToNow(offset);
    } finally {
      this.end();
    }
  }

  private async truncateToNow(offset: number): Promise<void> {
    this.generation++;
    if (offset <= this.startOffset()) {
      // Nothing stays: start over with one empty segment at `offset` (Kafka's truncateFullyAndStartAt).
      const old = this.segs;
      const fresh = await Segment.create(this.config.dir, Math.max(0, offset), this.config.indexIntervalBytes);
      this.segs = [fresh];
      // A segment with the fresh one's name was just emptied in place: only close it.
      for (const s of old.reverse()) await (s.baseOffset === fresh.baseOffset ? s.close() : s.remove());
      await syncDirectory(this.config.dir);
      this.activeCreatedAt = Date.now();
      return;
    }
    // Newest first, so that a crash half-way leaves a prefix of the log.
    while (this.segs.length > 1 && this.active.baseOffset >= offset) {
      const gone = this.segs.pop()!;
      await gone.remove();
    }
    const segment = this.active;
    await segment.activate();
    if (segment.nextOffset > offset) {
      const found = await walkHeaders(segment, segment.lookupPosition(offset), segment.size, this.windowBytes, (b) => b.lastOffset >= offset);
      if (found !== undefined) {
        const previous = this.segs.length > 1 ? this.segs[this.segs.length - 2]!.nextOffset - 1 : -1;
        await segment.truncateTo(found.position, previous);
      }
    }
    await segment.flushAll();
    await syncDirectory(this.config.dir);
  }

  async trimBefore(offset: number): Promise<number> {
    const waiting = this.begin();
    try {
      if (waiting !== undefined) await waiting;
      return await this.trimBeforeNow(offset);
    } finally {
      this.end();
    }
  }

  private async trimBeforeNow(offset: number): Promise<number> {
    let count = 0;
    while (count < this.segs.length && this.segs[count]!.nextOffset <= offset) count++;
    if (count === 0) return this.startOffset();
    if (count === this.segs.length) {
      // Everything goes, the active segment too: roll an empty one to keep the log end.
      if (this.active.size === 0) count--;
      else await this.roll(this.endOffset());
    }
    this.generation++;
    const gone = this.segs.slice(0, count);
    this.segs = this.segs.slice(count);
    // Oldest first, so that a crash half-way leaves a suffix of the log.
    for (const s of gone) await s.remove();
    this.directoryDirty = true;
    return this.startOffset();
  }

  async sync(): Promise<void> {
    const waiting = this.begin();
    try {
      if (waiting !== undefined) await waiting;
      return await this.syncNow();
    } finally {
      this.end();
    }
  }

  private async syncNow(): Promise<void> {
    await this.active.flushAll();
    await this.syncDirectoryIfDirty();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // A parked log reopens its files first, so that close syncs the indexes as usual.
    await this.wake().catch(() => undefined);
    if (this.closed) return;
    this.closed = true;
    let failure: unknown;
    let indexesSynced = false;
    try {
      await this.active.flushData();
      await this.syncDirectoryIfDirty();
      // The data is durable now; the indexes can be rebuilt, so failing to write them
      // (a full disk) only costs the next open a full recovery scan.
      await this.active.flushAll().then(
        () => (indexesSynced = true),
        (error) => this.config.logger.warn(`could not write the indexes of ${this.topic}-${this.partition} on close; the next open will rebuild them`, { error: String(error) }),
      );
    } catch (error) {
      failure = error;
    }
    for (const s of this.segs) await s.close().catch((error) => (failure ??= error));
    try {
      // Written only once everything is fsynced: the next open may trust the files.
      if (failure === undefined && indexesSynced) await writeFile(join(this.config.dir, CLEAN_SHUTDOWN_FILE), '');
    } catch (error) {
      failure = error;
    }
    this.config.onClose?.();
    if (failure !== undefined) throw storageError(failure, 'close partition log in', this.config.dir);
  }

  /** Closes without the clean-shutdown marker (for deletion; the files go away next). */
  async abandon(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.segs) await s.close().catch(() => {});
  }

  private checkOpen(): void {
    if (this.closed) throw new TributaryError('ERR_STORAGE_CLOSED', `the log of ${this.topic}-${this.partition} is closed`);
  }

  private note(kind: string, message: string, extra: Omit<RecoveryEvent, 'kind' | 'message'> = {}): void {
    this.config.logger.warn(`storage recovery: ${message}`, { topic: this.topic, partition: this.partition, ...extra });
    this.recovery.push({ kind, message, ...extra });
  }

  private async dropSegmentFiles(baseOffset: number, reason: string): Promise<void> {
    const paths = segmentPaths(this.config.dir, baseOffset);
    for (const path of [paths.log, paths.index, paths.timeIndex]) {
      try {
        await unlink(path);
      } catch (error) {
        if (errnoOf(error) !== 'ENOENT') throw error;
      }
    }
    this.note('dropped-segment', `${paths.log}: ${reason}; deleted`, { fromOffset: baseOffset, location: paths.log });
  }
}

/** Index of the last segment whose base offset is ≤ `offset` (0 when none is). */
function floorSegment(segs: readonly Segment[], offset: number): number {
  let lo = 0;
  let hi = segs.length - 1;
  let found = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (segs[mid]!.baseOffset <= offset) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}
