/**
 * The {@link GroupStore} as a log (Kafka's __consumer_offsets, on one node): every write
 * appends one record batch to an internal partition log — a record per key, keyed as
 * {@link MetadataGroupStore} keys them, a null value removing the key — so an offset
 * commit costs one append of its own size, whatever the number of stored offsets. (The
 * metadata store rewrites its whole file on every write: 161 ms a commit at 100,000
 * stored offsets, issue 13 #9.)
 *
 * Compaction: the live entries are kept in memory (they are what load returns anyway);
 * once the records appended since the last snapshot outnumber the live entries (and at
 * least `compactAfter`), a snapshot of the live entries is appended — between a begin and
 * an end marker, in batches — and the log is trimmed before it. Replay applies records in
 * order; a begin marker starts collecting a snapshot, whose end marker replaces the state
 * with it, so a snapshot cut short by a crash (no end marker) is ignored and the records
 * before it, which trimming had not removed yet, still count. Cost: amortized O(1) log
 * bytes per write, and the log holds at most about twice the live entries plus one
 * segment (retention may keep a partly obsolete segment: replay overwrites it).
 *
 * Offsets kept by {@link MetadataGroupStore} in the metadata store are moved into the log
 * on the first load (snapshot first, then the old keys are deleted).
 */
import type { MetadataStore, PartitionLog } from '../../contracts/storage.ts';
import { concat } from '../../protocol/writer.ts';
import { decodeBatchSync, encodeBatchSync } from '../../records/record-batch.ts';
import { batchInfoOf } from '../../storage/batch-info.ts';
import type { GroupStore, OffsetChange, StoredGroup, StoredGroupMeta } from './group-store.ts';
import { META, OFFSETS, groupsOf, json, metaKey, offsetKey } from './metadata-group-store.ts';

/** The internal topic that holds the log (partition 0); no user topic may take the name (topic-name.ts INTERNAL_LOGS). */
export const GROUP_OFFSETS_TOPIC = '__consumer_offsets';

/**
 * Segments of the offsets log: small enough that trimming after a snapshot frees space
 * soon (a segment is the unit retention deletes), large enough to hold many commits.
 */
export const GROUP_OFFSETS_LOG: { readonly segmentBytes: number } = Object.freeze({ segmentBytes: 8 * 1024 * 1024 });

const SNAPSHOT_BEGIN = '\u0000snapshot-begin';
const SNAPSHOT_END = '\u0000snapshot-end';
/** Records per snapshot batch (keeps each batch a few hundred KiB). */
const SNAPSHOT_BATCH_RECORDS = 4096;
/** Bytes read per step of the replay. */
const REPLAY_READ_BYTES = 8 * 1024 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

type Entry = { readonly key: string; readonly value: Uint8Array | null };

/** Options of {@link LogGroupStore}. */
export interface LogGroupStoreOptions {
  /** Opens the internal log in storage (called once, by the first load or write); or give {@link openGroupLog}. */
  readonly openLog?: () => Promise<PartitionLog>;
  /**
   * Opens the log as a {@link GroupLog} instead (a replicated partition, written through
   * the replica manager: see replicated-group-log.ts). Called once, like {@link openLog}.
   */
  readonly openGroupLog?: () => Promise<GroupLog>;
  /** A metadata store whose `group-offsets/` and `group-meta/` entries move into the log on load. */
  readonly legacy?: MetadataStore;
  /** Fewest records between two snapshots (default 1000). */
  readonly compactAfter?: number;
  /** Make each write durable before it resolves, as metadata writes are (default true; storage logs only). */
  readonly sync?: boolean;
  /** Largest snapshot batch in bytes, about (default unlimited: 4096 records a batch). A replicated log must stay under max.message.bytes. */
  readonly snapshotBatchBytes?: number;
  /** The clock of record timestamps (default the runtime's). */
  readonly now?: () => number;
  /**
   * Given: a snapshot that fails after a write was stored is reported here and the write
   * still succeeds (a replicated log, whose appends can time out). Absent: the write fails
   * with it (the single-node log).
   */
  readonly onSnapshotFailure?: (error: unknown) => void;
}

/** Records of one batch: keys and values (null removes the key). */
export type GroupLogRecords = ReadonlyArray<{ readonly key: Uint8Array; readonly value: Uint8Array | null }>;

/**
 * The log a {@link LogGroupStore} replays and appends to: a storage partition log on a
 * single node ({@link storageGroupLog}), a replicated `__consumer_offsets` partition in a
 * cluster. Offsets never change once assigned, so a snapshot can be trimmed behind by
 * moving the log start.
 */
export interface GroupLog {
  /** First offset held. */
  startOffset(): number;
  /** Offset the next append takes. */
  endOffset(): number;
  /** Whole batches from the one holding `offset`, about `maxBytes` of them (at least one). */
  read(offset: number, maxBytes: number): Promise<{ readonly chunks: readonly Uint8Array[] }>;
  /** Appends each group of records as one batch, all at once and in order; resolves with the first batch's base offset once stored. */
  append(batches: readonly GroupLogRecords[], now: number): Promise<number>;
  /** Drops what comes before `offset` (a snapshot begins there). */
  trimBefore(offset: number): Promise<void>;
}

/** A {@link GroupLog} over a storage partition log (the single-node offsets log): batches get their offsets here. */
export function storageGroupLog(log: PartitionLog, sync: boolean): GroupLog {
  return {
    startOffset: () => log.startOffset(),
    endOffset: () => log.endOffset(),
    read: (offset, maxBytes) => log.read(offset, maxBytes),
    async append(groups, now) {
      const first = log.endOffset();
      let base = first;
      const batches = groups.map((records) => {
        const batch = encodeBatchSync({ baseOffset: base, now, records: records.map((r) => ({ key: r.key, value: r.value, timestamp: now })) });
        base += records.length;
        return { batch, info: batchInfoOf(batch) };
      });
      const options = { sync };
      if (batches.length === 1) await log.append(batches[0]!.batch, batches[0]!.info, options);
      else if (log.appendBatches) await log.appendBatches(batches, options);
      else for (const { batch, info } of batches) await log.append(batch, info, options);
      return first;
    },
    trimBefore: async (offset) => {
      await log.trimBefore(offset);
    },
  };
}

/** Group offsets and facts in an append-and-compact log; one instance per coordinator. */
export class LogGroupStore implements GroupStore {
  readonly #options: LogGroupStoreOptions;
  readonly #compactAfter: number;
  readonly #state = new Map<string, Uint8Array>();
  #log: Promise<GroupLog> | undefined;
  #sinceSnapshot = 0;
  #tail: Promise<unknown> = Promise.resolve();

  constructor(options: LogGroupStoreOptions) {
    this.#options = options;
    this.#compactAfter = options.compactAfter ?? 1000;
  }

  /** Records appended since the last snapshot (for tests and metrics). */
  get recordsSinceSnapshot(): number {
    return this.#sinceSnapshot;
  }

  /** Replays the log (and moves legacy entries in), then returns every stored group. */
  async load(onBadEntry: (key: string) => void = () => undefined): Promise<StoredGroup[]> {
    const log = await this.#openLog();
    this.#state.clear();
    let pending: Map<string, Uint8Array> | undefined;
    let partial = false;
    let offset = log.startOffset();
    let replayed = 0;
    while (offset < log.endOffset()) {
      const { chunks } = await log.read(offset, REPLAY_READ_BYTES);
      if (chunks.length === 0) break;
      const bytes = concat(chunks);
      for (let pos = 0; pos < bytes.length; ) {
        const batch = decodeBatchSync(bytes, pos);
        for (const record of batch.records) {
          const key = record.key === null ? '' : decoder.decode(record.key);
          if (key === SNAPSHOT_BEGIN) pending = new Map();
          else if (key === SNAPSHOT_END) {
            if (pending) {
              this.#state.clear();
              for (const [k, v] of pending) this.#state.set(k, v);
            }
            pending = undefined;
            replayed = 0;
          } else {
            const target = pending ?? this.#state;
            if (record.value === null) target.delete(key);
            else target.set(key, record.value.slice());
            if (!pending) replayed++;
          }
        }
        offset = batch.baseOffset + batch.lastOffsetDelta + 1;
        pos += batch.sizeInBytes;
      }
    }
    if (pending) partial = true;
    this.#sinceSnapshot = replayed;
    const legacy = this.#options.legacy;
    const moved = legacy ? [...(await legacy.list(OFFSETS)), ...(await legacy.list(META))] : [];
    for (const { key, value } of moved) this.#state.set(key, value);
    // A snapshot cut short, or entries moved in: a complete snapshot goes first.
    if (partial || moved.length > 0) await this.#snapshot(log);
    if (moved.length > 0) await legacy!.write(moved.map(({ key }) => ({ type: 'delete' as const, key })));
    return groupsOf(this.#entries(), onBadEntry);
  }

  /** Writes and removes offsets of one group in one append (queued behind earlier writes). */
  writeOffsets(groupId: string, changes: readonly OffsetChange[]): Promise<void> {
    return this.#enqueue(changes.map((c) => ({ key: offsetKey(groupId, c.topic, c.partition), value: c.value === null ? null : json(c.value) })));
  }

  /** Records the group's protocol type and whether (since when) it is empty. */
  writeMeta(groupId: string, meta: StoredGroupMeta): Promise<void> {
    return this.#enqueue([{ key: metaKey(groupId), value: json(meta) }]);
  }

  /** Removes everything stored for a group (DeleteGroups, full expiry). */
  deleteGroup(groupId: string, offsets: ReadonlyArray<{ topic: string; partition: number }>): Promise<void> {
    const entries: Entry[] = offsets.map((o) => ({ key: offsetKey(groupId, o.topic, o.partition), value: null }));
    entries.push({ key: metaKey(groupId), value: null });
    return this.#enqueue(entries);
  }

  /** Waits for every queued write. */
  async settle(): Promise<void> {
    await this.#tail.catch(() => undefined);
  }

  #openLog(): Promise<GroupLog> {
    const { openLog, openGroupLog, sync } = this.#options;
    if (openGroupLog) this.#log ??= openGroupLog();
    else if (openLog) this.#log ??= openLog().then((log) => storageGroupLog(log, sync ?? true));
    else throw new TypeError('LogGroupStore needs openLog or openGroupLog');
    return this.#log;
  }

  *#entries(): Iterable<{ key: string; value: Uint8Array }> {
    for (const [key, value] of this.#state) yield { key, value };
  }

  #enqueue(entries: Entry[]): Promise<void> {
    if (entries.length === 0) return this.#tail.then(() => undefined, () => undefined);
    const run = this.#tail.catch(() => undefined).then(() => this.#write(entries));
    this.#tail = run;
    return run;
  }

  async #write(entries: Entry[]): Promise<void> {
    const log = await this.#openLog();
    await this.#append(log, [entries]);
    // Applied only once stored: a failed append changes nothing.
    for (const { key, value } of entries) value === null ? this.#state.delete(key) : this.#state.set(key, value);
    this.#sinceSnapshot += entries.length;
    if (this.#sinceSnapshot < Math.max(this.#compactAfter, this.#state.size)) return;
    if (!this.#options.onSnapshotFailure) {
      await this.#snapshot(log);
      return;
    }
    // The write itself is stored: a failed snapshot (a replicated append that timed out) must
    // not fail it. The next write tries again; replay ignores a snapshot without its end.
    await this.#snapshot(log).catch(this.#options.onSnapshotFailure);
  }

  /** Appends each group of entries as one batch, all in one call (atomic where the log can); resolves with the first base offset. */
  #append(log: GroupLog, groups: Entry[][]): Promise<number> {
    const now = (this.#options.now ?? Date.now)();
    return log.append(groups.map((entries) => entries.map((e) => ({ key: encoder.encode(e.key), value: e.value }))), now);
  }

  /** Appends the live entries between snapshot markers, then trims the log before them. */
  async #snapshot(log: GroupLog): Promise<void> {
    const all: Entry[] = [{ key: SNAPSHOT_BEGIN, value: null }];
    for (const [key, value] of this.#state) all.push({ key, value });
    all.push({ key: SNAPSHOT_END, value: null });
    const groups: Entry[][] = [];
    const maxBytes = this.#options.snapshotBatchBytes ?? Number.POSITIVE_INFINITY;
    let current: Entry[] = [];
    let bytes = 0;
    for (const entry of all) {
      // Key and value, plus a few bytes of record framing.
      const size = entry.key.length * 3 + (entry.value?.length ?? 0) + 16;
      if (current.length > 0 && (current.length >= SNAPSHOT_BATCH_RECORDS || bytes + size > maxBytes)) {
        groups.push(current);
        current = [];
        bytes = 0;
      }
      current.push(entry);
      bytes += size;
    }
    if (current.length > 0) groups.push(current);
    const start = await this.#append(log, groups);
    this.#sinceSnapshot = 0;
    await log.trimBefore(start);
  }
}
