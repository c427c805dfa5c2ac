/**
 * The topics of a broker: creation (with validation), deletion, partition growth and
 * config changes, persisted in the storage metadata store and restored on start.
 */
import type { Logger } from '../contracts/logger.ts';
import type { PartitionLog, Storage } from '../contracts/storage.ts';
import { kafkaError } from '../errors.ts';
import { Partition } from './partition/partition.ts';
import { type TopicConfigDefaults, validateTopicConfigs } from './topic-config.ts';
import { collisionKey, validateTopicName } from './topic-name.ts';
import { Topic, type TopicRecord } from './topic.ts';

const TOPIC_PREFIX = 'topic/';

/**
 * Most partitions one request may create (Kafka's MAX_PARTITIONS_PER_BATCH): beyond it a
 * creation is POLICY_VIOLATION instead of a broker that allocates without bound.
 */
export const MAX_NEW_PARTITIONS_PER_REQUEST = 10_000;

/** POLICY_VIOLATION for a request that would create `count` partitions. */
export function tooManyPartitions(count: number): Error {
  return kafkaError(44, `Excessively large number of partitions per request: ${count} (at most ${MAX_NEW_PARTITIONS_PER_REQUEST})`);
}
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What a topic creation asks for, before defaults are applied. */
export interface CreateTopicSpec {
  readonly name: string;
  /** -1 for the broker default. */
  readonly numPartitions: number;
  /** -1 for the broker default. */
  readonly replicationFactor: number;
  /** Explicit replica assignment per partition (then both counts are -1). */
  readonly assignments?: ReadonlyArray<{ partitionIndex: number; brokerIds: number[] }>;
  readonly configs?: Iterable<readonly [string, string | null | undefined]>;
}

/** Facts the registry needs from its broker. */
export interface TopicRegistryContext {
  readonly storage: Storage;
  readonly nodeId: number;
  readonly logger: Logger;
  readonly topicDefaults: TopicConfigDefaults;
  readonly numPartitions: number;
  readonly defaultReplicationFactor: number;
  /** Node ids of the brokers alive now. */
  liveBrokerIds(): number[];
  /** Applies the flush policy to a freshly opened log (returns the log to append through). */
  wrapLog(log: PartitionLog): PartitionLog;
  /** Called once a topic's data is gone (the group coordinator drops its committed offsets). */
  onDeleted?(name: string): Promise<unknown>;
}

/** Topics by name and id. */
export class TopicRegistry {
  #ctx: TopicRegistryContext;
  #byName = new Map<string, Topic>();
  #byId = new Map<string, Topic>();
  #creating = new Map<string, Promise<Topic>>();
  // Metadata writes for one topic run one after another.
  #locks = new Map<string, Promise<unknown>>();

  constructor(ctx: TopicRegistryContext) {
    this.#ctx = ctx;
  }

  /** Loads every persisted topic and opens its partitions; removes logs of deleted topics. */
  async load(): Promise<void> {
    const entries = await this.#ctx.storage.metadata.list(TOPIC_PREFIX);
    await Promise.all(
      entries.map(async ({ value }) => {
        const record = JSON.parse(decoder.decode(value)) as TopicRecord;
        const topic = new Topic(record, this.#ctx.topicDefaults);
        await this.#openPartitions(topic, record.replicas, record.leaderEpochs);
        this.#index(topic);
      }),
    );
    for (const ref of await this.#ctx.storage.listPartitions()) {
      const topic = this.#byName.get(ref.topic);
      if (!topic || ref.partition >= topic.partitions.length) {
        // A topic deleted while its log deletion was interrupted: finish the job (as Kafka does).
        this.#ctx.logger.warn('removing the log of a deleted topic', { topic: ref.topic, partition: ref.partition });
        await this.#ctx.storage.deletePartition(ref.topic, ref.partition);
      }
    }
  }

  /** Partitions of a topic created with numPartitions -1 (num.partitions). */
  get defaultNumPartitions(): number {
    return this.#ctx.numPartitions;
  }

  /** The topic named `name`, if it exists. */
  get(name: string): Topic | undefined {
    return this.#byName.get(name);
  }

  /** The topic with this id, if it exists. */
  byId(id: string): Topic | undefined {
    return this.#byId.get(id);
  }

  /** Every topic, sorted by name. */
  all(): Topic[] {
    return [...this.#byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * Validates a creation and, unless `validateOnly`, creates the topic. Errors are coded:
   * INVALID_TOPIC_EXCEPTION, TOPIC_ALREADY_EXISTS, INVALID_PARTITIONS,
   * INVALID_REPLICATION_FACTOR, INVALID_REPLICA_ASSIGNMENT, INVALID_REQUEST, INVALID_CONFIG.
   * A name that differs from an existing one only by '.' versus '_' is INVALID_TOPIC_EXCEPTION.
   */
  async create(spec: CreateTopicSpec, validateOnly = false): Promise<Topic> {
    validateTopicName(spec.name);
    if (this.#byName.has(spec.name) || this.#creating.has(spec.name)) throw kafkaError(36, `Topic "${spec.name}" already exists`);
    const rival = this.#collidesWith(spec.name);
    if (rival !== undefined) throw kafkaError(17, `Topic "${spec.name}" collides with existing topic "${rival}" ('.' and '_' are the same in metric names)`);
    const record = this.#plan(spec);
    const topic = new Topic(record, this.#ctx.topicDefaults);
    if (validateOnly) return topic;
    const creating = this.#persistNew(topic, record);
    this.#creating.set(spec.name, creating);
    try {
      return await creating;
    } finally {
      this.#creating.delete(spec.name);
    }
  }

  /** The topic, creating it with the defaults when missing (auto-creation). */
  async getOrCreate(name: string): Promise<Topic> {
    const existing = this.#byName.get(name) ?? (await this.#creating.get(name)?.catch(() => undefined));
    if (existing) return existing;
    try {
      return await this.create({ name, numPartitions: -1, replicationFactor: -1 });
    } catch (error) {
      // Two auto-creations raced: the other one won.
      const winner = this.#byName.get(name);
      if (winner) return winner;
      throw error;
    }
  }

  /** Deletes a topic and its data. UNKNOWN_TOPIC_OR_PARTITION when missing. */
  async delete(name: string): Promise<void> {
    const topic = this.#byName.get(name);
    if (!topic) throw kafkaError(3, `Topic "${name}" does not exist`);
    this.#byName.delete(name);
    this.#byId.delete(topic.id);
    for (const partition of topic.partitions) partition.close();
    await this.#locked(name, async () => {
      await this.#ctx.storage.metadata.delete(TOPIC_PREFIX + name);
      for (const partition of topic.partitions) {
        await partition.settle();
        await this.#ctx.storage.deletePartition(name, partition.partition);
      }
      await this.#ctx.onDeleted?.(name);
    });
  }

  /**
   * Grows a topic to `count` partitions (INVALID_PARTITIONS unless it grows). Explicit
   * assignments give the replicas of the new partitions only.
   */
  async addPartitions(name: string, count: number, assignments: number[][] | null, validateOnly = false): Promise<void> {
    const topic = this.#byName.get(name);
    if (!topic) throw kafkaError(3, `Topic "${name}" does not exist`);
    const current = topic.partitions.length;
    if (count <= current) throw kafkaError(37, `Topic "${name}" has ${current} partitions; the new count ${count} must be larger`);
    const added = count - current;
    if (added > MAX_NEW_PARTITIONS_PER_REQUEST) throw tooManyPartitions(added);
    let replicas: number[][];
    if (assignments) {
      if (assignments.length !== added) {
        throw kafkaError(39, `${assignments.length} assignments given for ${added} new partitions`);
      }
      replicas = assignments.map((ids) => this.#checkAssignment(ids, topic.replicationFactor));
    } else {
      replicas = Array.from({ length: added }, (_, i) => this.#assign(current + i, topic.replicationFactor));
    }
    if (validateOnly) return;
    await this.#locked(name, async () => {
      const epochs = replicas.map(() => 0);
      await this.#openPartitions(topic, replicas, epochs, current);
      await this.#persist(topic);
    });
  }

  /** Replaces a topic's config overrides (AlterConfigs semantics: unset ones revert to defaults). */
  async setConfigs(name: string, configs: Iterable<readonly [string, string | null | undefined]>, validateOnly = false): Promise<void> {
    const topic = this.#byName.get(name);
    if (!topic) throw kafkaError(3, `Topic "${name}" does not exist`);
    const checked = validateTopicConfigs(configs);
    if (validateOnly) return;
    await this.#locked(name, async () => {
      topic.setConfigs(checked);
      await this.#persist(topic);
    });
  }

  /** Marks every partition closed (wakes waiting fetches). */
  closeAll(): void {
    for (const topic of this.#byName.values()) for (const partition of topic.partitions) partition.close();
  }

  #collidesWith(name: string): string | undefined {
    if (!name.includes('.') && !name.includes('_')) return undefined;
    const key = collisionKey(name);
    for (const other of [...this.#byName.keys(), ...this.#creating.keys()]) {
      if (other !== name && collisionKey(other) === key) return other;
    }
    return undefined;
  }

  #plan(spec: CreateTopicSpec): TopicRecord {
    const configs = validateTopicConfigs(spec.configs ?? []);
    const assignments = spec.assignments ?? [];
    let replicas: number[][];
    let replicationFactor: number;
    if (assignments.length > 0) {
      if (spec.numPartitions !== -1 || spec.replicationFactor !== -1) {
        throw kafkaError(42, 'Both numPartitions or replicationFactor and replicasAssignments were set; use either one');
      }
      const sorted = [...assignments].sort((a, b) => a.partitionIndex - b.partitionIndex);
      sorted.forEach((a, i) => {
        if (a.partitionIndex !== i) throw kafkaError(39, 'Partition assignments must cover partitions 0..n-1 exactly once');
      });
      replicationFactor = sorted[0]!.brokerIds.length;
      replicas = sorted.map((a) => this.#checkAssignment(a.brokerIds, replicationFactor));
    } else {
      const numPartitions = spec.numPartitions === -1 ? this.#ctx.numPartitions : spec.numPartitions;
      replicationFactor = spec.replicationFactor === -1 ? this.#ctx.defaultReplicationFactor : spec.replicationFactor;
      if (!Number.isInteger(numPartitions) || numPartitions < 1) throw kafkaError(37, `Number of partitions ${numPartitions} is below 1`);
      if (numPartitions > MAX_NEW_PARTITIONS_PER_REQUEST) throw tooManyPartitions(numPartitions);
      const live = this.#ctx.liveBrokerIds().length;
      if (!Number.isInteger(replicationFactor) || replicationFactor < 1) {
        throw kafkaError(38, `Replication factor ${replicationFactor} is below 1`);
      }
      if (replicationFactor > live) {
        throw kafkaError(38, `Replication factor ${replicationFactor} is larger than the number of live brokers (${live})`);
      }
      replicas = Array.from({ length: numPartitions }, (_, i) => this.#assign(i, replicationFactor));
    }
    return {
      name: spec.name,
      id: crypto.randomUUID(),
      replicationFactor,
      replicas,
      leaderEpochs: replicas.map(() => 0),
      configs: Object.fromEntries(configs),
      createdAt: Date.now(),
    };
  }

  #checkAssignment(ids: readonly number[], replicationFactor: number): number[] {
    const live = new Set(this.#ctx.liveBrokerIds());
    if (ids.length === 0 || ids.length !== replicationFactor) {
      throw kafkaError(39, `Every partition needs ${replicationFactor} replicas; got ${ids.length}`);
    }
    if (new Set(ids).size !== ids.length) throw kafkaError(39, `Duplicate broker ids in assignment ${ids.join(',')}`);
    for (const id of ids) if (!live.has(id)) throw kafkaError(39, `Broker ${id} in the assignment is not alive`);
    return [...ids];
  }

  // Round-robin over the live brokers, as Kafka's rack-unaware assignment starts out.
  #assign(partition: number, replicationFactor: number): number[] {
    const ids = this.#ctx.liveBrokerIds().sort((a, b) => a - b);
    return Array.from({ length: replicationFactor }, (_, r) => ids[(partition + r) % ids.length]!);
  }

  async #persistNew(topic: Topic, record: TopicRecord): Promise<Topic> {
    await this.#locked(topic.name, async () => {
      await this.#write(record);
      await this.#openPartitions(topic, record.replicas, record.leaderEpochs);
    });
    this.#index(topic);
    return topic;
  }

  async #openPartitions(topic: Topic, replicas: number[][], epochs: number[], first = 0): Promise<void> {
    const { storage, nodeId } = this.#ctx;
    const options = { segmentBytes: topic.logConfig.segmentBytes, segmentMs: topic.logConfig.segmentMs };
    const states = await Promise.all(
      replicas.map(async (ids, i) => {
        const log = await storage.openPartition(topic.name, first + i, options);
        for (const event of log.recovery) this.#ctx.logger.warn('partition log recovered', { topic: topic.name, partition: first + i, ...event });
        return new Partition(topic.name, first + i, this.#ctx.wrapLog(log), nodeId, ids, epochs[i] ?? 0);
      }),
    );
    topic.partitions.push(...states);
  }

  #index(topic: Topic): void {
    this.#byName.set(topic.name, topic);
    this.#byId.set(topic.id, topic);
  }

  #persist(topic: Topic): Promise<void> {
    return this.#write(topic.toRecord());
  }

  #write(record: TopicRecord): Promise<void> {
    return this.#ctx.storage.metadata.put(TOPIC_PREFIX + record.name, encoder.encode(JSON.stringify(record)));
  }

  async #locked<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(name) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.#locks.set(name, tail);
    try {
      return await run;
    } finally {
      if (this.#locks.get(name) === tail) this.#locks.delete(name);
    }
  }
}
