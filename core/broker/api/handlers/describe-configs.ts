/**
 * DescribeConfigs for topics (their overrides, broker defaults and Kafka defaults, each
 * marked with its source) and for this broker (its static settings and topic defaults —
 * in a cluster the latter may be dynamic: DYNAMIC_BROKER_CONFIG for this broker's own,
 * DYNAMIC_DEFAULT_BROKER_CONFIG for the cluster default; dynamic-broker-configs.ts).
 */
import { KafkaCode } from '../../../errors.ts';
import { ApiKey } from '../../../protocol/api-keys.ts';
import type { BrokerContext } from '../context.ts';
import type { ApiRequest, ApiResponseInput } from '../../../protocol/api-messages.ts';
import type { BrokerRequestHeader, HandlerEntry } from '../handler.ts';
import { ConfigSource, TOPIC_CONFIGS } from '../../topic-config.ts';
import { brokerDefaultOf } from '../../dynamic-broker-configs.ts';
import type { TopicImage } from '../../metadata/metadata-image.ts';
import { access } from '../access.ts';

/** Kafka's ConfigResource types. */
export const ResourceType = Object.freeze({ topic: 2, broker: 4, brokerLogger: 8 } as const);

/** One described config entry (every field any version may carry). */
export interface DescribedConfig {
  name: string;
  value: string | null;
  readOnly: boolean;
  isDefault: boolean;
  configSource: number;
  isSensitive: boolean;
  synonyms: Array<{ name: string; value: string | null; source: number }>;
  configType: number;
  documentation: string | null;
}

/** The configs of `topic` (all, or those named in `keys`), in name order. */
export function describeTopicConfigs(ctx: BrokerContext, topic: TopicImage, keys: readonly string[] | null): DescribedConfig[] {
  const out: DescribedConfig[] = [];
  for (const spec of [...TOPIC_CONFIGS.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (keys && !keys.includes(spec.name)) continue;
    const own = topic.configs.get(spec.name);
    // Below the topic's own value: the broker's dynamic, the cluster's dynamic default, the static one, Kafka's.
    const fallback = brokerDefaultOf(spec.name, ctx.image, ctx.nodeId, ctx.topicDefaults);
    const { value, source } = own !== undefined ? { value: own, source: ConfigSource.dynamicTopic } : fallback;
    const synonyms: DescribedConfig['synonyms'] = [];
    if (own !== undefined) synonyms.push({ name: spec.name, value: own, source: ConfigSource.dynamicTopic });
    if (fallback.source !== ConfigSource.default) synonyms.push({ name: spec.brokerName, value: fallback.value, source: fallback.source });
    synonyms.push({ name: spec.brokerName, value: spec.defaultValue, source: ConfigSource.default });
    out.push({
      name: spec.name,
      value,
      readOnly: false,
      isDefault: source === ConfigSource.default,
      configSource: source,
      isSensitive: false,
      synonyms,
      configType: spec.type,
      documentation: spec.doc,
    });
  }
  return out;
}

function describeBrokerConfigs(ctx: BrokerContext, keys: readonly string[] | null): DescribedConfig[] {
  const out: DescribedConfig[] = [];
  const add = (name: string, value: string, explicit: boolean, type: number, doc: string) => {
    if (keys && !keys.includes(name)) return;
    const configSource = explicit ? ConfigSource.staticBroker : ConfigSource.default;
    out.push({ name, value, readOnly: true, isDefault: !explicit, configSource, isSensitive: false, synonyms: [{ name, value, source: configSource }], configType: type, documentation: doc });
  };
  for (const [name, entry] of ctx.brokerConfigs) add(name, entry.value, entry.explicit, entry.type, entry.doc);
  // Topic-config defaults: dynamic (and so not read-only) where a cluster controller takes broker configs.
  const dynamic = ctx.controller.incrementalAlterBrokerConfigs !== undefined;
  for (const spec of TOPIC_CONFIGS.values()) {
    if (keys && !keys.includes(spec.brokerName)) continue;
    const { value, source } = brokerDefaultOf(spec.name, ctx.image, ctx.nodeId, ctx.topicDefaults);
    out.push({
      name: spec.brokerName,
      value,
      readOnly: !dynamic,
      isDefault: source === ConfigSource.default,
      configSource: source,
      isSensitive: false,
      synonyms: [{ name: spec.brokerName, value, source }, ...(source === ConfigSource.default ? [] : [{ name: spec.brokerName, value: spec.defaultValue, source: ConfigSource.default }])],
      configType: spec.type,
      documentation: spec.doc,
    });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : 1));
}

function handleDescribeConfigs(ctx: BrokerContext, header: BrokerRequestHeader, body: ApiRequest<typeof ApiKey.DescribeConfigs>): ApiResponseInput<typeof ApiKey.DescribeConfigs> {
  const v = header.apiVersion;
  const synonyms = v >= 1 && body.includeSynonyms === true;
  const documentation = v >= 3 && body.includeDocumentation === true;
  // Kafka's checks: DESCRIBE_CONFIGS on the topic (TOPIC_AUTHORIZATION_FAILED) or, for a
  // broker or broker logger, on the cluster (CLUSTER_AUTHORIZATION_FAILED).
  const can = access(ctx, header);
  const results = body.resources.map((r) => {
    const base = { resourceType: r.resourceType, resourceName: r.resourceName };
    if (r.resourceType === ResourceType.topic && !can.allows('describe-configs', 'topic', r.resourceName)) {
      return { ...base, errorCode: KafkaCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: `Not authorized to describe the configs of topic "${r.resourceName}"`, configs: [] };
    }
    if ((r.resourceType === ResourceType.broker || r.resourceType === ResourceType.brokerLogger) && !can.cluster('describe-configs')) {
      return { ...base, errorCode: KafkaCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'Not authorized to describe broker configs', configs: [] };
    }
    // As Kafka: no keys, null or an empty list, means every config.
    const keys = r.configurationKeys !== null && r.configurationKeys.length > 0 ? r.configurationKeys : null;
    let entries: DescribedConfig[];
    if (r.resourceType === ResourceType.topic) {
      const topic = ctx.image.topic(r.resourceName);
      if (!topic) return { ...base, errorCode: KafkaCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic "${r.resourceName}" does not exist`, configs: [] };
      entries = describeTopicConfigs(ctx, topic, keys);
    } else if (r.resourceType === ResourceType.broker) {
      if (r.resourceName !== '' && r.resourceName !== String(ctx.nodeId)) {
        return { ...base, errorCode: KafkaCode.INVALID_REQUEST, errorMessage: `This is broker ${ctx.nodeId}, not ${r.resourceName}`, configs: [] };
      }
      entries = describeBrokerConfigs(ctx, keys);
    } else {
      return { ...base, errorCode: KafkaCode.INVALID_REQUEST, errorMessage: `Resource type ${r.resourceType} is not supported`, configs: [] };
    }
    return {
      ...base,
      errorCode: 0,
      errorMessage: null,
      configs: entries.map((e) => ({ ...e, synonyms: synonyms ? e.synonyms : [], documentation: documentation ? e.documentation : null })),
    };
  });
  return { throttleTimeMs: 0, results };
}

/** DescribeConfigs v0–4. */
export const describeConfigsHandler: HandlerEntry<typeof ApiKey.DescribeConfigs> = {
  apiKey: ApiKey.DescribeConfigs,
  versions: { min: 0, max: 4 },
  handle: handleDescribeConfigs,
};
