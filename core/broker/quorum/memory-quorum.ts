/**
 * A metadata quorum in memory, for tests and in-process clusters (`createCluster`): one log
 * that every in-process node reads, one leader at an epoch, and an append that commits at
 * once. Tests move leadership with {@link MemoryQuorum.elect}; appends written for an
 * earlier epoch are then refused with NOT_CONTROLLER, as a deposed controller's would be.
 */
import type { Clock } from '../../clock.ts';
import { kafkaError, KafkaCode } from '../../errors.ts';
import type { MetadataRecord } from '../metadata/records.ts';
import { CommittedBatches } from './committed-batches.ts';
import type { MetadataBatch, MetadataQuorum, MetadataRead, QuorumLeader } from './metadata-quorum.ts';

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
  readonly #committed: CommittedBatches;
  readonly #listeners = new Set<(leader: QuorumLeader) => void>();
  #leader: QuorumLeader;
  #closed = false;

  constructor(options: MemoryQuorumOptions) {
    this.#clock = options.clock;
    this.#committed = new CommittedBatches(options.clock);
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
    return this.#committed.end;
  }

  /** Every committed batch, in order (a copy). */
  batches(): MetadataBatch[] {
    return this.#committed.all();
  }

  append(records: readonly MetadataRecord[], expectedEpoch: number): Promise<number> {
    if (this.#closed) return Promise.reject(kafkaError(KafkaCode.NOT_CONTROLLER, 'The metadata quorum is closed'));
    if (this.#leader.nodeId === -1 || expectedEpoch !== this.#leader.epoch) {
      return Promise.reject(kafkaError(KafkaCode.NOT_CONTROLLER, `Append for epoch ${expectedEpoch} refused: the quorum is at epoch ${this.#leader.epoch} led by ${this.#leader.nodeId}`));
    }
    if (records.length === 0) return Promise.reject(kafkaError(KafkaCode.INVALID_REQUEST, 'A metadata batch needs at least one record'));
    // A copy through JSON: what readers see is what a stored log would give back, never the caller's objects.
    const batch: MetadataBatch = Object.freeze({
      baseOffset: this.#committed.end,
      epoch: this.#leader.epoch,
      appendTimeMs: this.#clock.now(),
      records: Object.freeze(JSON.parse(JSON.stringify(records)) as MetadataRecord[]),
    });
    this.#committed.commit(batch);
    return Promise.resolve(batch.baseOffset);
  }

  read(fromOffset: number, waitMs: number): Promise<MetadataRead> {
    return this.#committed.read(fromOffset, waitMs);
  }

  onLeaderChange(listener: (leader: QuorumLeader) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#committed.close();
  }
}
