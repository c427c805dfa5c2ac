/**
 * The controller quorum as Raft (KRaft, KIP-595): a {@link MetadataQuorum} that a fixed set
 * of voters (`--controller-quorum`) keeps by electing one leader per epoch and replicating
 * the metadata log from it, pull-based as Kafka does:
 *
 * - Roles: unattached (knows the epoch, no leader), follower, candidate, leader, resigned
 *   (a leader stepping down). The epoch, the vote and the known leader are persisted in
 *   the storage's metadata store before a vote is granted or a new epoch acted in
 *   (quorum-state-store.ts).
 * - Elections: a voter that hears nothing from a leader (unattached: a randomised election
 *   timeout; follower: fetch timeout) becomes a candidate in the next epoch, votes for
 *   itself and asks the others (Vote). A voter grants one vote per epoch, to a log at least
 *   as up to date as its own (vote-rules.ts). A majority makes the candidate leader; a lost
 *   or timed-out election backs off randomly first. The leader announces itself with
 *   BeginQuorumEpoch; on a graceful stop it sends EndQuorumEpoch, naming the most caught-up
 *   voters first, so they stand at once.
 * - Replication: followers Fetch from the leader with their log end and last epoch; a
 *   diverging log is answered with where the epoch ends and the follower truncates there.
 *   A voter syncs what it appended before it fetches past it, so its fetch offset counts
 *   for the high watermark: the largest offset a majority of voters has reached, counted
 *   only once it passes the leader's first batch of its own epoch (leader-progress.ts).
 *   That first batch is a `leader-change` record the new leader appends at once.
 * - Check-quorum: a leader that a majority has not fetched from within 1.5 × fetch timeout
 *   resigns, so a partitioned leader stops accepting appends.
 *
 * As a MetadataQuorum:
 * - `leader()` names THIS node only once its own epoch's leader-change batch is committed —
 *   then every batch committed before is readable, the controller replays the log and
 *   appends at that epoch. Until then (leader elected, its first batch not yet on a
 *   majority) it reports `{ nodeId: -1, epoch }`. On other voters it names the leader they
 *   follow, -1 during an election. `onLeaderChange` fires on every change of that value.
 * - `append` only on the leader at that epoch (and once leader() names it): resolves with
 *   the base offset when the batch is committed; rejects NOT_CONTROLLER otherwise, and
 *   when leadership is lost before the commit (the batch may still be committed by the
 *   next leader: the controller treats the outcome as unknown and replays).
 * - `read` serves committed batches only, with the long poll.
 *
 * As a RaftEndpoint it answers the other voters and the observers (brokers fetching the
 * committed log, tools describing the quorum). Every state change runs on one serial
 * queue (Kafka's single polling thread); every timer runs on the injected Clock and every
 * random choice comes from the injected `random`, so a simulation replays a run exactly.
 *
 * Snapshots (KIP-630, snapshot-store.ts): once the committed log has grown
 * `maxRecordsBetweenSnapshots` past the last snapshot, a voter replays the committed batches
 * since then onto the last snapshot's image, writes the result as a snapshot (synced, then
 * named the latest), and drops the log before it. On open it loads the latest snapshot,
 * then the log after it. A follower or observer behind the leader's log start gets the
 * snapshot's id in the Fetch answer and loads it with FetchSnapshot; `read` from below the
 * log start answers with the snapshot (MetadataRead.snapshot).
 */
import type { Clock } from '../../../clock.ts';
import type { Logger } from '../../../contracts/logger.ts';
import type { Storage } from '../../../contracts/storage.ts';
import { kafkaError, KafkaCode, TributaryError } from '../../../errors.ts';
import { ApiKey } from '../../../protocol/api-keys.ts';
import { concat } from '../../../protocol/writer.ts';
import type { ApiRequest, ApiResponse, ApiResponseInput } from '../../../protocol/api-messages.ts';
import type { ShutdownWatch } from '../../partition/delayed-operations.ts';
import { imageFromRecords, imageToRecords } from '../../metadata/image-records.ts';
import { MetadataDelta } from '../../metadata/metadata-delta.ts';
import { MetadataImage } from '../../metadata/metadata-image.ts';
import type { MetadataRecord } from '../../metadata/records.ts';
import { CommittedBatches } from '../committed-batches.ts';
import { METADATA_TOPIC } from '../metadata-batch-codec.ts';
import { type MetadataBatch, type MetadataQuorum, type MetadataRead, nextOffsetAfter, type QuorumLeader, type QuorumVoter } from '../metadata-quorum.ts';
import { decodeSnapshot, type SnapshotId, SnapshotStore } from './snapshot-store.ts';
import { followerFetchOutcome } from './follower-fetching.ts';
import { type FetchPartitionAnswer, type FetchPartitionRequest, serveFetch } from './fetch-serving.ts';
import { LeaderProgress, type ReplicaProgress } from './leader-progress.ts';
import { type ElectionState, QuorumStateStore } from './quorum-state-store.ts';
import type { RaftChannel, RaftEndpoint } from './raft-endpoint.ts';
import { RaftLog } from './raft-log.ts';
import {
  beginQuorumEpochRequest,
  beginQuorumEpochResponse,
  endQuorumEpochRequest,
  endQuorumEpochResponse,
  fetchReplicaId,
  fetchMaxWaitMs,
  fetchSnapshotRequest,
  followerFetchRequest,
  isMetadataTopic,
  type LeaderAndEpoch,
  RAFT_REQUEST_VERSIONS,
  successorsOf,
  voteRequest,
  voteResponse,
} from './raft-messages.ts';
import { CHECK_QUORUM_FACTOR, DEFAULT_RAFT_TIMINGS, type RaftTimings } from './raft-timings.ts';
import { canGrantVote, majority } from './vote-rules.ts';

/** The role a voter holds in its current epoch. */
export type RaftRole = 'unattached' | 'follower' | 'candidate' | 'leader' | 'resigned';

/** Options of {@link RaftQuorum}. */
export interface RaftQuorumOptions {
  /** This node's id: one of the voters. */
  readonly nodeId: number;
  /** Every voter, this node included (static membership: `--controller-quorum`). */
  readonly voters: readonly QuorumVoter[];
  /** This node's storage (opened by the caller): the log is its `__cluster_metadata` partition 0, the election state in its metadata store. */
  readonly storage: Storage;
  readonly clock: Clock;
  readonly logger: Logger;
  /** How requests reach the other voters. */
  readonly channel: RaftChannel;
  /** Uniform in [0, 1): election timeouts and backoffs (default Math.random; a simulation passes a seeded one). */
  readonly random?: () => number;
  /** Timings (defaults: KRaft's, {@link DEFAULT_RAFT_TIMINGS}). */
  readonly timings?: Partial<RaftTimings>;
  /** The cluster id requests carry and are checked against (null: not checked). */
  readonly clusterId?: string | null;
  /** Most bytes of batches per Fetch answer (at least one batch goes). Default 8 MiB. */
  readonly maxFetchBytes?: number;
  /**
   * Committed records past the latest snapshot after which a voter writes a new one and
   * drops the log before it (KIP-630). Default {@link DEFAULT_MAX_RECORDS_BETWEEN_SNAPSHOTS};
   * Infinity: never.
   */
  readonly maxRecordsBetweenSnapshots?: number;
}

/**
 * Kafka snapshots after 20 MiB of records (metadata.log.max.record.bytes.between.snapshots).
 * Our records are JSON of some 100–400 bytes, so 20,000 records is 2–8 MiB: a snapshot of
 * the same order as Kafka's trigger, while the log this voter keeps in memory, and the replay
 * an activating controller or a restarted broker does, stay bounded to that many records.
 */
export const DEFAULT_MAX_RECORDS_BETWEEN_SNAPSHOTS = 20_000;

/** A replica's progress as DescribeQuorum reports it. */
export type { ReplicaProgress };

/** What {@link RaftQuorum.describe} tells (DescribeQuorum's content, also on non-leaders). */
export interface RaftQuorumDescription {
  readonly nodeId: number;
  readonly role: RaftRole;
  readonly epoch: number;
  /** The Raft leader this node knows (itself when leading, before its first batch commits too), or -1. */
  readonly leaderId: number;
  readonly votedId: number;
  readonly highWatermark: number;
  readonly logEndOffset: number;
  readonly lastEpoch: number;
  /** On the leader: each voter's progress (this node first). Empty elsewhere. */
  readonly voters: readonly ReplicaProgress[];
  /** On the leader: the observers that fetched. */
  readonly observers: readonly ReplicaProgress[];
  /** The first offset of the local log: the latest snapshot's end offset, or 0. */
  readonly logStartOffset: number;
  /** The latest snapshot's id, if any. */
  readonly snapshotId: SnapshotId | null;
}

interface PendingAppend {
  readonly baseOffset: number;
  readonly endOffset: number;
  resolve(offset: number): void;
  reject(error: unknown): void;
}

type FetchAnswer = FetchPartitionAnswer;

const DEFAULT_MAX_FETCH_BYTES = 8 * 1024 * 1024;
const RETRY_BACKOFF_BASE_MS = 50;

/** A voter of the Raft controller quorum: the metadata log replicated to a majority. */
export class RaftQuorum implements MetadataQuorum, RaftEndpoint {
  readonly #options: RaftQuorumOptions;
  readonly #nodeId: number;
  readonly #voterIds: readonly number[];
  readonly #timings: RaftTimings;
  readonly #random: () => number;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #channel: RaftChannel;
  readonly #clusterId: string | null;
  readonly #maxFetchBytes: number;
  readonly #stateStore: QuorumStateStore;
  readonly #committed: CommittedBatches;
  readonly #listeners = new Set<(leader: QuorumLeader) => void>();
  readonly #fetchWaiters = new Set<() => void>();
  readonly #pendingAppends: PendingAppend[] = [];
  // Voters a BeginQuorumEpoch is on its way to (not sent again while it is).
  readonly #beginInFlight = new Set<number>();

  #log: RaftLog | undefined;
  #snapshots: SnapshotStore | undefined;
  // The image at the latest snapshot's end offset (what the next snapshot replays onto).
  #snapshotImage: MetadataImage = MetadataImage.EMPTY;
  #snapshotting = false;
  // A snapshot attempt failed at this committed offset: the next waits for as many records again.
  #snapshotFailedAt = 0;
  readonly #maxRecordsBetweenSnapshots: number;
  #election: ElectionState = { epoch: 0, votedId: -1, leaderId: -1 };
  #role: RaftRole = 'unattached';
  // Bumped on every transition: a timer or answer from an earlier state is ignored.
  #generation = 0;
  #timer: unknown;
  #progress: LeaderProgress | undefined;
  // The leader's leader-change batch is committed: it is the active controller.
  #leaderReady = false;
  readonly #granted = new Set<number>();
  readonly #rejected = new Set<number>();
  #electionRetries = 0;
  // When the running election timeout (unattached or candidate) ends.
  #electionDeadline: number | undefined;
  // A follower's leader sent EndQuorumEpoch: the election it scheduled stands.
  #leaderResigned = false;
  #announced: QuorumLeader = Object.freeze({ nodeId: -1, epoch: 0 });
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;
  #opened = false;

  constructor(options: RaftQuorumOptions) {
    this.#options = options;
    this.#nodeId = options.nodeId;
    this.#voterIds = Object.freeze([...new Set(options.voters.map((v) => v.nodeId))].sort((a, b) => a - b));
    if (!this.#voterIds.includes(options.nodeId)) {
      throw new TributaryError('ERR_INVALID_ARGUMENT', `Node ${options.nodeId} is not one of the controller quorum's voters (${this.#voterIds.join(', ')})`);
    }
    this.#timings = { ...DEFAULT_RAFT_TIMINGS, ...options.timings };
    this.#random = options.random ?? Math.random;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#channel = options.channel;
    this.#clusterId = options.clusterId ?? null;
    this.#maxFetchBytes = options.maxFetchBytes ?? DEFAULT_MAX_FETCH_BYTES;
    this.#maxRecordsBetweenSnapshots = options.maxRecordsBetweenSnapshots ?? DEFAULT_MAX_RECORDS_BETWEEN_SNAPSHOTS;
    if (!(this.#maxRecordsBetweenSnapshots >= 1)) throw new TributaryError('ERR_INVALID_ARGUMENT', `maxRecordsBetweenSnapshots must be at least 1 (got ${this.#maxRecordsBetweenSnapshots})`);
    this.#stateStore = new QuorumStateStore(options.storage.metadata);
    this.#committed = new CommittedBatches(options.clock);
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Loads the election state and the log, then starts: as an unattached voter of the stored
   * epoch (its vote kept), or a follower of the leader it knew; a sole voter elects itself
   * at once.
   */
  async open(): Promise<void> {
    if (this.#opened || this.#closed) throw new TributaryError('ERR_STORAGE_OPEN', 'The Raft quorum was opened already');
    this.#opened = true;
    await this.#serial(async () => {
      const snapshots = await SnapshotStore.open(this.#options.storage, this.#logger);
      const snapshot = snapshots.latest;
      const log = await RaftLog.open(this.#options.storage, this.#logger, snapshot?.id);
      this.#snapshots = snapshots;
      this.#log = log;
      if (snapshot) {
        // A snapshot is committed data: the high watermark is at least its end.
        this.#snapshotImage = imageFromRecords(snapshot.records);
        this.#committed.resetTo(snapshot.id.endOffset);
      }
      let state = await this.#stateStore.load();
      // A log written in a later epoch than the state file knows (the state lost): never go back.
      if (log.maxEpoch(0) > state.epoch) state = { epoch: log.maxEpoch(0), votedId: -1, leaderId: -1 };
      this.#election = state;
      this.#logger.info('raft quorum open', { nodeId: this.#nodeId, epoch: state.epoch, votedId: state.votedId, leaderId: state.leaderId, endOffset: log.endOffset, voters: this.#voterIds });
      if (state.leaderId !== -1 && state.leaderId !== this.#nodeId) {
        this.#becomeFollowerInMemory(state.leaderId);
      } else {
        // Leader before the restart: it cannot resume (its in-memory progress is gone); it voted for itself, so it waits out the epoch.
        this.#becomeUnattachedInMemory();
      }
      if (this.#voterIds.length === 1) await this.#becomeCandidate();
      this.#announce();
    });
  }

  /**
   * Stops. A leader first resigns gracefully: EndQuorumEpoch to the other voters (the most
   * caught up first) so they elect at once. Waiting reads answer, pending and later
   * appends reject with NOT_CONTROLLER. The storage is the caller's to close.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    const resign = this.#role === 'leader' && this.#progress ? { epoch: this.#election.epoch, successors: this.#progress.preferredSuccessors() } : undefined;
    this.#closed = true;
    this.#generation++;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#role = 'resigned';
    this.#progress = undefined;
    this.#leaderReady = false;
    this.#failPendingAppends('The metadata quorum is closing');
    this.#committed.close();
    this.#wakeFetchWaiters();
    if (resign) {
      this.#logger.info('raft leader resigning on close', { nodeId: this.#nodeId, epoch: resign.epoch, successors: resign.successors });
      await Promise.allSettled(
        this.#others().map((id) =>
          this.#channel.send(id, ApiKey.EndQuorumEpoch, RAFT_REQUEST_VERSIONS[ApiKey.EndQuorumEpoch], endQuorumEpochRequest(this.#clusterId, this.#nodeId, resign.epoch, resign.successors), this.#timings.requestTimeoutMs),
        ),
      );
    }
    this.#announce();
    this.#listeners.clear();
    await this.#queue.catch(() => undefined);
  }

  // ---------------------------------------------------------------- MetadataQuorum

  /** See the class comment: this node only once its epoch's first batch is committed. */
  leader(): QuorumLeader {
    return this.#announced;
  }

  append(records: readonly MetadataRecord[], expectedEpoch: number): Promise<number> {
    return this.#serial(async () => {
      const log = this.#log;
      if (this.#closed || !log) throw kafkaError(KafkaCode.NOT_CONTROLLER, this.#closed ? 'The metadata quorum is closed' : 'The metadata quorum is not open yet');
      if (this.#role !== 'leader' || !this.#leaderReady || this.#election.epoch !== expectedEpoch) {
        throw kafkaError(KafkaCode.NOT_CONTROLLER, `Append for epoch ${expectedEpoch} refused: node ${this.#nodeId} is ${this.#role} at epoch ${this.#election.epoch}${this.#role === 'leader' && !this.#leaderReady ? ' (its first batch not yet committed)' : ''}`);
      }
      if (records.length === 0) throw kafkaError(KafkaCode.INVALID_REQUEST, 'A metadata batch needs at least one record');
      const generation = this.#generation;
      const batch = await log.appendAsLeader(records, this.#election.epoch, this.#clock.now());
      const done = new Promise<number>((resolve, reject) => {
        this.#pendingAppends.push({ baseOffset: batch.baseOffset, endOffset: log.endOffset, resolve, reject });
      });
      if (generation !== this.#generation) {
        // Leadership went while the batch was being written: a later leader decides its fate.
        this.#failPendingAppends('Leadership was lost while the batch was being written');
      } else {
        this.#leaderAppended();
      }
      // Not awaited inside the queue: the commit needs the followers' fetches, which need the queue.
      return { done };
    }).then(({ done }) => done);
  }

  async read(fromOffset: number, waitMs: number): Promise<MetadataRead> {
    if (this.#snapshotFor(fromOffset)) return this.#readWithSnapshot();
    const read = await this.#committed.read(fromOffset, waitMs);
    // A follower may have installed a snapshot while the read waited.
    return this.#snapshotFor(fromOffset) ? this.#readWithSnapshot() : read;
  }

  #snapshotFor(fromOffset: number): boolean {
    const latest = this.#snapshots?.latest;
    return latest !== undefined && fromOffset < latest.id.endOffset;
  }

  // The latest snapshot and the committed batches after it.
  #readWithSnapshot(): MetadataRead {
    const latest = this.#snapshots!.latest!;
    const batches = this.#committed.all().filter((b) => b.baseOffset >= latest.id.endOffset);
    return { snapshot: { endOffset: latest.id.endOffset, records: latest.records }, batches, highWatermark: this.#committed.end };
  }

  onLeaderChange(listener: (leader: QuorumLeader) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  // ---------------------------------------------------------------- introspection

  /** The role held now. */
  get role(): RaftRole {
    return this.#role;
  }

  /** The current epoch. */
  get epoch(): number {
    return this.#election.epoch;
  }

  /** One past the last committed offset. */
  get highWatermark(): number {
    return this.#committed.end;
  }

  /** One past the last offset of the local log (committed or not). */
  get logEndOffset(): number {
    return this.#log?.endOffset ?? 0;
  }

  /** This node's id. */
  get nodeId(): number {
    return this.#nodeId;
  }

  /** Every batch of the local log, committed or not (for invariants in tests and simulations). */
  logBatches(): MetadataBatch[] {
    return this.#log?.batches() ?? [];
  }

  /** The state as DescribeQuorum and `cluster describe` show it. */
  describe(): RaftQuorumDescription {
    return {
      nodeId: this.#nodeId,
      role: this.#role,
      epoch: this.#election.epoch,
      leaderId: this.#raftLeaderId(),
      votedId: this.#election.votedId,
      highWatermark: this.#committed.end,
      logEndOffset: this.logEndOffset,
      lastEpoch: this.#log?.lastEpoch ?? 0,
      voters: this.#progress?.voters() ?? [],
      observers: this.#progress?.observers() ?? [],
      logStartOffset: this.#log?.startOffset ?? 0,
      snapshotId: this.#log?.snapshotId ?? null,
    };
  }

  // ---------------------------------------------------------------- RaftEndpoint

  handleVote(request: ApiRequest<typeof ApiKey.Vote>, version: number): Promise<ApiResponseInput<typeof ApiKey.Vote>> {
    return this.#serial(async () => {
      if (!this.#validClusterId(request.clusterId)) return voteResponse(KafkaCode.INCONSISTENT_CLUSTER_ID, KafkaCode.NONE, this.#current(), false);
      const p = request.topics.length === 1 && isMetadataTopic(request.topics[0]!, false) && request.topics[0]!.partitions.length === 1 ? request.topics[0]!.partitions[0]! : undefined;
      if (!p || p.partitionIndex !== 0) return voteResponse(KafkaCode.INVALID_REQUEST, KafkaCode.NONE, this.#current(), false);
      const refuse = (code: number) => voteResponse(KafkaCode.NONE, code, this.#current(), false);
      if (p.lastOffset < 0 || p.lastOffsetEpoch < 0 || p.lastOffsetEpoch >= p.candidateEpoch) return refuse(KafkaCode.INVALID_REQUEST);
      if (this.#closed || !this.#log) return refuse(KafkaCode.BROKER_NOT_AVAILABLE);
      if (p.candidateEpoch < this.#election.epoch) return refuse(KafkaCode.FENCED_LEADER_EPOCH);
      if (!this.#voterIds.includes(p.candidateId)) return refuse(KafkaCode.INCONSISTENT_VOTER_SET);
      if (p.candidateEpoch > this.#election.epoch) await this.#becomeUnattached(p.candidateEpoch);
      if (version >= 1 && request.voterId >= 0 && request.voterId !== this.#nodeId) return refuse(KafkaCode.INVALID_VOTER_KEY);
      const log = this.#log;
      const granted = canGrantVote(
        { role: this.#role, votedId: this.#election.votedId },
        p.candidateId,
        { lastEpoch: p.lastOffsetEpoch, endOffset: p.lastOffset },
        { lastEpoch: log.lastEpoch, endOffset: log.endOffset },
      );
      if (granted && this.#election.votedId === -1) {
        // Durable before the answer: a restart must not vote again in this epoch.
        await this.#saveElection({ epoch: this.#election.epoch, votedId: p.candidateId, leaderId: -1 });
        this.#resetElectionTimer();
      }
      this.#logger.info('raft vote', { nodeId: this.#nodeId, candidate: p.candidateId, epoch: p.candidateEpoch, granted, lastEpoch: p.lastOffsetEpoch, lastOffset: p.lastOffset, ownLastEpoch: log.lastEpoch, ownEnd: log.endOffset });
      return voteResponse(KafkaCode.NONE, KafkaCode.NONE, this.#current(), granted);
    });
  }

  handleBeginQuorumEpoch(request: ApiRequest<typeof ApiKey.BeginQuorumEpoch>, version: number): Promise<ApiResponseInput<typeof ApiKey.BeginQuorumEpoch>> {
    return this.#serial(async () => {
      if (!this.#validClusterId(request.clusterId)) return beginQuorumEpochResponse(KafkaCode.INCONSISTENT_CLUSTER_ID, KafkaCode.NONE, this.#current());
      const p = request.topics.length === 1 && isMetadataTopic(request.topics[0]!, false) ? request.topics[0]!.partitions[0] : undefined;
      if (!p || p.partitionIndex !== 0) return beginQuorumEpochResponse(KafkaCode.INVALID_REQUEST, KafkaCode.NONE, this.#current());
      const answer = (code: number) => beginQuorumEpochResponse(KafkaCode.NONE, code, this.#current());
      if (this.#closed || !this.#log) return answer(KafkaCode.BROKER_NOT_AVAILABLE);
      if (p.leaderEpoch < this.#election.epoch) return answer(KafkaCode.FENCED_LEADER_EPOCH);
      if (p.leaderId < 0 || !this.#voterIds.includes(p.leaderId)) return answer(KafkaCode.INVALID_REQUEST);
      if (version >= 1 && request.voterId >= 0 && request.voterId !== this.#nodeId) return answer(KafkaCode.INVALID_VOTER_KEY);
      await this.#maybeTransition(p.leaderId, p.leaderEpoch);
      return answer(KafkaCode.NONE);
    });
  }

  handleEndQuorumEpoch(request: ApiRequest<typeof ApiKey.EndQuorumEpoch>, _version: number): Promise<ApiResponseInput<typeof ApiKey.EndQuorumEpoch>> {
    return this.#serial(async () => {
      if (!this.#validClusterId(request.clusterId)) return endQuorumEpochResponse(KafkaCode.INCONSISTENT_CLUSTER_ID, KafkaCode.NONE, this.#current());
      const p = request.topics.length === 1 && isMetadataTopic(request.topics[0]!, false) ? request.topics[0]!.partitions[0] : undefined;
      if (!p || p.partitionIndex !== 0) return endQuorumEpochResponse(KafkaCode.INVALID_REQUEST, KafkaCode.NONE, this.#current());
      const answer = (code: number) => endQuorumEpochResponse(KafkaCode.NONE, code, this.#current());
      if (this.#closed || !this.#log) return answer(KafkaCode.BROKER_NOT_AVAILABLE);
      if (p.leaderEpoch < this.#election.epoch) return answer(KafkaCode.FENCED_LEADER_EPOCH);
      if (p.leaderId < 0) return answer(KafkaCode.INVALID_REQUEST);
      await this.#maybeTransition(p.leaderId, p.leaderEpoch);
      if (this.#role === 'follower' && this.#election.leaderId === p.leaderId && p.leaderId !== this.#nodeId) {
        // The leader is going: stand soon, the most caught-up successor first (Kafka's strict exponential backoff by position).
        const successors = successorsOf(p);
        const delay = this.#successorBackoff(successors.indexOf(this.#nodeId), successors.length);
        this.#logger.info('raft leader resigned', { nodeId: this.#nodeId, leader: p.leaderId, epoch: p.leaderEpoch, electionInMs: delay });
        this.#leaderResigned = true;
        this.#setTimer(delay, () => this.#becomeCandidate());
      }
      return answer(KafkaCode.NONE);
    });
  }

  async handleFetch(request: ApiRequest<typeof ApiKey.Fetch>, version: number, shutdown: ShutdownWatch): Promise<ApiResponseInput<typeof ApiKey.Fetch>> {
    if (!this.#validClusterId(request.clusterId)) return { throttleTimeMs: 0, errorCode: KafkaCode.INCONSISTENT_CLUSTER_ID, sessionId: 0, responses: [] };
    const byId = version >= 13;
    let wanted: ApiRequest<typeof ApiKey.Fetch>['topics'][number]['partitions'][number] | undefined;
    const responses = request.topics.map((topic) => {
      const isMetadata = isMetadataTopic(topic, byId);
      return {
        topic: topic.topic,
        topicId: topic.topicId,
        partitions: topic.partitions.map((p): FetchAnswer | 'metadata' => {
          if (isMetadata && p.partition === 0 && wanted === undefined) {
            wanted = p;
            return 'metadata';
          }
          const errorCode = isMetadata || !byId ? KafkaCode.UNKNOWN_TOPIC_OR_PARTITION : KafkaCode.UNKNOWN_TOPIC_ID;
          return { partitionIndex: p.partition, errorCode, highWatermark: -1, records: null };
        }),
      };
    });
    const answer = wanted === undefined ? undefined : await this.#answerFetch(fetchReplicaId(request, version), wanted, Math.max(0, request.maxWaitMs), Math.max(1, Math.min(request.maxBytes, wanted.partitionMaxBytes)), shutdown);
    return {
      throttleTimeMs: 0,
      errorCode: KafkaCode.NONE,
      sessionId: 0,
      responses: responses.map((t) => ({ ...t, partitions: t.partitions.map((p) => (p === 'metadata' ? answer! : p)) })),
    };
  }

  async handleFetchSnapshot(request: ApiRequest<typeof ApiKey.FetchSnapshot>, _version: number): Promise<ApiResponseInput<typeof ApiKey.FetchSnapshot>> {
    if (!this.#validClusterId(request.clusterId)) return { throttleTimeMs: 0, errorCode: KafkaCode.INCONSISTENT_CLUSTER_ID, topics: [] };
    const current = this.#current();
    return {
      throttleTimeMs: 0,
      errorCode: KafkaCode.NONE,
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => {
          let errorCode: number = KafkaCode.SNAPSHOT_NOT_FOUND;
          if (t.name !== METADATA_TOPIC || p.partition !== 0) errorCode = KafkaCode.UNKNOWN_TOPIC_OR_PARTITION;
          // -1: a fetcher that does not know the epoch (as Fetch, no check).
          else if (p.currentLeaderEpoch >= 0 && p.currentLeaderEpoch < current.epoch) errorCode = KafkaCode.FENCED_LEADER_EPOCH;
          else if (p.currentLeaderEpoch > current.epoch) errorCode = KafkaCode.UNKNOWN_LEADER_EPOCH;
          else if (this.#role !== 'leader' || this.#closed) errorCode = KafkaCode.NOT_LEADER_OR_FOLLOWER;
          const answer = { index: p.partition, snapshotId: { endOffset: p.snapshotId.endOffset, epoch: p.snapshotId.epoch }, currentLeader: { leaderId: current.leaderId, leaderEpoch: current.epoch }, size: 0, position: p.position, unalignedRecords: new Uint8Array(0) };
          if (errorCode !== KafkaCode.SNAPSHOT_NOT_FOUND) return { ...answer, errorCode };
          // Only the latest snapshot is kept: a fetcher that asks for another starts again from its Fetch.
          const latest = this.#snapshots?.latest;
          if (!latest || latest.id.endOffset !== p.snapshotId.endOffset || latest.id.epoch !== p.snapshotId.epoch) return { ...answer, errorCode: KafkaCode.SNAPSHOT_NOT_FOUND };
          const size = latest.bytes.length;
          if (p.position < 0 || p.position >= Math.max(1, size)) {
            // An empty snapshot (an empty image) is fetched at position 0 with nothing in it.
            if (!(size === 0 && p.position === 0)) return { ...answer, size, errorCode: KafkaCode.POSITION_OUT_OF_RANGE };
          }
          const maxBytes = Math.max(1, Math.min(request.maxBytes, this.#maxFetchBytes));
          return { ...answer, errorCode: KafkaCode.NONE, size, unalignedRecords: latest.bytes.subarray(p.position, p.position + maxBytes) };
        }),
      })),
    };
  }

  async handleDescribeQuorum(request: ApiRequest<typeof ApiKey.DescribeQuorum>, _version: number): Promise<ApiResponseInput<typeof ApiKey.DescribeQuorum>> {
    const d = this.describe();
    const replica = (r: ReplicaProgress) => ({ replicaId: r.nodeId, logEndOffset: r.endOffset, lastFetchTimestamp: r.lastFetchMs, lastCaughtUpTimestamp: r.lastCaughtUpMs });
    return {
      errorCode: KafkaCode.NONE,
      errorMessage: null,
      topics: request.topics.map((t) => ({
        topicName: t.topicName,
        partitions: t.partitions.map((p) => {
          // A leader whose first batch is not committed yet does not know the high watermark (-1, as Kafka's).
          const highWatermark = d.role === 'leader' && this.#announced.nodeId !== this.#nodeId ? -1 : d.highWatermark;
          const base = { partitionIndex: p.partitionIndex, errorMessage: null, leaderId: d.leaderId, leaderEpoch: d.epoch, highWatermark, currentVoters: [], observers: [] };
          if (t.topicName !== METADATA_TOPIC || p.partitionIndex !== 0) return { ...base, errorCode: KafkaCode.UNKNOWN_TOPIC_OR_PARTITION };
          if (d.role !== 'leader') return { ...base, errorCode: KafkaCode.NOT_LEADER_OR_FOLLOWER };
          return { ...base, errorCode: KafkaCode.NONE, currentVoters: d.voters.map(replica), observers: d.observers.map(replica) };
        }),
      })),
      nodes: [],
    };
  }

  // ---------------------------------------------------------------- fetch serving (leader)

  // Answers the metadata partition of a Fetch: at once when there is data, an error or a divergence; else after a long poll.
  async #answerFetch(replicaId: number, p: FetchPartitionRequest, maxWaitMs: number, maxBytes: number, shutdown: ShutdownWatch): Promise<FetchAnswer> {
    const first = await this.#serial(() => this.#tryFetch(replicaId, p, maxBytes));
    if (first.final || maxWaitMs <= 0 || shutdown.aborted() || this.#closed) return first.answer;
    await new Promise<void>((resolve) => {
      const finish = () => {
        this.#fetchWaiters.delete(finish);
        this.#clock.clearTimeout(timer);
        stopWatching();
        resolve();
      };
      const timer = this.#clock.setTimeout(finish, maxWaitMs);
      const stopWatching = shutdown.onAbort(finish);
      this.#fetchWaiters.add(finish);
    });
    if (shutdown.aborted()) return first.answer;
    // Closed or no longer leader meanwhile: the second attempt answers with the error that says so.
    return (await this.#serial(() => this.#tryFetch(replicaId, p, maxBytes))).answer;
  }

  // One attempt at a Fetch answer (fetch-serving.ts); `final` when it must not wait.
  #tryFetch(replicaId: number, p: FetchPartitionRequest, maxBytes: number): { answer: FetchAnswer; final: boolean } {
    const leading = this.#role === 'leader' && !this.#closed;
    return serveFetch(
      {
        nodeId: this.#nodeId,
        voterIds: this.#voterIds,
        current: this.#current(),
        log: this.#closed ? undefined : this.#log,
        progress: leading ? this.#progress : undefined,
        nowMs: this.#clock.now(),
        knownHighWatermark: () => (this.#leaderReady ? this.#committed.end : -1),
        onHighWatermark: (hw) => this.#onHighWatermark(hw),
      },
      replicaId,
      p,
      maxBytes,
    );
  }

  // ---------------------------------------------------------------- leader

  // The leader's own log grew (synced): count it, and tell waiting fetches.
  #leaderAppended(): void {
    if (this.#role !== 'leader' || !this.#progress || !this.#log) return;
    if (this.#progress.updateLocal(this.#log.endOffset, this.#clock.now())) this.#onHighWatermark(this.#progress.highWatermark);
    this.#wakeFetchWaiters();
  }

  async #becomeLeader(): Promise<void> {
    const log = this.#log!;
    const epoch = this.#election.epoch;
    await this.#saveElection({ epoch, votedId: this.#nodeId, leaderId: this.#nodeId });
    this.#transition('leader');
    this.#electionRetries = 0;
    const generation = this.#generation;
    this.#logger.info('raft leader elected', { nodeId: this.#nodeId, epoch, endOffset: log.endOffset, votes: [...this.#granted] });
    // Raft commits only entries of the leader's own epoch by counting: its first act is one.
    const leaderChange: MetadataRecord = { type: 'leader-change', leaderId: this.#nodeId, epoch, voters: [...this.#voterIds] };
    const startOffset = log.endOffset;
    this.#progress = new LeaderProgress(this.#nodeId, this.#voterIds, startOffset, this.#committed.end, this.#clock.now());
    await log.appendAsLeader([leaderChange], epoch, this.#clock.now());
    if (generation !== this.#generation) return;
    this.#leaderAppended();
    this.#scheduleCheckQuorum(generation);
    this.#announceEpoch(generation);
    this.#announce();
  }

  /**
   * BeginQuorumEpoch to every voter that has not fetched lately, again every interval while
   * this node leads: a voter that restarted without knowing the leader (it had voted, or
   * was standing) learns it before its own election timeout runs out — the leader does not
   * push anything else, and a voter that stands in a higher epoch would unseat it.
   */
  #announceEpoch(generation: number): void {
    if (generation !== this.#generation || this.#role !== 'leader' || !this.#progress) return;
    const interval = this.#beginQuorumEpochIntervalMs();
    const now = this.#clock.now();
    const lastFetch = new Map(this.#progress.voters().map((v) => [v.nodeId, v.lastFetchMs]));
    for (const id of this.#others()) {
      const fetched = lastFetch.get(id) ?? -1;
      if (fetched >= 0 && now - fetched < interval) continue;
      if (this.#beginInFlight.has(id)) continue;
      this.#sendBeginQuorumEpoch(id, generation);
    }
    this.#clock.setTimeout(() => this.#announceEpoch(generation), interval);
  }

  #beginQuorumEpochIntervalMs(): number {
    return Math.max(this.#timings.retryBackoffMs, Math.floor(Math.min(this.#timings.fetchTimeoutMs, this.#timings.electionTimeoutMs) / 2));
  }

  #sendBeginQuorumEpoch(voterId: number, generation: number): void {
    const epoch = this.#election.epoch;
    this.#beginInFlight.add(voterId);
    this.#channel
      .send(voterId, ApiKey.BeginQuorumEpoch, RAFT_REQUEST_VERSIONS[ApiKey.BeginQuorumEpoch], beginQuorumEpochRequest(this.#clusterId, voterId, this.#nodeId, epoch), this.#timings.requestTimeoutMs)
      .finally(() => {
        if (generation === this.#generation) this.#beginInFlight.delete(voterId);
      })
      .then(
        (response) => this.#serial(() => this.#onBeginQuorumEpochResponse(generation, response)),
        () => undefined, // no answer: the next round sends again
      )
      .catch((error: unknown) => this.#logger.warn('raft: BeginQuorumEpoch handling failed', { voterId, error: String(error) }));
  }

  async #onBeginQuorumEpochResponse(generation: number, response: ApiResponse<typeof ApiKey.BeginQuorumEpoch>): Promise<void> {
    if (generation !== this.#generation) return;
    const p = response.topics[0]?.partitions[0];
    if (p && p.leaderEpoch > this.#election.epoch) await this.#maybeTransition(p.leaderId, p.leaderEpoch);
  }

  // Check-quorum: a leader that a majority has not fetched from within the window resigns.
  #scheduleCheckQuorum(generation: number): void {
    const window = Math.floor(this.#timings.fetchTimeoutMs * CHECK_QUORUM_FACTOR);
    const deadline = this.#progress!.checkQuorumDeadline(window);
    if (deadline === Number.POSITIVE_INFINITY) return;
    this.#setTimer(Math.max(1, deadline - this.#clock.now()), async () => {
      if (generation !== this.#generation || this.#role !== 'leader' || !this.#progress) return;
      if (this.#clock.now() < this.#progress.checkQuorumDeadline(window)) {
        this.#scheduleCheckQuorum(generation);
        return;
      }
      this.#logger.warn('raft leader resigns: a majority of voters has not fetched within the check-quorum window', { nodeId: this.#nodeId, epoch: this.#election.epoch, windowMs: window });
      this.#resign();
    });
  }

  // Steps down in the current epoch; an election follows after the election timeout.
  #resign(): void {
    const successors = this.#progress?.preferredSuccessors() ?? [];
    const epoch = this.#election.epoch;
    this.#transition('resigned');
    for (const id of this.#others()) {
      this.#channel
        .send(id, ApiKey.EndQuorumEpoch, RAFT_REQUEST_VERSIONS[ApiKey.EndQuorumEpoch], endQuorumEpochRequest(this.#clusterId, this.#nodeId, epoch, successors), this.#timings.requestTimeoutMs)
        .catch(() => undefined);
    }
    this.#setTimer(this.#randomElectionTimeout(), () => this.#becomeCandidate());
    this.#announce();
  }

  // ---------------------------------------------------------------- candidate

  async #becomeCandidate(): Promise<void> {
    if (this.#closed || !this.#log) return;
    const epoch = this.#election.epoch + 1;
    await this.#saveElection({ epoch, votedId: this.#nodeId, leaderId: -1 });
    this.#transition('candidate');
    this.#granted.add(this.#nodeId);
    const generation = this.#generation;
    this.#logger.info('raft election', { nodeId: this.#nodeId, epoch, lastEpoch: this.#log.lastEpoch, endOffset: this.#log.endOffset, retries: this.#electionRetries });
    this.#announce();
    if (this.#granted.size >= majority(this.#voterIds.length)) {
      await this.#becomeLeader();
      return;
    }
    const electionTimeout = this.#randomElectionTimeout();
    this.#electionDeadline = this.#clock.now() + electionTimeout;
    this.#setTimer(electionTimeout, () => {
      this.#logger.info('raft election timed out', { nodeId: this.#nodeId, epoch });
      this.#backOff(generation);
    });
    const log = this.#log;
    for (const id of this.#others()) {
      this.#channel
        .send(id, ApiKey.Vote, RAFT_REQUEST_VERSIONS[ApiKey.Vote], voteRequest(this.#clusterId, id, this.#nodeId, epoch, log.lastEpoch, log.endOffset), this.#timings.requestTimeoutMs)
        .then(
          (response) => this.#serial(() => this.#onVoteResponse(id, generation, response)),
          () => undefined, // no answer: the election timeout decides
        )
        .catch((error: unknown) => this.#logger.warn('raft: vote handling failed', { voterId: id, error: String(error) }));
    }
  }

  async #onVoteResponse(voterId: number, generation: number, response: ApiResponse<typeof ApiKey.Vote>): Promise<void> {
    if (generation !== this.#generation || this.#role !== 'candidate') return;
    const p = response.topics[0]?.partitions[0];
    if (response.errorCode !== KafkaCode.NONE || !p) return;
    if (p.leaderEpoch > this.#election.epoch) {
      await this.#maybeTransition(p.leaderId, p.leaderEpoch);
      return;
    }
    if (p.leaderEpoch === this.#election.epoch && p.leaderId >= 0 && p.leaderId !== this.#nodeId) {
      await this.#maybeTransition(p.leaderId, p.leaderEpoch);
      return;
    }
    if (p.errorCode !== KafkaCode.NONE) return;
    if (p.voteGranted) {
      this.#granted.add(voterId);
      if (this.#granted.size >= majority(this.#voterIds.length)) await this.#becomeLeader();
      return;
    }
    this.#rejected.add(voterId);
    // A majority can no longer be reached: back off now rather than wait for the timeout.
    if (this.#voterIds.length - this.#rejected.size < majority(this.#voterIds.length)) this.#backOff(generation);
  }

  // After a lost election: a random pause (binary exponential, capped), then stand again.
  #backOff(generation: number): void {
    if (generation !== this.#generation || this.#role !== 'candidate') return;
    this.#electionRetries++;
    const ceiling = Math.min(this.#timings.electionBackoffMaxMs, RETRY_BACKOFF_BASE_MS * 2 ** Math.min(20, this.#electionRetries));
    const delay = Math.floor(this.#random() * ceiling);
    this.#generation++; // answers to this round's votes no longer count
    this.#electionDeadline = this.#clock.now() + delay;
    this.#setTimer(delay, () => this.#becomeCandidate());
  }

  // ---------------------------------------------------------------- follower

  #becomeFollowerInMemory(leaderId: number): void {
    this.#transition('follower');
    const generation = this.#generation;
    this.#resetFetchTimer(generation);
    this.#fetchLoop(generation, leaderId);
  }

  async #becomeFollower(epoch: number, leaderId: number): Promise<void> {
    const votedId = epoch === this.#election.epoch ? this.#election.votedId : -1;
    await this.#saveElection({ epoch, votedId, leaderId });
    this.#logger.info('raft follower', { nodeId: this.#nodeId, epoch, leaderId });
    this.#becomeFollowerInMemory(leaderId);
    this.#announce();
  }

  #resetFetchTimer(generation: number): void {
    // The leader said it is going (EndQuorumEpoch): its last answers do not put the election off.
    if (this.#leaderResigned) return;
    this.#setTimer(this.#timings.fetchTimeoutMs, () => {
      if (generation !== this.#generation || this.#role !== 'follower') return;
      this.#logger.warn('raft follower: no answer from the leader within the fetch timeout', { nodeId: this.#nodeId, leaderId: this.#election.leaderId, epoch: this.#election.epoch });
      return this.#becomeCandidate();
    });
  }

  // Fetches from the leader again and again while this state lasts.
  #fetchLoop(generation: number, leaderId: number): void {
    const next = async (): Promise<void> => {
      if (generation !== this.#generation || this.#closed || !this.#log) return;
      const log = this.#log;
      const maxWaitMs = fetchMaxWaitMs(this.#timings.fetchTimeoutMs);
      const request = followerFetchRequest(this.#clusterId, this.#nodeId, this.#election.epoch, log.endOffset, log.lastEpoch, this.#maxFetchBytes, maxWaitMs);
      let again: 'now' | 'backoff' | 'stop';
      try {
        const response = await this.#channel.send(leaderId, ApiKey.Fetch, RAFT_REQUEST_VERSIONS[ApiKey.Fetch], request, this.#timings.requestTimeoutMs + maxWaitMs);
        const outcome = await this.#serial(() => this.#onFetchResponse(generation, response));
        again = typeof outcome === 'string' ? outcome : await this.#fetchSnapshot(generation, leaderId, outcome.snapshot);
      } catch (error) {
        if (generation === this.#generation) this.#logger.debug('raft follower: fetch failed', { nodeId: this.#nodeId, leaderId, error: String(error) });
        again = 'backoff';
      }
      if (again === 'stop' || generation !== this.#generation) return;
      if (again === 'now') void next();
      else this.#clock.setTimeout(() => void next(), this.#timings.retryBackoffMs);
    };
    void next();
  }

  async #onFetchResponse(generation: number, response: ApiResponse<typeof ApiKey.Fetch>): Promise<'now' | 'backoff' | 'stop' | { snapshot: SnapshotId }> {
    if (generation !== this.#generation || this.#role !== 'follower' || !this.#log) return 'stop';
    const log = this.#log;
    const outcome = followerFetchOutcome(response, this.#election.epoch);
    switch (outcome.kind) {
      case 'new-epoch':
        await this.#maybeTransition(outcome.leaderId, outcome.epoch);
        return 'stop';
      case 'retry':
        return 'backoff';
      case 'snapshot':
        this.#resetFetchTimer(generation);
        return { snapshot: { endOffset: outcome.endOffset, epoch: outcome.epoch } };
      case 'truncate': {
        const to = log.truncationOffsetFor(outcome.epoch, outcome.endOffset);
        if (to < this.#committed.end) {
          // Raft never asks this (committed entries are on every later leader); refuse rather than lose them.
          this.#logger.error('raft follower: the leader asked to truncate below the high watermark; refused', { nodeId: this.#nodeId, to, highWatermark: this.#committed.end, divergingEpoch: outcome.epoch, divergingEnd: outcome.endOffset });
          return 'backoff';
        }
        this.#logger.info('raft follower truncates a diverging tail', { nodeId: this.#nodeId, from: log.endOffset, to, divergingEpoch: outcome.epoch, divergingEnd: outcome.endOffset });
        await log.truncateTo(to);
        break;
      }
      case 'append': {
        if (outcome.records.length > 0) await log.appendAsFollower(outcome.records);
        if (generation !== this.#generation) return 'stop';
        const hw = Math.min(outcome.highWatermark, log.endOffset);
        if (hw > this.#committed.end) this.#onHighWatermark(hw);
        break;
      }
    }
    this.#resetFetchTimer(generation);
    return 'now';
  }


  // ---------------------------------------------------------------- unattached

  #becomeUnattachedInMemory(timeoutMs = this.#randomElectionTimeout()): void {
    this.#transition('unattached');
    this.#startElectionTimer(timeoutMs);
  }

  async #becomeUnattached(epoch: number): Promise<void> {
    // Kafka keeps what is left of the election timeout when it already was without a leader:
    // a candidate that keeps losing must not put everyone else's election off forever.
    const keep = (this.#role === 'unattached' || this.#role === 'candidate') && this.#electionDeadline !== undefined;
    const timeoutMs = keep ? Math.max(0, this.#electionDeadline! - this.#clock.now()) : this.#randomElectionTimeout();
    await this.#saveElection({ epoch, votedId: -1, leaderId: -1 });
    this.#becomeUnattachedInMemory(timeoutMs);
    this.#announce();
  }

  // After a vote is granted: a fresh election timeout (the candidate has as good a chance as this voter).
  #resetElectionTimer(): void {
    if (this.#role !== 'unattached') return;
    this.#startElectionTimer(this.#randomElectionTimeout());
  }

  #startElectionTimer(timeoutMs: number): void {
    this.#electionDeadline = this.#clock.now() + timeoutMs;
    this.#setTimer(timeoutMs, () => this.#becomeCandidate());
  }

  // ---------------------------------------------------------------- shared transitions

  /**
   * A request or answer named `leaderId` (-1: none) at `epoch`: a higher epoch makes this
   * voter its follower (or unattached without a leader); the same epoch with a leader this
   * voter did not know makes it a follower.
   */
  async #maybeTransition(leaderId: number, epoch: number): Promise<void> {
    if (this.#closed) return;
    if (epoch > this.#election.epoch) {
      if (leaderId >= 0 && leaderId !== this.#nodeId) await this.#becomeFollower(epoch, leaderId);
      else await this.#becomeUnattached(epoch);
    } else if (epoch === this.#election.epoch && leaderId >= 0 && leaderId !== this.#nodeId) {
      if (this.#role === 'leader') {
        this.#logger.error('raft: another leader claims this node\'s epoch', { nodeId: this.#nodeId, epoch, other: leaderId });
      } else if (this.#role !== 'follower' || this.#election.leaderId !== leaderId) {
        await this.#becomeFollower(epoch, leaderId);
      }
    }
  }

  // Leaves the current role: timers stop, old answers are ignored, a leader's appends fail.
  #transition(role: RaftRole): void {
    const wasLeader = this.#role === 'leader';
    this.#generation++;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    if (role !== 'unattached' && role !== 'candidate') this.#electionDeadline = undefined;
    this.#role = role;
    this.#granted.clear();
    this.#rejected.clear();
    this.#beginInFlight.clear();
    this.#leaderResigned = false;
    if (role !== 'leader') {
      this.#progress = undefined;
      this.#leaderReady = false;
    }
    if (wasLeader) this.#failPendingAppends(`Node ${this.#nodeId} is no longer the leader (now ${role} at epoch ${this.#election.epoch})`);
    this.#wakeFetchWaiters();
  }

  async #saveElection(state: ElectionState): Promise<void> {
    await this.#stateStore.save(state);
    this.#election = Object.freeze({ ...state });
    // Closed meanwhile: the step that wanted this state must not act on it (the state itself is harmless to keep).
    if (this.#closed) throw kafkaError(KafkaCode.BROKER_NOT_AVAILABLE, 'The Raft quorum closed');
  }

  // The high watermark moved to `hw`: commit the batches below it, answer their appends.
  #onHighWatermark(hw: number): void {
    const log = this.#log!;
    const from = this.#committed.end;
    if (hw <= from) return;
    for (const batch of log.batchesBetween(from, hw)) this.#committed.commit(batch);
    this.#committed.end = hw;
    while (this.#pendingAppends.length > 0 && this.#pendingAppends[0]!.endOffset <= hw) {
      const pending = this.#pendingAppends.shift()!;
      pending.resolve(pending.baseOffset);
    }
    this.#maybeSnapshot();
    if (this.#role === 'leader' && !this.#leaderReady && this.#progress && hw > this.#progress.epochStartOffset) {
      this.#leaderReady = true;
      this.#logger.info('raft leader ready: its first batch is committed', { nodeId: this.#nodeId, epoch: this.#election.epoch, highWatermark: hw });
      this.#announce();
    }
    this.#wakeFetchWaiters();
  }

  // ---------------------------------------------------------------- snapshots

  // Enough committed past the latest snapshot (and the last failed attempt): write the next one, on the queue.
  #maybeSnapshot(): void {
    const log = this.#log;
    if (this.#snapshotting || this.#closed || !log) return;
    if (this.#committed.end - Math.max(log.startOffset, this.#snapshotFailedAt) < this.#maxRecordsBetweenSnapshots) return;
    this.#snapshotting = true;
    void this.#serial(() => this.#takeSnapshot())
      .catch((error: unknown) => {
        this.#snapshotFailedAt = this.#committed.end;
        if (!this.#closed) this.#logger.error('raft: writing a metadata snapshot failed; the log is kept', { nodeId: this.#nodeId, error: String(error) });
      })
      .finally(() => {
        this.#snapshotting = false;
      });
  }

  /**
   * Writes a snapshot at the end of the last committed batch: the committed batches since the
   * latest snapshot replayed onto its image, synced; then the log before it goes.
   */
  async #takeSnapshot(): Promise<void> {
    const log = this.#log;
    const store = this.#snapshots;
    if (this.#closed || !log || !store) return;
    const batches = this.#committed.all().filter((b) => b.baseOffset >= log.startOffset);
    const last = batches[batches.length - 1];
    if (!last) return;
    const id: SnapshotId = { endOffset: nextOffsetAfter(last), epoch: last.epoch };
    let image = this.#snapshotImage;
    for (const batch of batches) image = new MetadataDelta(image).replay(batch.records).apply();
    await store.save(id, imageToRecords(image), this.#clock.now());
    this.#snapshotImage = image;
    await log.dropBeforeSnapshot(id);
    this.#committed.dropBefore(id.endOffset);
    this.#logger.info('raft: metadata snapshot written', { nodeId: this.#nodeId, endOffset: id.endOffset, epoch: id.epoch, batches: batches.length });
  }

  /**
   * Loads the leader's snapshot `id` with FetchSnapshot, chunk after chunk (outside the queue:
   * the voter keeps answering), then installs it. Returns what the fetch loop does next.
   */
  async #fetchSnapshot(generation: number, leaderId: number, id: SnapshotId): Promise<'now' | 'backoff' | 'stop'> {
    const chunks: Uint8Array[] = [];
    let position = 0;
    for (;;) {
      if (generation !== this.#generation || this.#closed) return 'stop';
      const request = fetchSnapshotRequest(this.#clusterId, this.#nodeId, this.#election.epoch, id, position, this.#maxFetchBytes);
      const response = await this.#channel.send(leaderId, ApiKey.FetchSnapshot, RAFT_REQUEST_VERSIONS[ApiKey.FetchSnapshot], request, this.#timings.requestTimeoutMs);
      const p = response.topics[0]?.partitions[0];
      if (response.errorCode !== KafkaCode.NONE || !p) return 'backoff';
      if (p.currentLeader.leaderEpoch > this.#election.epoch) {
        await this.#serial(() => (generation === this.#generation ? this.#maybeTransition(p.currentLeader.leaderId, p.currentLeader.leaderEpoch) : undefined));
        return 'stop';
      }
      // SNAPSHOT_NOT_FOUND (the leader wrote a newer one), POSITION_OUT_OF_RANGE: the next Fetch says which to load.
      if (p.errorCode !== KafkaCode.NONE || p.position !== position) return 'backoff';
      chunks.push(p.unalignedRecords.slice());
      position += p.unalignedRecords.length;
      // The leader answers: a long transfer must not make this voter stand for election.
      await this.#serial(() => {
        if (generation === this.#generation && this.#role === 'follower') this.#resetFetchTimer(generation);
      });
      if (position >= p.size) break;
      if (p.unalignedRecords.length === 0) return 'backoff';
    }
    const records = decodeSnapshot(concat(chunks));
    return this.#serial(async () => {
      if (generation !== this.#generation || this.#role !== 'follower' || this.#closed) return 'stop';
      await this.#installSnapshot(id, records);
      this.#resetFetchTimer(generation);
      return 'now';
    });
  }

  // A follower makes the leader's snapshot its own: stored (synced) first, then its log starts after it.
  async #installSnapshot(id: SnapshotId, records: readonly MetadataRecord[]): Promise<void> {
    const log = this.#log!;
    if (id.endOffset < this.#committed.end) return; // behind what this voter has committed: nothing to gain
    const image = imageFromRecords(records); // a snapshot that does not replay is not stored
    await this.#snapshots!.save(id, records, this.#clock.now());
    await log.resetToSnapshot(id);
    this.#snapshotImage = image;
    this.#committed.resetTo(id.endOffset);
    this.#logger.info('raft follower installed the leader\'s snapshot', { nodeId: this.#nodeId, endOffset: id.endOffset, epoch: id.epoch, records: records.length });
    this.#wakeFetchWaiters();
  }

  #failPendingAppends(why: string): void {
    for (const pending of this.#pendingAppends.splice(0)) pending.reject(kafkaError(KafkaCode.NOT_CONTROLLER, `${why}: the batch at offset ${pending.baseOffset} may or may not be committed`));
  }

  // Tells the listeners when the leader as MetadataQuorum reports it changed.
  #announce(): void {
    const epoch = this.#election.epoch;
    let nodeId = -1;
    if (!this.#closed) {
      if (this.#role === 'leader') nodeId = this.#leaderReady ? this.#nodeId : -1;
      else if (this.#role === 'follower') nodeId = this.#election.leaderId;
    }
    if (this.#announced.nodeId === nodeId && this.#announced.epoch === epoch) return;
    this.#announced = Object.freeze({ nodeId, epoch });
    for (const listener of [...this.#listeners]) {
      try {
        listener(this.#announced);
      } catch (error) {
        this.#logger.error('raft: a leader-change listener threw', { error: String(error) });
      }
    }
  }

  // The leader at the Raft level (itself as soon as elected), as answers name it.
  #raftLeaderId(): number {
    if (this.#role === 'leader') return this.#nodeId;
    if (this.#role === 'follower') return this.#election.leaderId;
    return -1;
  }

  #current(): LeaderAndEpoch {
    return { leaderId: this.#raftLeaderId(), epoch: this.#election.epoch };
  }

  #others(): number[] {
    return this.#voterIds.filter((id) => id !== this.#nodeId);
  }

  #validClusterId(clusterId: string | null): boolean {
    return clusterId === null || this.#clusterId === null || clusterId === this.#clusterId;
  }

  #randomElectionTimeout(): number {
    const base = this.#timings.electionTimeoutMs;
    return base + Math.floor(this.#random() * base);
  }

  // Kafka's strict exponential backoff by position among the successors: the first stands at once.
  #successorBackoff(position: number, total: number): number {
    const max = this.#timings.electionBackoffMaxMs;
    if (position === 0) return 0;
    if (position < 0 || position >= total) return max;
    const base = max >> (total - 1);
    return Math.min(max, base << (position - 1));
  }

  // The one role timer: replaced on every use; its callback runs on the queue if the state is unchanged.
  #setTimer(ms: number, action: () => void | Promise<void>): void {
    this.#clock.clearTimeout(this.#timer);
    const generation = this.#generation;
    const handle = this.#clock.setTimeout(() => {
      if (this.#timer === handle) this.#timer = undefined;
      void this.#serial(async () => {
        if (generation !== this.#generation || this.#closed) return;
        await action();
      }).catch((error: unknown) => {
        if (this.#closed) return;
        this.#logger.error('raft: a timed action failed; trying again after an election timeout', { nodeId: this.#nodeId, role: this.#role, error: String(error) });
        // A failed step (the election state could not be saved, say) must not leave the voter without a timer.
        if (this.#timer === undefined && this.#role !== 'leader') this.#setTimer(this.#randomElectionTimeout(), () => this.#becomeCandidate());
      });
    }, ms);
    this.#timer = handle;
  }

  #wakeFetchWaiters(): void {
    for (const wake of [...this.#fetchWaiters]) wake();
  }

  // Runs `fn` after everything queued before it (Kafka's single polling thread).
  #serial<T>(fn: () => T | Promise<T>): Promise<T> {
    const run = this.#queue.then(fn);
    this.#queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }
}
