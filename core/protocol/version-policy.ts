/**
 * One source for API versions. Three things bound a version that goes on the wire:
 * - the schema: what Kafka's definitions describe (generated/, every version the codec reads);
 * - the handler: what the broker fully implements (each handler declares its range);
 * - the policy below: what we choose to advertise so that every client of
 *   ../shared/kafka-protocol/CLIENTS.md gets a version it speaks and uses it the way we
 *   expect, and what our own client builds requests for.
 *
 * The broker advertises handler ∩ schema ∩ policy.broker ({@link advertisedVersions}); the
 * client sends the highest version in advertised ∩ schema ∩ policy.client
 * (core/client/client-versions.ts). Every other table is derived from this one.
 */
import { ApiKey } from './api-keys.ts';
import { SCHEMAS } from './generated/index.ts';

/** One version range of one API, as ApiVersions lists it. */
export interface ApiVersionRange {
  readonly apiKey: number;
  readonly minVersion: number;
  readonly maxVersion: number;
}

/** Inclusive bounds. */
type Bounds = readonly [min: number, max: number];

/** The policy of one API: what the broker may advertise, what our client speaks, and what the controller listener serves. */
export interface ApiVersionPolicy {
  /**
   * The widest range the broker advertises (cut to its handler and the schema); null for
   * the inter-broker APIs, which only the controller listener serves — a broker never
   * advertises them to clients, whatever handlers it has.
   */
  readonly broker: Bounds | null;
  /** The range our client builds requests for and reads answers of; null when it never sends the API. */
  readonly client: Bounds | null;
  /**
   * The range of the controller listener, both ends of which are ours: what it advertises
   * (cut to its handlers and the schema) and what a broker's controller channel sends.
   * Absent when the controller listener does not serve the API.
   */
  readonly controller?: Bounds;
}

/**
 * The version policy of every API we implement. Why each bound (CLIENTS.md has the facts):
 * - Produce 3–9: v0–2 carry message sets v0/v1 and we store record batches v2 only.
 *   Clients send 7 (kafkajs: min(7, our max); librdkafka: highest common; kafka-python
 *   picks batches v2 because Fetch 7–11 is advertised) or 9 (platformatic, its highest ≤
 *   our max). Produce 10+ only adds leader hints our client does not use. (The ApiVersions
 *   answer lists Produce from v0 for librdkafka's compression probe: see the handler.)
 * - Fetch 4–12: 4 is the first version with isolation level and last stable offset;
 *   13 moves to topic ids, which platformatic pairs with Metadata ≥ 10.
 * - ListOffsets 1–10 advertised, all the handler serves but v0 (the old multi-offset layout,
 *   which no client needs): v7 is the max-timestamp lookup (-3) that kafka-get-offsets and
 *   AdminClient send, v8 earliest local (-4), v9 latest tiered (-5), v10 a remote-read timeout.
 *   Clients pick kafkajs 3, librdkafka 2, kafka-python 1, platformatic 9 (its highest ≤ 10).
 *   Our client reads up to 7.
 * - Metadata 0–9: kafka-python probes with v0; at most 9 because platformatic uses topic
 *   names as ids up to Metadata 9 and pairs it with Fetch 12. Our client starts at 1
 *   (v0 cannot ask for "no topics").
 * - DeleteTopics: our client stops at 5 (6 moves to a topic list).
 * - Group APIs: OffsetCommit 9 and OffsetFetch 8 move to member epochs and batched groups
 *   (KIP-848) — our client stops at 8 and 7 and starts OffsetFetch at 1 (v0 reads
 *   ZooKeeper offsets); FindCoordinator 5+ only adds transaction errors (advertised ≤ 4).
 * - InitProducerId: our client stops at 4 (5 is for transactions, KIP-890).
 * - SASL and DescribeCluster: the broker serves them; our client does not send them.
 * - OffsetForLeaderEpoch 0–4, every version there is: librdkafka sends 2 (it validates
 *   positions after a leader change, KIP-320), the Java consumer up to 4; followers of
 *   this broker use Fetch's DivergingEpoch instead, so our client does not send it.
 * - DeleteRecords 0–2 (kafkajs sends 0–1, librdkafka 0–1; flexible from 2),
 *   IncrementalAlterConfigs 0–1 (flexible from 1), OffsetDelete 0: every version there is.
 * - The controller listener (issue 11) serves brokers: the inter-broker APIs at the versions
 *   a current Kafka broker sends — BrokerRegistration 0–4, BrokerHeartbeat 0–1,
 *   AlterPartition 2–3 (v0–1 name topics, we address them by id), AllocateProducerIds 0 —
 *   plus the admin requests brokers forward (CreateTopics, DeleteTopics, CreatePartitions,
 *   AlterConfigs, IncrementalAlterConfigs at the broker's ranges) and Fetch of the metadata
 *   log: 4–17, by name up to 12 and by topic id from 13 (both ends are ours, so the top).
 *   The inter-broker APIs have no broker range: a plain broker's ApiVersions never lists them.
 * - DescribeAcls, CreateAcls, DeleteAcls 0–3 (issue 14), every version there is: kafkajs
 *   sends 0–1, librdkafka and the Java AdminClient up to 3; brokers forward CreateAcls and
 *   DeleteAcls to the controller listener at the same versions.
 * - The Raft quorum (issue 12) on the controller listener, every version Kafka defines (its
 *   controllers and `kafka-metadata-quorum.sh` send the top ones): Vote 0–1,
 *   BeginQuorumEpoch 0–1, EndQuorumEpoch 0–1, FetchSnapshot 0–1, DescribeQuorum 0–2 (v1
 *   adds each replica's fetch and caught-up times, v2 the nodes). Served only by a voter of
 *   a Raft quorum; a single-voter controller does not list them.
 */
export const VERSION_POLICY: { readonly [Name in keyof typeof ApiKey]: ApiVersionPolicy } = Object.freeze({
  Produce: { broker: [3, 9], client: [3, 9] },
  Fetch: { broker: [4, 12], client: [4, 12], controller: [4, 17] },
  ListOffsets: { broker: [1, 10], client: [1, 7] },
  Metadata: { broker: [0, 9], client: [1, 9] },
  OffsetCommit: { broker: [0, 9], client: [0, 8] },
  OffsetFetch: { broker: [0, 9], client: [1, 7] },
  FindCoordinator: { broker: [0, 4], client: [0, 4] },
  JoinGroup: { broker: [0, 9], client: [0, 9] },
  Heartbeat: { broker: [0, 4], client: [0, 4] },
  LeaveGroup: { broker: [0, 5], client: [0, 5] },
  SyncGroup: { broker: [0, 5], client: [0, 5] },
  DescribeGroups: { broker: [0, 5], client: [0, 5] },
  ListGroups: { broker: [0, 5], client: [0, 4] },
  SaslHandshake: { broker: [0, 1], client: [1, 1] },
  ApiVersions: { broker: [0, 3], client: [0, 3], controller: [0, 3] },
  CreateTopics: { broker: [0, 7], client: [0, 7], controller: [0, 7] },
  DeleteTopics: { broker: [0, 6], client: [0, 5], controller: [0, 6] },
  InitProducerId: { broker: [0, 5], client: [0, 4] },
  DescribeConfigs: { broker: [0, 4], client: [0, 4] },
  AlterConfigs: { broker: [0, 2], client: [0, 2], controller: [0, 2] },
  SaslAuthenticate: { broker: [0, 2], client: [0, 2] },
  CreatePartitions: { broker: [0, 3], client: [0, 3], controller: [0, 3] },
  DeleteRecords: { broker: [0, 2], client: [0, 2] },
  DeleteGroups: { broker: [0, 2], client: [0, 2] },
  IncrementalAlterConfigs: { broker: [0, 1], client: [0, 1], controller: [0, 1] },
  OffsetDelete: { broker: [0, 0], client: [0, 0] },
  DescribeCluster: { broker: [0, 1], client: null },
  AlterPartition: { broker: null, client: null, controller: [2, 3] },
  BrokerRegistration: { broker: null, client: null, controller: [0, 4] },
  BrokerHeartbeat: { broker: null, client: null, controller: [0, 1] },
  AllocateProducerIds: { broker: null, client: null, controller: [0, 0] },
  OffsetForLeaderEpoch: { broker: [0, 4], client: null },
  // Added for issues 12 and 14 before their handlers exist: nothing advertises them until
  // the work that serves them sets its ranges here.
  Vote: { broker: null, client: null, controller: [0, 1] },
  BeginQuorumEpoch: { broker: null, client: null, controller: [0, 1] },
  EndQuorumEpoch: { broker: null, client: null, controller: [0, 1] },
  DescribeQuorum: { broker: null, client: null, controller: [0, 2] },
  FetchSnapshot: { broker: null, client: null, controller: [0, 1] },
  // Issue 12 operations: brokers forward these to the active controller (every version there is).
  ElectLeaders: { broker: [0, 2], client: [0, 2], controller: [0, 2] },
  AlterPartitionReassignments: { broker: [0, 0], client: [0, 0], controller: [0, 0] },
  ListPartitionReassignments: { broker: [0, 0], client: [0, 0], controller: [0, 0] },
  DescribeLogDirs: { broker: [0, 4], client: [0, 4] }, // answered by each broker of its own logs
  DescribeAcls: { broker: [0, 3], client: [0, 3] },
  CreateAcls: { broker: [0, 3], client: [0, 3], controller: [0, 3] },
  DeleteAcls: { broker: [0, 3], client: [0, 3], controller: [0, 3] },
  DescribeUserScramCredentials: { broker: [0, 0], client: [0, 0] },
  AlterUserScramCredentials: { broker: [0, 0], client: [0, 0], controller: [0, 0] },
  UnregisterBroker: { broker: [0, 0], client: [0, 0], controller: [0, 0] },
});

/** `a ∩ b` for one API, or undefined when they do not overlap. */
export function intersectRange(a: ApiVersionRange, b: { readonly minVersion: number; readonly maxVersion: number }): ApiVersionRange | undefined {
  const minVersion = Math.max(a.minVersion, b.minVersion);
  const maxVersion = Math.min(a.maxVersion, b.maxVersion);
  return minVersion <= maxVersion ? Object.freeze({ apiKey: a.apiKey, minVersion, maxVersion }) : undefined;
}

/** Each side's policy cut to the schema's range, by ascending key. */
function derive(side: 'broker' | 'client' | 'controller', keep: (apiKey: number) => boolean = () => true): readonly ApiVersionRange[] {
  const out: ApiVersionRange[] = [];
  for (const [name, policy] of Object.entries(VERSION_POLICY) as Array<[keyof typeof ApiKey, ApiVersionPolicy]>) {
    const bounds = policy[side];
    const apiKey = ApiKey[name];
    const schema = SCHEMAS.get(apiKey);
    if (!bounds || !schema || !keep(apiKey)) continue;
    const range = intersectRange({ apiKey, minVersion: bounds[0], maxVersion: bounds[1] }, schema);
    if (range) out.push(range);
  }
  return Object.freeze(out.sort((x, y) => x.apiKey - y.apiKey));
}

/** What the broker may advertise of every API: policy ∩ schema (cut further by its handlers). */
export const BROKER_VERSIONS: readonly ApiVersionRange[] = derive('broker');

/** What our client builds and reads of every API it sends: policy ∩ schema. */
export const CLIENT_API_VERSIONS: readonly ApiVersionRange[] = derive('client');

/**
 * The controller listener's ranges (policy ∩ schema): what it may advertise (cut further by
 * its handlers) and what a broker's controller channel sends.
 */
export const CONTROLLER_VERSIONS: readonly ApiVersionRange[] = derive('controller');

/**
 * The consumer group, idempotent producer and SASL APIs (issue 5), which the broker
 * serves through handlers registered with the group coordinator.
 */
const ISSUE_5_APIS: ReadonlySet<number> = new Set([
  ApiKey.OffsetCommit, ApiKey.OffsetFetch, ApiKey.FindCoordinator, ApiKey.JoinGroup, ApiKey.Heartbeat,
  ApiKey.LeaveGroup, ApiKey.SyncGroup, ApiKey.DescribeGroups, ApiKey.ListGroups, ApiKey.SaslHandshake,
  ApiKey.InitProducerId, ApiKey.SaslAuthenticate, ApiKey.DeleteGroups, ApiKey.OffsetDelete,
]);

const GROUP_CLIENT_APIS: ReadonlySet<number> = new Set([
  ApiKey.FindCoordinator, ApiKey.JoinGroup, ApiKey.SyncGroup, ApiKey.Heartbeat, ApiKey.LeaveGroup,
  ApiKey.OffsetCommit, ApiKey.OffsetFetch, ApiKey.DescribeGroups, ApiKey.ListGroups, ApiKey.DeleteGroups,
  ApiKey.OffsetDelete,
]);

/**
 * The broker's ranges of topics, produce, fetch and admin (issue 4): {@link BROKER_VERSIONS}
 * without the group APIs. The codec's default in `decodeRequest`.
 */
export const SUPPORTED_VERSIONS: readonly ApiVersionRange[] = derive('broker', (k) => !ISSUE_5_APIS.has(k));

/** The broker's ranges of the group, idempotence and SASL APIs: the rest of {@link BROKER_VERSIONS}. */
export const GROUP_API_VERSIONS: readonly ApiVersionRange[] = derive('broker', (k) => ISSUE_5_APIS.has(k));

/** The client's ranges of the APIs it sends through the cluster (all but the group APIs). */
export const CLIENT_VERSIONS: readonly ApiVersionRange[] = derive('client', (k) => !GROUP_CLIENT_APIS.has(k));

/** The client's ranges of the APIs it sends to a group coordinator. */
export const GROUP_CLIENT_VERSIONS: readonly ApiVersionRange[] = derive('client', (k) => GROUP_CLIENT_APIS.has(k));

/**
 * What a broker advertises: each handler's range cut to `policy` (default
 * {@link BROKER_VERSIONS}, already cut to the schema). APIs without a handler, or whose
 * cut is empty, are left out. Sorted by key.
 */
export function advertisedVersions(
  handlers: Iterable<readonly [apiKey: number, range: { readonly minVersion: number; readonly maxVersion: number }]>,
  policy: readonly ApiVersionRange[] = BROKER_VERSIONS,
): ApiVersionRange[] {
  const byKey = new Map(handlers);
  const out: ApiVersionRange[] = [];
  for (const allowed of policy) {
    const handler = byKey.get(allowed.apiKey);
    if (!handler) continue;
    const range = intersectRange(allowed, handler);
    if (range) out.push(range);
  }
  return out.sort((a, b) => a.apiKey - b.apiKey);
}

const lookups = new WeakMap<ReadonlyArray<ApiVersionRange>, Map<number, ApiVersionRange>>();

/** The range `list` advertises for `apiKey`, or undefined (lookups are cached per list). */
export function findVersionRange(list: ReadonlyArray<ApiVersionRange>, apiKey: number): ApiVersionRange | undefined {
  let map = lookups.get(list);
  if (!map) lookups.set(list, (map = new Map(list.map((r) => [r.apiKey, r]))));
  return map.get(apiKey);
}

/** The highest version of `apiKey` in both lists, or undefined when they do not overlap. */
export function highestCommonVersion(
  advertised: readonly ApiVersionRange[],
  apiKey: number,
  own: readonly ApiVersionRange[] = CLIENT_API_VERSIONS,
): number | undefined {
  const theirs = findVersionRange(advertised, apiKey);
  const ours = findVersionRange(own, apiKey);
  if (!theirs || !ours) return undefined;
  return intersectRange(theirs, ours)?.maxVersion;
}
