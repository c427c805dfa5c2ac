/**
 * The two sides of a Raft voter's conversation with the other nodes (issue 12), kept apart
 * from the algorithm so that the same quorum runs over TCP (the controller listener and
 * connections to the other voters) and over the deterministic simulation's network:
 *
 * - {@link RaftChannel}: what a voter sends — Vote, BeginQuorumEpoch, EndQuorumEpoch, and
 *   Fetch / FetchSnapshot of the metadata log from the leader (KRaft is pull-based: followers
 *   fetch, with the last fetched epoch, and truncate on a diverging epoch).
 * - {@link RaftEndpoint}: what a voter answers — the same requests from other voters, and
 *   Fetch / FetchSnapshot / DescribeQuorum from observers (brokers that are not voters) and
 *   tools. The controller listener's handlers delegate to it.
 *
 * Messages are Kafka's own (generated from its definitions), so what crosses the wire is
 * what Kafka's KRaft sends; the topic is `__cluster_metadata`, partition 0.
 */
import type { ApiKey } from '../../../protocol/api-keys.ts';
import type { ApiRequest, ApiRequestInput, ApiResponse, ApiResponseInput } from '../../../protocol/api-messages.ts';
import type { ShutdownWatch } from '../../partition/delayed-operations.ts';

/** The APIs voters send each other. */
export type RaftApiKey =
  | typeof ApiKey.Vote
  | typeof ApiKey.BeginQuorumEpoch
  | typeof ApiKey.EndQuorumEpoch
  | typeof ApiKey.Fetch
  | typeof ApiKey.FetchSnapshot;

/** How a voter reaches another node: a connection to its controller listener, or the simulated network. */
export interface RaftChannel {
  /**
   * Sends one request of `apiKey` at `version` to node `nodeId` and resolves with its answer.
   * Rejects when the node cannot be reached or does not answer within `timeoutMs` (the
   * caller treats both as "no answer" and retries on its own schedule).
   */
  send<K extends RaftApiKey>(nodeId: number, apiKey: K, version: number, request: ApiRequestInput<K>, timeoutMs: number): Promise<ApiResponse<K>>;
  /** Drops connections and fails pending sends. */
  close?(): Promise<void>;
}

/** What a voter answers. Every method takes the request as decoded and the version it came in. */
export interface RaftEndpoint {
  handleVote(request: ApiRequest<typeof ApiKey.Vote>, version: number): Promise<ApiResponseInput<typeof ApiKey.Vote>>;
  handleBeginQuorumEpoch(request: ApiRequest<typeof ApiKey.BeginQuorumEpoch>, version: number): Promise<ApiResponseInput<typeof ApiKey.BeginQuorumEpoch>>;
  handleEndQuorumEpoch(request: ApiRequest<typeof ApiKey.EndQuorumEpoch>, version: number): Promise<ApiResponseInput<typeof ApiKey.EndQuorumEpoch>>;
  /**
   * Fetch of `__cluster_metadata` partition 0 from a voter (replica id = a voter's id: it
   * counts towards the high watermark) or an observer (a broker, replica id -1 or its node
   * id). Waits up to maxWaitMs when there is nothing new, ending early on `shutdown`.
   */
  handleFetch(request: ApiRequest<typeof ApiKey.Fetch>, version: number, shutdown: ShutdownWatch): Promise<ApiResponseInput<typeof ApiKey.Fetch>>;
  handleFetchSnapshot(request: ApiRequest<typeof ApiKey.FetchSnapshot>, version: number): Promise<ApiResponseInput<typeof ApiKey.FetchSnapshot>>;
  handleDescribeQuorum(request: ApiRequest<typeof ApiKey.DescribeQuorum>, version: number): Promise<ApiResponseInput<typeof ApiKey.DescribeQuorum>>;
}
