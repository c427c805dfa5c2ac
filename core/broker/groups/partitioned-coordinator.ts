/**
 * The group coordinator of a broker in a cluster, shaped as Kafka's CoordinatorRuntime:
 * one coordinator state machine per `__consumer_offsets` partition this node leads (a
 * {@link GroupCoordinator} over that partition's log), none for the others.
 *
 * - Placement: group G lives in partition `abs(javaHash(G)) % partitions`
 *   ({@link partitionForGroup}); its coordinator is that partition's leader, which
 *   FindCoordinator answers from the image ({@link locate}), creating the topic through the
 *   controller on first need.
 * - Loading: as a {@link MetadataPublisher} installed after the replica manager, it sees
 *   this node become leader of a partition (the replica manager has made it leader), and
 *   replays the partition's log into a fresh coordinator; its groups answer
 *   COORDINATOR_LOAD_IN_PROGRESS meanwhile.
 * - Unloading: when this node stops leading a partition (or its leader epoch changes: the
 *   log may have grown while another node led), its coordinator is unloaded — waiting
 *   JoinGroup/SyncGroup answer NOT_COORDINATOR, later requests too — and dropped.
 * - Groups of partitions not led here answer NOT_COORDINATOR (a coordinator that is
 *   permanently unloaded answers for them, so every API keeps its own answer shape).
 * - Writes: every commit and group change appends to the partition through the replica
 *   manager with acks=-1 ({@link replicatedGroupLog}) and is applied only once stored.
 */
import type { Logger } from '../../contracts/logger.ts';
import { KafkaCode } from '../../kafka-error-codes.ts';
import { isErrorCode } from '../../errors.ts';
import type { MetadataDelta } from '../metadata/metadata-delta.ts';
import type { MetadataImage } from '../metadata/metadata-image.ts';
import type { MetadataPublisher } from '../metadata/metadata-publisher.ts';
import type { ReplicaManager } from '../replica-manager.ts';
import type { ClassicGroup } from './classic-group.ts';
import type { JoinResult, SyncResult } from './classic-group-member.ts';
import { GroupCoordinator } from './coordinator.ts';
import { type GroupPartitioning, type GroupPartitioningOptions, type OffsetsTopicSpec, groupPartitioning, offsetsTopicSpec, partitionForGroup } from './group-partitioning.ts';
import type { CoordinatorLocation, GroupService } from './group-service.ts';
import { GROUP_OFFSETS_TOPIC, LogGroupStore } from './log-group-store.ts';
import type { DescribedGroup, GroupListing, HeartbeatRequest, JoinRequest, LeaveResult, LeavingMember, SyncRequest } from './membership-manager.ts';
import type { CommitRequest, CommitResult, OffsetFetchResult } from './offset-manager.ts';
import { type GroupCoordinatorOptions, groupSettings } from './options.ts';
import { systemTimers } from './timers.ts';
import { replicatedGroupLog } from './replicated-group-log.ts';

/**
 * Snapshot batches of a replicated partition stay well under the default
 * max.message.bytes (1 MiB), which the replica manager enforces on every append.
 */
const SNAPSHOT_BATCH_BYTES = 512 * 1024;

/** Wait before replaying a partition again after its load failed while this node still leads it. */
const LOAD_RETRY_MS = 1000;

/** What the partitioned coordinator needs from its broker. */
export interface PartitionedGroupCoordinatorDeps {
  /** This node's id: it coordinates the partitions it leads. */
  readonly nodeId: number;
  readonly logger: Logger;
  /** Where the offsets partitions are hosted; writes and the replay go through it. */
  readonly replicaManager: ReplicaManager;
  /** The current metadata image. */
  readonly image: () => MetadataImage;
  /**
   * Creates `__consumer_offsets` through the controller (the first FindCoordinator of a
   * group does). The controller must accept the internal name for a spec with `internal`.
   */
  readonly createTopic: (spec: OffsetsTopicSpec) => Promise<unknown>;
}

interface Shard {
  readonly partition: number;
  readonly leaderEpoch: number;
  readonly coordinator: GroupCoordinator;
  /** Settles when the replay has ended (loaded, failed or unloaded meanwhile). */
  loaded: Promise<void>;
}

/** The coordinator of the groups whose `__consumer_offsets` partitions this node leads. */
export class PartitionedGroupCoordinator implements GroupService, MetadataPublisher {
  readonly name = 'group-coordinator';
  /** Offsets-topic settings with defaults applied. */
  readonly partitioning: GroupPartitioning;
  readonly #deps: PartitionedGroupCoordinatorDeps;
  readonly #options: GroupCoordinatorOptions;
  readonly #shards = new Map<number, Shard>();
  /** Answers for every group of a partition not led here: NOT_COORDINATOR in each API's shape. */
  readonly #elsewhere: GroupCoordinator;
  #creating: Promise<void> | undefined;
  #closed = false;
  /** Timers of loads to try again, by partition (cleared on close). */
  readonly #retries = new Map<number, unknown>();

  constructor(deps: PartitionedGroupCoordinatorDeps, options: GroupCoordinatorOptions = {}, partitioning: GroupPartitioningOptions = {}) {
    this.#deps = deps;
    this.#options = options;
    groupSettings(options); // validated once here, as the shards will use them
    this.partitioning = groupPartitioning(partitioning);
    this.#elsewhere = new GroupCoordinator({ groupStore: NO_STORE, logger: deps.logger, partitionExists: () => false }, options);
    this.#elsewhere.unload();
  }

  /** The `__consumer_offsets` partition of `groupId` (the topic's partition count once it exists). */
  partitionFor(groupId: string): number {
    const topic = this.#deps.image().topic(GROUP_OFFSETS_TOPIC);
    return partitionForGroup(groupId, topic && topic.partitions.length > 0 ? topic.partitions.length : this.partitioning.numPartitions);
  }

  /** The partitions whose groups this node coordinates (loading or loaded), ascending. */
  ownedPartitions(): number[] {
    return [...this.#shards.keys()].sort((a, b) => a - b);
  }

  /** Settles once every replay started so far has ended (tests, start-up). */
  async loaded(): Promise<void> {
    await Promise.all([...this.#shards.values()].map((s) => s.loaded));
  }

  /** The coordinator of partition `partition`, when this node leads it (inspection, tests). */
  shard(partition: number): GroupCoordinator | undefined {
    return this.#shards.get(partition)?.coordinator;
  }

  // ---------------------------------------------------------------- Lifecycle

  /** Takes up the partitions the current image already gives this node. */
  async load(): Promise<void> {
    this.#follow(this.#deps.image());
  }

  /** Closes every partition's coordinator (waiting requests get COORDINATOR_NOT_AVAILABLE). */
  async close(): Promise<void> {
    this.#closed = true;
    const timers = this.#options.timers ?? systemTimers;
    for (const handle of this.#retries.values()) timers.clearTimeout(handle);
    this.#retries.clear();
    const shards = [...this.#shards.values()];
    this.#shards.clear();
    await Promise.all(shards.map((s) => s.coordinator.close()));
    await this.#elsewhere.close();
  }

  /** {@link MetadataPublisher}: loads partitions this node now leads, unloads those it lost; forgets deleted topics' offsets. */
  onMetadataUpdate(delta: MetadataDelta, image: MetadataImage): void {
    this.#follow(image);
    for (const topic of delta.deletedTopics.values()) {
      if (topic.name === GROUP_OFFSETS_TOPIC) continue;
      // Every coordinator forgets the offsets of a deleted topic (Kafka's onNewMetadataImage); not awaited: metadata does not wait for acks=-1 writes.
      this.removeTopicOffsets(topic.name).catch((error: unknown) => this.#deps.logger.warn('could not remove the offsets of a deleted topic', { topic: topic.name, error: String(error) }));
    }
  }

  #follow(image: MetadataImage): void {
    if (this.#closed) return;
    const { nodeId, replicaManager } = this.#deps;
    const topic = image.topic(GROUP_OFFSETS_TOPIC);
    for (const shard of [...this.#shards.values()]) {
      const registration = topic?.partitions[shard.partition];
      if (registration && registration.leader === nodeId && registration.leaderEpoch === shard.leaderEpoch) continue;
      this.#unload(shard, registration?.leader ?? -1);
    }
    if (!topic) return;
    for (const registration of topic.partitions) {
      if (!registration || registration.leader !== nodeId || this.#shards.has(registration.partition)) continue;
      const hosted = replicaManager.partition(GROUP_OFFSETS_TOPIC, registration.partition);
      // The replica manager, installed first, has made this node leader already; if not, a later image will.
      if (!hosted || !hosted.isLeader || hosted.leaderEpoch !== registration.leaderEpoch) continue;
      this.#startLoad(registration.partition, registration.leaderEpoch);
    }
  }

  #startLoad(partition: number, leaderEpoch: number): void {
    const { replicaManager, logger, image } = this.#deps;
    const settings = this.partitioning;
    const timers = this.#options.timers;
    const store = new LogGroupStore({
      openGroupLog: async () => replicatedGroupLog({ replicaManager, topic: GROUP_OFFSETS_TOPIC, partition, leaderEpoch, timeoutMs: settings.commitTimeoutMs }),
      compactAfter: settings.compactAfter,
      snapshotBatchBytes: SNAPSHOT_BATCH_BYTES,
      onSnapshotFailure: (error) => logger.warn('snapshot of an offsets partition failed; the next write tries again', { partition, leaderEpoch, error: String(error) }),
      ...(timers ? { now: () => timers.now() } : {}),
    });
    const coordinator = new GroupCoordinator(
      {
        groupStore: store,
        logger,
        partitionExists: (t, p) => image().topic(t)?.partitions[p] !== undefined,
        // The image may still be catching up with the metadata log: an offset of a topic it
        // does not show yet is kept (a deleted topic's offsets go on its metadata change).
        dropUnknownOnLoad: false,
      },
      this.#options,
    );
    const shard: Shard = { partition, leaderEpoch, coordinator, loaded: Promise.resolve() };
    this.#shards.set(partition, shard);
    logger.info('loading the groups of an offsets partition', { partition, leaderEpoch });
    shard.loaded = coordinator.load().then(
      () => {
        if (coordinator.phase === 'running') logger.info('loaded the groups of an offsets partition', { partition, leaderEpoch, groups: coordinator.groupIds().length });
      },
      (error: unknown) => {
        // Lost the partition while replaying, or the log failed (a snapshot the replay
        // writes may time out waiting for the ISR): give the groups up, and try again
        // later while this node still leads the partition at that epoch.
        logger.warn('loading the groups of an offsets partition failed', { partition, leaderEpoch, error: String(error) });
        coordinator.unload();
        if (this.#shards.get(partition) !== shard) return;
        this.#shards.delete(partition);
        this.#retryLoad(partition, leaderEpoch);
      },
    );
  }

  #retryLoad(partition: number, leaderEpoch: number): void {
    const timers = this.#options.timers ?? systemTimers;
    timers.clearTimeout(this.#retries.get(partition));
    const handle = timers.setTimeout(() => {
      if (this.#retries.get(partition) === handle) this.#retries.delete(partition);
      if (this.#closed || this.#shards.has(partition)) return;
      const hosted = this.#deps.replicaManager.partition(GROUP_OFFSETS_TOPIC, partition);
      const registration = this.#deps.image().topic(GROUP_OFFSETS_TOPIC)?.partitions[partition];
      if (!hosted?.isLeader || hosted.leaderEpoch !== leaderEpoch || registration?.leader !== this.#deps.nodeId || registration.leaderEpoch !== leaderEpoch) return;
      this.#startLoad(partition, leaderEpoch);
    }, LOAD_RETRY_MS);
    this.#retries.set(partition, handle);
  }

  #unload(shard: Shard, newLeader: number): void {
    this.#shards.delete(shard.partition);
    shard.coordinator.unload();
    this.#deps.logger.info('unloaded the groups of an offsets partition', { partition: shard.partition, leaderEpoch: shard.leaderEpoch, newLeader });
  }

  /** The coordinator that answers for `groupId` here: its partition's, or one that answers NOT_COORDINATOR. */
  #route(groupId: string): GroupCoordinator {
    return this.#shards.get(this.partitionFor(groupId))?.coordinator ?? this.#elsewhere;
  }

  // ---------------------------------------------------------------- FindCoordinator

  /**
   * Where `groupId`'s coordinator is: the leader of its partition, from the image.
   * COORDINATOR_NOT_AVAILABLE while the topic is being created (this call creates it when
   * missing, as Kafka's FindCoordinator does) or the partition has no live leader.
   */
  async locate(groupId: string): Promise<CoordinatorLocation> {
    const unavailable = (message: string): CoordinatorLocation => ({ errorCode: KafkaCode.COORDINATOR_NOT_AVAILABLE, errorMessage: message, nodeId: -1 });
    if (this.#deps.image().topic(GROUP_OFFSETS_TOPIC) === undefined) {
      try {
        await this.#createTopic();
      } catch (error) {
        this.#deps.logger.warn('could not create the offsets topic', { topic: GROUP_OFFSETS_TOPIC, error: String(error) });
        return unavailable(`The ${GROUP_OFFSETS_TOPIC} topic could not be created: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    const image = this.#deps.image();
    const topic = image.topic(GROUP_OFFSETS_TOPIC);
    if (!topic) return unavailable(`The ${GROUP_OFFSETS_TOPIC} topic is being created`);
    const partition = this.partitionFor(groupId);
    const leader = topic.partitions[partition]?.leader ?? -1;
    if (leader < 0 || image.broker(leader) === undefined) return unavailable(`Partition ${partition} of ${GROUP_OFFSETS_TOPIC} has no leader`);
    return { errorCode: KafkaCode.NONE, errorMessage: null, nodeId: leader };
  }

  /** One creation at a time; a rival creation that won is success. */
  #createTopic(): Promise<void> {
    this.#creating ??= (async () => {
      try {
        const spec = offsetsTopicSpec(this.partitioning, this.#deps.image().brokers().length);
        await this.#deps.createTopic(spec);
        this.#deps.logger.info('created the offsets topic', { topic: GROUP_OFFSETS_TOPIC, partitions: spec.numPartitions, replicationFactor: spec.replicationFactor });
      } catch (error) {
        if (!isErrorCode(error, 'TOPIC_ALREADY_EXISTS')) throw error;
      } finally {
        this.#creating = undefined;
      }
    })();
    return this.#creating;
  }

  // ---------------------------------------------------------------- Routed by group

  /** The group, when this node coordinates it (inspection, tests). */
  group(groupId: string): ClassicGroup | undefined {
    return this.#route(groupId).group(groupId);
  }

  /** Every group id of the partitions this node coordinates. */
  groupIds(): string[] {
    return [...this.#shards.values()].flatMap((s) => s.coordinator.groupIds());
  }

  /** The topics a group has committed offsets for (inspection, tests). */
  committedTopics(groupId: string): string[] {
    return this.#route(groupId).committedTopics(groupId);
  }

  /** How many partitions a group has committed offsets for (inspection, tests). */
  offsetCount(groupId: string): number {
    return this.#route(groupId).offsetCount(groupId);
  }

  /** At the group's partition coordinator (NOT_COORDINATOR when not led here). */
  join(req: JoinRequest): Promise<JoinResult> {
    return this.#route(req.groupId).join(req);
  }

  /** At the group's partition coordinator (NOT_COORDINATOR when not led here). */
  sync(req: SyncRequest): Promise<SyncResult> {
    return this.#route(req.groupId).sync(req);
  }

  /** At the group's partition coordinator (NOT_COORDINATOR when not led here). */
  heartbeat(req: HeartbeatRequest): number {
    return this.#route(req.groupId).heartbeat(req);
  }

  /** At the group's partition coordinator (NOT_COORDINATOR when not led here). */
  leave(groupId: string, leaving: readonly LeavingMember[]): LeaveResult {
    return this.#route(groupId).leave(groupId, leaving);
  }

  /** At the group's partition coordinator (NOT_COORDINATOR when not led here). */
  describe(groupId: string): DescribedGroup {
    return this.#route(groupId).describe(groupId);
  }

  /** At the group's partition coordinator (NOT_COORDINATOR when not led here). */
  commitOffsets(req: CommitRequest): Promise<CommitResult> {
    return this.#route(req.groupId).commitOffsets(req);
  }

  /** At the group's partition coordinator (NOT_COORDINATOR when not led here). */
  fetchOffsets(groupId: string, topics: ReadonlyArray<{ name: string; partitionIndexes: readonly number[] }> | null): OffsetFetchResult {
    return this.#route(groupId).fetchOffsets(groupId, topics);
  }

  /** At the group's partition coordinator (NOT_COORDINATOR when not led here). */
  deleteOffsets(groupId: string, topics: ReadonlyArray<{ name: string; partitions: readonly number[] }>): ReturnType<GroupService['deleteOffsets']> {
    return this.#route(groupId).deleteOffsets(groupId, topics);
  }

  /** Each group at its own partition's coordinator; answers in request order. */
  async deleteGroups(groupIds: readonly string[]): Promise<Array<{ groupId: string; errorCode: number }>> {
    return Promise.all(groupIds.map(async (groupId) => (await this.#route(groupId).deleteGroups([groupId]))[0]!));
  }

  // ---------------------------------------------------------------- Every partition

  /**
   * The groups of every partition this node coordinates, as Kafka's ListGroups on a
   * broker: COORDINATOR_LOAD_IN_PROGRESS while one of them is still loading.
   */
  list(statesFilter: readonly string[] = [], typesFilter: readonly string[] = []): { errorCode: number; groups: GroupListing[] } {
    let errorCode: number = KafkaCode.NONE;
    const groups: GroupListing[] = [];
    for (const shard of this.#shards.values()) {
      const r = shard.coordinator.list(statesFilter, typesFilter);
      if (r.errorCode === KafkaCode.COORDINATOR_LOAD_IN_PROGRESS) errorCode = r.errorCode;
      else if (r.errorCode === KafkaCode.NONE) groups.push(...r.groups);
    }
    return { errorCode, groups };
  }

  /** Forgets a deleted topic's offsets in every partition coordinated here (one still loading: once loaded). */
  async removeTopicOffsets(topic: string): Promise<number> {
    const counts = await Promise.all(
      [...this.#shards.values()].map(async (s) => {
        if (s.coordinator.phase === 'loading') await s.loaded;
        return s.coordinator.phase === 'running' ? s.coordinator.removeTopicOffsets(topic) : 0;
      }),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  /** Expires offsets in every partition coordinated here (each also runs on its own timer). */
  async expireOffsets(): Promise<number> {
    const counts = await Promise.all([...this.#shards.values()].map((s) => s.coordinator.expireOffsets()));
    return counts.reduce((a, b) => a + b, 0);
  }
}

/** The store of the coordinator that answers for groups led elsewhere: it never loads nor writes. */
const NO_STORE = Object.freeze({
  load: async () => [],
  writeOffsets: async () => {
    throw new Error('no group is coordinated here');
  },
  writeMeta: async () => {
    throw new Error('no group is coordinated here');
  },
  deleteGroup: async () => {
    throw new Error('no group is coordinated here');
  },
  settle: async () => undefined,
});
