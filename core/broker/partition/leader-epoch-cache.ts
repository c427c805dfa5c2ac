/**
 * The leader-epoch cache of one partition replica (Kafka's LeaderEpochFileCache): for every
 * leader epoch that wrote to this log, the offset its first batch took. A follower asks
 * the leader where its last epoch ended (Fetch's LastFetchedEpoch, OffsetForLeaderEpoch)
 * and truncates what the leader does not have, instead of trusting its high watermark
 * (KIP-101, KIP-279).
 *
 * Entries are kept in ascending order of both epoch and start offset; an assignment that
 * would break that order first removes the entries it contradicts (the tail a truncation
 * left behind).
 */

/** Epoch or offset unknown (Kafka's UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET). */
export const UNDEFINED_EPOCH = -1;

/** One epoch and the offset of its first batch. */
export interface EpochEntry {
  readonly epoch: number;
  readonly startOffset: number;
}

/** An epoch and the offset its data ends at (exclusive), as OffsetForLeaderEpoch answers. */
export interface EpochEndOffset {
  readonly epoch: number;
  readonly endOffset: number;
}

/** The cache; state with a lifecycle (truncations, assignments), hence a class. */
export class LeaderEpochCache {
  #entries: EpochEntry[];

  constructor(entries: readonly EpochEntry[] = []) {
    this.#entries = [];
    for (const entry of entries) this.assign(entry.epoch, entry.startOffset);
  }

  /** Every entry, oldest first. */
  get entries(): readonly EpochEntry[] {
    return this.#entries;
  }

  /** The latest epoch, or undefined when the cache is empty. */
  get latestEpoch(): number | undefined {
    return this.#entries[this.#entries.length - 1]?.epoch;
  }

  /** The latest entry. */
  get latestEntry(): EpochEntry | undefined {
    return this.#entries[this.#entries.length - 1];
  }

  /**
   * Records that `epoch` starts at `startOffset`. Nothing changes when the latest entry
   * is already this epoch at the same or an earlier offset; otherwise entries with an
   * epoch ≥ `epoch` or a start ≥ `startOffset` go first (they describe a log that was
   * truncated). Returns true when the cache changed.
   */
  assign(epoch: number, startOffset: number): boolean {
    if (!Number.isInteger(epoch) || epoch < 0 || !Number.isSafeInteger(startOffset) || startOffset < 0) {
      throw new RangeError(`Invalid leader epoch entry ${epoch} at ${startOffset}`);
    }
    const latest = this.latestEntry;
    if (latest && latest.epoch === epoch && latest.startOffset <= startOffset) return false;
    while (this.#entries.length > 0) {
      const last = this.#entries[this.#entries.length - 1]!;
      if (last.epoch < epoch && last.startOffset < startOffset) break;
      this.#entries.pop();
    }
    this.#entries.push({ epoch, startOffset });
    return true;
  }

  /**
   * Where `requestedEpoch` ends in a log whose end is `logEndOffset`, by Kafka's rules:
   * undefined (-1, -1) for an undefined epoch or one above every known epoch; the log end
   * for the latest epoch; otherwise the largest known epoch ≤ the requested one (or the
   * requested one itself when it is below every known epoch) with the start offset of the
   * next larger epoch.
   */
  endOffsetFor(requestedEpoch: number, logEndOffset: number): EpochEndOffset {
    const undefinedAnswer = { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH };
    if (requestedEpoch === UNDEFINED_EPOCH) return undefinedAnswer;
    if (this.latestEpoch === requestedEpoch) return { epoch: requestedEpoch, endOffset: logEndOffset };
    const higher = this.#entries.findIndex((e) => e.epoch > requestedEpoch);
    if (higher < 0) return undefinedAnswer;
    const next = this.#entries[higher]!;
    // Below the first known epoch: its data was deleted; the follower starts at what is left.
    if (higher === 0) return { epoch: requestedEpoch, endOffset: next.startOffset };
    return { epoch: this.#entries[higher - 1]!.epoch, endOffset: next.startOffset };
  }

  /** The epoch that wrote `offset` (the largest entry starting at or before it), or undefined. */
  epochForOffset(offset: number): number | undefined {
    let found: number | undefined;
    for (const e of this.#entries) {
      if (e.startOffset > offset) break;
      found = e.epoch;
    }
    return found;
  }

  /** Drops the entries starting at or after `endOffset` (the log was truncated there). Returns true when the cache changed. */
  truncateFromEnd(endOffset: number): boolean {
    if (endOffset < 0) return false;
    const before = this.#entries.length;
    while (this.#entries.length > 0 && this.#entries[this.#entries.length - 1]!.startOffset >= endOffset) this.#entries.pop();
    return this.#entries.length !== before;
  }

  /**
   * Drops the entries wholly before `startOffset` (the log start moved there); the last
   * of them is kept, moved to start at `startOffset`, since its epoch still wrote the
   * data from there. Returns true when the cache changed.
   */
  truncateFromStart(startOffset: number): boolean {
    let last = -1;
    for (let i = 0; i < this.#entries.length && this.#entries[i]!.startOffset <= startOffset; i++) last = i;
    if (last < 0) return false;
    const kept = this.#entries[last]!;
    if (last === 0 && kept.startOffset === startOffset) return false;
    this.#entries = [{ epoch: kept.epoch, startOffset }, ...this.#entries.slice(last + 1)];
    return true;
  }

  /** Removes every entry. */
  clear(): void {
    this.#entries = [];
  }

  /** A JSON-able copy. */
  toJSON(): EpochEntry[] {
    return this.#entries.map((e) => ({ epoch: e.epoch, startOffset: e.startOffset }));
  }
}
