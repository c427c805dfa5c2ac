/**
 * One segment of a partition log: a `.log` file holding batches exactly as received,
 * with its sparse offset index and time index, plus the in-memory facts (size, next
 * offset, max timestamp) that make reads and appends cheap. The partition log decides
 * when to roll, trim and truncate; the segment does the file work.
 */
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { BATCH_HEADER_SIZE, readBatchHeader } from '../../core/records/batch-header.ts';
import type { BatchInfo, RecoveryEvent } from '../../core/contracts/storage.ts';
import type { Logger } from '../../core/contracts/logger.ts';
import { OffsetIndex, OFFSET_INDEX_ENTRY_SIZE } from './offset-index.ts';
import { TimeIndex, TIME_INDEX_ENTRY_SIZE } from './time-index.ts';
import { segmentPaths } from './segment-files.ts';
import { readAt, readFileIfExists, writeAt } from './file-io.ts';
import { scanBatches, type ScannedBatch } from './batch-scan.ts';
import { errnoOf, storageError } from './fs-errors.ts';

/** Index entries held in memory before they are written out (4 KiB of `.index`). */
const INDEX_WRITE_GROUP = 512;

/** How much to trust a segment when loading it. */
export type LoadMode =
  /** An older segment after a clean shutdown or a roll (fsynced): check headers only. */
  | 'headers'
  /** The active segment after a clean shutdown: CRC-check from the last index entry. */
  | 'tail'
  /** The active segment after a crash: CRC-check every batch. */
  | 'full';

/** What loading needs to know. */
export interface SegmentLoadOptions {
  readonly dir: string;
  readonly baseOffset: number;
  readonly mode: LoadMode;
  readonly indexIntervalBytes: number;
  /** Last offset of the previous segment (-1 when none): batches must go above it. */
  readonly previousLastOffset: number;
  readonly logger: Logger;
  /** Where to record what was found and repaired. */
  readonly events: RecoveryEvent[];
}

/** One segment: files plus in-memory state. */
export class Segment {
  readonly baseOffset: number;
  readonly paths: { log: string; index: string; timeIndex: string };
  /** Bytes of complete batches: reads never go past it, appends write at it. */
  size = 0;
  /** One past the last offset held (the base offset while empty). */
  nextOffset: number;
  /** Largest batch max timestamp held, -1 when none. */
  maxTimestamp = -1;
  /** Max timestamp of the first batch, -1 while empty: segment.ms counts from it, as Kafka does. */
  firstBatchMaxTimestamp = -1;
  readonly offsetIndex: OffsetIndex;
  readonly timeIndex: TimeIndex;
  /** Where the last read stopped, so that a consumer's next read skips the index lookup. */
  lastRead: { offset: number; position: number } | undefined;

  private readonly indexIntervalBytes: number;
  private bytesSinceLastIndexEntry = 0;
  /** Entries of each index already in its file; the rest wait in memory. */
  private indexWritten = 0;
  private timeWritten = 0;
  private logHandle: FileHandle | undefined;
  private logHandleOpening: Promise<FileHandle> | undefined;
  private indexHandle: FileHandle | undefined;
  private timeHandle: FileHandle | undefined;
  private readers = 0;
  private retired = false;
  private drained: (() => void) | undefined;

  private constructor(dir: string, baseOffset: number, indexIntervalBytes: number, offsetIndex = new OffsetIndex(), timeIndex = new TimeIndex()) {
    this.baseOffset = baseOffset;
    this.nextOffset = baseOffset;
    this.paths = segmentPaths(dir, baseOffset);
    this.indexIntervalBytes = indexIntervalBytes;
    this.offsetIndex = offsetIndex;
    this.timeIndex = timeIndex;
  }

  /** Creates an empty segment (truncating any leftover files of that name). */
  static async create(dir: string, baseOffset: number, indexIntervalBytes: number): Promise<Segment> {
    const segment = new Segment(dir, baseOffset, indexIntervalBytes);
    try {
      segment.logHandle = await open(segment.paths.log, 'w+');
      segment.indexHandle = await open(segment.paths.index, 'w+');
      segment.timeHandle = await open(segment.paths.timeIndex, 'w+');
    } catch (error) {
      await segment.closeHandles().catch(() => {});
      throw storageError(error, 'create segment', segment.paths.log);
    }
    return segment;
  }

  /**
   * Opens an existing segment, checks its indexes and as many batches as `mode` asks,
   * truncates what follows the first bad batch, and rebuilds damaged indexes.
   */
  static async load(options: SegmentLoadOptions): Promise<Segment> {
    const { dir, baseOffset, logger, events } = options;
    const paths = segmentPaths(dir, baseOffset);
    const log = await open(paths.log, 'r+');
    try {
      const fileSize = (await log.stat()).size;
      const indexBytes = await readFileIfExists(paths.index);
      const timeBytes = await readFileIfExists(paths.timeIndex);
      let indexProblem: string | undefined;
      let offsetIndex = new OffsetIndex();
      if (indexBytes === undefined) indexProblem = 'missing';
      else {
        const decoded = OffsetIndex.decode(indexBytes, fileSize);
        if (typeof decoded === 'string') indexProblem = decoded;
        else offsetIndex = decoded;
      }
      let timeIndex = new TimeIndex();
      if (timeBytes === undefined) indexProblem ??= 'time index missing';
      else {
        const decoded = TimeIndex.decode(timeBytes, 0x7fffffff);
        if (typeof decoded === 'string') indexProblem ??= `time index: ${decoded}`;
        else timeIndex = decoded;
      }
      // The last offset-index entry must point at a batch with the offset it claims.
      if (indexProblem === undefined && offsetIndex.count > 0) {
        const last = offsetIndex.count - 1;
        const pos = offsetIndex.positionAt(last);
        const expected = baseOffset + offsetIndex.relativeOffsetAt(last);
        const found = await headerOffsetAt(log, pos, fileSize);
        if (found !== expected) indexProblem = `last entry points at byte ${pos}, where no batch with offset ${expected} starts`;
      }

      const segment = new Segment(dir, baseOffset, options.indexIntervalBytes);
      segment.logHandle = log;
      const scanFrom = async (from: number, verifyCrc: boolean, trusted: { offsetIndex: OffsetIndex; timeIndex: TimeIndex } | undefined) => {
        segment.resetIndexesForScan(from, trusted);
        const first = from === 0 ? -1 : offsetIndex.relativeOffsetAt(offsetIndex.count - 1) + baseOffset - 1;
        return scanBatches(log, { from, fileSize, baseOffset, previousLastOffset: from === 0 ? options.previousLastOffset : first, verifyCrc }, (b) => segment.track(b));
      };

      let result;
      const rebuild = indexProblem !== undefined;
      if (rebuild || options.mode === 'full' || offsetIndex.count === 0) {
        result = await scanFrom(0, true, undefined);
      } else {
        const from = offsetIndex.positionAt(offsetIndex.count - 1);
        result = await scanFrom(from, options.mode !== 'headers', { offsetIndex, timeIndex });
        // Damage after the last index entry may have started earlier: find the first bad batch.
        if (result.problem !== undefined) result = await scanFrom(0, true, undefined);
      }
      if (result.problem !== undefined) {
        const dropped = fileSize - result.end;
        const fromOffset = result.lastOffset >= 0 ? result.lastOffset + 1 : baseOffset;
        const kind = options.mode === 'headers' ? 'truncated-segment' : 'truncated-tail';
        const message = `${paths.log}: ${result.problem}; dropped ${dropped} bytes from byte ${result.end} (offsets from ${fromOffset} on in this segment)`;
        logger.warn(`storage recovery: ${message}`, { file: paths.log, fromOffset, bytesDropped: dropped });
        events.push({ kind, message, fromOffset, bytesDropped: dropped, location: paths.log });
        await log.truncate(result.end);
      }
      if (rebuild) {
        const message = `${paths.index}: ${indexProblem}; rebuilt both indexes from the log`;
        logger.warn(`storage recovery: ${message}`, { file: paths.index });
        events.push({ kind: 'rebuilt-index', message, location: paths.index });
      }
      segment.size = result.end;
      if (segment.size > 0 && segment.firstBatchMaxTimestamp === -1) {
        segment.firstBatchMaxTimestamp = (await readAt(log, 0, BATCH_HEADER_SIZE).then((h) => readBatchHeader(padded(h)))).maxTimestamp;
      }
      // Rewrite the index files when the scan produced anything else than what is on disk.
      segment.indexHandle = await open(paths.index, indexBytes === undefined ? 'w+' : 'r+');
      segment.timeHandle = await open(paths.timeIndex, timeBytes === undefined ? 'w+' : 'r+');
      const newIndex = segment.offsetIndex.encode();
      const newTime = segment.timeIndex.encode();
      try {
        if (indexBytes === undefined || !sameBytes(newIndex, indexBytes)) await replaceContents(segment.indexHandle, newIndex);
        segment.indexWritten = segment.offsetIndex.count;
        if (timeBytes === undefined || !sameBytes(newTime, timeBytes)) await replaceContents(segment.timeHandle, newTime);
        segment.timeWritten = segment.timeIndex.count;
      } catch (error) {
        // The in-memory indexes are right; the files are retried at the next sync. A full
        // disk must not stop a log from opening (and being read).
        logger.warn(`storage recovery: could not rewrite the indexes of ${paths.log}: ${(error as Error).message}`, { file: paths.index });
      }
      return segment;
    } catch (error) {
      await log.close().catch(() => {});
      throw storageError(error, 'load segment', paths.log);
    }
  }

  /** Number of reads in flight (a retired segment closes its files when it drops to 0). */
  get busy(): boolean {
    return this.readers > 0;
  }

  /**
   * Appends one batch at the end of the file, then the index entries it earns.
   * In-memory state changes only once the bytes are written, so a failed write leaves
   * the segment as it was (the next append overwrites the partial bytes).
   */
  async append(batch: Uint8Array, info: BatchInfo): Promise<void> {
    const position = this.size;
    const handle = await this.log();
    try {
      await writeAt(handle, batch, position);
    } catch (error) {
      // Cut any partial write so that the file ends at the last complete batch.
      await handle.truncate(position).catch(() => {});
      throw storageError(error, 'append to', this.paths.log);
    }
    const maxSoFar = Math.max(this.maxTimestamp, info.maxTimestamp);
    if (this.bytesSinceLastIndexEntry > this.indexIntervalBytes) {
      const rel = info.baseOffset - this.baseOffset;
      this.offsetIndex.append(rel, position);
      if (maxSoFar >= 0) this.timeIndex.maybeAppend(maxSoFar, rel);
      this.bytesSinceLastIndexEntry = 0;
    }
    this.commit(batch.length, info, maxSoFar);
    // Index entries reach their files in groups (Kafka mmaps them; we save the syscalls):
    // they are rebuilt from the log when missing, so only sync() and rolling wait for them.
    if (this.offsetIndex.count - this.indexWritten >= INDEX_WRITE_GROUP) await this.writeIndexes().catch(() => {});
  }

  /** Writes the index entries not yet in the files. */
  async writeIndexes(): Promise<void> {
    try {
      if (this.offsetIndex.count > this.indexWritten && this.indexHandle) {
        const count = this.offsetIndex.count;
        await writeAt(this.indexHandle, this.offsetIndex.encode(this.indexWritten), this.indexWritten * OFFSET_INDEX_ENTRY_SIZE);
        this.indexWritten = count;
      }
      if (this.timeIndex.count > this.timeWritten && this.timeHandle) {
        const count = this.timeIndex.count;
        await writeAt(this.timeHandle, this.timeIndex.encode(this.timeWritten), this.timeWritten * TIME_INDEX_ENTRY_SIZE);
        this.timeWritten = count;
      }
    } catch (error) {
      throw storageError(error, 'write the indexes of', this.paths.log);
    }
  }

  private commit(size: number, info: BatchInfo, maxSoFar: number): void {
    if (this.size === 0) this.firstBatchMaxTimestamp = info.maxTimestamp;
    this.size += size;
    this.bytesSinceLastIndexEntry += size;
    this.nextOffset = info.lastOffset + 1;
    this.maxTimestamp = maxSoFar;
  }

  /** Records a batch seen by a recovery scan, regenerating index entries as append would. */
  private track(b: ScannedBatch): void {
    const rel = b.baseOffset - this.baseOffset;
    if (b.position === 0) this.firstBatchMaxTimestamp = b.maxTimestamp;
    const maxSoFar = Math.max(this.maxTimestamp, b.maxTimestamp);
    if (this.bytesSinceLastIndexEntry > this.indexIntervalBytes) {
      this.offsetIndex.append(rel, b.position);
      if (maxSoFar >= 0) this.timeIndex.maybeAppend(maxSoFar, rel);
      this.bytesSinceLastIndexEntry = 0;
    }
    this.bytesSinceLastIndexEntry += b.size;
    this.size = b.position + b.size;
    this.nextOffset = b.lastOffset + 1;
    this.maxTimestamp = maxSoFar;
  }

  /**
   * Prepares the in-memory indexes for a scan from byte `from`: keep the trusted
   * entries before it and let the scan re-create the rest (from 0: nothing is kept).
   */
  private resetIndexesForScan(from: number, trusted: { offsetIndex: OffsetIndex; timeIndex: TimeIndex } | undefined): void {
    this.offsetIndex.truncate(0);
    this.timeIndex.truncateToOffset(-1);
    this.maxTimestamp = -1;
    this.firstBatchMaxTimestamp = -1;
    this.size = 0;
    this.nextOffset = this.baseOffset;
    this.bytesSinceLastIndexEntry = 0;
    if (from === 0 || trusted === undefined) return;
    const keep = trusted.offsetIndex.count - 1; // the scan re-adds the entry at `from`
    for (let i = 0; i < keep; i++) this.offsetIndex.append(trusted.offsetIndex.relativeOffsetAt(i), trusted.offsetIndex.positionAt(i));
    const fromRel = trusted.offsetIndex.relativeOffsetAt(keep);
    for (let i = 0; i < trusted.timeIndex.count; i++) {
      const rel = trusted.timeIndex.relativeOffsetAt(i);
      if (rel > fromRel) break;
      // Each time entry holds the max timestamp of every batch up to its offset.
      this.maxTimestamp = trusted.timeIndex.timestampAt(i);
      if (rel < fromRel) this.timeIndex.maybeAppend(trusted.timeIndex.timestampAt(i), rel);
    }
    this.bytesSinceLastIndexEntry = Infinity; // forces the entry at `from` back in
  }

  /** Byte position from which to scan for `offset`: the sparse index entry at or below it. */
  lookupPosition(offset: number): number {
    if (this.lastRead !== undefined && this.lastRead.offset === offset) return this.lastRead.position;
    const i = this.offsetIndex.floor(offset - this.baseOffset);
    return i < 0 ? 0 : this.offsetIndex.positionAt(i);
  }

  /** Byte position from which to scan for the first batch with max timestamp ≥ `timestamp`. */
  lookupTimestampPosition(timestamp: number): number {
    const t = this.timeIndex.lastBelow(timestamp);
    if (t < 0) return 0;
    // Every batch up to that entry's offset is below `timestamp`; start at the next one.
    return this.lookupPosition(this.baseOffset + this.timeIndex.relativeOffsetAt(t) + 1);
  }

  /** Reads up to `length` bytes at `position` (fewer at the end of the file). */
  async read(position: number, length: number): Promise<Uint8Array> {
    const handle = await this.log();
    try {
      return await readAt(handle, position, length);
    } catch (error) {
      throw storageError(error, 'read', this.paths.log);
    }
  }

  /** Marks a read in progress so that a retired segment keeps its file open until it ends. */
  acquire(): void {
    this.readers++;
  }

  /** Ends a read started with {@link acquire}. */
  release(): void {
    this.readers--;
    if (this.readers === 0 && this.drained) this.drained();
  }

  /**
   * Cuts the segment at `position` (a batch boundary) and drops the index entries at
   * or past it. `nextOffset`, `maxTimestamp` come from a scan of what remains.
   */
  async truncateTo(position: number, previousLastOffset: number): Promise<void> {
    const handle = await this.log();
    try {
      await handle.truncate(position);
      const kept = this.offsetIndex.countBelowPosition(position);
      this.offsetIndex.truncate(kept);
      await replaceContents(this.indexHandle ?? (this.indexHandle = await open(this.paths.index, 'r+')), this.offsetIndex.encode());
      this.timeHandle ??= await open(this.paths.timeIndex, 'r+');
      // Rescan what remains (cheap: it also re-derives max timestamp and index state).
      const trusted = { offsetIndex: cloneOffsetIndex(this.offsetIndex), timeIndex: this.timeIndex };
      const from = trusted.offsetIndex.count > 0 ? trusted.offsetIndex.positionAt(trusted.offsetIndex.count - 1) : 0;
      const oldTime = cloneTimeIndex(this.timeIndex);
      this.resetIndexesForScan(from, { offsetIndex: trusted.offsetIndex, timeIndex: oldTime });
      const previous = from === 0 ? previousLastOffset : this.baseOffset + trusted.offsetIndex.relativeOffsetAt(trusted.offsetIndex.count - 1) - 1;
      await scanBatches(handle, { from, fileSize: position, baseOffset: this.baseOffset, previousLastOffset: previous, verifyCrc: false }, (b) => this.track(b));
      await replaceContents(this.timeHandle, this.timeIndex.encode());
      await replaceContents(this.indexHandle, this.offsetIndex.encode());
      this.indexWritten = this.offsetIndex.count;
      this.timeWritten = this.timeIndex.count;
      this.lastRead = undefined;
    } catch (error) {
      throw storageError(error, 'truncate', this.paths.log);
    }
  }

  /** fsyncs the data (fdatasync): what `sync: true` appends wait for. */
  async flushData(): Promise<void> {
    try {
      await (await this.log()).datasync();
    } catch (error) {
      throw storageError(error, 'fsync', this.paths.log);
    }
  }

  /** fsyncs the data and both indexes. */
  async flushAll(): Promise<void> {
    await this.flushData();
    await this.writeIndexes();
    try {
      await this.indexHandle?.datasync();
      await this.timeHandle?.datasync();
    } catch (error) {
      throw storageError(error, 'fsync', this.paths.index);
    }
  }

  /** Closes the index handles of a segment that stops being active (reads keep the log open). */
  async deactivate(): Promise<void> {
    await this.writeIndexes();
    const index = this.indexHandle;
    const time = this.timeHandle;
    this.indexHandle = undefined;
    this.timeHandle = undefined;
    await index?.close();
    await time?.close();
  }

  /** Reopens the index handles of a segment that becomes active again (after truncation). */
  async activate(): Promise<void> {
    this.indexHandle ??= await open(this.paths.index, 'r+');
    this.timeHandle ??= await open(this.paths.timeIndex, 'r+');
  }

  /** Closes every file, waiting for reads in flight. */
  async close(): Promise<void> {
    this.retired = true;
    if (this.readers > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    await this.closeHandles();
  }

  /** Deletes the segment's files (data first, so that a crash leaves only orphan indexes). */
  async remove(): Promise<void> {
    await this.close();
    for (const path of [this.paths.log, this.paths.index, this.paths.timeIndex]) {
      try {
        await unlink(path);
      } catch (error) {
        if (errnoOf(error) !== 'ENOENT') throw storageError(error, 'delete', path);
      }
    }
  }

  private async log(): Promise<FileHandle> {
    if (this.logHandle) return this.logHandle;
    if (this.retired && this.readers === 0) throw storageError(Object.assign(new Error('segment closed'), { code: 'EBADF' }), 'use', this.paths.log);
    this.logHandleOpening ??= open(this.paths.log, 'r+').then((h) => (this.logHandle = h));
    return this.logHandleOpening;
  }

  /** File handles this segment holds open right now (0 to 3). */
  get openHandles(): number {
    return (this.logHandle ? 1 : 0) + (this.indexHandle ? 1 : 0) + (this.timeHandle ? 1 : 0);
  }

  /**
   * Writes pending index entries and closes every file, keeping the segment usable: the
   * data file reopens on the next read or append, the index files on {@link activate}
   * (the storage's budget of open files parks idle logs this way).
   */
  async suspend(): Promise<void> {
    if (this.readers > 0) return;
    this.logHandleOpening = undefined;
    await this.closeHandles();
  }

  private async closeHandles(): Promise<void> {
    await this.writeIndexes().catch(() => {});
    const handles = [this.logHandle, this.indexHandle, this.timeHandle];
    this.logHandle = this.indexHandle = this.timeHandle = undefined;
    for (const h of handles) await h?.close();
  }
}

async function headerOffsetAt(handle: FileHandle, position: number, fileSize: number): Promise<number | undefined> {
  if (position + BATCH_HEADER_SIZE > fileSize) return undefined;
  const bytes = await readAt(handle, position, BATCH_HEADER_SIZE);
  try {
    return readBatchHeader(padded(bytes)).baseOffset;
  } catch {
    return undefined;
  }
}

/** A header-only buffer grown to the batch length it declares, for readBatchHeader's bound check. */
function padded(header: Uint8Array): Uint8Array {
  if (header.length < BATCH_HEADER_SIZE) return header;
  const declared = new DataView(header.buffer, header.byteOffset).getInt32(8) + 12;
  if (declared <= header.length || declared > 0x7fffffff || declared < BATCH_HEADER_SIZE) return header;
  const out = new Uint8Array(declared);
  out.set(header.subarray(0, BATCH_HEADER_SIZE));
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

async function replaceContents(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  await handle.truncate(bytes.length);
  await writeAt(handle, bytes, 0);
}

function cloneOffsetIndex(index: OffsetIndex): OffsetIndex {
  const copy = new OffsetIndex();
  for (let i = 0; i < index.count; i++) copy.append(index.relativeOffsetAt(i), index.positionAt(i));
  return copy;
}

function cloneTimeIndex(index: TimeIndex): TimeIndex {
  const copy = new TimeIndex();
  for (let i = 0; i < index.count; i++) copy.maybeAppend(index.timestampAt(i), index.relativeOffsetAt(i));
  return copy;
}
