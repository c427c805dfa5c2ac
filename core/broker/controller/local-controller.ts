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
import type { ConfigOp, Controller, CreateTopicSpec, ScramCredentialChanges } from './controller.ts';
import { scramCredentialRecords } from './scram-records.ts';
import type { AclBinding, AclBindingFilter } from '../../contracts/authorizer.ts';
import { type AclCreationResult, type AclDeletionResult, planAclCreations, planAclDeletions } from '../acl/acl-control.ts';
import {
  applyConfigOps,
  checkConfigOps,
  checkNewTopicName,
  checkPartitionLimit,
  checkTopicConfigs,
  configChangeRecords,
  DEFAULT_MAX_PARTITIONS,
  planNewPartitions,
  planTopicReplicas,
} from './topic-planning.ts';

// Where the request handlers have always imported them from.
export { DEFAULT_MAX_PARTITIONS, MAX_NEW_PARTITIONS_PER_REQUEST, tooManyPartitions } from './topic-planning.ts';

const TOPIC_PREFIX = 'topic/';
/** Where each ACL is kept: its `acl` record as JSON under `acl/<id>`. */
const ACL_PREFIX = 'acl/';
/** The lock key ACL changes share (no topic name holds a NUL). */
const ACL_LOCK = '\u0000acls';
/** SCRAM credentials: one JSON record per user and mechanism under `scram/<mechanism>/<user>`. */
const SCRAM_PREFIX = 'scram/';

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

  /** Replays every persisted topic and ACL into the image (stores written before ACLs have none). */
  async load(): Promise<void> {
    const entries = await this.#options.store.list(TOPIC_PREFIX);
    const records: MetadataRecord[] = entries.flatMap(({ value }) => recordsOf(JSON.parse(decoder.decode(value)) as StoredTopic));
    for (const { value } of await this.#options.store.list(SCRAM_PREFIX)) records.push(JSON.parse(decoder.decode(value)) as MetadataRecord);
    for (const { value } of await this.#options.store.list(ACL_PREFIX)) records.push(JSON.parse(decoder.decode(value)) as MetadataRecord);
    if (records.length > 0) await this.#options.loader.publish(records);
  }

  async createAcls(bindings: readonly AclBinding[]): Promise<AclCreationResult[]> {
    return this.#locked(ACL_LOCK, async () => {
      const { records, results } = planAclCreations(this.#options.loader.image, bindings);
      // Persisted before the image shows them: an ACL a client saw stays after a restart.
      for (const record of records) await this.#options.store.put(ACL_PREFIX + record.id, encoder.encode(JSON.stringify(record)));
      if (records.length > 0) await this.#options.loader.publish(records);
      return results;
    });
  }

  async deleteAcls(filters: readonly (AclBindingFilter | null)[]): Promise<AclDeletionResult[]> {
    return this.#locked(ACL_LOCK, async () => {
      const { records, results } = planAclDeletions(this.#options.loader.image, filters);
      for (const record of records) await this.#options.store.delete(ACL_PREFIX + record.id);
      if (records.length > 0) await this.#options.loader.publish(records);
      return results;
    });
  }


  /** Persists SCRAM credential changes (the salted records as they are), then shows them in the image. */
  async alterUserScramCredentials(request: ScramCredentialChanges): Promise<void> {
    const changes = await scramCredentialRecords(request);
    await this.#locked(SCRAM_PREFIX, async () => {
      for (const change of changes) {
        const key = `${SCRAM_PREFIX}${change.mechanism}/${change.name}`;
        if (change.type === 'user-scram-credential') await this.#options.store.put(key, encoder.encode(JSON.stringify(change)));
        else await this.#options.store.delete(key);
      }
      await this.#options.loader.publish(changes);
    });
  }

  /** Registers a broker's address; the image shows it before this returns. */
  registerBroker(endpoint: BrokerEndpoint): void {
    this.#options.loader.publishPrepared([{ type: 'register-broker', ...endpoint }]);
  }

  async createTopic(spec: CreateTopicSpec, validateOnly = false): Promise<TopicImage> {
    const image = this.#options.loader.image;
    checkNewTopicName(spec.name, (name) => image.topic(name) !== undefined || this.#creating.has(name), this.#topicNames(), spec);
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
    const replicas = planNewPartitions(topic, count, assignments, this.#liveBrokerIds(), (first, added) =>
      Array.from({ length: added }, (_, i) => this.#assign(first + i, topic.replicationFactor)),
    );
    const added = replicas.length;
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
    const checked = checkTopicConfigs(configs, this.#options.socketRequestMaxBytes);
    if (validateOnly) return;
    await this.#locked(name, async () => {
      const topic = this.#options.loader.image.topic(name);
      if (!topic) throw kafkaError(KafkaCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic "${name}" does not exist`);
      const records = configChangeRecords(name, topic.configs, checked, false);
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
    checkPartitionLimit(existing, this.#reserved, count, this.maxPartitions);
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
    checkConfigOps(ops);
    // Applied to the overrides current when the topic's lock is held, so concurrent changes compose.
    const next = (overrides: ReadonlyMap<string, string>): Map<string, string> => applyConfigOps(overrides, ops);
    if (validateOnly) {
      next(this.#options.loader.image.topic(name)!.configs);
      return;
    }
    await this.#locked(name, async () => {
      const topic = this.#options.loader.image.topic(name);
      if (!topic) throw kafkaError(KafkaCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic "${name}" does not exist`);
      const checked = next(topic.configs);
      const records = configChangeRecords(name, topic.configs, checked, true);
      if (records.length === 0) return;
      await this.#write({ ...storedOf(topic), configs: Object.fromEntries(checked) });
      await this.#options.loader.publish(records);
    });
  }

  #liveBrokerIds(): number[] {
    return this.#options.loader.image.brokers().map((b) => b.nodeId);
  }

  // Topics in the image and those being created: a new name must collide with neither.
  #topicNames(): string[] {
    return [...this.#options.loader.image.topics().map((t) => t.name), ...this.#creating.keys()];
  }

  #plan(spec: CreateTopicSpec): StoredTopic {
    const configs = checkTopicConfigs(spec.configs ?? [], this.#options.socketRequestMaxBytes);
    const { replicationFactor, replicas } = planTopicReplicas(spec, {
      numPartitions: this.#options.numPartitions,
      defaultReplicationFactor: this.#options.defaultReplicationFactor,
      liveIds: this.#liveBrokerIds(),
      place: (count, rf) => Array.from({ length: count }, (_, i) => this.#assign(i, rf)),
    });
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
