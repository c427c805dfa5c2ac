/**
 * A metadata quorum in memory, for tests and in-process clusters (`createCluster`): one log
 * that every in-process node reads, one leader at an epoch, and an append that commits at
 * once. Tests move leadership with {@link MemoryQuorum.elect}; appends written for an
 * earlier epoch are then refused with NOT_CONTROLLER, as a deposed controller's would be.
 */
import type { Clock } from '../../clock.ts';
import { kafkaError, KafkaCode } from '../../errors.ts';
import type { MetadataRecord } from '../metadata/records.ts';
import { firstAtOrAfter } from './batch-search.ts';
import { type MetadataBatch, type MetadataQuorum, type MetadataRead, nextOffsetAfter, type QuorumLeader } from './metadata-quorum.ts';

/** Options of {@link MemoryQuorum}. */
export interface MemoryQuorumOptions {
  /** Drives read waits and append times. */
  readonly clock: Clock;
  /** The first leader's node id (default -1: none until {@link MemoryQuorum.elect}). */
  readonly leaderId?: number;
  /** The first epoch (default 1 with a leader, 0 without). */
  readonly epoch?: number;
}

/** The metadata log in memory, shared by every in-process node. */
export class MemoryQuorum implements MetadataQuorum {
  readonly #clock: Clock;
  readonly #batches: MetadataBatch[] = [];
  readonly #listeners = new Set<(leader: QuorumLeader) => void>();
  readonly #waiters = new Set<() => void>();
  #leader: QuorumLeader;
  #end = 0;
  #closed = false;

  constructor(options: MemoryQuorumOptions) {
    this.#clock = options.clock;
    const nodeId = options.leaderId ?? -1;
    this.#leader = Object.freeze({ nodeId, epoch: options.epoch ?? (nodeId === -1 ? 0 : 1) });
  }

  leader(): QuorumLeader {
    return this.#leader;
  }

  /**
   * Makes `nodeId` the leader (-1: none, an election under way) in a new epoch, and tells
   * the listeners. Returns the new leader.
   */
  elect(nodeId: number): QuorumLeader {
    this.#leader = Object.freeze({ nodeId, epoch: this.#leader.epoch + 1 });
    for (const listener of [...this.#listeners]) listener(this.#leader);
    return this.#leader;
  }

  /** One past the last committed offset. */
  get highWatermark(): number {
    return this.#end;
  }

  /** Every committed batch, in order (a copy). */
  batches(): MetadataBatch[] {
    return [...this.#batches];
  }

  append(records: readonly MetadataRecord[], expectedEpoch: number): Promise<number> {
    if (this.#closed) return Promise.reject(kafkaError(KafkaCode.NOT_CONTROLLER, 'The metadata quorum is closed'));
    if (this.#leader.nodeId === -1 || expectedEpoch !== this.#leader.epoch) {
      return Promise.reject(kafkaError(KafkaCode.NOT_CONTROLLER, `Append for epoch ${expectedEpoch} refused: the quorum is at epoch ${this.#leader.epoch} led by ${this.#leader.nodeId}`));
    }
    if (records.length === 0) return Promise.reject(kafkaError(KafkaCode.INVALID_REQUEST, 'A metadata batch needs at least one record'));
    // A copy through JSON: what readers see is what a stored log would give back, never the caller's objects.
    const batch: MetadataBatch = Object.freeze({
      baseOffset: this.#end,
      epoch: this.#leader.epoch,
      appendTimeMs: this.#clock.now(),
      records: Object.freeze(JSON.parse(JSON.stringify(records)) as MetadataRecord[]),
    });
    this.#batches.push(batch);
    this.#end = nextOffsetAfter(batch);
    this.#wake();
    return Promise.resolve(batch.baseOffset);
  }

  async read(fromOffset: number, waitMs: number): Promise<MetadataRead> {
    const now = this.#collect(fromOffset);
    if (now.batches.length > 0 || waitMs <= 0 || this.#closed) return now;
    await new Promise<void>((resolve) => {
      const wake = () => {
        this.#waiters.delete(wake);
        this.#clock.clearTimeout(timer);
        resolve();
      };
      const timer = this.#clock.setTimeout(wake, waitMs);
      this.#waiters.add(wake);
    });
    return this.#collect(fromOffset);
  }

  onLeaderChange(listener: (leader: QuorumLeader) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#wake();
  }

  #collect(fromOffset: number): MetadataRead {
    return { batches: this.#batches.slice(firstAtOrAfter(this.#batches, fromOffset)), highWatermark: this.#end };
  }

  #wake(): void {
    for (const wake of [...this.#waiters]) wake();
  }
}
