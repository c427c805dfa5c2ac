/**
 * The controller of a cluster of one: today's placement, creation, deletion, partition
 * growth and config changes, producing metadata records. Topics persist in the storage
 * adapter's metadata store (one JSON entry per topic under `topic/<name>`, the format
 * Tributary has always written) and are replayed into the image on start.
 */
import type { Logger } from '../../contracts/logger.ts';
import type { MetadataStore } from '../../contracts/storage.ts';
import { isErrorCode, kafkaError, KafkaCode } from '../../errors.ts';
import type { BrokerEndpoint } from '../api/context.ts';
import { MetadataDelta } from '../metadata/metadata-delta.ts';
import type { TopicImage } from '../metadata/metadata-image.ts';
import type { MetadataLoader } from '../metadata/metadata-publisher.ts';
import type { MetadataRecord, PartitionRecord } from '../metadata/records.ts';
import { ConfigType, TOPIC_CONFIGS, validateTopicConfigs } from '../topic-config.ts';
import { checkMaxMessageBytes } from '../broker-configs.ts';
import { collisionKey, validateNewTopicName } from '../topic-name.ts';
import type { ConfigOp, Controller, CreateTopicSpec } from './controller.ts';

const TOPIC_PREFIX = 'topic/';

/**
 * Most partitions one request may create (Kafka's MAX_PARTITIONS_PER_BATCH): beyond it a
 * creation is POLICY_VIOLATION instead of a broker that allocates without bound.
 */
export const MAX_NEW_PARTITIONS_PER_REQUEST = 10_000;

/** Default of the broker-wide partition limit ({@link LocalControllerOptions.maxPartitions}). */
export const DEFAULT_MAX_PARTITIONS = 10_000;

/** POLICY_VIOLATION for a request that would create `count` partitions. */
export function tooManyPartitions(count: number): Error {
  return kafkaError(KafkaCode.POLICY_VIOLATION, `Excessively large number of partitions per request: ${count} (at most ${MAX_NEW_PARTITIONS_PER_REQUEST})`);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What the metadata store keeps for one topic (JSON under `topic/<name>`). */
export interface StoredTopic {
  readonly name: string;
  /** Canonical UUID string. */
  readonly id: string;
  readonly replicationFactor: number;
  /** Replica node ids per partition, the preferred leader first. */
  readonly replicas: number[][];
  /** Leader epoch per partition (bumped on leadership changes). */
  readonly leaderEpochs: number[];
  /** Topic-level config overrides. */
  readonly configs: Record<string, string>;
  /** Creation time, ms since epoch. */
  readonly createdAt: number;
}

/** Options of {@link LocalController}. */
export interface LocalControllerOptions {
  readonly store: MetadataStore;
  readonly nodeId: number;
  readonly logger: Logger;
  /** num.partitions. */
  readonly numPartitions: number;
  /** default.replication.factor. */
  readonly defaultReplicationFactor: number;
  /**
   * Most partitions this broker hosts (default {@link DEFAULT_MAX_PARTITIONS}): a creation
   * that would pass it is refused with POLICY_VIOLATION before anything is written, so
   * the broker never accepts more partitions than it can open again after a restart.
   */
  readonly maxPartitions?: number;
  /** Where records go (the image and its publishers). */
  readonly loader: MetadataLoader;
  /** socket.request.max.bytes: a topic's max.message.bytes above it is INVALID_CONFIG. */
  readonly socketRequestMaxBytes?: number;
  /** Called once a topic's data is gone (the group coordinator drops its committed offsets). */
  onDeleted?(name: string): Promise<unknown>;
}

function partitionRecord(topicId: string, partitionId: number, replicas: readonly number[], leaderEpoch: number): PartitionRecord {
  // The preferred leader leads; every replica is in sync (a cluster of one has just itself).
  return { type: 'partition', topicId, partitionId, replicas: [...replicas], isr: [...replicas], leader: replicas[0] ?? -1, leaderEpoch };
}

/** The records that recreate a stored topic. */
function recordsOf(stored: StoredTopic): MetadataRecord[] {
  const records: MetadataRecord[] = [{ type: 'topic', name: stored.name, topicId: stored.id, replicationFactor: stored.replicationFactor, createdAt: stored.createdAt }];
  stored.replicas.forEach((replicas, i) => records.push(partitionRecord(stored.id, i, replicas, stored.leaderEpochs[i] ?? 0)));
  for (const [name, value] of Object.entries(stored.configs)) records.push({ type: 'config', resourceType: 'topic', resourceName: stored.name, name, value });
  return records;
}

/** The stored form of a topic in the image. */
function storedOf(topic: TopicImage): StoredTopic {
  return {
    name: topic.name,
    id: topic.id,
    replicationFactor: topic.replicationFactor,
    replicas: topic.partitions.map((p) => [...p.replicas]),
    leaderEpochs: topic.partitions.map((p) => p.leaderEpoch),
    configs: Object.fromEntries(topic.configs),
    createdAt: topic.createdAt,
  };
}

/** The controller of a single-node cluster. */
export class LocalController implements Controller {
  readonly #options: LocalControllerOptions;
  readonly #creating = new Map<string, Promise<TopicImage>>();
  readonly #deleting = new Set<string>();
  // Metadata writes for one topic run one after another.
  readonly #locks = new Map<string, Promise<unknown>>();
  // Partitions of creations under way (counted against maxPartitions before they are in the image).
  #reserved = 0;

  constructor(options: LocalControllerOptions) {
    this.#options = options;
  }

  /** This node: a cluster of one controls itself. */
  get controllerId(): number {
    return this.#options.nodeId;
  }

  /** Partitions of a topic created with numPartitions -1 (num.partitions). */
  get defaultNumPartitions(): number {
    return this.#options.numPartitions;
  }

  /** Replays every persisted topic into the image. */
  async load(): Promise<void> {
    const entries = await this.#options.store.list(TOPIC_PREFIX);
    const records = entries.flatMap(({ value }) => recordsOf(JSON.parse(decoder.decode(value)) as StoredTopic));
    if (records.length > 0) await this.#options.loader.publish(records);
  }

  /** Registers a broker's address; the image shows it before this returns. */
  registerBroker(endpoint: BrokerEndpoint): void {
    this.#options.loader.publishPrepared([{ type: 'register-broker', ...endpoint }]);
  }

  async createTopic(spec: CreateTopicSpec, validateOnly = false): Promise<TopicImage> {
    validateNewTopicName(spec.name);
    const image = this.#options.loader.image;
    if (image.topic(spec.name) || this.#creating.has(spec.name)) throw kafkaError(KafkaCode.TOPIC_ALREADY_EXISTS, `Topic "${spec.name}" already exists`);
    const rival = this.#collidesWith(spec.name);
    if (rival !== undefined) throw kafkaError(KafkaCode.INVALID_TOPIC_EXCEPTION, `Topic "${spec.name}" collides with existing topic "${rival}" ('.' and '_' are the same in metric names)`);
    const stored = this.#plan(spec);
    const records = recordsOf(stored);
    this.#checkLimit(stored.replicas.length);
    if (validateOnly) return new MetadataDelta(image).replay(records).apply().topic(spec.name)!;
    const creating = this.#reserving(stored.replicas.length, () =>
      this.#locked(spec.name, async () => {
        await this.#commit(records, () => this.#write(stored));
        return this.#options.loader.image.topicById(stored.id)!;
      }),
    );
    this.#creating.set(spec.name, creating);
    try {
      return await creating;
    } finally {
      this.#creating.delete(spec.name);
    }
  }

  /**
   * Every caller gets the topic with its partitions, however many creations of it race
   * (auto-creation from Metadata and Produce, CreateTopics): a caller that finds a creation
   * under way waits for it instead of failing with TOPIC_ALREADY_EXISTS (issue 13 #25).
   */
  async getOrCreateTopic(name: string): Promise<TopicImage> {
    // Each pass either returns, throws a real error, or waits for a creation that settled.
    for (;;) {
      const existing = this.#options.loader.image.topic(name);
      if (existing) return existing;
      // Read the pending creation synchronously: an `await` before it lets a rival start one unseen.
      const pending = this.#creating.get(name);
      if (pending) {
        const topic = await pending.catch(() => undefined);
        if (topic && this.#options.loader.image.topicById(topic.id)) return this.#options.loader.image.topicById(topic.id)!;
        continue;
      }
      try {
        return await this.createTopic({ name, numPartitions: -1, replicationFactor: -1 });
      } catch (error) {
        // Another creation won between our look and our attempt: take its topic.
        const raced = isErrorCode(error, 'TOPIC_ALREADY_EXISTS');
        if (raced && (this.#options.loader.image.topic(name) || this.#creating.has(name))) continue;
        throw error;
      }
    }
  }

  async deleteTopic(name: string): Promise<void> {
    const topic = this.#options.loader.image.topic(name);
    if (!topic || this.#deleting.has(name)) throw kafkaError(KafkaCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic "${name}" does not exist`);
    this.#deleting.add(name);
    try {
      await this.#locked(name, async () => {
        await this.#options.store.delete(TOPIC_PREFIX + name);
        // The replica manager closes the partitions and deletes their logs before this resolves.
        await this.#options.loader.publish([{ type: 'remove-topic', topicId: topic.id }]);
        await this.#options.onDeleted?.(name);
      });
    } finally {
      this.#deleting.delete(name);
    }
  }

  async createPartitions(name: string, count: number, assignments: number[][] | null, validateOnly = false): Promise<void> {
    const topic = this.#options.loader.image.topic(name);
    if (!topic) throw kafkaError(KafkaCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic "${name}" does not exist`);
    const current = topic.partitions.length;
    if (count <= current) throw kafkaError(KafkaCode.INVALID_PARTITIONS, `Topic "${name}" has ${current} partitions; the new count ${count} must be larger`);
    const added = count - current;
    if (added > MAX_NEW_PARTITIONS_PER_REQUEST) throw tooManyPartitions(added);
    let replicas: number[][];
    if (assignments) {
      if (assignments.length !== added) {
        throw kafkaError(KafkaCode.INVALID_REPLICA_ASSIGNMENT, `${assignments.length} assignments given for ${added} new partitions`);
      }
      replicas = assignments.map((ids) => this.#checkAssignment(ids, topic.replicationFactor));
    } else {
      replicas = Array.from({ length: added }, (_, i) => this.#assign(current + i, topic.replicationFactor));
    }
    this.#checkLimit(added);
    if (validateOnly) return;
    await this.#reserving(added, () => this.#locked(name, async () => {
      const now = this.#options.loader.image.topic(name) ?? topic;
      const first = now.partitions.length;
      const stored = storedOf(now);
      const records = replicas.map((ids, i) => partitionRecord(now.id, first + i, ids, 0));
      await this.#commit(records, () => this.#write({ ...stored, replicas: [...stored.replicas, ...replicas], leaderEpochs: [...stored.leaderEpochs, ...replicas.map(() => 0)] }));
    }));
  }

  async alterTopicConfigs(name: string, configs: Iterable<readonly [string, string | null | undefined]>, validateOnly = false): Promise<void> {
    if (!this.#options.loader.image.topic(name)) throw kafkaError(KafkaCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic "${name}" does not exist`);
    const checked = this.#checkConfigs(configs);
    if (validateOnly) return;
    await this.#locked(name, async () => {
      const topic = this.#options.loader.image.topic(name);
      if (!topic) throw kafkaError(KafkaCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic "${name}" does not exist`);
      const records: MetadataRecord[] = [];
      for (const key of topic.configs.keys()) if (!checked.has(key)) records.push({ type: 'config', resourceType: 'topic', resourceName: name, name: key, value: null });
      for (const [key, value] of checked) records.push({ type: 'config', resourceType: 'topic', resourceName: name, name: key, value });
      await this.#write({ ...storedOf(topic), configs: Object.fromEntries(checked) });
      await this.#options.loader.publish(records);
    });
  }

  /** The broker-wide partition limit. */
  get maxPartitions(): number {
    return this.#options.maxPartitions ?? DEFAULT_MAX_PARTITIONS;
  }

  /** POLICY_VIOLATION when `count` more partitions would pass the broker's limit. */
  #checkLimit(count: number): void {
    const existing = this.#options.loader.image.topics().reduce((n, t) => n + t.partitions.length, 0);
    const total = existing + this.#reserved + count;
    if (total > this.maxPartitions) {
      throw kafkaError(
        KafkaCode.POLICY_VIOLATION,
        `Creating ${count} partition(s) would bring this broker to ${total} partitions, above its limit of ${this.maxPartitions} (max.partitions; --max-partitions). Delete topics or raise the limit.`,
      );
    }
  }

  /** Counts `count` partitions against the limit while `fn` runs (checked again: others may have reserved meanwhile). */
  async #reserving<T>(count: number, fn: () => Promise<T>): Promise<T> {
    this.#checkLimit(count);
    this.#reserved += count;
    try {
      return await fn();
    } finally {
      this.#reserved -= count;
    }
  }

  async incrementalAlterTopicConfigs(name: string, ops: readonly ConfigOp[], validateOnly = false): Promise<void> {
    if (!this.#options.loader.image.topic(name)) throw kafkaError(KafkaCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic "${name}" does not exist`);
    const seen = new Set<string>();
    for (const o of ops) {
      if (seen.has(o.name)) throw kafkaError(KafkaCode.INVALID_REQUEST, `Config ${o.name} appears more than once`);
      seen.add(o.name);
      const spec = TOPIC_CONFIGS.get(o.name);
      if (!spec) throw kafkaError(KafkaCode.INVALID_CONFIG, `Unknown topic config name: ${o.name}`);
      if (o.op < 0 || o.op > 3) throw kafkaError(KafkaCode.INVALID_REQUEST, `Unknown config operation ${o.op} for ${o.name}`);
      if ((o.op === 2 || o.op === 3) && spec.type !== ConfigType.list) {
        throw kafkaError(KafkaCode.INVALID_CONFIG, `Config ${o.name} is not a list: ${o.op === 2 ? 'append' : 'subtract'} is not allowed`);
      }
      if (o.op !== 1 && o.value === null) throw kafkaError(KafkaCode.INVALID_CONFIG, `Null value for topic config ${o.name}`);
    }
    // Applied to the overrides current when the topic's lock is held, so concurrent changes compose.
    const next = (overrides: ReadonlyMap<string, string>): Map<string, string> => {
      const out = new Map(overrides);
      for (const o of ops) {
        const current = out.get(o.name) ?? TOPIC_CONFIGS.get(o.name)!.defaultValue;
        const list = current.split(',').map((x) => x.trim()).filter((x) => x !== '');
        const items = (o.value ?? '').split(',').map((x) => x.trim()).filter((x) => x !== '');
        if (o.op === 0) out.set(o.name, o.value!);
        else if (o.op === 1) out.delete(o.name);
        else if (o.op === 2) out.set(o.name, [...list, ...items.filter((x) => !list.includes(x))].join(','));
        else out.set(o.name, list.filter((x) => !items.includes(x)).join(','));
      }
      return validateTopicConfigs(out);
    };
    if (validateOnly) {
      next(this.#options.loader.image.topic(name)!.configs);
      return;
    }
    await this.#locked(name, async () => {
      const topic = this.#options.loader.image.topic(name);
      if (!topic) throw kafkaError(KafkaCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic "${name}" does not exist`);
      const checked = next(topic.configs);
      const records: MetadataRecord[] = [];
      for (const key of topic.configs.keys()) if (!checked.has(key)) records.push({ type: 'config', resourceType: 'topic', resourceName: name, name: key, value: null });
      for (const [key, value] of checked) if (topic.configs.get(key) !== value) records.push({ type: 'config', resourceType: 'topic', resourceName: name, name: key, value });
      if (records.length === 0) return;
      await this.#write({ ...storedOf(topic), configs: Object.fromEntries(checked) });
      await this.#options.loader.publish(records);
    });
  }

  #liveBrokerIds(): number[] {
    return this.#options.loader.image.brokers().map((b) => b.nodeId);
  }

  #collidesWith(name: string): string | undefined {
    if (!name.includes('.') && !name.includes('_')) return undefined;
    const key = collisionKey(name);
    const names = [...this.#options.loader.image.topics().map((t) => t.name), ...this.#creating.keys()];
    for (const other of names) {
      if (other !== name && collisionKey(other) === key) return other;
    }
    return undefined;
  }

  /** Each config checked alone, then against the broker's limits. */
  #checkConfigs(configs: Iterable<readonly [string, string | null | undefined]>): Map<string, string> {
    const checked = validateTopicConfigs(configs);
    if (this.#options.socketRequestMaxBytes !== undefined) checkMaxMessageBytes(checked.get('max.message.bytes'), this.#options.socketRequestMaxBytes);
    return checked;
  }

  #plan(spec: CreateTopicSpec): StoredTopic {
    const configs = this.#checkConfigs(spec.configs ?? []);
    const assignments = spec.assignments ?? [];
    let replicas: number[][];
    let replicationFactor: number;
    if (assignments.length > 0) {
      if (spec.numPartitions !== -1 || spec.replicationFactor !== -1) {
        throw kafkaError(KafkaCode.INVALID_REQUEST, 'Both numPartitions or replicationFactor and replicasAssignments were set; use either one');
      }
      const sorted = [...assignments].sort((a, b) => a.partitionIndex - b.partitionIndex);
      sorted.forEach((a, i) => {
        if (a.partitionIndex !== i) throw kafkaError(KafkaCode.INVALID_REPLICA_ASSIGNMENT, 'Partition assignments must cover partitions 0..n-1 exactly once');
      });
      replicationFactor = sorted[0]!.brokerIds.length;
      replicas = sorted.map((a) => this.#checkAssignment(a.brokerIds, replicationFactor));
    } else {
      const numPartitions = spec.numPartitions === -1 ? this.#options.numPartitions : spec.numPartitions;
      replicationFactor = spec.replicationFactor === -1 ? this.#options.defaultReplicationFactor : spec.replicationFactor;
      if (!Number.isInteger(numPartitions) || numPartitions < 1) throw kafkaError(KafkaCode.INVALID_PARTITIONS, `Number of partitions ${numPartitions} is below 1`);
      if (numPartitions > MAX_NEW_PARTITIONS_PER_REQUEST) throw tooManyPartitions(numPartitions);
      const live = this.#liveBrokerIds().length;
      if (!Number.isInteger(replicationFactor) || replicationFactor < 1) {
        throw kafkaError(KafkaCode.INVALID_REPLICATION_FACTOR, `Replication factor ${replicationFactor} is below 1`);
      }
      if (replicationFactor > live) {
        throw kafkaError(KafkaCode.INVALID_REPLICATION_FACTOR, `Replication factor ${replicationFactor} is larger than the number of live brokers (${live})`);
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
    const live = new Set(this.#liveBrokerIds());
    if (ids.length === 0 || ids.length !== replicationFactor) {
      throw kafkaError(KafkaCode.INVALID_REPLICA_ASSIGNMENT, `Every partition needs ${replicationFactor} replicas; got ${ids.length}`);
    }
    if (new Set(ids).size !== ids.length) throw kafkaError(KafkaCode.INVALID_REPLICA_ASSIGNMENT, `Duplicate broker ids in assignment ${ids.join(',')}`);
    for (const id of ids) if (!live.has(id)) throw kafkaError(KafkaCode.INVALID_REPLICA_ASSIGNMENT, `Broker ${id} in the assignment is not alive`);
    return [...ids];
  }

  // Round-robin over the live brokers, as Kafka's rack-unaware assignment starts out.
  #assign(partition: number, replicationFactor: number): number[] {
    const ids = this.#liveBrokerIds().sort((a, b) => a - b);
    return Array.from({ length: replicationFactor }, (_, r) => ids[(partition + r) % ids.length]!);
  }

  /**
   * Creates what `records` describe, all or nothing: the partition logs open first (a
   * failure closes and deletes those that opened), then the topic is persisted (a failure
   * deletes the logs), then the image shows it. A crash between the two leaves logs no
   * stored topic names, which the next start removes (ReplicaManager.removeStrayLogs).
   */
  async #commit(records: readonly MetadataRecord[], persist: () => Promise<void>): Promise<void> {
    const loader = this.#options.loader;
    await loader.prepare(records, { discard: true });
    try {
      await persist();
    } catch (error) {
      await loader.abort(records, { discard: true });
      throw error;
    }
    await Promise.all(loader.publishPrepared(records));
  }

  #write(stored: StoredTopic): Promise<void> {
    return this.#options.store.put(TOPIC_PREFIX + stored.name, encoder.encode(JSON.stringify(stored)));
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
