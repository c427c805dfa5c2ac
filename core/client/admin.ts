/**
 * The Admin: topics (create, delete, list, describe), partitions, configs, offsets and ACLs.
 * Names and shapes follow kafkajs's admin so its users feel at home; offsets are numbers.
 *
 * Extension point for consumer groups: the group helper adds `listGroups`,
 * `describeGroups`, `fetchOffsets` (with lag from {@link Admin.fetchTopicOffsets}),
 * `resetOffsets`/`setOffsets` and `deleteGroups` as methods here, routed through
 * FindCoordinator with `this.cluster` and `this.retry` (both available to them).
 */
import type { Logger } from '../contracts/logger.ts';
import type { AclBinding, AclBindingFilter } from '../contracts/authorizer.ts';
import { aclFromWire, aclToWire, filterToWire } from '../broker/acl/acl-wire.ts';
import { KafkaCode, TributaryError, kafkaError } from '../errors.ts';
import { ApiKey } from '../protocol/api-keys.ts';
import { commonVersion } from './client-versions.ts';
import { randomBytes, saltedPassword, SCRAM_MIN_ITERATIONS, type ScramMechanism, scramMechanismId, scramMechanismOf } from '../security/scram.ts';
import { saslMechanismName } from './sasl-authenticate.ts';
import { type Cluster, type PartitionMetadata, needsRefresh } from './cluster.ts';
import * as groups from './group/admin-groups.ts';
import * as operations from './admin-operations.ts';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, listOffsets } from './list-offsets.ts';
import { type RetryOptions, type RetryPolicy, retryPolicy, withRetry } from './retry.ts';

/** A topic to create. */
export interface NewTopic {
  readonly topic: string;
  /** Default: the broker's num.partitions (-1). */
  readonly numPartitions?: number;
  /** Default: the broker's default.replication.factor (-1). */
  readonly replicationFactor?: number;
  /** Explicit replica placement: partition → broker ids. */
  readonly replicaAssignment?: ReadonlyArray<{ readonly partition: number; readonly replicas: readonly number[] }>;
  /** Topic configs as `[{ name, value }]` (kafkajs) … */
  readonly configEntries?: ReadonlyArray<{ readonly name: string; readonly value: string | null }>;
  /** … or as an object. */
  readonly configs?: Readonly<Record<string, string>>;
}

/** Kafka's config resource types. */
export const ConfigResourceType = Object.freeze({ TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8 } as const);

/** IncrementalAlterConfigs operations (Kafka's AlterConfigOp.OpType). */
export const ConfigOperation = Object.freeze({ SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const);

/** Kafka's ConfigSource of a config that holds its default value. */
const DEFAULT_CONFIG_SOURCE = 5;

/** One config entry as describeConfigs reports it. */
export interface ConfigEntry {
  readonly configName: string;
  readonly configValue: string | null;
  readonly readOnly: boolean;
  readonly isDefault: boolean;
  /** Kafka's ConfigSource: 1 topic, 4 static broker, 5 default, … (-1 unknown). */
  readonly configSource: number;
  readonly isSensitive: boolean;
  readonly configSynonyms: ReadonlyArray<{ readonly configName: string; readonly configValue: string | null; readonly configSource: number }>;
}

/** A partition as describeTopics reports it. */
export interface PartitionDescription {
  readonly partitionId: number;
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly offlineReplicas: readonly number[];
  readonly partitionErrorCode: number;
}

/** Per-partition offsets: earliest (`low`), latest (`high`, the high watermark) and `offset` (= high, as kafkajs). */
export interface TopicPartitionOffsets {
  readonly partition: number;
  readonly offset: number;
  readonly high: number;
  readonly low: number;
}

function describePartition(p: PartitionMetadata): PartitionDescription {
  return {
    partitionId: p.partition,
    leader: p.leader,
    leaderEpoch: p.leaderEpoch,
    replicas: p.replicas,
    isr: p.isr,
    offlineReplicas: p.offlineReplicas,
    partitionErrorCode: p.errorCode,
  };
}

/**
 * A filter of ACLs as the admin takes it: the fields left out match everything (Kafka's
 * AclBindingFilter with nulls and ANY).
 */
export type AclFilter = Partial<AclBindingFilter>;

function fullFilter(f: AclFilter): AclBindingFilter {
  return {
    principal: f.principal ?? null,
    host: f.host ?? null,
    resourceType: f.resourceType ?? 'any',
    resourceName: f.resourceName ?? null,
    patternType: f.patternType ?? 'any',
    operation: f.operation ?? 'any',
    permission: f.permission ?? 'any',
  };
}

function checkTopics(topics: unknown, what: string): asserts topics is readonly unknown[] {
  if (!Array.isArray(topics) || topics.length === 0) throw new TributaryError('ERR_INVALID_ARGUMENT', `${what} needs a non-empty topics array`);
}

/** Admin operations over the client's cluster. */
export class Admin {
  /** The client's cluster (for extensions such as the group admin). */
  readonly cluster: Cluster;
  /** Retry policy of admin requests. */
  readonly retry: RetryPolicy;
  /** The client's logger. */
  readonly logger: Logger;

  constructor(context: { cluster: Cluster; logger: Logger; retry: RetryOptions | undefined }) {
    this.cluster = context.cluster;
    this.logger = context.logger;
    this.retry = retryPolicy(context.retry);
  }

  /** Bootstraps the connection (optional: every call does it when needed). */
  async connect(): Promise<void> {
    await this.cluster.connect();
  }

  /**
   * Creates topics. Resolves true when every topic was created, false when some existed
   * already (as kafkajs); other errors reject with the Kafka code. With `validateOnly`
   * the broker only checks the request.
   */
  async createTopics(options: { topics: readonly NewTopic[]; validateOnly?: boolean; timeout?: number; waitForLeaders?: boolean }): Promise<boolean> {
    checkTopics(options?.topics, 'createTopics');
    const topics = options.topics.map((t) => {
      if (!t || typeof t.topic !== 'string') throw new TributaryError('ERR_INVALID_ARGUMENT', 'Each new topic needs a topic name');
      const configs = [
        ...(t.configEntries ?? []).map((c) => ({ name: c.name, value: c.value })),
        ...Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
      ];
      return {
        name: t.topic,
        numPartitions: t.replicaAssignment ? -1 : (t.numPartitions ?? -1),
        replicationFactor: t.replicaAssignment ? -1 : (t.replicationFactor ?? -1),
        assignments: (t.replicaAssignment ?? []).map((a) => ({ partitionIndex: a.partition, brokerIds: [...a.replicas] })),
        configs,
      };
    });
    const body = await withRetry(this.retry, () => this.cluster.sendAny(ApiKey.CreateTopics, { topics, timeoutMs: options.timeout ?? 30_000, validateOnly: options.validateOnly ?? false }));
    let allCreated = true;
    for (const t of body.topics) {
      if (t.errorCode === KafkaCode.TOPIC_ALREADY_EXISTS) {
        allCreated = false;
        continue;
      }
      if (t.errorCode !== KafkaCode.NONE) throw kafkaError(t.errorCode, t.errorMessage ?? `Creating topic ${t.name} failed`, { details: { topic: t.name } });
    }
    if (!options.validateOnly && options.waitForLeaders !== false) {
      const names = topics.map((t) => t.name);
      await withRetry(this.retry, async () => {
        await this.cluster.refresh(names);
        for (const meta of await this.cluster.topicMetadata(names)) {
          if (meta.partitions.some((p) => p.leader < 0)) throw kafkaError(KafkaCode.LEADER_NOT_AVAILABLE, `Topic ${meta.name} has no leader yet`);
        }
      });
    }
    return allCreated;
  }

  /** Deletes topics; an unknown topic is `UNKNOWN_TOPIC_OR_PARTITION`. */
  async deleteTopics(options: { topics: readonly string[]; timeout?: number }): Promise<void> {
    checkTopics(options?.topics, 'deleteTopics');
    const body = await withRetry(this.retry, () => this.cluster.sendAny(ApiKey.DeleteTopics, {
      topicNames: [...options.topics],
      topics: options.topics.map((name) => ({ name })),
      timeoutMs: options.timeout ?? 30_000,
    }));
    this.cluster.forget(options.topics);
    for (const r of body.responses) {
      if (r.errorCode !== KafkaCode.NONE) throw kafkaError(r.errorCode, r.errorMessage ?? `Deleting topic ${r.name} failed`, { details: { topic: r.name } });
    }
  }

  /**
   * The cluster as Metadata shows it: its id, the controller id brokers report (a live
   * broker that forwards to the active controller) and the live brokers (as kafkajs'
   * describeCluster).
   */
  async describeCluster(): Promise<{ clusterId: string | null; controller: number; brokers: Array<{ nodeId: number; host: string; port: number; rack: string | null }> }> {
    await withRetry(this.retry, () => this.cluster.refresh());
    return {
      clusterId: this.cluster.clusterId,
      controller: this.cluster.controllerId,
      brokers: this.cluster.brokers().map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack ?? null })),
    };
  }

  /** Names of every topic. */
  async listTopics(): Promise<string[]> {
    const body = await withRetry(this.retry, () => this.cluster.sendAny(ApiKey.Metadata, { topics: null, allowAutoTopicCreation: false }));
    // Names are nullable from Metadata v12 (a topic asked for by id only); a listing of every topic names each one.
    return body.topics.flatMap((t) => (t.errorCode === KafkaCode.NONE && t.name !== null ? [t.name] : [])).sort();
  }

  /** Partitions, leaders, replicas and in-sync replicas of `topics` (all topics when omitted). */
  async fetchTopicMetadata(options: { topics?: readonly string[] } = {}): Promise<{ topics: Array<{ name: string; topicId: string; isInternal: boolean; partitions: PartitionDescription[] }> }> {
    const names = options.topics ?? (await this.listTopics());
    const metas = await withRetry(this.retry, async () => {
      await this.cluster.refresh(names);
      return this.cluster.topicMetadata(names);
    });
    return {
      topics: metas.map((m) => ({
        name: m.name,
        topicId: m.topicId,
        isInternal: m.isInternal,
        partitions: m.partitions.filter((p) => p !== undefined).map(describePartition),
      })),
    };
  }

  /** Same as {@link fetchTopicMetadata}, for one list of topics (describe). */
  async describeTopics(topics: readonly string[]): Promise<Array<{ name: string; topicId: string; isInternal: boolean; partitions: PartitionDescription[] }>> {
    return (await this.fetchTopicMetadata({ topics })).topics;
  }

  /** Config entries of topics or brokers (`type` from {@link ConfigResourceType}). */
  async describeConfigs(options: {
    resources: ReadonlyArray<{ type: number; name: string; configNames?: readonly string[] }>;
    includeSynonyms?: boolean;
  }): Promise<{ resources: Array<{ errorCode: number; errorMessage: string | null; resourceType: number; resourceName: string; configEntries: ConfigEntry[] }> }> {
    if (!Array.isArray(options?.resources) || options.resources.length === 0) throw new TributaryError('ERR_INVALID_ARGUMENT', 'describeConfigs needs resources');
    // As Kafka's AdminClient: a broker's own configs are asked of that broker (when the
    // metadata knows it; else any broker answers, naming the one it is), the rest of any.
    await this.cluster.connect();
    const known = new Set(this.cluster.brokers().map((b) => b.nodeId));
    const target = (r: { type: number; name: string }) => (r.type === ConfigResourceType.BROKER && /^\d+$/.test(r.name) && known.has(Number(r.name)) ? Number(r.name) : -1);
    const targets = [...new Set(options.resources.map(target))];
    const answers = await Promise.all(targets.map((node) => {
      const request = {
        resources: options.resources.filter((r) => target(r) === node).map((r) => ({ resourceType: r.type, resourceName: r.name, configurationKeys: r.configNames ? [...r.configNames] : null })),
        includeSynonyms: options.includeSynonyms ?? false,
        includeDocumentation: false,
      };
      return withRetry(this.retry, () => (node === -1 ? this.cluster.sendAny(ApiKey.DescribeConfigs, request) : this.cluster.sendTo(node, ApiKey.DescribeConfigs, request)));
    }));
    const results = options.resources.map((r) => answers[targets.indexOf(target(r))]!.results.find((x) => x.resourceType === r.type && x.resourceName === r.name)!).filter((x) => x !== undefined);
    return {
      resources: results.map((r) => {
        if (r.errorCode !== KafkaCode.NONE) throw kafkaError(r.errorCode, r.errorMessage ?? `DescribeConfigs ${r.resourceName} failed`, { details: { resource: r.resourceName } });
        return {
          errorCode: r.errorCode,
          errorMessage: r.errorMessage,
          resourceType: r.resourceType,
          resourceName: r.resourceName,
          configEntries: r.configs.map((c) => ({
            configName: c.name,
            configValue: c.value,
            readOnly: c.readOnly,
            // v0 reports isDefault; later versions say it through the source.
            isDefault: c.configSource === -1 ? c.isDefault : c.configSource === DEFAULT_CONFIG_SOURCE,
            configSource: c.configSource,
            isSensitive: c.isSensitive,
            configSynonyms: c.synonyms.map((s) => ({ configName: s.name, configValue: s.value, configSource: s.source })),
          })),
        };
      }),
    };
  }

  /**
   * Replaces the configs of resources (AlterConfigs: entries not listed go back to their
   * defaults). `ERR_UNSUPPORTED_API` when the broker does not advertise AlterConfigs.
   */
  async alterConfigs(options: {
    resources: ReadonlyArray<{ type: number; name: string; configEntries: ReadonlyArray<{ name: string; value: string | null }> }>;
    validateOnly?: boolean;
  }): Promise<void> {
    if (!Array.isArray(options?.resources) || options.resources.length === 0) throw new TributaryError('ERR_INVALID_ARGUMENT', 'alterConfigs needs resources');
    const transport = await this.cluster.anyConnection();
    if (commonVersion(transport.apiVersions, ApiKey.AlterConfigs) === undefined) {
      throw new TributaryError('ERR_UNSUPPORTED_API', 'The broker does not advertise AlterConfigs');
    }
    const body = await withRetry(this.retry, () => this.cluster.sendAny(ApiKey.AlterConfigs, {
      resources: options.resources.map((r) => ({ resourceType: r.type, resourceName: r.name, configs: r.configEntries.map((c) => ({ name: c.name, value: c.value })) })),
      validateOnly: options.validateOnly ?? false,
    }));
    for (const r of body.responses) {
      if (r.errorCode !== KafkaCode.NONE) throw kafkaError(r.errorCode, r.errorMessage ?? `AlterConfigs ${r.resourceName} failed`, { details: { resource: r.resourceName } });
    }
  }

  /**
   * Changes single configs of resources (IncrementalAlterConfigs): `operation` is one of
   * {@link ConfigOperation} (SET, DELETE back to the default, APPEND / SUBTRACT for list
   * configs); configs not named keep their values. `ERR_UNSUPPORTED_API` when the broker does
   * not advertise it.
   */
  async incrementalAlterConfigs(options: {
    resources: ReadonlyArray<{ type: number; name: string; configEntries: ReadonlyArray<{ name: string; value?: string | null; operation?: number }> }>;
    validateOnly?: boolean;
  }): Promise<void> {
    if (!Array.isArray(options?.resources) || options.resources.length === 0) throw new TributaryError('ERR_INVALID_ARGUMENT', 'incrementalAlterConfigs needs resources');
    const transport = await this.cluster.anyConnection();
    if (commonVersion(transport.apiVersions, ApiKey.IncrementalAlterConfigs) === undefined) {
      throw new TributaryError('ERR_UNSUPPORTED_API', 'The broker does not advertise IncrementalAlterConfigs');
    }
    const body = await withRetry(this.retry, () => this.cluster.sendAny(ApiKey.IncrementalAlterConfigs, {
      resources: options.resources.map((r) => ({
        resourceType: r.type,
        resourceName: r.name,
        configs: r.configEntries.map((c) => ({ name: c.name, configOperation: c.operation ?? ConfigOperation.SET, value: c.value ?? null })),
      })),
      validateOnly: options.validateOnly ?? false,
    }));
    for (const r of body.responses) {
      if (r.errorCode !== KafkaCode.NONE) throw kafkaError(r.errorCode, r.errorMessage ?? `IncrementalAlterConfigs ${r.resourceName} failed`, { details: { resource: r.resourceName } });
    }
  }

  /**
   * Deletes the records of partitions before an offset (DeleteRecords): each partition's
   * log start moves to `offset` (-1 or 'latest': its high watermark). kafkajs calls it
   * `deleteTopicRecords` (also here). Resolves with each partition's new low watermark.
   */
  async deleteRecords(options: { topic: string; partitions: ReadonlyArray<{ partition: number; offset: number | string }> }): Promise<Array<{ partition: number; lowWatermark: number }>> {
    if (typeof options?.topic !== 'string' || !Array.isArray(options.partitions) || options.partitions.length === 0) {
      throw new TributaryError('ERR_INVALID_ARGUMENT', 'deleteRecords needs a topic and partitions');
    }
    const wanted = options.partitions.map((p) => {
      const offset = p.offset === 'latest' ? -1 : Number(p.offset);
      if (!Number.isSafeInteger(offset) || offset < -1) throw new TributaryError('ERR_INVALID_ARGUMENT', `Invalid offset ${String(p.offset)} for partition ${p.partition}`);
      return { partition: p.partition, offset };
    });
    const topic = options.topic;
    return withRetry(this.retry, async () => {
      await this.cluster.topicMetadata([topic]);
      const byLeader = new Map<number, Array<{ partition: number; offset: number }>>();
      for (const p of wanted) {
        const leader = this.cluster.leaderOf(topic, p.partition);
        if (leader < 0) throw kafkaError(this.cluster.cachedTopic(topic)?.partitions[p.partition] ? KafkaCode.LEADER_NOT_AVAILABLE : KafkaCode.UNKNOWN_TOPIC_OR_PARTITION, `No leader for ${topic}-${p.partition}`);
        let list = byLeader.get(leader);
        if (!list) byLeader.set(leader, (list = []));
        list.push(p);
      }
      const answers = await Promise.all([...byLeader].map(async ([leader, list]) => {
        const body = await this.cluster.sendTo(leader, ApiKey.DeleteRecords, {
          topics: [{ name: topic, partitions: list.map((p) => ({ partitionIndex: p.partition, offset: p.offset })) }],
          timeoutMs: 30_000,
        });
        return body.topics.flatMap((t) => t.partitions.map((p) => {
          if (p.errorCode !== KafkaCode.NONE) throw kafkaError(p.errorCode, `DeleteRecords ${topic}-${p.partitionIndex} failed`, { details: { topic, partition: p.partitionIndex } });
          return { partition: p.partitionIndex, lowWatermark: p.lowWatermark };
        }));
      }));
      return answers.flat().sort((a, b) => a.partition - b.partition);
    }, (error) => (needsRefresh(error) ? this.cluster.refresh() : undefined));
  }

  /** kafkajs's name for {@link deleteRecords}. */
  async deleteTopicRecords(options: { topic: string; partitions: ReadonlyArray<{ partition: number; offset: number | string }> }): Promise<void> {
    await this.deleteRecords(options);
  }

  /** Grows topics to `count` partitions each. */
  async createPartitions(options: {
    topicPartitions: ReadonlyArray<{ topic: string; count: number; assignments?: ReadonlyArray<readonly number[]> }>;
    validateOnly?: boolean;
    timeout?: number;
  }): Promise<void> {
    if (!Array.isArray(options?.topicPartitions) || options.topicPartitions.length === 0) throw new TributaryError('ERR_INVALID_ARGUMENT', 'createPartitions needs topicPartitions');
    const body = await withRetry(this.retry, () => this.cluster.sendAny(ApiKey.CreatePartitions, {
      topics: options.topicPartitions.map((t) => ({ name: t.topic, count: t.count, assignments: t.assignments ? t.assignments.map((ids) => ({ brokerIds: [...ids] })) : null })),
      timeoutMs: options.timeout ?? 30_000,
      validateOnly: options.validateOnly ?? false,
    }));
    for (const r of body.results) {
      if (r.errorCode !== KafkaCode.NONE) throw kafkaError(r.errorCode, r.errorMessage ?? `CreatePartitions ${r.name} failed`, { details: { topic: r.name } });
    }
    if (!options.validateOnly) await this.cluster.refresh(options.topicPartitions.map((t) => t.topic));
  }

  /** Earliest (`low`) and latest (`high` = `offset`, the high watermark) offset of every partition of `topic`. */
  async fetchTopicOffsets(topic: string): Promise<TopicPartitionOffsets[]> {
    const [meta] = await withRetry(this.retry, () => this.cluster.topicMetadata([topic]));
    const partitions = meta!.partitions.filter((p) => p !== undefined).map((p) => p.partition);
    const [lows, highs] = await Promise.all([
      listOffsets(this.cluster, partitions.map((partition) => ({ topic, partition, timestamp: EARLIEST_TIMESTAMP })), this.retry),
      listOffsets(this.cluster, partitions.map((partition) => ({ topic, partition, timestamp: LATEST_TIMESTAMP })), this.retry),
    ]);
    return partitions.map((partition) => {
      const low = lows.find((o) => o.partition === partition)!.offset;
      const high = highs.find((o) => o.partition === partition)!.offset;
      return { partition, offset: high, high, low };
    });
  }

  /**
   * The first offset at or after `timestamp` in every partition of `topic`; where no
   * record is that recent, the latest offset (as kafkajs does).
   */
  async fetchTopicOffsetsByTimestamp(topic: string, timestamp: number): Promise<Array<{ partition: number; offset: number }>> {
    if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new TributaryError('ERR_INVALID_ARGUMENT', `Invalid timestamp ${String(timestamp)}`);
    const [meta] = await withRetry(this.retry, () => this.cluster.topicMetadata([topic]));
    const partitions = meta!.partitions.filter((p) => p !== undefined).map((p) => p.partition);
    const found = await listOffsets(this.cluster, partitions.map((partition) => ({ topic, partition, timestamp })), this.retry);
    const missing = found.filter((o) => o.offset < 0);
    const latest = missing.length === 0 ? [] : await listOffsets(this.cluster, missing.map((o) => ({ topic, partition: o.partition, timestamp: LATEST_TIMESTAMP })), this.retry);
    return partitions.map((partition) => {
      const o = found.find((x) => x.partition === partition)!;
      return { partition, offset: o.offset >= 0 ? o.offset : latest.find((x) => x.partition === partition)!.offset };
    });
  }

  /** Consumer groups of the cluster, with their states (see group/admin-groups.ts for the group operations). */
  listGroups(options?: { states?: readonly string[] }): Promise<{ groups: groups.GroupOverview[] }> {
    return groups.listGroups(this, options);
  }

  /** Groups' states, protocols and members, with subscriptions and assignments decoded. */
  describeGroups(groupIds: readonly string[]): Promise<{ groups: groups.GroupDescription[] }> {
    return groups.describeGroups(this, groupIds);
  }

  /** A group's committed offsets per topic with high watermark and lag. */
  fetchOffsets(options: { groupId: string; topics?: readonly string[] }): Promise<Array<{ topic: string; partitions: groups.GroupPartitionOffset[] }>> {
    return groups.fetchOffsets(this, options);
  }

  /** Moves an empty group's offsets of a topic to earliest, latest or a timestamp. */
  resetOffsets(options: groups.ResetOffsetsOptions): Promise<Array<{ partition: number; offset: number }>> {
    return groups.resetOffsets(this, options);
  }

  /** Sets explicit offsets of an empty group. */
  setOffsets(options: { groupId: string; topic: string; partitions: ReadonlyArray<{ partition: number; offset: number | string }> }): Promise<void> {
    return groups.setOffsets(this, options);
  }

  /**
   * Deletes a group's committed offsets of a topic (all its partitions unless `partitions`
   * names some): OffsetDelete. GROUP_SUBSCRIBED_TO_TOPIC while the group consumes the topic.
   */
  deleteOffsets(options: { groupId: string; topic: string; partitions?: readonly number[] }): Promise<Array<{ partition: number; errorCode: number }>> {
    return groups.deleteOffsets(this, options);
  }

  /** Deletes empty groups with their offsets. */
  deleteGroups(groupIds: readonly string[]): Promise<Array<{ groupId: string; errorCode: number }>> {
    return groups.deleteGroups(this, groupIds);
  }

  /**
   * Users' SCRAM credentials (DescribeUserScramCredentials, KIP-554): each user with the
   * mechanisms and iteration counts it has — never the keys. Every user when `users` is
   * omitted; a named user without credentials is RESOURCE_NOT_FOUND.
   */
  async describeUserScramCredentials(users?: readonly string[]): Promise<Array<{ user: string; credentials: Array<{ mechanism: ScramMechanism; iterations: number }> }>> {
    await this.#requireApi(ApiKey.DescribeUserScramCredentials, 'DescribeUserScramCredentials');
    const body = await withRetry(this.retry, () => this.cluster.sendAny(ApiKey.DescribeUserScramCredentials, { users: users === undefined ? null : users.map((name) => ({ name })) }));
    if (body.errorCode !== KafkaCode.NONE) throw kafkaError(body.errorCode, body.errorMessage ?? 'DescribeUserScramCredentials failed');
    return body.results.map((r) => {
      if (r.errorCode !== KafkaCode.NONE) throw kafkaError(r.errorCode, r.errorMessage ?? `DescribeUserScramCredentials ${r.user} failed`, { details: { user: r.user } });
      return { user: r.user, credentials: r.credentialInfos.flatMap((c) => (scramMechanismOf(c.mechanism) ? [{ mechanism: scramMechanismOf(c.mechanism)!, iterations: c.iterations }] : [])) };
    });
  }

  /**
   * Adds ACLs (CreateAcls; the broker needs an authorizer and the caller ALTER on the
   * cluster). An ACL already there is not added twice. Rejects with the first entry's
   * coded error (SECURITY_DISABLED, CLUSTER_AUTHORIZATION_FAILED, INVALID_REQUEST).
   */
  async createAcls(options: { acls: readonly AclBinding[] }): Promise<void> {
    if (!Array.isArray(options?.acls) || options.acls.length === 0) throw new TributaryError('ERR_INVALID_ARGUMENT', 'createAcls needs a non-empty acls array');
    const body = await withRetry(this.retry, () => this.cluster.sendAny(ApiKey.CreateAcls, { creations: options.acls.map(aclToWire) }));
    body.results.forEach((r, i) => {
      if (r.errorCode !== KafkaCode.NONE) throw kafkaError(r.errorCode, r.errorMessage ?? 'CreateAcls failed', { details: { acl: options.acls[i] } });
    });
  }

  /**
   * The ACLs a filter matches (DescribeAcls; the caller needs DESCRIBE on the cluster). With
   * `patternType: 'match'` and a resource name: every ACL that applies to that resource.
   */
  async describeAcls(filter: AclFilter = {}): Promise<AclBinding[]> {
    const body = await withRetry(this.retry, () => this.cluster.sendAny(ApiKey.DescribeAcls, filterToWire(fullFilter(filter))));
    if (body.errorCode !== KafkaCode.NONE) throw kafkaError(body.errorCode, body.errorMessage ?? 'DescribeAcls failed');
    const out: AclBinding[] = [];
    for (const r of body.resources) {
      for (const a of r.acls) {
        const binding = aclFromWire({ resourceType: r.resourceType, resourceName: r.resourceName, resourcePatternType: r.patternType, principal: a.principal, host: a.host, operation: a.operation, permissionType: a.permissionType });
        if (binding) out.push(binding);
      }
    }
    return out;
  }

  /**
   * Removes the ACLs each filter matches (DeleteAcls; the caller needs ALTER on the
   * cluster); resolves with what each filter removed, in order.
   */
  async deleteAcls(options: { filters: readonly AclFilter[] }): Promise<Array<{ deleted: AclBinding[] }>> {
    if (!Array.isArray(options?.filters) || options.filters.length === 0) throw new TributaryError('ERR_INVALID_ARGUMENT', 'deleteAcls needs a non-empty filters array');
    const body = await withRetry(this.retry, () => this.cluster.sendAny(ApiKey.DeleteAcls, { filters: options.filters.map((f) => filterToWire(fullFilter(f))) }));
    return body.filterResults.map((r) => {
      if (r.errorCode !== KafkaCode.NONE) throw kafkaError(r.errorCode, r.errorMessage ?? 'DeleteAcls failed');
      const deleted = r.matchingAcls.map((m) => aclFromWire({ ...m, resourcePatternType: m.patternType })).filter((b): b is AclBinding => b !== undefined);
      return { deleted };
    });
  }

  /**
   * Sets and removes SCRAM credentials (AlterUserScramCredentials, KIP-554). The password
   * never leaves this process: a random salt and the salted password (PBKDF2, `iterations`,
   * default 4096) are sent, from which the broker keeps StoredKey and ServerKey. Rejects
   * with the first user's error (UNACCEPTABLE_CREDENTIAL, RESOURCE_NOT_FOUND for removing
   * what is not there, DUPLICATE_RESOURCE, UNSUPPORTED_SASL_MECHANISM).
   */
  async alterUserScramCredentials(options: {
    upsertions?: ReadonlyArray<{ user: string; mechanism: string; password: string; iterations?: number }>;
    deletions?: ReadonlyArray<{ user: string; mechanism: string }>;
  }): Promise<void> {
    const scram = (m: string): ScramMechanism => {
      const name = saslMechanismName(m);
      if (name === 'PLAIN') throw new TributaryError('ERR_INVALID_ARGUMENT', 'SCRAM credentials are for scram-sha-256 or scram-sha-512, not PLAIN');
      return name;
    };
    const upsertions = await Promise.all((options.upsertions ?? []).map(async (u) => {
      const mechanism = scram(u.mechanism);
      const iterations = u.iterations ?? SCRAM_MIN_ITERATIONS;
      const salt = randomBytes(32);
      return { name: u.user, mechanism: scramMechanismId(mechanism), iterations, salt, saltedPassword: await saltedPassword(mechanism, u.password, salt, iterations) };
    }));
    const deletions = (options.deletions ?? []).map((d) => ({ name: d.user, mechanism: scramMechanismId(scram(d.mechanism)) }));
    if (upsertions.length === 0 && deletions.length === 0) throw new TributaryError('ERR_INVALID_ARGUMENT', 'alterUserScramCredentials needs upsertions or deletions');
    await this.#requireApi(ApiKey.AlterUserScramCredentials, 'AlterUserScramCredentials');
    const body = await withRetry(this.retry, () => this.cluster.sendAny(ApiKey.AlterUserScramCredentials, { upsertions, deletions }));
    for (const r of body.results) {
      if (r.errorCode !== KafkaCode.NONE) throw kafkaError(r.errorCode, r.errorMessage ?? `AlterUserScramCredentials ${r.user} failed`, { details: { user: r.user } });
    }
  }

  async #requireApi(apiKey: number, name: string): Promise<void> {
    const transport = await this.cluster.anyConnection();
    if (commonVersion(transport.apiVersions, apiKey) === undefined) throw new TributaryError('ERR_UNSUPPORTED_API', `The broker does not advertise ${name}`);
  }

  /** Starts (replicas) or cancels (null) partition reassignments (kafkajs's shape). */
  alterPartitionReassignments(options: { topics: ReadonlyArray<{ topic: string; partitionAssignment: readonly operations.PartitionAssignmentTarget[] }>; timeout?: number }): Promise<void> {
    return operations.alterPartitionReassignments(this, options);
  }

  /** The partition reassignments under way. */
  listPartitionReassignments(options?: { topics?: ReadonlyArray<{ topic: string; partitions: readonly number[] }>; timeout?: number }): Promise<{ topics: Array<{ topic: string; partitions: operations.OngoingPartitionReassignment[] }> }> {
    return operations.listPartitionReassignments(this, options);
  }

  /** Preferred (default) or unclean leader elections; every partition when none are named. */
  electLeaders(options?: { type?: number; partitions?: ReadonlyArray<{ topic: string; partitions: readonly number[] }>; timeout?: number }): Promise<operations.ElectionOutcome[]> {
    return operations.electLeaders(this, options);
  }

  /** Each broker's log directory with its partitions' sizes and offset lags (kafka-log-dirs). */
  describeLogDirs(options?: { brokers?: readonly number[]; topics?: ReadonlyArray<{ topic: string; partitions: readonly number[] }> }): Promise<operations.BrokerLogDirs[]> {
    return operations.describeLogDirs(this, options);
  }

  /** Removes a stopped broker's registration (decommission). */
  unregisterBroker(brokerId: number): Promise<void> {
    return operations.unregisterBroker(this, brokerId);
  }

  /** Nothing to release of its own (connections belong to the client). */
  async close(): Promise<void> {}

  /** Same as {@link close} (kafkajs's name). */
  disconnect(): Promise<void> {
    return this.close();
  }
}
