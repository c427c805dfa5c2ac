/**
 * How a Raft voter answers a Fetch of the metadata log (Kafka's KafkaRaftClient
 * tryCompleteFetchRequest): the epoch checks every voter applies (FENCED_LEADER_EPOCH below
 * its epoch, UNKNOWN_LEADER_EPOCH above, NOT_LEADER_OR_FOLLOWER when it does not lead, each
 * answer naming the leader it knows), then on the leader:
 *
 * - a voter (its id, and both epochs given — Kafka refuses -1 from voters) gets the log from
 *   its fetch offset up to the log end, or, when its log diverges, the epoch and end offset
 *   to truncate to; its fetch offset counts for the high watermark;
 * - an observer (replica id -1, a non-voter, or a fetch without epochs: a broker's metadata
 *   reader) gets committed batches only and does not count.
 *
 * A fetcher (voter or observer) whose fetch offset is below the leader's log start (the log
 * before it is in a snapshot) gets the snapshot's id instead (Fetch's snapshotId, KIP-630)
 * and loads it with FetchSnapshot.
 *
 * `final` says whether the answer goes at once or may wait for new data (the long poll).
 */
import { KafkaCode } from '../../../errors.ts';
import type { ApiKey } from '../../../protocol/api-keys.ts';
import type { ApiRequest, Encodable } from '../../../protocol/api-messages.ts';
import type { FetchResponsePartitionData } from '../../../protocol/generated/fetch.ts';
import type { LeaderProgress } from './leader-progress.ts';
import type { RaftLog } from './raft-log.ts';
import type { LeaderAndEpoch } from './raft-messages.ts';

/** The metadata partition of a Fetch request. */
export type FetchPartitionRequest = ApiRequest<typeof ApiKey.Fetch>['topics'][number]['partitions'][number];

/** The metadata partition of a Fetch answer. */
export type FetchPartitionAnswer = Encodable<FetchResponsePartitionData>;

/** What a voter's state tells the fetch serving. */
export interface FetchServingState {
  readonly nodeId: number;
  readonly voterIds: readonly number[];
  /** The Raft leader and epoch this voter knows. */
  readonly current: LeaderAndEpoch;
  /** The log, or undefined once closed (or not yet open). */
  readonly log: RaftLog | undefined;
  /** The leader's progress, when this voter leads. */
  readonly progress: LeaderProgress | undefined;
  readonly nowMs: number;
  /** The high watermark to tell fetchers: -1 while a new leader's first batch is not committed. */
  knownHighWatermark(): number;
  /** A voter's fetch moved the leader's high watermark to `hw`. */
  onHighWatermark(hw: number): void;
}

/** One attempt at answering the metadata partition of a Fetch from `replicaId`. */
export function serveFetch(state: FetchServingState, replicaId: number, p: FetchPartitionRequest, maxBytes: number): { answer: FetchPartitionAnswer; final: boolean } {
  const { current, log, progress } = state;
  const base = {
    partitionIndex: p.partition,
    logStartOffset: 0,
    currentLeader: { leaderId: current.leaderId, leaderEpoch: current.epoch },
    abortedTransactions: null,
    preferredReadReplica: -1,
  };
  const failed = (errorCode: number) => ({ answer: { ...base, errorCode, highWatermark: -1, lastStableOffset: -1, records: null }, final: true });
  const ok = (records: Uint8Array[] | null, highWatermark: number, extra: object = {}) => ({ ...base, errorCode: KafkaCode.NONE, highWatermark, lastStableOffset: highWatermark, records, ...extra });
  if (!log) return failed(KafkaCode.BROKER_NOT_AVAILABLE);
  const isVoter = replicaId !== state.nodeId && state.voterIds.includes(replicaId) && p.currentLeaderEpoch >= 0 && p.lastFetchedEpoch >= 0;
  if (p.currentLeaderEpoch >= 0) {
    if (p.currentLeaderEpoch < current.epoch) return failed(KafkaCode.FENCED_LEADER_EPOCH);
    if (p.currentLeaderEpoch > current.epoch) return failed(KafkaCode.UNKNOWN_LEADER_EPOCH);
  }
  if (!progress) return failed(KafkaCode.NOT_LEADER_OR_FOLLOWER);
  if (p.fetchOffset < 0 || (isVoter && p.lastFetchedEpoch > p.currentLeaderEpoch)) return failed(KafkaCode.INVALID_REQUEST);
  const snapshotId = log.snapshotId;
  if (!isVoter) {
    if (snapshotId && p.fetchOffset < log.startOffset) return { answer: ok(null, state.knownHighWatermark(), { snapshotId: { endOffset: snapshotId.endOffset, epoch: snapshotId.epoch } }), final: true };
    progress.updateReplica(replicaId, p.fetchOffset, log.endOffset, state.nowMs);
    const hw = state.knownHighWatermark();
    // A new leader does not know the high watermark before its first batch commits: the observer waits.
    if (hw < 0) return { answer: ok(null, -1), final: false };
    if (p.fetchOffset > hw) return { answer: ok(null, hw), final: false };
    const records = log.read(p.fetchOffset, hw, maxBytes);
    return { answer: ok(records, hw), final: records.length > 0 };
  }
  const position = log.validateFetchPosition(p.fetchOffset, p.lastFetchedEpoch);
  if (position.kind === 'snapshot') {
    return { answer: ok(null, state.knownHighWatermark(), { snapshotId: { endOffset: position.snapshotId.endOffset, epoch: position.snapshotId.epoch } }), final: true };
  }
  if (position.kind === 'diverging') {
    return { answer: ok(null, state.knownHighWatermark(), { divergingEpoch: { epoch: position.epoch, endOffset: position.endOffset } }), final: true };
  }
  const advanced = progress.updateReplica(replicaId, p.fetchOffset, log.endOffset, state.nowMs);
  if (advanced) state.onHighWatermark(progress.highWatermark);
  const records = log.read(p.fetchOffset, log.endOffset, maxBytes);
  // A fetch that moved the high watermark answers at once: the follower learns it without a long poll.
  // Before the leader's first batch is committed its high watermark is unknown (-1, as Kafka's): what it
  // learned as a follower, or 0 after a restart, may be below what the last leader already told others.
  return { answer: ok(records, state.knownHighWatermark()), final: records.length > 0 || advanced };
}
