/**
 * The Raft requests a voter sends and the answers it gives, built from Kafka's own message
 * definitions for `__cluster_metadata` partition 0 (KIP-595), and the versions it sends.
 * Small pure functions, so that the state machine (raft-quorum.ts) reads as the algorithm.
 */
import { KafkaCode } from '../../../errors.ts';
import { ApiKey } from '../../../protocol/api-keys.ts';
import type { ApiRequest, ApiRequestInput, ApiResponseInput } from '../../../protocol/api-messages.ts';
import { METADATA_TOPIC, METADATA_TOPIC_ID } from '../metadata-batch-codec.ts';
import type { RaftApiKey } from './raft-endpoint.ts';

/** The version of each request a voter sends (the highest Kafka defines; the controller listener serves them). */
export const RAFT_REQUEST_VERSIONS: Readonly<Record<RaftApiKey, number>> = Object.freeze({
  [ApiKey.Vote]: 1,
  [ApiKey.BeginQuorumEpoch]: 1,
  [ApiKey.EndQuorumEpoch]: 1,
  [ApiKey.Fetch]: 17,
  [ApiKey.FetchSnapshot]: 1,
} as Record<RaftApiKey, number>);

/**
 * How long a follower's Fetch may wait at the leader for new data (Kafka's KafkaRaftClient
 * uses 500 ms); a follower with a fetch timeout below twice that waits half its timeout, so
 * that an idle leader's answers still come before the follower gives up on it.
 */
export const FETCH_MAX_WAIT_MS = 500;

/** The long-poll wait of a follower whose fetch timeout is `fetchTimeoutMs`. */
export function fetchMaxWaitMs(fetchTimeoutMs: number): number {
  return Math.max(0, Math.min(FETCH_MAX_WAIT_MS, Math.floor(fetchTimeoutMs / 2)));
}

/** A leader and epoch as the answers carry them. */
export interface LeaderAndEpoch {
  readonly leaderId: number;
  readonly epoch: number;
}

/** True when a request names the metadata log's topic (by name, or by id when `byId`). */
export function isMetadataTopic(topic: { topicName?: string; topic?: string; name?: string; topicId?: string }, byId: boolean): boolean {
  if (byId) return topic.topicId === METADATA_TOPIC_ID;
  return (topic.topicName ?? topic.topic ?? topic.name) === METADATA_TOPIC;
}

/** Vote request of candidate `candidateId` at `candidateEpoch` whose log ends at (`lastEpoch`, `endOffset`), to `voterId`. */
export function voteRequest(clusterId: string | null, voterId: number, candidateId: number, candidateEpoch: number, lastEpoch: number, endOffset: number): ApiRequestInput<typeof ApiKey.Vote> {
  return {
    clusterId,
    voterId,
    topics: [{ topicName: METADATA_TOPIC, partitions: [{ partitionIndex: 0, candidateEpoch, candidateId, lastOffsetEpoch: lastEpoch, lastOffset: endOffset }] }],
  };
}

/** Vote answer. */
export function voteResponse(errorCode: number, partitionError: number, current: LeaderAndEpoch, voteGranted: boolean): ApiResponseInput<typeof ApiKey.Vote> {
  return {
    errorCode,
    topics: errorCode !== KafkaCode.NONE ? [] : [{ topicName: METADATA_TOPIC, partitions: [{ partitionIndex: 0, errorCode: partitionError, leaderId: current.leaderId, leaderEpoch: current.epoch, voteGranted }] }],
  };
}

/** BeginQuorumEpoch from leader `leaderId` at `epoch` to `voterId`. */
export function beginQuorumEpochRequest(clusterId: string | null, voterId: number, leaderId: number, epoch: number): ApiRequestInput<typeof ApiKey.BeginQuorumEpoch> {
  return { clusterId, voterId, topics: [{ topicName: METADATA_TOPIC, partitions: [{ partitionIndex: 0, leaderId, leaderEpoch: epoch }] }], leaderEndpoints: [] };
}

/** BeginQuorumEpoch answer. */
export function beginQuorumEpochResponse(errorCode: number, partitionError: number, current: LeaderAndEpoch): ApiResponseInput<typeof ApiKey.BeginQuorumEpoch> {
  return { errorCode, topics: errorCode !== KafkaCode.NONE ? [] : [{ topicName: METADATA_TOPIC, partitions: [{ partitionIndex: 0, errorCode: partitionError, leaderId: current.leaderId, leaderEpoch: current.epoch }] }] };
}

/** EndQuorumEpoch of leader `leaderId` at `epoch`, its successors in order of preference (both v0's and v1's field). */
export function endQuorumEpochRequest(clusterId: string | null, leaderId: number, epoch: number, successors: readonly number[]): ApiRequestInput<typeof ApiKey.EndQuorumEpoch> {
  return {
    clusterId,
    topics: [{
      topicName: METADATA_TOPIC,
      partitions: [{ partitionIndex: 0, leaderId, leaderEpoch: epoch, preferredSuccessors: [...successors], preferredCandidates: successors.map((candidateId) => ({ candidateId })) }],
    }],
    leaderEndpoints: [],
  };
}

/** EndQuorumEpoch answer. */
export function endQuorumEpochResponse(errorCode: number, partitionError: number, current: LeaderAndEpoch): ApiResponseInput<typeof ApiKey.EndQuorumEpoch> {
  return { errorCode, topics: errorCode !== KafkaCode.NONE ? [] : [{ topicName: METADATA_TOPIC, partitions: [{ partitionIndex: 0, errorCode: partitionError, leaderId: current.leaderId, leaderEpoch: current.epoch }] }] };
}

/** The successors an EndQuorumEpoch names (v0: preferredSuccessors, v1: preferredCandidates). */
export function successorsOf(partition: ApiRequest<typeof ApiKey.EndQuorumEpoch>['topics'][number]['partitions'][number]): number[] {
  if (partition.preferredCandidates.length > 0) return partition.preferredCandidates.map((c) => c.candidateId);
  return [...partition.preferredSuccessors];
}

/** A follower's Fetch of the metadata log from the leader (v13+ by topic id, v15+ replica state). */
export function followerFetchRequest(clusterId: string | null, replicaId: number, epoch: number, fetchOffset: number, lastFetchedEpoch: number, maxBytes: number, maxWaitMs = FETCH_MAX_WAIT_MS): ApiRequestInput<typeof ApiKey.Fetch> {
  return {
    clusterId,
    replicaId,
    replicaState: { replicaId, replicaEpoch: -1 },
    maxWaitMs,
    minBytes: 1,
    maxBytes,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic: METADATA_TOPIC, topicId: METADATA_TOPIC_ID, partitions: [{ partition: 0, currentLeaderEpoch: epoch, fetchOffset, lastFetchedEpoch, logStartOffset: -1, partitionMaxBytes: maxBytes }] }],
    forgottenTopicsData: [],
    rackId: '',
  };
}

/** The fetching replica of a Fetch request (replicaId up to v14, replicaState from v15). */
export function fetchReplicaId(request: ApiRequest<typeof ApiKey.Fetch>, version: number): number {
  return version >= 15 ? request.replicaState.replicaId : request.replicaId;
}

/** A FetchSnapshot of the metadata log's snapshot `snapshotId` from byte `position` (a follower or observer behind the leader's log start). */
export function fetchSnapshotRequest(clusterId: string | null, replicaId: number, epoch: number, snapshotId: { endOffset: number; epoch: number }, position: number, maxBytes: number): ApiRequestInput<typeof ApiKey.FetchSnapshot> {
  return {
    clusterId,
    replicaId,
    maxBytes,
    topics: [{ name: METADATA_TOPIC, partitions: [{ partition: 0, currentLeaderEpoch: epoch, snapshotId: { endOffset: snapshotId.endOffset, epoch: snapshotId.epoch }, position }] }],
  };
}
