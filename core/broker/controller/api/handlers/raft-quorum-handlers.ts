/**
 * The Raft quorum's requests on the controller listener (issue 12): Vote, BeginQuorumEpoch,
 * EndQuorumEpoch and FetchSnapshot from the other voters, DescribeQuorum from tools. Each
 * is answered by the voter's {@link RaftEndpoint} (ControllerContext.raft); the metadata
 * Fetch goes there too when it is set (metadata-fetch.ts). A controller listener without a
 * Raft quorum (a single voter) does not register these handlers, so it never lists them.
 */
import { kafkaError, KafkaCode } from '../../../../errors.ts';
import { ApiKey } from '../../../../protocol/api-keys.ts';
import type { HandlerEntry } from '../../../api/handler.ts';
import type { RaftEndpoint } from '../../../quorum/raft/raft-endpoint.ts';
import type { ControllerContext } from '../context.ts';

/** The voter's endpoint; a handler registered without one is a wiring error. */
function endpoint(ctx: ControllerContext): RaftEndpoint {
  if (!ctx.raft) throw kafkaError(KafkaCode.UNSUPPORTED_VERSION, 'This controller listener has no Raft quorum');
  return ctx.raft;
}

/** Vote v0–1 (a candidate asks for this voter's vote). */
export const voteHandler: HandlerEntry<typeof ApiKey.Vote, ControllerContext> = {
  apiKey: ApiKey.Vote,
  versions: { min: 0, max: 1 },
  handle: (ctx, header, body) => endpoint(ctx).handleVote(body, header.apiVersion),
};

/** BeginQuorumEpoch v0–1 (a new leader announces itself). */
export const beginQuorumEpochHandler: HandlerEntry<typeof ApiKey.BeginQuorumEpoch, ControllerContext> = {
  apiKey: ApiKey.BeginQuorumEpoch,
  versions: { min: 0, max: 1 },
  handle: (ctx, header, body) => endpoint(ctx).handleBeginQuorumEpoch(body, header.apiVersion),
};

/** EndQuorumEpoch v0–1 (a leader resigns, naming its preferred successors). */
export const endQuorumEpochHandler: HandlerEntry<typeof ApiKey.EndQuorumEpoch, ControllerContext> = {
  apiKey: ApiKey.EndQuorumEpoch,
  versions: { min: 0, max: 1 },
  handle: (ctx, header, body) => endpoint(ctx).handleEndQuorumEpoch(body, header.apiVersion),
};

/** FetchSnapshot v0–1. */
export const fetchSnapshotHandler: HandlerEntry<typeof ApiKey.FetchSnapshot, ControllerContext> = {
  apiKey: ApiKey.FetchSnapshot,
  versions: { min: 0, max: 1 },
  handle: (ctx, header, body) => endpoint(ctx).handleFetchSnapshot(body, header.apiVersion),
};

/** DescribeQuorum v0–2 (`tributary cluster describe`, `kafka-metadata-quorum.sh`). */
export const describeQuorumHandler: HandlerEntry<typeof ApiKey.DescribeQuorum, ControllerContext> = {
  apiKey: ApiKey.DescribeQuorum,
  versions: { min: 0, max: 2 },
  handle: (ctx, header, body) => endpoint(ctx).handleDescribeQuorum(body, header.apiVersion),
};

/** The handlers a voter of a Raft quorum adds to its controller listener. */
export const RAFT_QUORUM_HANDLERS: ReadonlyArray<HandlerEntry<ApiKey, ControllerContext>> = Object.freeze([
  voteHandler,
  beginQuorumEpochHandler,
  endQuorumEpochHandler,
  fetchSnapshotHandler,
  describeQuorumHandler,
] as unknown as HandlerEntry<ApiKey, ControllerContext>[]);
