/**
 * The version ranges the broker advertises in ApiVersions. Each range is at least the
 * "advertise" column of ../shared/kafka-protocol/CLIENTS.md and serves every client
 * listed there; every version inside it must be fully implemented by the broker.
 */
import { ApiKey } from './api-keys.ts';

/** One advertised range. */
export interface ApiVersionRange {
  readonly apiKey: number;
  readonly minVersion: number;
  readonly maxVersion: number;
}

/**
 * What the broker serves today (topics, produce, fetch). Minimums and why:
 * - Produce 3: v0–2 carry message sets v0/v1 and we store record batches v2 only. Clients
 *   send 7 (kafkajs: min(7, our max); librdkafka: highest common; kafka-python picks
 *   batches v2 because Fetch 7–11 is advertised) or 9 (platformatic, its highest ≤ our max).
 * - Fetch 4: the first version with isolation level and last stable offset (record batches v2).
 * - ListOffsets 1: v0 has the old multi-offset layout and no client needs it
 *   (kafkajs sends 3, librdkafka 2, kafka-python 1, platformatic 5).
 * - Metadata 0: kafka-python probes with v0. Max 9 because platformatic uses topic names as
 *   ids up to Metadata 9 and pairs it with Fetch 12 (CLIENTS.md).
 */
export const SUPPORTED_VERSIONS: ReadonlyArray<ApiVersionRange> = Object.freeze([
  { apiKey: ApiKey.Produce, minVersion: 3, maxVersion: 9 },
  { apiKey: ApiKey.Fetch, minVersion: 4, maxVersion: 12 },
  { apiKey: ApiKey.ListOffsets, minVersion: 1, maxVersion: 5 },
  { apiKey: ApiKey.Metadata, minVersion: 0, maxVersion: 9 },
  { apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: 3 },
  { apiKey: ApiKey.CreateTopics, minVersion: 0, maxVersion: 7 },
  { apiKey: ApiKey.DeleteTopics, minVersion: 0, maxVersion: 6 },
  { apiKey: ApiKey.DescribeConfigs, minVersion: 0, maxVersion: 4 },
  { apiKey: ApiKey.AlterConfigs, minVersion: 0, maxVersion: 2 },
  { apiKey: ApiKey.CreatePartitions, minVersion: 0, maxVersion: 3 },
  { apiKey: ApiKey.DescribeCluster, minVersion: 0, maxVersion: 1 },
].map((r) => Object.freeze(r)));

/**
 * The ranges planned for consumer groups, idempotent producers and SASL (issue 5): the
 * codec already reads and writes them; the broker appends them to its advertised list
 * (`[...SUPPORTED_VERSIONS, ...GROUP_API_VERSIONS]`) once its handlers implement them.
 */
export const GROUP_API_VERSIONS: ReadonlyArray<ApiVersionRange> = Object.freeze([
  { apiKey: ApiKey.OffsetCommit, minVersion: 0, maxVersion: 9 },
  { apiKey: ApiKey.OffsetFetch, minVersion: 0, maxVersion: 9 },
  { apiKey: ApiKey.FindCoordinator, minVersion: 0, maxVersion: 4 },
  { apiKey: ApiKey.JoinGroup, minVersion: 0, maxVersion: 9 },
  { apiKey: ApiKey.Heartbeat, minVersion: 0, maxVersion: 4 },
  { apiKey: ApiKey.LeaveGroup, minVersion: 0, maxVersion: 5 },
  { apiKey: ApiKey.SyncGroup, minVersion: 0, maxVersion: 5 },
  { apiKey: ApiKey.DescribeGroups, minVersion: 0, maxVersion: 5 },
  { apiKey: ApiKey.ListGroups, minVersion: 0, maxVersion: 5 },
  { apiKey: ApiKey.SaslHandshake, minVersion: 0, maxVersion: 1 },
  { apiKey: ApiKey.InitProducerId, minVersion: 0, maxVersion: 5 },
  { apiKey: ApiKey.SaslAuthenticate, minVersion: 0, maxVersion: 2 },
  { apiKey: ApiKey.DeleteGroups, minVersion: 0, maxVersion: 2 },
].map((r) => Object.freeze(r)));

const lookups = new WeakMap<ReadonlyArray<ApiVersionRange>, Map<number, ApiVersionRange>>();

/** The range `list` advertises for `apiKey`, or undefined (lookups are cached per list). */
export function findVersionRange(list: ReadonlyArray<ApiVersionRange>, apiKey: number): ApiVersionRange | undefined {
  let map = lookups.get(list);
  if (!map) lookups.set(list, (map = new Map(list.map((r) => [r.apiKey, r]))));
  return map.get(apiKey);
}
