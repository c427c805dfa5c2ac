/**
 * The {@link Controller} a broker's request handlers use in a cluster: every metadata change
 * (CreateTopics, DeleteTopics, CreatePartitions, config changes, auto-creation) goes to the
 * active controller, and the answer waits until this broker's own image shows the change —
 * so a client that created a topic and then asks this broker for Metadata sees it (Kafka's
 * brokers forward to the controller the same way).
 */
import type { AclBinding, AclBindingFilter } from '../../contracts/authorizer.ts';
import { isErrorCode } from '../../errors.ts';
import type { AclCreationResult, AclDeletionResult } from '../acl/acl-control.ts';
import type { ClusterOperations } from '../controller/cluster-operations.ts';
import type { BrokerEndpoint } from '../api/context.ts';
import type { BrokerToController } from '../controller/broker-to-controller.ts';
import type { ConfigOp, Controller, CreateTopicSpec, ScramCredentialChanges } from '../controller/controller.ts';
import { kafkaError, KafkaCode } from '../../errors.ts';
import type { MetadataImage, TopicImage } from '../metadata/metadata-image.ts';
import type { MetadataFollower } from './metadata-follower.ts';

/** Options of {@link ForwardingController}. */
export interface ForwardingControllerOptions {
  /** The active controller (in this process, or over the network). */
  readonly controller: BrokerToController;
  /** This broker's metadata replay. */
  readonly follower: MetadataFollower;
  /** This broker's current image. */
  readonly image: () => MetadataImage;
  /** The active controller's node id as this broker knows it (-1 when unknown). */
  readonly controllerId: () => number;
  /** num.partitions as the brokers are configured (what CreateTopics -1 means). */
  readonly defaultNumPartitions: number;
}

/** Forwards metadata changes to the active controller and waits to see them. */
export class ForwardingController implements Controller {
  readonly #options: ForwardingControllerOptions;

  constructor(options: ForwardingControllerOptions) {
    this.#options = options;
  }

  /** The active controller's node id. */
  get controllerId(): number {
    return this.#options.controllerId();
  }

  /** num.partitions. */
  get defaultNumPartitions(): number {
    return this.#options.defaultNumPartitions;
  }

  async createTopic(spec: CreateTopicSpec, validateOnly = false): Promise<TopicImage> {
    const created = await this.#options.controller.createTopic(spec, validateOnly);
    if (validateOnly) return created;
    await this.#options.follower.syncWithLog();
    return this.#options.image().topicById(created.id) ?? created;
  }

  async getOrCreateTopic(name: string): Promise<TopicImage> {
    const existing = this.#options.image().topic(name);
    if (existing) return existing;
    try {
      return await this.createTopic({ name, numPartitions: -1, replicationFactor: -1 });
    } catch (error) {
      // Created meanwhile by another broker's client (or our image was behind).
      if (!isErrorCode(error, 'TOPIC_ALREADY_EXISTS')) throw error;
      await this.#options.follower.syncWithLog();
      const topic = this.#options.image().topic(name);
      if (topic) return topic;
      throw error;
    }
  }

  async deleteTopic(name: string): Promise<void> {
    await this.#options.controller.deleteTopic(name);
    await this.#options.follower.syncWithLog();
  }

  async createPartitions(name: string, count: number, assignments: number[][] | null, validateOnly = false): Promise<void> {
    await this.#options.controller.createPartitions(name, count, assignments, validateOnly);
    if (!validateOnly) await this.#options.follower.syncWithLog();
  }

  async alterTopicConfigs(name: string, configs: Iterable<readonly [string, string | null | undefined]>, validateOnly = false): Promise<void> {
    await this.#options.controller.alterTopicConfigs(name, configs, validateOnly);
    if (!validateOnly) await this.#options.follower.syncWithLog();
  }

  async incrementalAlterTopicConfigs(name: string, ops: readonly ConfigOp[], validateOnly = false): Promise<void> {
    await this.#options.controller.incrementalAlterTopicConfigs(name, ops, validateOnly);
    if (!validateOnly) await this.#options.follower.syncWithLog();
  }

  async createAcls(bindings: readonly AclBinding[]): Promise<AclCreationResult[]> {
    const results = await this.#options.controller.createAcls(bindings);
    await this.#options.follower.syncWithLog();
    return results;
  }

  async deleteAcls(filters: readonly (AclBindingFilter | null)[]): Promise<AclDeletionResult[]> {
    const results = await this.#options.controller.deleteAcls(filters);
    await this.#options.follower.syncWithLog();
    return results;
  }

  /** SCRAM credentials go to the active controller, which commits them for every broker. */
  async alterUserScramCredentials(changes: ScramCredentialChanges): Promise<void> {
    const controller = this.#options.controller;
    if (!controller.alterUserScramCredentials) throw kafkaError(KafkaCode.UNSUPPORTED_VERSION, 'This controller does not keep SCRAM credentials');
    await controller.alterUserScramCredentials(changes);
    await this.#options.follower.syncWithLog();
  }

  /** Reassignments go to the active controller; the answer waits until this broker's image has them. */
  readonly alterPartitionReassignments: Controller['alterPartitionReassignments'] = async (request) => {
    const answer = await this.#operations().alterPartitionReassignments(request);
    if (answer.errorCode === KafkaCode.NONE) await this.#options.follower.syncWithLog();
    return answer;
  };

  /** The reassignments under way, as the active controller has them. */
  readonly listPartitionReassignments: Controller['listPartitionReassignments'] = (request) => this.#operations().listPartitionReassignments(request);

  /** Elections run by the active controller; the answer waits until this broker's image has them. */
  readonly electLeaders: Controller['electLeaders'] = async (request) => {
    const answer = await this.#operations().electLeaders(request);
    if (answer.errorCode === KafkaCode.NONE) await this.#options.follower.syncWithLog();
    return answer;
  };

  /** A broker's registration removed by the active controller; the answer waits until this broker's image has it. */
  readonly unregisterBroker: Controller['unregisterBroker'] = async (request) => {
    const answer = await this.#operations().unregisterBroker(request);
    if (answer.errorCode === KafkaCode.NONE) await this.#options.follower.syncWithLog();
    return answer;
  };

  /** Dynamic broker configs, written by the active controller; resolves once this broker's image has them. */
  async alterBrokerConfigs(resource: string, configs: Iterable<readonly [string, string | null | undefined]>, validateOnly = false): Promise<void> {
    const alter = this.#options.controller.alterBrokerConfigs;
    if (!alter) throw kafkaError(KafkaCode.INVALID_REQUEST, 'The cluster controller this broker reaches does not take broker configs');
    await alter.call(this.#options.controller, resource, configs, validateOnly);
    if (!validateOnly) await this.#options.follower.syncWithLog();
  }

  /** Single dynamic broker config changes, as {@link alterBrokerConfigs}. */
  async incrementalAlterBrokerConfigs(resource: string, ops: readonly ConfigOp[], validateOnly = false): Promise<void> {
    const alter = this.#options.controller.incrementalAlterBrokerConfigs;
    if (!alter) throw kafkaError(KafkaCode.INVALID_REQUEST, 'The cluster controller this broker reaches does not take broker configs');
    await alter.call(this.#options.controller, resource, ops, validateOnly);
    if (!validateOnly) await this.#options.follower.syncWithLog();
  }

  #operations(): ClusterOperations {
    const c = this.#options.controller;
    if (!c.alterPartitionReassignments || !c.listPartitionReassignments || !c.electLeaders || !c.unregisterBroker) {
      throw kafkaError(KafkaCode.UNSUPPORTED_VERSION, 'The cluster controller this broker reaches does not serve reassignments, elections or unregistration');
    }
    return c as ClusterOperations;
  }

  /** In a cluster a broker's address reaches the controller by registration (BrokerLifecycle), not here. */
  registerBroker(_endpoint: BrokerEndpoint): void {}
}
