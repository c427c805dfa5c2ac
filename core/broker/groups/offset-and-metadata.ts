/** The value the offset manager keeps and persists for one committed partition. */

/**
 * A committed offset as the coordinator keeps and persists it (Kafka's OffsetAndMetadata on
 * the broker side); the client's CommittedOffset is a fetched position of one partition.
 */
export interface OffsetAndMetadata {
  readonly offset: number;
  readonly leaderEpoch: number;
  readonly metadata: string;
  readonly commitTimestamp: number;
  /** Explicit expiry from an OffsetCommit v2–4 retention time, or null (retention policy applies). */
  readonly expireTimestamp: number | null;
}
