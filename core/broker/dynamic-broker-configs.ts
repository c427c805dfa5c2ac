/**
 * Dynamic broker configs (Kafka's DynamicBrokerConfig, KIP-226, kept in the metadata log as
 * KRaft does): AlterConfigs and IncrementalAlterConfigs on the BROKER resource — the cluster
 * default (resource name "") or one broker (its node id) — write `broker-config` records
 * that every broker applies as it replays the log.
 *
 * The configs that may change this way are the broker defaults of topic configs
 * (log.retention.ms, log.retention.bytes, log.segment.bytes, log.roll.ms, log.cleanup.policy,
 * compression.type, message.max.bytes, min.insync.replicas, unclean.leader.election.enable,
 * log.message.timestamp.type — each dynamic cluster-wide in Kafka); any other is refused with
 * INVALID_CONFIG ("Cannot update these configs dynamically", Kafka's words). Precedence, as
 * Kafka's: a topic's own override, then the broker's dynamic value, then the dynamic cluster
 * default, then the static value from the broker's start-up options, then Kafka's default.
 */
import { kafkaError, KafkaCode } from '../errors.ts';
import type { ConfigOp } from './controller/controller.ts';
import { applyConfigOps, checkConfigOps, checkTopicConfigs } from './controller/topic-planning.ts';
import type { MetadataImage } from './metadata/metadata-image.ts';
import type { BrokerConfigRecord } from './metadata/records.ts';
import { ConfigSource, TOPIC_CONFIGS, type TopicConfigDefaults } from './topic-config.ts';

/** Topic config name by the broker config name that sets its default (log.retention.ms → retention.ms). */
export const DYNAMIC_BROKER_CONFIGS: ReadonlyMap<string, string> = new Map([...TOPIC_CONFIGS.values()].map((spec) => [spec.brokerName, spec.name]));

/** The broker config name of topic config `topicName`'s default. */
export function brokerNameOf(topicName: string): string | undefined {
  return TOPIC_CONFIGS.get(topicName)?.brokerName;
}

/** Checks a BROKER resource name: "" (the cluster default) or a node id. INVALID_REQUEST otherwise. */
export function checkBrokerResource(name: string): void {
  if (name !== '' && !/^\d{1,10}$/.test(name)) throw kafkaError(KafkaCode.INVALID_REQUEST, `"${name}" is not a broker id (the cluster default is the empty name)`);
}

function toTopicName(name: string): string {
  const topicName = DYNAMIC_BROKER_CONFIGS.get(name);
  if (topicName === undefined) throw kafkaError(KafkaCode.INVALID_CONFIG, `Cannot update these configs dynamically: ${name} (dynamic broker configs: ${[...DYNAMIC_BROKER_CONFIGS.keys()].sort().join(', ')})`);
  return topicName;
}

// Broker names ↔ topic names of a set of values.
function asTopicNames(values: ReadonlyMap<string, string>): Map<string, string> {
  return new Map([...values].map(([k, v]) => [DYNAMIC_BROKER_CONFIGS.get(k) ?? k, v]));
}
function asBrokerNames(values: ReadonlyMap<string, string>): Map<string, string> {
  return new Map([...values].map(([k, v]) => [brokerNameOf(k) ?? k, v]));
}

/**
 * The dynamic configs of broker resource `resource` after an AlterConfigs (`replace`: the
 * given configs, every other one removed) or an IncrementalAlterConfigs (`ops`), checked
 * (INVALID_CONFIG / INVALID_REQUEST), by broker config name.
 */
export function nextBrokerConfigs(
  current: ReadonlyMap<string, string>,
  change: { readonly replace: Iterable<readonly [string, string | null | undefined]> } | { readonly ops: readonly ConfigOp[] },
  socketRequestMaxBytes: number | undefined,
): Map<string, string> {
  if ('replace' in change) {
    const entries = [...change.replace].map(([name, value]) => [toTopicName(name), value] as const);
    return asBrokerNames(checkTopicConfigs(entries, socketRequestMaxBytes));
  }
  const ops = change.ops.map((op) => ({ ...op, name: toTopicName(op.name) }));
  checkConfigOps(ops);
  const next = applyConfigOps(asTopicNames(current), ops);
  return asBrokerNames(checkTopicConfigs(next, socketRequestMaxBytes));
}

/** The records that take resource `resource` from `before` to `after`. */
export function brokerConfigRecords(resource: string, before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): BrokerConfigRecord[] {
  const records: BrokerConfigRecord[] = [];
  for (const name of before.keys()) if (!after.has(name)) records.push({ type: 'broker-config', broker: resource, name, value: null });
  for (const [name, value] of after) if (before.get(name) !== value) records.push({ type: 'broker-config', broker: resource, name, value });
  return records;
}

/** Where the default of one topic config comes from on broker `nodeId`, and its value. */
export function brokerDefaultOf(
  topicName: string,
  image: MetadataImage,
  nodeId: number,
  staticDefaults: TopicConfigDefaults,
): { value: string; source: number } {
  const brokerName = brokerNameOf(topicName);
  const own = brokerName === undefined ? undefined : image.brokerConfigs(String(nodeId)).get(brokerName);
  if (own !== undefined) return { value: own, source: ConfigSource.dynamicBroker };
  const cluster = brokerName === undefined ? undefined : image.brokerConfigs('').get(brokerName);
  if (cluster !== undefined) return { value: cluster, source: ConfigSource.dynamicDefaultBroker };
  const fixed = staticDefaults[topicName];
  if (fixed !== undefined) return { value: fixed, source: ConfigSource.staticBroker };
  return { value: TOPIC_CONFIGS.get(topicName)?.defaultValue ?? '', source: ConfigSource.default };
}

/**
 * The broker's topic-config defaults as the log has them now: one object (the one the broker
 * hands its replica manager and handlers), rewritten in place from the static start-up values
 * and the dynamic ones of `image` each time they change.
 */
export class LiveTopicDefaults {
  /** The start-up values (topic config names). */
  readonly staticDefaults: TopicConfigDefaults;
  readonly #live: Record<string, string>;
  readonly #nodeId: number;

  /** @param live the object to keep current (it starts as the static defaults) */
  constructor(live: Record<string, string>, nodeId: number) {
    this.#live = live;
    this.staticDefaults = Object.freeze({ ...live });
    this.#nodeId = nodeId;
  }

  /** Rewrites the live defaults from `image`. */
  update(image: MetadataImage): void {
    const next: Record<string, string> = { ...this.staticDefaults };
    for (const resource of ['', String(this.#nodeId)]) {
      for (const [name, value] of image.brokerConfigs(resource)) {
        const topicName = DYNAMIC_BROKER_CONFIGS.get(name);
        if (topicName !== undefined) next[topicName] = value;
      }
    }
    for (const key of Object.keys(this.#live)) if (!(key in next)) delete this.#live[key];
    Object.assign(this.#live, next);
  }
}
