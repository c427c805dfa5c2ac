/**
 * What a Raft leader tracks about the replicas that fetch from it (Kafka's LeaderState):
 * each voter's end offset (the fetch offset of its last Fetch — a voter syncs what it has
 * before it fetches past it), when it last fetched and was last caught up, and the
 * observers seen; from that the high watermark, and the check-quorum verdict.
 *
 * The high watermark is the largest offset that a majority of voters (the leader's own
 * synced end included) has reached, and it only counts once it passes the leader's epoch
 * start offset: Raft commits by majority only entries of the leader's own term, so before
 * the leader-change batch is on a majority the old entries are not known to be committed.
 * It never moves back.
 */
import { majority } from './vote-rules.ts';

/** One replica as the leader sees it. */
export interface ReplicaProgress {
  readonly nodeId: number;
  /** Its log end offset as its last fetch said (-1 before any). */
  readonly endOffset: number;
  /** When it last fetched (-1: never). */
  readonly lastFetchMs: number;
  /** When it last fetched at or past the leader's end (-1: never). */
  readonly lastCaughtUpMs: number;
}

/** Progress of the voters and observers of one leader epoch. */
export class LeaderProgress {
  readonly #localId: number;
  readonly #epochStartOffset: number;
  readonly #voters = new Map<number, ReplicaProgress>();
  readonly #observers = new Map<number, ReplicaProgress>();
  #highWatermark: number;
  #checkQuorumStart: number;
  readonly #fetchedSinceCheck = new Set<number>();

  /**
   * @param voters every voter's id (this node included)
   * @param epochStartOffset offset of the leader's first batch of its epoch (its leader-change)
   * @param highWatermark the high watermark it knew before (never goes back)
   */
  constructor(localId: number, voters: readonly number[], epochStartOffset: number, highWatermark: number, nowMs: number) {
    this.#localId = localId;
    this.#epochStartOffset = epochStartOffset;
    this.#highWatermark = highWatermark;
    this.#checkQuorumStart = nowMs;
    for (const id of voters) this.#voters.set(id, { nodeId: id, endOffset: -1, lastFetchMs: -1, lastCaughtUpMs: -1 });
  }

  /** The high watermark (never lower than the one the leader started with). */
  get highWatermark(): number {
    return this.#highWatermark;
  }

  /** Offset of the leader's first batch of this epoch. */
  get epochStartOffset(): number {
    return this.#epochStartOffset;
  }

  /** True when `nodeId` is a voter. */
  isVoter(nodeId: number): boolean {
    return this.#voters.has(nodeId);
  }

  /** The voters, this node first then by id. */
  voters(): ReplicaProgress[] {
    return [...this.#voters.values()].sort((a, b) => (a.nodeId === this.#localId ? -1 : b.nodeId === this.#localId ? 1 : a.nodeId - b.nodeId));
  }

  /** The observers that fetched. */
  observers(): ReplicaProgress[] {
    return [...this.#observers.values()].sort((a, b) => a.nodeId - b.nodeId);
  }

  /** The leader's own synced log end moved. Returns true when the high watermark advanced. */
  updateLocal(endOffset: number, nowMs: number): boolean {
    this.#voters.set(this.#localId, { nodeId: this.#localId, endOffset, lastFetchMs: nowMs, lastCaughtUpMs: nowMs });
    return this.#recompute();
  }

  /**
   * A replica fetched from `fetchOffset` (a voter: everything before it is synced there)
   * while the leader's log ended at `leaderEnd`. Returns true when the high watermark advanced.
   */
  updateReplica(nodeId: number, fetchOffset: number, leaderEnd: number, nowMs: number): boolean {
    const voter = this.#voters.get(nodeId);
    const table = voter ? this.#voters : this.#observers;
    const before = voter ?? this.#observers.get(nodeId);
    const caughtUp = fetchOffset >= leaderEnd;
    // A fetch offset below an earlier one (a truncating follower) is what the replica now holds.
    table.set(nodeId, { nodeId, endOffset: fetchOffset, lastFetchMs: nowMs, lastCaughtUpMs: caughtUp ? nowMs : before?.lastCaughtUpMs ?? -1 });
    if (!voter) return false;
    this.#fetchedSinceCheck.add(nodeId);
    if (this.#fetchedSinceCheck.size + 1 >= majority(this.#voters.size)) {
      // A majority has fetched since the last time: the leader is still the leader for another window.
      this.#fetchedSinceCheck.clear();
      this.#checkQuorumStart = nowMs;
    }
    return this.#recompute();
  }

  /**
   * Check-quorum (Kafka's LeaderState): when the leader must resign unless a majority of
   * voters (itself counted) fetches before — `windowMs` after the last time a majority had
   * fetched since the time before.
   */
  checkQuorumDeadline(windowMs: number): number {
    // A sole voter is its own majority: it never loses it.
    if (majority(this.#voters.size) <= 1) return Number.POSITIVE_INFINITY;
    return this.#checkQuorumStart + windowMs;
  }

  /** Voters other than this node, the most caught up first (EndQuorumEpoch's preferred successors). */
  preferredSuccessors(): number[] {
    return [...this.#voters.values()]
      .filter((v) => v.nodeId !== this.#localId)
      .sort((a, b) => b.endOffset - a.endOffset || a.nodeId - b.nodeId)
      .map((v) => v.nodeId);
  }

  #recompute(): boolean {
    const ends = [...this.#voters.values()].map((v) => v.endOffset).sort((a, b) => b - a);
    const candidate = ends[majority(this.#voters.size) - 1] ?? -1;
    if (candidate > this.#epochStartOffset && candidate > this.#highWatermark) {
      this.#highWatermark = candidate;
      return true;
    }
    return false;
  }
}
