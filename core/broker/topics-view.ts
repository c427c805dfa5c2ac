/**
 * `broker.topics`: the topics of a broker as an embedding program or a test sees them —
 * the image's view of each topic joined with the partitions this node hosts, and the
 * controller's operations. Request handlers do not use it; they go to the metadata image,
 * the controller and the replica manager through their context.
 */
import type { Controller, CreateTopicSpec } from './controller/controller.ts';
import type { MetadataImage, TopicImage } from './metadata/metadata-image.ts';
import type { Partition } from './partition/partition.ts';
import type { ReplicaManager } from './replica-manager.ts';
import { type LogConfig, type TopicConfigDefaults, logConfig } from './topic-config.ts';

/** One topic: identity, configuration, and the partitions hosted here. */
export interface TopicView {
  readonly name: string;
  readonly id: string;
  readonly replicationFactor: number;
  readonly createdAt: number;
  /** Topic-level overrides (what AlterConfigs / CreateTopics set). */
  readonly configs: ReadonlyMap<string, string>;
  /** The effective typed log config. */
  readonly logConfig: LogConfig;
  /** Hosted partitions, by index. */
  readonly partitions: readonly Partition[];
}

/** The topics of one broker. */
export class TopicsView {
  readonly #image: () => MetadataImage;
  readonly #controller: Controller;
  readonly #replicas: ReplicaManager;
  readonly #defaults: TopicConfigDefaults;

  constructor(image: () => MetadataImage, controller: Controller, replicas: ReplicaManager, defaults: TopicConfigDefaults) {
    this.#image = image;
    this.#controller = controller;
    this.#replicas = replicas;
    this.#defaults = defaults;
  }

  /** The topic named `name`, if it exists. */
  get(name: string): TopicView | undefined {
    const topic = this.#image().topic(name);
    return topic && this.#view(topic);
  }

  /** The topic with this id, if it exists. */
  byId(id: string): TopicView | undefined {
    const topic = this.#image().topicById(id);
    return topic && this.#view(topic);
  }

  /** Every topic, sorted by name. */
  all(): TopicView[] {
    return this.#image().topics().map((t) => this.#view(t));
  }

  /** Creates a topic (see {@link Controller.createTopic}). */
  async create(spec: CreateTopicSpec, validateOnly = false): Promise<TopicView> {
    return this.#view(await this.#controller.createTopic(spec, validateOnly));
  }

  /** The topic, created with the defaults when missing. */
  async getOrCreate(name: string): Promise<TopicView> {
    return this.#view(await this.#controller.getOrCreateTopic(name));
  }

  /** Deletes a topic and its data. */
  delete(name: string): Promise<void> {
    return this.#controller.deleteTopic(name);
  }

  /** Grows a topic to `count` partitions. */
  addPartitions(name: string, count: number, assignments: number[][] | null, validateOnly = false): Promise<void> {
    return this.#controller.createPartitions(name, count, assignments, validateOnly);
  }

  /** Replaces a topic's config overrides. */
  setConfigs(name: string, configs: Iterable<readonly [string, string | null | undefined]>, validateOnly = false): Promise<void> {
    return this.#controller.alterTopicConfigs(name, configs, validateOnly);
  }

  #view(topic: TopicImage): TopicView {
    const hosted = this.#replicas.hostedTopic(topic.name);
    return {
      name: topic.name,
      id: topic.id,
      replicationFactor: topic.replicationFactor,
      createdAt: topic.createdAt,
      configs: topic.configs,
      logConfig: hosted?.id === topic.id ? hosted.logConfig : logConfig(topic.configs, this.#defaults),
      partitions: hosted?.id === topic.id ? hosted.partitions : [],
    };
  }
}
