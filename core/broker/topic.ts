/** A topic as the broker holds it: identity, configuration and partition states. */
import { type TopicConfigDefaults, type LogConfig, logConfig } from './topic-config.ts';
import type { Partition } from './partition/partition.ts';

/** What the metadata store keeps for one topic (JSON under `topic/<name>`). */
export interface TopicRecord {
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

/** One topic: stateful (partitions come and go, configs change), hence a class. */
export class Topic {
  readonly name: string;
  readonly id: string;
  readonly replicationFactor: number;
  readonly createdAt: number;
  /** Replicas per partition as created (what a validateOnly creation reports). */
  readonly initialReplicas: readonly number[][];
  /** Partition states, by index. */
  readonly partitions: Partition[] = [];
  #configs: Map<string, string>;
  #logConfig: LogConfig;
  #defaults: TopicConfigDefaults;

  constructor(record: TopicRecord, defaults: TopicConfigDefaults) {
    this.name = record.name;
    this.id = record.id;
    this.replicationFactor = record.replicationFactor;
    this.createdAt = record.createdAt;
    this.initialReplicas = record.replicas;
    this.#defaults = defaults;
    this.#configs = new Map(Object.entries(record.configs));
    this.#logConfig = logConfig(this.#configs, defaults);
  }

  /** Topic-level overrides (what AlterConfigs / CreateTopics set). */
  get configs(): ReadonlyMap<string, string> {
    return this.#configs;
  }

  /** The effective typed log config. */
  get logConfig(): LogConfig {
    return this.#logConfig;
  }

  /** Replaces the overrides (already validated). */
  setConfigs(configs: ReadonlyMap<string, string>): void {
    this.#configs = new Map(configs);
    this.#logConfig = logConfig(this.#configs, this.#defaults);
  }

  /** The persistent form. */
  toRecord(): TopicRecord {
    return {
      name: this.name,
      id: this.id,
      replicationFactor: this.replicationFactor,
      replicas: this.partitions.map((p) => [...p.replicas]),
      leaderEpochs: this.partitions.map((p) => p.leaderEpoch),
      configs: Object.fromEntries(this.#configs),
      createdAt: this.createdAt,
    };
  }
}
