/** Kafka API keys by name (the numbers on the wire). */
export const ApiKey = Object.freeze({
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  DescribeGroups: 15,
  ListGroups: 16,
  SaslHandshake: 17,
  ApiVersions: 18,
  CreateTopics: 19,
  DeleteTopics: 20,
  InitProducerId: 22,
  DescribeConfigs: 32,
  AlterConfigs: 33,
  SaslAuthenticate: 36,
  CreatePartitions: 37,
  DeleteGroups: 42,
  DescribeCluster: 60,
} as const);

/** Name of an API key (`Produce`), or `Api<n>` for keys we do not describe. */
export function apiName(apiKey: number): string {
  for (const [name, key] of Object.entries(ApiKey)) if (key === apiKey) return name;
  return `Api${apiKey}`;
}
