/**
 * One node's disk in the simulation: a memory storage that outlives broker incarnations,
 * and that knows what was made durable, so that a crash can lose exactly what a real disk
 * would lose.
 *
 * What it models is the filesystem adapter's guarantee (adapters/filesystem):
 * - an append that has resolved was written to the OS: it survives a process crash
 *   (`kill`), but not a machine crash (`powerLoss`) unless it was synced since;
 * - `sync()`, a `sync: true` append and a clean `close()` make the log durable up to its end;
 * - a truncation is taken as durable at once (the conservative side for divergence: the
 *   dropped suffix never comes back);
 * - metadata writes are durable when they resolve (the adapter fsyncs every one).
 * So with Kafka's default flush policy (`never`) a machine crash loses every record the
 * node appended since it last closed cleanly — the data acks=all must find on the other
 * in-sync replicas.
 *
 * Each incarnation of the broker gets its own {@link Storage} view; a crash kills the view,
 * so a broker object left over from the crashed incarnation can no longer read or write.
 */
import { memoryStorage } from '../../adapters/memory/index.ts';
import type { AppendOptions, BatchInfo, BatchToAppend, GuardedPartitionLog, GuardedStorage, PartitionLog, PartitionLogOptions, Storage } from '../../core/contracts/storage.ts';
import { TributaryError } from '../../core/errors.ts';

function full(nodeId: number, what: string): TributaryError {
  return new TributaryError('ERR_STORAGE_FULL', `node ${nodeId}: ${what} failed (simulated disk fault)`);
}

function dead(nodeId: number): TributaryError {
  return new TributaryError('ERR_STORAGE_CLOSED', `node ${nodeId} crashed: this incarnation's storage is gone`);
}

const keyOf = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/** The disk of one simulated node. */
export class SimDisk {
  readonly nodeId: number;
  readonly #memory: GuardedStorage;
  // Per log: the end offset known durable.
  readonly #synced = new Map<string, number>();
  #view: { dead: boolean } | undefined;
  #opened = false;
  /** Records dropped by machine crashes, per log (for the trace). */
  lostRecords = 0;
  /**
   * Write faults: this many of the next writes (log appends, syncs, metadata puts) fail with
   * ERR_STORAGE_FULL, as a full or failing disk does. A failed append or put writes nothing;
   * a failed sync leaves the data written but not durable (a machine crash would drop it).
   */
  failWrites = 0;
  /** Told of every metadata-store put (a debugging hook: which leader-epoch caches were saved). */
  onMetadataPut: ((key: string, value: Uint8Array) => void) | undefined;

  constructor(nodeId: number) {
    this.nodeId = nodeId;
    this.#memory = memoryStorage();
  }

  /** A storage for a new incarnation (the previous one, if any, is cut off). */
  open(): Storage {
    if (this.#view) this.#view.dead = true;
    const view = { dead: false };
    this.#view = view;
    return this.#storage(view);
  }

  /** A process crash: the running incarnation's storage stops answering; nothing written is lost. */
  kill(): void {
    if (this.#view) this.#view.dead = true;
    this.#view = undefined;
  }

  /** A machine crash: as {@link kill}, and every log goes back to its last durable end. */
  async powerLoss(): Promise<Array<{ topic: string; partition: number; from: number; to: number }>> {
    this.kill();
    if (!this.#opened) await this.#memory.open();
    this.#opened = true;
    const cut: Array<{ topic: string; partition: number; from: number; to: number }> = [];
    for (const ref of await this.#memory.listPartitions()) {
      const log = await this.#memory.openPartition(ref.topic, ref.partition);
      const durable = Math.max(log.startOffset(), this.#synced.get(keyOf(ref.topic, ref.partition)) ?? 0);
      const end = log.endOffset();
      if (durable < end) {
        await log.truncateTo(durable);
        cut.push({ topic: ref.topic, partition: ref.partition, from: end, to: log.endOffset() });
        this.lostRecords += end - log.endOffset();
      }
    }
    return cut;
  }

  /** The disk is replaced by an empty one (Kafka's killAndDeletePersistentState): as {@link kill}, and every log and metadata value is gone. */
  async wipe(): Promise<void> {
    this.kill();
    if (!this.#opened) await this.#memory.open();
    this.#opened = true;
    for (const ref of await this.#memory.listPartitions()) await this.#memory.deletePartition(ref.topic, ref.partition);
    for (const { key } of await this.#memory.metadata.list('')) await this.#memory.metadata.delete(key);
    this.#synced.clear();
  }

  /**
   * Every stored byte of a log as the disk holds it now, whatever incarnation runs (or
   * none): for checkers that read a node's log from its disk without disturbing it. Empty
   * when the log does not exist.
   */
  async peekLog(topic: string, partition: number): Promise<Uint8Array> {
    if (!this.#opened) await this.#memory.open();
    this.#opened = true;
    if (!(await this.#memory.listPartitions()).some((r) => r.topic === topic && r.partition === partition)) return new Uint8Array(0);
    const log = await this.#memory.openPartition(topic, partition);
    if (log.endOffset() <= log.startOffset()) return new Uint8Array(0);
    const read = await log.read(log.startOffset(), Number.MAX_SAFE_INTEGER);
    if (read.chunks.length === 1) return read.chunks[0]!;
    const out = new Uint8Array(read.bytes);
    let pos = 0;
    for (const c of read.chunks) {
      out.set(c, pos);
      pos += c.length;
    }
    return out;
  }

  /** A metadata-store value as the disk holds it now (whatever incarnation runs). */
  async peekMetadata(key: string): Promise<Uint8Array | undefined> {
    if (!this.#opened) await this.#memory.open();
    this.#opened = true;
    return this.#memory.metadata.get(key);
  }

  /** The end offset known durable for a log (0 when never synced). */
  syncedEnd(topic: string, partition: number): number {
    return this.#synced.get(keyOf(topic, partition)) ?? 0;
  }

  #writeFails(): boolean {
    if (this.failWrites <= 0) return false;
    this.failWrites--;
    return true;
  }

  #markSynced(log: PartitionLog): void {
    this.#synced.set(keyOf(log.topic, log.partition), log.endOffset());
  }

  #storage(view: { dead: boolean }): Storage {
    const memory = this.#memory;
    const checked = <T>(run: () => Promise<T>): Promise<T> => (view.dead ? Promise.reject(dead(this.nodeId)) : run());
    const metadata = memory.metadata;
    return {
      name: `sim-disk-${this.nodeId}`,
      // Durable: the broker treats it as a disk (flush policies apply), which is what is modelled.
      supports: Object.freeze({ durable: true, segmented: true }),
      metadata: {
        get: (key) => checked(() => metadata.get(key)),
        put: (key, value) =>
          checked(async () => {
            if (this.#writeFails()) throw full(this.nodeId, `metadata put ${key}`);
            await metadata.put(key, value);
            this.onMetadataPut?.(key, value);
          }),
        delete: (key) => checked(() => metadata.delete(key)),
        list: (prefix) => checked(() => metadata.list(prefix)),
        write: (ops) => checked(() => metadata.write(ops)),
      },
      open: () =>
        checked(async () => {
          if (!this.#opened) await memory.open();
          this.#opened = true;
        }),
      openPartition: (topic: string, partition: number, options?: PartitionLogOptions) =>
        checked(async () => this.#log(await memory.openPartition(topic, partition, options), view)),
      listPartitions: () => checked(() => memory.listPartitions()),
      deletePartition: (topic, partition) =>
        checked(async () => {
          await memory.deletePartition(topic, partition);
          this.#synced.delete(keyOf(topic, partition));
        }),
      close: () =>
        checked(async () => {
          // A clean close syncs every log (the guard's close of each log does too).
          for (const ref of await memory.listPartitions()) this.#markSynced(await memory.openPartition(ref.topic, ref.partition));
          view.dead = true;
        }),
    };
  }

  #log(inner: GuardedPartitionLog, view: { dead: boolean }): PartitionLog {
    const disk = this;
    const checked = <T>(run: () => Promise<T>): Promise<T> => (view.dead ? Promise.reject(dead(this.nodeId)) : run());
    return {
      topic: inner.topic,
      partition: inner.partition,
      recovery: inner.recovery,
      // Plain reads stay answered: a dead incarnation's timers may still look (a dead process
      // runs nothing; here its loops wind down), and what they see changes nothing outside.
      startOffset: () => inner.startOffset(),
      endOffset: () => inner.endOffset(),
      sizeBytes: () => inner.sizeBytes(),
      append: (batch: Uint8Array, info: BatchInfo, options?: AppendOptions) =>
        checked(async () => {
          if (disk.#writeFails()) throw full(disk.nodeId, `append at ${info.baseOffset}`);
          await inner.append(batch, info, options);
          if (options?.sync) disk.#markSynced(inner);
        }),
      appendBatches: (batches: readonly BatchToAppend[], options?: AppendOptions) =>
        checked(async () => {
          if (disk.#writeFails()) throw full(disk.nodeId, 'append');
          await inner.appendBatches(batches, options);
          if (options?.sync) disk.#markSynced(inner);
        }),
      read: (offset, maxBytes, options) => checked(() => inner.read(offset, maxBytes, options)),
      truncateTo: (offset) =>
        checked(async () => {
          await inner.truncateTo(offset);
          const key = keyOf(inner.topic, inner.partition);
          disk.#synced.set(key, Math.min(disk.#synced.get(key) ?? 0, inner.endOffset()));
        }),
      trimBefore: (offset) => checked(() => inner.trimBefore(offset)),
      offsetForTimestamp: (timestamp) => checked(() => inner.offsetForTimestamp(timestamp)),
      segments: () => inner.segments(),
      sync: () =>
        checked(async () => {
          if (disk.#writeFails()) throw full(disk.nodeId, 'sync');
          await inner.sync();
          disk.#markSynced(inner);
        }),
      close: () =>
        checked(async () => {
          disk.#markSynced(inner);
          await inner.close();
        }),
    };
  }
}
