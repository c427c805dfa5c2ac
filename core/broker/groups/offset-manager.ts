/**
 * Committed offsets of every group, as Kafka's OffsetMetadataManager keeps them: commits
 * (checked against the group's membership, then persisted atomically), fetches, removal of a
 * deleted topic's offsets, and retention (KIP-211) on its own timer.
 *
 * The offsets live here, keyed by group id, apart from the groups (the membership manager
 * owns those, and asks {@link OffsetManager.hasOffsets} before it forgets one): the
 * membership of a group and its offsets are two state machines, as in Kafka, and the
 * offsets are what a replicated offsets topic will carry. This manager is the only one that
 * writes them to the {@link GroupStore}.
 */
import type { Logger } from '../../contracts/logger.ts';
import type { ClassicGroup } from './classic-group.ts';
import type { OffsetAndMetadata } from './offset-and-metadata.ts';
import { KafkaCode } from '../../kafka-error-codes.ts';
import type { GroupStore, OffsetChange } from './group-store.ts';
import type { MembershipManager } from './membership-manager.ts';
import type { GroupSettings } from './options.ts';
import { type CoordinatorPhase, phaseError } from './phase.ts';
import { storeFailureCode } from './group-partitioning.ts';

/** The protocol type of consumers: their subscriptions can be read (for offset expiry). */
const CONSUMER_PROTOCOL_TYPE = 'consumer';

/** An OffsetCommit request, version-independent. */
export interface CommitRequest {
  readonly groupId: string;
  /** -1 for a commit outside group management. */
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  /** v2–4 retention time, or -1. */
  readonly retentionTimeMs: number;
  readonly topics: ReadonlyArray<{
    name: string;
    partitions: ReadonlyArray<{ partitionIndex: number; committedOffset: number; committedLeaderEpoch: number; commitTimestamp: number; committedMetadata: string | null }>;
  }>;
}

/** Per-partition commit errors, in request order. */
export type CommitResult = Array<{ name: string; partitions: Array<{ partitionIndex: number; errorCode: number }> }>;

/** One partition in an OffsetFetch answer. */
export interface FetchedOffset {
  partitionIndex: number;
  committedOffset: number;
  committedLeaderEpoch: number;
  metadata: string;
  errorCode: number;
}

/** The answer for one group in OffsetFetch. */
export interface OffsetFetchResult {
  errorCode: number;
  topics: Array<{ name: string; partitions: FetchedOffset[] }>;
}

/** What the offset manager needs from the coordinator. */
export interface OffsetManagerDeps {
  /** Settings with defaults applied (retention, metadata size, the clock). */
  readonly settings: GroupSettings;
  /** Where offsets persist. */
  readonly store: GroupStore;
  readonly logger: Logger;
  /** The coordinator's lifecycle phase: requests are refused outside `running`. */
  readonly phase: () => CoordinatorPhase;
  /** The groups, and the membership checks a commit must pass. */
  readonly membership: MembershipManager;
  /** Whether a commit may name this partition (UNKNOWN_TOPIC_OR_PARTITION otherwise). */
  readonly partitionExists: (topic: string, partition: number) => boolean;
  /**
   * Whether {@link OffsetManager.load} removes stored offsets of partitions that do not
   * exist (default true: a single node's image is complete when it loads). A cluster's
   * coordinator may load while its image is still catching up with the metadata log, so
   * it keeps them; deletions reach it as metadata changes instead.
   */
  readonly dropUnknownOnLoad?: boolean;
}

function utf8Length(s: string): number {
  return new TextEncoder().encode(s).length;
}

/** Commits, fetches and expires the offsets of every group on this broker. */
export class OffsetManager {
  readonly #settings: GroupSettings;
  readonly #store: GroupStore;
  readonly #logger: Logger;
  readonly #phase: () => CoordinatorPhase;
  readonly #membership: MembershipManager;
  readonly #partitionExists: (topic: string, partition: number) => boolean;
  readonly #dropUnknownOnLoad: boolean;
  /** Committed offsets: group id → topic → partition → offset. */
  readonly #offsets = new Map<string, Map<string, Map<number, OffsetAndMetadata>>>();
  /** Commits being written, by group id: their group must not be forgotten as unused meanwhile. */
  readonly #writing = new Map<string, number>();
  #expiryTimer: unknown = undefined;

  constructor(deps: OffsetManagerDeps) {
    this.#settings = deps.settings;
    this.#store = deps.store;
    this.#logger = deps.logger;
    this.#phase = deps.phase;
    this.#membership = deps.membership;
    this.#partitionExists = deps.partitionExists;
    this.#dropUnknownOnLoad = deps.dropUnknownOnLoad ?? true;
  }

  /**
   * Restores every stored group with its offsets; offsets of partitions that no longer exist
   * (a topic deleted while its offsets were being removed, a crash in between) are removed.
   * Returns how many groups were restored.
   */
  async load(): Promise<number> {
    const stored = await this.#store.load((key) => this.#logger.warn('skipping an unreadable group entry', { key }));
    const orphans: Array<{ groupId: string; changes: OffsetChange[] }> = [];
    for (const s of stored) {
      const group = this.#membership.restore(s.groupId, s.meta);
      const gone: OffsetChange[] = [];
      for (const o of s.offsets) {
        if (!this.#dropUnknownOnLoad || this.#partitionExists(o.topic, o.partition)) this.#partitionsOf(group.groupId, o.topic).set(o.partition, o.value);
        else gone.push({ topic: o.topic, partition: o.partition, value: null });
      }
      if (gone.length > 0) orphans.push({ groupId: s.groupId, changes: gone });
    }
    for (const o of orphans) await this.#store.writeOffsets(o.groupId, o.changes);
    return stored.length;
  }

  /** Starts the periodic offset expiry (offsets.retention.check.interval.ms; 0 disables it). */
  startExpiry(): void {
    this.#scheduleExpiry();
  }

  /** Stops the periodic offset expiry. */
  stopExpiry(): void {
    this.#settings.timers.clearTimeout(this.#expiryTimer);
    this.#expiryTimer = undefined;
  }

  #availability(): number {
    return phaseError(this.#phase());
  }

  #now(): number {
    return this.#settings.timers.now();
  }

  /** True when the group has committed offsets, or a commit being written. */
  hasOffsets(groupId: string): boolean {
    return this.offsetCount(groupId) > 0 || this.#writing.has(groupId);
  }

  /** How many partitions the group has committed offsets for. */
  offsetCount(groupId: string): number {
    let n = 0;
    for (const parts of this.#offsets.get(groupId)?.values() ?? []) n += parts.size;
    return n;
  }

  /** The topics the group has committed offsets for. */
  committedTopics(groupId: string): string[] {
    return [...(this.#offsets.get(groupId)?.keys() ?? [])];
  }

  #partitionsOf(groupId: string, topic: string): Map<number, OffsetAndMetadata> {
    let topics = this.#offsets.get(groupId);
    if (!topics) this.#offsets.set(groupId, (topics = new Map()));
    let parts = topics.get(topic);
    if (!parts) topics.set(topic, (parts = new Map()));
    return parts;
  }

  /** Forgets offsets (the store is written by the caller); empty maps go with them. */
  #forget(groupId: string, changes: ReadonlyArray<{ topic: string; partition: number }>): void {
    const topics = this.#offsets.get(groupId);
    if (!topics) return;
    for (const c of changes) {
      const parts = topics.get(c.topic);
      parts?.delete(c.partition);
      if (parts?.size === 0) topics.delete(c.topic);
    }
    if (topics.size === 0) this.#offsets.delete(groupId);
  }

  /** Handles an OffsetCommit: checks membership and generation, then persists atomically. */
  async commitOffsets(req: CommitRequest): Promise<CommitResult> {
    const all = (errorCode: number): CommitResult =>
      req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) }));
    const unavailable = this.#availability();
    if (unavailable !== KafkaCode.NONE) return all(unavailable);
    if (req.groupId === null || req.groupId === undefined) return all(KafkaCode.INVALID_GROUP_ID);
    let group = this.#membership.group(req.groupId);
    if (!group) {
      // A group that only stores offsets (no members) is created by its first commit.
      if (req.generationId >= 0) return all(KafkaCode.ILLEGAL_GENERATION);
      group = this.#membership.getOrCreate(req.groupId);
    } else {
      const refused = this.#membership.validateOffsetCommit(group, req);
      if (refused !== KafkaCode.NONE) return all(refused);
    }
    const now = this.#now();
    const changes: OffsetChange[] = [];
    const result: CommitResult = req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        if (!this.#partitionExists(t.name, p.partitionIndex)) return { partitionIndex: p.partitionIndex, errorCode: KafkaCode.UNKNOWN_TOPIC_OR_PARTITION };
        const metadata = p.committedMetadata ?? '';
        if (utf8Length(metadata) > this.#settings.offsetMetadataMaxBytes) return { partitionIndex: p.partitionIndex, errorCode: KafkaCode.OFFSET_METADATA_TOO_LARGE };
        const commitTimestamp = p.commitTimestamp >= 0 ? p.commitTimestamp : now;
        const value: OffsetAndMetadata = {
          offset: p.committedOffset,
          leaderEpoch: p.committedLeaderEpoch,
          metadata,
          commitTimestamp,
          expireTimestamp: req.retentionTimeMs >= 0 ? commitTimestamp + req.retentionTimeMs : null,
        };
        changes.push({ topic: t.name, partition: p.partitionIndex, value });
        return { partitionIndex: p.partitionIndex, errorCode: KafkaCode.NONE };
      }),
    }));
    if (changes.length === 0) {
      this.#membership.dropIfUnused(group);
      return result;
    }
    this.#writing.set(req.groupId, (this.#writing.get(req.groupId) ?? 0) + 1);
    try {
      await this.#store.writeOffsets(req.groupId, changes);
    } catch (error) {
      this.#logger.error('offset commit failed to persist', { groupId: req.groupId, error: String(error) });
      this.#written(req.groupId);
      this.#membership.dropIfUnused(group);
      return all(storeFailureCode(error));
    }
    this.#written(req.groupId);
    if (group.state === 'Dead') {
      // Deleted while writing: the deletion removed what it knew of, queued after this write,
      // so this commit's offsets are still stored and would bring the group back on restart.
      // (Unless a new group of that id is committing already: its offsets win.)
      if (!this.#writing.has(req.groupId)) await this.#store.writeOffsets(req.groupId, changes.map((c) => ({ topic: c.topic, partition: c.partition, value: null }))).catch((error: unknown) => {
        this.#logger.warn('could not remove the offsets of a commit to a deleted group', { groupId: req.groupId, error: String(error) });
      });
      return all(KafkaCode.COORDINATOR_NOT_AVAILABLE);
    }
    for (const c of changes) this.#partitionsOf(req.groupId, c.topic).set(c.partition, c.value!);
    return result;
  }

  /**
   * Forgets every group's committed offsets of a deleted topic, as Kafka does, so that a
   * topic created again under the same name does not inherit positions in the old data.
   * Returns how many offsets were removed.
   */
  async removeTopicOffsets(topic: string): Promise<number> {
    let removed = 0;
    for (const groupId of [...this.#offsets.keys()]) {
      const parts = this.#offsets.get(groupId)?.get(topic);
      if (!parts) continue;
      const changes = [...parts.keys()].map((partition) => ({ topic, partition, value: null }));
      this.#forget(groupId, changes);
      removed += changes.length;
      await this.#store.writeOffsets(groupId, changes);
    }
    if (removed > 0) this.#logger.info('removed the committed offsets of a deleted topic', { topic, offsets: removed });
    return removed;
  }

  /** Handles OffsetFetch for one group: `topics` null means every committed partition. */
  fetchOffsets(groupId: string, topics: ReadonlyArray<{ name: string; partitionIndexes: readonly number[] }> | null): OffsetFetchResult {
    const unavailable = this.#availability();
    const committed = this.#offsets.get(groupId);
    const one = (topic: string, partition: number): FetchedOffset => {
      if (unavailable !== KafkaCode.NONE) return { partitionIndex: partition, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: unavailable };
      const o = committed?.get(topic)?.get(partition);
      return o
        ? { partitionIndex: partition, committedOffset: o.offset, committedLeaderEpoch: o.leaderEpoch, metadata: o.metadata, errorCode: KafkaCode.NONE }
        : { partitionIndex: partition, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: KafkaCode.NONE };
    };
    if (topics === null) {
      if (unavailable !== KafkaCode.NONE) return { errorCode: unavailable, topics: [] };
      const out: OffsetFetchResult['topics'] = [];
      for (const [name, parts] of [...(committed ?? new Map<string, Map<number, OffsetAndMetadata>>())].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        if (parts.size === 0) continue;
        out.push({ name, partitions: [...parts.keys()].sort((a, b) => a - b).map((p) => one(name, p)) });
      }
      return { errorCode: KafkaCode.NONE, topics: out };
    }
    return { errorCode: unavailable, topics: topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => one(t.name, p)) })) };
  }

  /**
   * OffsetDelete (KIP-496), as Kafka's GroupCoordinator.handleDeleteOffsets: an empty group
   * (or one that only stores offsets) loses the named offsets; an active consumer group
   * keeps those of topics its members subscribe to (GROUP_SUBSCRIBED_TO_TOPIC) and loses the
   * rest; an active group of another protocol is NON_EMPTY_GROUP; an unknown or dead group
   * GROUP_ID_NOT_FOUND. Deleting an offset that is not there is no error.
   */
  async deleteOffsets(
    groupId: string,
    topics: ReadonlyArray<{ name: string; partitions: readonly number[] }>,
  ): Promise<{ errorCode: number; topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; errorCode: number }> }> }> {
    const none = { errorCode: KafkaCode.NONE, topics: [] };
    const unavailable = this.#availability();
    if (unavailable !== KafkaCode.NONE) return { ...none, errorCode: unavailable };
    const group = this.#membership.group(groupId);
    if ((!group || group.state === 'Dead') && !this.hasOffsets(groupId)) return { ...none, errorCode: KafkaCode.GROUP_ID_NOT_FOUND };
    let subscribed: Set<string> | null | 'all' = 'all';
    if (group && group.state !== 'Empty' && group.state !== 'Dead' && group.members.size > 0) {
      if (group.protocolType !== CONSUMER_PROTOCOL_TYPE) return { ...none, errorCode: KafkaCode.NON_EMPTY_GROUP };
      // Subscriptions that cannot be read count as subscribed to everything (Kafka: isSubscribedToTopic).
      subscribed = this.#membership.subscribedTopics(group);
    }
    const changes: OffsetChange[] = [];
    const result = topics.map((t) => {
      const keep = subscribed === null || (subscribed !== 'all' && subscribed.has(t.name));
      return {
        name: t.name,
        partitions: t.partitions.map((partitionIndex) => {
          if (keep) return { partitionIndex, errorCode: KafkaCode.GROUP_SUBSCRIBED_TO_TOPIC };
          if (this.#offsets.get(groupId)?.get(t.name)?.has(partitionIndex)) changes.push({ topic: t.name, partition: partitionIndex, value: null });
          return { partitionIndex, errorCode: KafkaCode.NONE };
        }),
      };
    });
    if (changes.length > 0) {
      try {
        await this.#store.writeOffsets(groupId, changes);
      } catch (error) {
        this.#logger.error('offset deletion failed to persist', { groupId, error: String(error) });
        return { errorCode: storeFailureCode(error), topics: [] };
      }
      this.#forget(groupId, changes);
    }
    return { errorCode: KafkaCode.NONE, topics: result };
  }

  /** Deletes a group with everything stored for it (DeleteGroups, or expiry of an empty group). */
  async deleteGroup(group: ClassicGroup): Promise<void> {
    const offsets: Array<{ topic: string; partition: number }> = [];
    for (const [topic, parts] of this.#offsets.get(group.groupId) ?? []) for (const partition of parts.keys()) offsets.push({ topic, partition });
    this.#offsets.delete(group.groupId);
    this.#membership.markDead(group);
    await this.#store.deleteGroup(group.groupId, offsets);
  }

  // ---------------------------------------------------------------- Retention

  #scheduleExpiry(): void {
    const interval = this.#settings.offsetsRetentionCheckIntervalMs;
    if (interval <= 0 || this.#phase() !== 'running') return;
    this.#expiryTimer = this.#settings.timers.setTimeout(() => {
      this.#expiryTimer = undefined;
      this.expireOffsets().catch((error: unknown) => this.#logger.error('offset expiry failed', { error: String(error) }))
        .finally(() => this.#scheduleExpiry());
    }, interval);
  }

  /**
   * Removes expired offsets, as Kafka does since KIP-211 (an explicit v2–4 retention time
   * wins over the policy):
   * - an empty consumer group's offsets, `offsetsRetentionMs` after it became empty;
   * - a group that only stores offsets (no protocol type), each offset that long after its commit;
   * - a stable consumer group's offsets of topics no member subscribes to any more, that
   *   long after their commit (when every member's subscription can be read).
   * An empty group left without offsets is deleted. Returns how many offsets were removed.
   */
  async expireOffsets(): Promise<number> {
    if (this.#phase() !== 'running') return 0;
    const now = this.#now();
    const retention = this.#settings.offsetsRetentionMs;
    let removed = 0;
    for (const group of this.#membership.groups()) {
      let subscribed: Set<string> | null = null;
      if (group.state === 'Stable' && group.protocolType === CONSUMER_PROTOCOL_TYPE) {
        subscribed = this.#membership.subscribedTopics(group);
        if (subscribed === null) continue;
      } else if (group.state !== 'Empty') {
        continue;
      }
      const changes: OffsetChange[] = [];
      for (const [topic, parts] of this.#offsets.get(group.groupId) ?? []) {
        if (subscribed?.has(topic)) continue;
        for (const [partition, o] of parts) {
          const base = group.state === 'Empty' && group.protocolType !== null ? group.stateTimestamp : o.commitTimestamp;
          const expired = o.expireTimestamp !== null ? now >= o.expireTimestamp : now - base >= retention;
          if (expired) changes.push({ topic, partition, value: null });
        }
      }
      if (group.state === 'Empty' && changes.length === this.offsetCount(group.groupId) && !this.#writing.has(group.groupId) && group.isEmpty && group.pendingMembers.size === 0) {
        this.#logger.info('deleting an expired empty group', { groupId: group.groupId, offsets: changes.length });
        removed += changes.length;
        await this.deleteGroup(group);
        continue;
      }
      if (changes.length === 0) continue;
      // Forgotten before the write: a commit landing while it runs is written after it and kept.
      this.#forget(group.groupId, changes);
      this.#logger.debug('expired committed offsets', { groupId: group.groupId, offsets: changes.length });
      await this.#store.writeOffsets(group.groupId, changes);
      removed += changes.length;
    }
    return removed;
  }

  #written(groupId: string): void {
    const n = (this.#writing.get(groupId) ?? 1) - 1;
    if (n > 0) this.#writing.set(groupId, n);
    else this.#writing.delete(groupId);
  }
}
