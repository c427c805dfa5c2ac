/**
 * The active controller as a broker reaches it over the network: {@link BrokerToController}
 * as Kafka requests to the controller listener (BrokerRegistration, BrokerHeartbeat,
 * AlterPartition, AllocateProducerIds; CreateTopics, DeleteTopics, CreatePartitions,
 * AlterConfigs and IncrementalAlterConfigs forwarded for the broker's clients). Which voter
 * is active, reconnection, NOT_CONTROLLER redirects and back-off are the
 * {@link ControllerLink}'s; this class builds the requests and maps the answers back:
 * - the four inter-broker calls answer with their error codes, as the interface says
 *   (NOT_CONTROLLER only when every retry met a node that is not the controller), and
 *   throw only when no controller could be reached (REQUEST_TIMED_OUT, retriable);
 * - topic operations throw the controller's coded errors, as the local controller does, so a
 *   broker's CreateTopics handler answers the same codes whichever controller it has.
 *
 * A created topic comes back as the broker's image has it once it learned the creation from
 * the metadata log ({@link ControllerChannelOptions.awaitTopic}); without that option, as a
 * {@link TopicImage} made from the CreateTopics answer: name, id, replication factor,
 * partition count and config overrides — but no replicas or leaders (the answer does not
 * carry them).
 */
import { systemClock } from '../../clock.ts';
import { kafkaError, KafkaCode, type TributaryError } from '../../errors.ts';
import { ApiKey } from '../../protocol/api-keys.ts';
import { ZERO_UUID } from '../../protocol/codec.ts';
import type { ApiRequest, ApiResponse } from '../../protocol/api-messages.ts';
import type { TopicImage } from '../metadata/metadata-image.ts';
import type { ProducerIdBlockSource } from '../producer-state/producer-ids.ts';
import { ConfigSource } from '../topic-config.ts';
import type {
  AlterPartitionItemResult,
  AlterPartitionRequest,
  AllocateProducerIdsRequest,
  AllocateProducerIdsResult,
  BrokerHeartbeatRequest,
  BrokerHeartbeatResult,
  BrokerRegistrationRequest,
  BrokerRegistrationResult,
  BrokerToController,
} from './broker-to-controller.ts';
import type { ConfigOp, CreateTopicSpec, ScramCredentialChanges } from './controller.ts';
import { scramMechanismId } from '../../security/scram.ts';
import type { AclBinding, AclBindingFilter } from '../../contracts/authorizer.ts';
import type { AclCreationResult, AclDeletionResult } from '../acl/acl-control.ts';
import { aclFromWire, aclToWire, filterToWire } from '../acl/acl-wire.ts';
import { BROKER_LISTENER_NAME } from './api/handlers/broker-registration.ts';
import { ControllerLink, type ControllerLinkOptions, type LinkAnswer } from './controller-link.ts';

/** Options of {@link ControllerChannel}: the link's (voters, transport, clock, timeouts) and what topic answers need. */
export interface ControllerChannelOptions extends ControllerLinkOptions {
  /** Partitions of a topic created with numPartitions -1 (this broker's num.partitions, for the request-size check). */
  readonly defaultNumPartitions: number;
  /**
   * The topic as this broker's metadata image has it, when it does: returned for a
   * creation whose topic the image already names, and by getOrCreateTopic for an existing topic.
   */
  readonly topic?: (name: string) => TopicImage | undefined;
  /**
   * Waits until this broker's metadata image names the topic created with this id (it
   * learns it from the metadata log), resolving with it — or with undefined when it gives
   * up. When given, createTopic and getOrCreateTopic answer with that topic (replicas and
   * leaders known); otherwise with the one made from the CreateTopics answer.
   */
  readonly awaitTopic?: (name: string, topicId: string) => Promise<TopicImage | undefined>;
  /** How long the controller may take over a topic operation (the requests' timeoutMs). Default 30 s. */
  readonly operationTimeoutMs?: number;
}

const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** A topic operation's outcome: its value, or the coded error to throw. */
type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: TributaryError };

function unwrap<T>(outcome: Outcome<T>): T {
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}

/** What one topic's (or resource's) error code makes of a topic operation. */
function topicAnswer<T>(errorCode: number, errorMessage: string | null | undefined, value: () => T): LinkAnswer<Outcome<T>> {
  if (errorCode === KafkaCode.NONE) return { kind: 'done', value: { ok: true, value: value() } };
  const error = kafkaError(errorCode, errorMessage ?? undefined);
  if (errorCode === KafkaCode.NOT_CONTROLLER) return { kind: 'not-controller', value: { ok: false, error } };
  return { kind: 'done', value: { ok: false, error } };
}

/** An answer that leaves out the topic asked about (never from our controller listener). */
function unanswered<T>(name: string): LinkAnswer<Outcome<T>> {
  return { kind: 'done', value: { ok: false, error: kafkaError(KafkaCode.UNKNOWN_SERVER_ERROR, `The controller did not answer for topic "${name}"`) } };
}

/** {@link BrokerToController} over the network, to whichever voter is the active controller. */
export class ControllerChannel implements BrokerToController {
  readonly defaultNumPartitions: number;
  readonly #link: ControllerLink;
  readonly #topic: ((name: string) => TopicImage | undefined) | undefined;
  readonly #awaitTopic: ControllerChannelOptions['awaitTopic'];
  readonly #operationTimeoutMs: number;
  readonly #now: () => number;

  constructor(options: ControllerChannelOptions) {
    this.defaultNumPartitions = options.defaultNumPartitions;
    this.#link = new ControllerLink(options);
    this.#topic = options.topic;
    this.#awaitTopic = options.awaitTopic;
    this.#operationTimeoutMs = options.operationTimeoutMs ?? 30_000;
    const clock = options.clock ?? systemClock;
    this.#now = () => clock.now();
  }

  /** The voter calls go to now: the active controller as far as this channel knows. */
  get activeController(): number {
    return this.#link.target.nodeId;
  }

  /** Points the channel at voter `nodeId` (a leader learned from the metadata log). */
  preferLeader(nodeId: number): void {
    this.#link.preferLeader(nodeId);
  }

  /** Closes the connection; calls under way fail with `ERR_CONNECTION_CLOSED`. */
  close(): Promise<void> {
    return this.#link.close();
  }

  registerBroker(request: BrokerRegistrationRequest): Promise<BrokerRegistrationResult> {
    if (!UUID_RE.test(request.incarnationId)) {
      return Promise.reject(kafkaError(KafkaCode.INVALID_REQUEST, `The incarnation id must be a UUID (crypto.randomUUID()), got "${request.incarnationId}"`));
    }
    return this.#link.call(
      ApiKey.BrokerRegistration,
      () => ({
        brokerId: request.nodeId,
        clusterId: request.clusterId,
        incarnationId: request.incarnationId,
        listeners: [{ name: BROKER_LISTENER_NAME, host: request.host, port: request.port, securityProtocol: 0 }],
        features: [],
        rack: request.rack,
        isMigratingZkBroker: false,
        logDirs: [],
        previousBrokerEpoch: request.previousBrokerEpoch ?? -1,
      }),
      (r) => {
        const value: BrokerRegistrationResult = { errorCode: r.errorCode, errorMessage: null, brokerEpoch: r.errorCode === KafkaCode.NONE ? r.brokerEpoch : -1 };
        return r.errorCode === KafkaCode.NOT_CONTROLLER ? { kind: 'not-controller', value } : { kind: 'done', value };
      },
    );
  }

  brokerHeartbeat(request: BrokerHeartbeatRequest): Promise<BrokerHeartbeatResult> {
    return this.#link.call(
      ApiKey.BrokerHeartbeat,
      () => ({
        brokerId: request.nodeId,
        brokerEpoch: request.brokerEpoch,
        currentMetadataOffset: request.currentMetadataOffset,
        wantFence: request.wantFence,
        wantShutDown: request.wantShutdown,
      }),
      (r) => {
        const value: BrokerHeartbeatResult = { errorCode: r.errorCode, isCaughtUp: r.isCaughtUp, isFenced: r.isFenced, shouldShutdown: r.shouldShutDown };
        return r.errorCode === KafkaCode.NOT_CONTROLLER ? { kind: 'not-controller', value } : { kind: 'done', value };
      },
    );
  }

  alterPartition(request: AlterPartitionRequest): Promise<AlterPartitionItemResult[]> {
    return this.#link.call(
      ApiKey.AlterPartition,
      (version) => {
        // One entry per topic, partitions in the order given.
        const byTopic = new Map<string, AlterPartitionRequest['items'][number][]>();
        for (const item of request.items) {
          let list = byTopic.get(item.topicId);
          if (!list) byTopic.set(item.topicId, (list = []));
          list.push(item);
        }
        return {
          brokerId: request.brokerId,
          brokerEpoch: request.brokerEpoch,
          topics: [...byTopic].map(([topicId, items]) => ({
            topicId,
            partitions: items.map((item) => ({
              partitionIndex: item.partition,
              leaderEpoch: item.leaderEpoch,
              partitionEpoch: item.partitionEpoch,
              leaderRecoveryState: 0,
              // v3 names each member with its broker epoch; -1: the epoch check is not asked for.
              ...(version >= 3 ? { newIsrWithEpochs: item.newIsr.map((brokerId) => ({ brokerId, brokerEpoch: -1 })) } : { newIsr: [...item.newIsr] }),
            })),
          })),
        };
      },
      (r) => {
        if (r.errorCode !== KafkaCode.NONE) {
          // A refusal of the whole request applies to every partition of it.
          const value = request.items.map((item): AlterPartitionItemResult => ({
            topicId: item.topicId, partition: item.partition, errorCode: r.errorCode, leader: -1, leaderEpoch: -1, partitionEpoch: -1, isr: [],
          }));
          return r.errorCode === KafkaCode.NOT_CONTROLLER ? { kind: 'not-controller', value } : { kind: 'done', value };
        }
        const value: AlterPartitionItemResult[] = [];
        for (const topic of r.topics) {
          for (const p of topic.partitions) {
            value.push({ topicId: topic.topicId, partition: p.partitionIndex, errorCode: p.errorCode, leader: p.leaderId, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch, isr: p.isr });
          }
        }
        const notController = value.length > 0 && value.every((v) => v.errorCode === KafkaCode.NOT_CONTROLLER);
        return notController ? { kind: 'not-controller', value } : { kind: 'done', value };
      },
    );
  }

  allocateProducerIds(request: AllocateProducerIdsRequest): Promise<AllocateProducerIdsResult> {
    return this.#link.call(
      ApiKey.AllocateProducerIds,
      () => ({ brokerId: request.brokerId, brokerEpoch: request.brokerEpoch }),
      (r) => {
        const value: AllocateProducerIdsResult = { errorCode: r.errorCode, firstProducerId: r.producerIdStart, size: r.producerIdLen };
        return r.errorCode === KafkaCode.NOT_CONTROLLER ? { kind: 'not-controller', value } : { kind: 'done', value };
      },
    );
  }

  async createTopic(spec: CreateTopicSpec, validateOnly = false): Promise<TopicImage> {
    const outcome = await this.#link.call(
      ApiKey.CreateTopics,
      () => ({
        topics: [{
          name: spec.name,
          numPartitions: spec.numPartitions,
          replicationFactor: spec.replicationFactor,
          assignments: (spec.assignments ?? []).map((a) => ({ partitionIndex: a.partitionIndex, brokerIds: [...a.brokerIds] })),
          configs: [...(spec.configs ?? [])].map(([name, value]) => ({ name, value: value ?? null })),
        }],
        timeoutMs: this.#operationTimeoutMs,
        validateOnly,
      }),
      (r) => {
        const t = r.topics.find((x) => x.name === spec.name);
        if (!t) return unanswered<TopicImage>(spec.name);
        return topicAnswer(t.errorCode, t.errorMessage, () => this.#createdTopic(t));
      },
    );
    const topic = unwrap(outcome);
    if (validateOnly || !this.#awaitTopic) return topic;
    return (await this.#awaitTopic(topic.name, topic.id)) ?? topic;
  }

  async getOrCreateTopic(name: string): Promise<TopicImage> {
    const known = this.#topic?.(name);
    if (known) return known;
    try {
      return await this.createTopic({ name, numPartitions: -1, replicationFactor: -1 });
    } catch (error) {
      if ((error as TributaryError).kafkaCode !== KafkaCode.TOPIC_ALREADY_EXISTS) throw error;
      // Created meanwhile (by another broker's client): ours once the metadata log brings it.
      const raced = this.#topic?.(name);
      if (raced) return raced;
      throw kafkaError(KafkaCode.LEADER_NOT_AVAILABLE, `Topic "${name}" exists; this broker has not learned it from the metadata log yet`);
    }
  }

  async deleteTopic(name: string): Promise<void> {
    const outcome = await this.#link.call(
      ApiKey.DeleteTopics,
      (version) => ({ ...(version >= 6 ? { topics: [{ name, topicId: ZERO_UUID }] } : { topicNames: [name] }), timeoutMs: this.#operationTimeoutMs }),
      (r) => {
        const t = r.responses.find((x) => x.name === name) ?? r.responses[0];
        if (!t) return unanswered<void>(name);
        return topicAnswer<void>(t.errorCode, t.errorMessage, () => undefined);
      },
    );
    unwrap(outcome);
  }

  async createPartitions(name: string, count: number, assignments: number[][] | null, validateOnly = false): Promise<void> {
    const outcome = await this.#link.call(
      ApiKey.CreatePartitions,
      () => ({
        topics: [{ name, count, assignments: assignments === null ? null : assignments.map((brokerIds) => ({ brokerIds })) }],
        timeoutMs: this.#operationTimeoutMs,
        validateOnly,
      }),
      (r) => {
        const t = r.results.find((x) => x.name === name);
        if (!t) return unanswered<void>(name);
        return topicAnswer<void>(t.errorCode, t.errorMessage, () => undefined);
      },
    );
    unwrap(outcome);
  }

  async alterTopicConfigs(name: string, configs: Iterable<readonly [string, string | null | undefined]>, validateOnly = false): Promise<void> {
    const entries = [...configs].map(([configName, value]) => ({ name: configName, value: value ?? null }));
    const outcome = await this.#link.call(
      ApiKey.AlterConfigs,
      () => ({ resources: [{ resourceType: TOPIC_RESOURCE, resourceName: name, configs: entries }], validateOnly }),
      (r) => resourceAnswer(r.responses, name),
    );
    unwrap(outcome);
  }

  /** AlterUserScramCredentials forwarded as it came (salts and salted passwords): the controller derives and commits the keys. */
  async alterUserScramCredentials(changes: ScramCredentialChanges): Promise<void> {
    const outcome = await this.#link.call(
      ApiKey.AlterUserScramCredentials,
      () => ({
        upsertions: changes.upsertions.map((u) => ({ name: u.name, mechanism: scramMechanismId(u.mechanism), iterations: u.iterations, salt: u.salt, saltedPassword: u.saltedPassword })),
        deletions: changes.deletions.map((d) => ({ name: d.name, mechanism: scramMechanismId(d.mechanism) })),
      }),
      (r) => {
        const failed = r.results.find((x) => x.errorCode !== KafkaCode.NONE);
        return topicAnswer<void>(failed?.errorCode ?? KafkaCode.NONE, failed?.errorMessage, () => undefined);
      },
    );
    unwrap(outcome);
  }

  async incrementalAlterTopicConfigs(name: string, ops: readonly ConfigOp[], validateOnly = false): Promise<void> {
    const outcome = await this.#link.call(
      ApiKey.IncrementalAlterConfigs,
      () => ({ resources: [{ resourceType: TOPIC_RESOURCE, resourceName: name, configs: ops.map((op) => ({ name: op.name, configOperation: op.op, value: op.value })) }], validateOnly }),
      (r) => resourceAnswer(r.responses, name),
    );
    unwrap(outcome);
  }

  /**
   * CreateAcls forwarded: the controller's per-binding results. A whole answer of
   * NOT_CONTROLLER is retried at the next voter by the link.
   */
  async createAcls(bindings: readonly AclBinding[]): Promise<AclCreationResult[]> {
    return this.#link.call(
      ApiKey.CreateAcls,
      () => ({ creations: bindings.map(aclToWire) }),
      (r) => {
        const value = r.results.map((x) => ({ errorCode: x.errorCode, errorMessage: x.errorMessage }));
        const notController = value.length > 0 && value.every((x) => x.errorCode === KafkaCode.NOT_CONTROLLER);
        return notController ? { kind: 'not-controller', value } : { kind: 'done', value };
      },
    );
  }

  /** DeleteAcls forwarded: per filter, what the controller removed. A null filter (matches nothing) is sent as a user-type filter. */
  async deleteAcls(filters: readonly (AclBindingFilter | null)[]): Promise<AclDeletionResult[]> {
    return this.#link.call(
      ApiKey.DeleteAcls,
      () => ({ filters: filters.map((f) => (f === null ? { ...NOTHING_FILTER } : filterToWire(f))) }),
      (r) => {
        const value = r.filterResults.map((x): AclDeletionResult => ({
          errorCode: x.errorCode,
          errorMessage: x.errorMessage,
          deleted: x.matchingAcls.map((m) => aclFromWire({ ...m, resourcePatternType: m.patternType })).filter((b): b is AclBinding => b !== undefined),
        }));
        const notController = value.length > 0 && value.every((x) => x.errorCode === KafkaCode.NOT_CONTROLLER);
        return notController ? { kind: 'not-controller', value } : { kind: 'done', value };
      },
    );
  }

  async alterBrokerConfigs(resource: string, configs: Iterable<readonly [string, string | null | undefined]>, validateOnly = false): Promise<void> {
    const entries = [...configs].map(([configName, value]) => ({ name: configName, value: value ?? null }));
    const outcome = await this.#link.call(
      ApiKey.AlterConfigs,
      () => ({ resources: [{ resourceType: BROKER_RESOURCE, resourceName: resource, configs: entries }], validateOnly }),
      (r) => resourceAnswer(r.responses, resource, BROKER_RESOURCE),
    );
    unwrap(outcome);
  }

  async incrementalAlterBrokerConfigs(resource: string, ops: readonly ConfigOp[], validateOnly = false): Promise<void> {
    const outcome = await this.#link.call(
      ApiKey.IncrementalAlterConfigs,
      () => ({ resources: [{ resourceType: BROKER_RESOURCE, resourceName: resource, configs: ops.map((op) => ({ name: op.name, configOperation: op.op, value: op.value })) }], validateOnly }),
      (r) => resourceAnswer(r.responses, resource, BROKER_RESOURCE),
    );
    unwrap(outcome);
  }

  // ---- the operator's cluster operations, forwarded as they came ----

  alterPartitionReassignments(request: ApiRequest<typeof ApiKey.AlterPartitionReassignments>): Promise<ApiResponse<typeof ApiKey.AlterPartitionReassignments>> {
    return this.#link.call(ApiKey.AlterPartitionReassignments, () => request, (r) => operatorAnswer(r.errorCode, r));
  }

  listPartitionReassignments(request: ApiRequest<typeof ApiKey.ListPartitionReassignments>): Promise<ApiResponse<typeof ApiKey.ListPartitionReassignments>> {
    return this.#link.call(ApiKey.ListPartitionReassignments, () => request, (r) => operatorAnswer(r.errorCode, r));
  }

  electLeaders(request: ApiRequest<typeof ApiKey.ElectLeaders>): Promise<ApiResponse<typeof ApiKey.ElectLeaders>> {
    return this.#link.call(ApiKey.ElectLeaders, () => request, (r) => operatorAnswer(r.errorCode, r));
  }

  unregisterBroker(request: ApiRequest<typeof ApiKey.UnregisterBroker>): Promise<ApiResponse<typeof ApiKey.UnregisterBroker>> {
    return this.#link.call(ApiKey.UnregisterBroker, () => request, (r) => operatorAnswer(r.errorCode, r));
  }

  /** The topic of a successful CreateTopics answer: the image's when it has it, else made from the answer. */
  #createdTopic(t: ApiResponse<typeof ApiKey.CreateTopics>['topics'][number]): TopicImage {
    const known = this.#topic?.(t.name);
    if (known && known.id === t.topicId) return known;
    const configs = new Map<string, string>();
    for (const c of t.configs ?? []) if (c.configSource === ConfigSource.dynamicTopic && c.value !== null) configs.set(c.name, c.value);
    return {
      name: t.name,
      id: t.topicId,
      replicationFactor: t.replicationFactor,
      createdAt: this.#now(),
      // Replicas and leaders come with the metadata log; the answer gives only the count.
      partitions: Array.from({ length: Math.max(0, t.numPartitions) }, (_, partition) => ({ partition, replicas: [], isr: [], leader: -1, leaderEpoch: -1, partitionEpoch: -1 })),
      configs,
    };
  }
}

/** A DeleteAcls filter of a resource type we keep no ACLs of (USER, 7): matches nothing. */
const NOTHING_FILTER = { resourceTypeFilter: 7, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 };
/** A forwarded operator request's answer: NOT_CONTROLLER sends the link to the active controller. */
function operatorAnswer<T>(errorCode: number, value: T): LinkAnswer<T> {
  return errorCode === KafkaCode.NOT_CONTROLLER ? { kind: 'not-controller', value } : { kind: 'done', value };
}

/** Kafka's ConfigResource type of a topic. */
const TOPIC_RESOURCE = 2;
/** Kafka's ConfigResource type of a broker. */
const BROKER_RESOURCE = 4;

function resourceAnswer(responses: ReadonlyArray<{ resourceType: number; resourceName: string; errorCode: number; errorMessage: string | null }>, name: string, type = TOPIC_RESOURCE): LinkAnswer<Outcome<void>> {
  const r = responses.find((x) => x.resourceType === type && x.resourceName === name);
  if (!r) return unanswered<void>(name);
  return topicAnswer<void>(r.errorCode, r.errorMessage, () => undefined);
}

/**
 * Producer id blocks from the controller (AllocateProducerIds), for a broker's
 * ProducerIdManager in a cluster: `registration` gives this broker's id and current broker
 * epoch at each call. A refusal (STALE_BROKER_EPOCH, NOT_CONTROLLER) rejects with its code.
 */
export function producerIdBlocksFrom(
  controller: Pick<BrokerToController, 'allocateProducerIds'>,
  registration: () => { readonly brokerId: number; readonly brokerEpoch: number },
): ProducerIdBlockSource {
  return async () => {
    const result = await controller.allocateProducerIds(registration());
    if (result.errorCode !== KafkaCode.NONE) throw kafkaError(result.errorCode, 'The controller allocated no producer ids');
    return { firstProducerId: result.firstProducerId, size: result.size };
  };
}
