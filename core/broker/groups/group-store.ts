/**
 * Where the group coordinator keeps what must outlive a restart: committed offsets and a
 * few facts per group (its protocol type, since when it is empty — the retention clock).
 * Membership itself is not persisted: members rejoin after a restart, as with Kafka.
 *
 * The broker uses {@link LogGroupStore}: an append-and-compact internal log
 * (`__consumer_offsets`-0 in storage, as Kafka's topic), so a commit costs its own size;
 * {@link MetadataGroupStore} over the metadata store (one rewrite of the store per write) is
 * the coordinator's fallback and what older data directories hold, moved into the log on
 * start. In a cluster each `__consumer_offsets` partition a broker leads has a
 * {@link LogGroupStore} over the replicated partition (replicated-group-log.ts), which is
 * why the coordinator sees only this interface.
 */
import type { OffsetAndMetadata } from './offset-and-metadata.ts';
import type { LogGroupStore } from './log-group-store.ts';
import type { MetadataGroupStore } from './metadata-group-store.ts';

/** What is persisted about a group besides its offsets. */
export interface StoredGroupMeta {
  /** The members' protocol type, or null for a group that only stores offsets. */
  readonly protocolType: string | null;
  /** When the group became empty (ms), or null while it had members. */
  readonly emptySince: number | null;
}

/** Everything loaded for one group. */
export interface StoredGroup {
  readonly groupId: string;
  readonly meta: StoredGroupMeta | null;
  readonly offsets: Array<{ topic: string; partition: number; value: OffsetAndMetadata }>;
}

/** One offset to write (value) or remove (null). */
export interface OffsetChange {
  readonly topic: string;
  readonly partition: number;
  readonly value: OffsetAndMetadata | null;
}

/**
 * Persistence of groups. Writes are applied in the order they are called (each one atomic),
 * so the stored state ends as the coordinator applied it.
 */
export interface GroupStore {
  /** Every stored group with its offsets; undecodable entries are skipped and reported. */
  load(onBadEntry?: (key: string) => void): Promise<StoredGroup[]>;
  /** Writes and removes offsets of one group in one atomic write. */
  writeOffsets(groupId: string, changes: readonly OffsetChange[]): Promise<void>;
  /** Records the group's protocol type and whether (since when) it is empty. */
  writeMeta(groupId: string, meta: StoredGroupMeta): Promise<void>;
  /** Removes everything stored for a group (DeleteGroups, full expiry). */
  deleteGroup(groupId: string, offsets: ReadonlyArray<{ topic: string; partition: number }>): Promise<void>;
  /** Waits for every write queued so far (failed ones included). */
  settle(): Promise<void>;
}
