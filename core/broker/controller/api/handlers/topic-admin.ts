/**
 * The admin requests a broker forwards for its clients (Kafka's request forwarding,
 * KIP-590): CreateTopics, DeleteTopics, CreatePartitions, AlterConfigs and
 * IncrementalAlterConfigs (topic resources, and broker resources: dynamic broker configs), answered per topic or resource with the controller's coded
 * errors by the same rules as a broker's handlers (their shared answer functions). The
 * controller has no metadata image here, so a created topic's answer lists its own config
 * overrides (source DYNAMIC_TOPIC_CONFIG) rather than every config, and topics are
 * addressed by name (by id only where the listener was given a way to name them).
 */
import { kafkaError, KafkaCode } from '../../../../errors.ts';
import { ApiKey } from '../../../../protocol/api-keys.ts';
import { ZERO_UUID } from '../../../../protocol/codec.ts';
import type { ApiRequest, ApiResponseInput } from '../../../../protocol/api-messages.ts';
import type { BrokerRequestHeader, HandlerEntry } from '../../../api/handler.ts';
import { alterTopicResources } from '../../../api/handlers/alter-topic-resources.ts';
import { answerCreatePartitions } from '../../../api/handlers/create-partitions.ts';
import { answerCreateTopics, type CreatedTopicConfig } from '../../../api/handlers/create-topics.ts';
import { answerDeleteTopics } from '../../../api/handlers/delete-topics.ts';
import { ConfigSource } from '../../../topic-config.ts';
import type { TopicImage } from '../../../metadata/metadata-image.ts';
import type { ControllerContext } from '../context.ts';

/** A created topic's config overrides as CreateTopics v5+ lists them. */
export function overrideConfigs(topic: TopicImage): CreatedTopicConfig[] {
  return [...topic.configs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, value]) => ({
    name,
    value,
    readOnly: false,
    configSource: ConfigSource.dynamicTopic,
    isSensitive: false,
  }));
}

/** CreateTopics v0–7 on the controller listener. */
export const controllerCreateTopicsHandler: HandlerEntry<typeof ApiKey.CreateTopics, ControllerContext> = {
  apiKey: ApiKey.CreateTopics,
  versions: { min: 0, max: 7 },
  handle: (ctx, header, body) => answerCreateTopics(ctx.controller, header, body, overrideConfigs),
};

function handleDeleteTopics(ctx: ControllerContext, header: BrokerRequestHeader, body: ApiRequest<typeof ApiKey.DeleteTopics>): Promise<ApiResponseInput<typeof ApiKey.DeleteTopics>> {
  return answerDeleteTopics(header, body, (name, topicId) => {
    // By name the controller itself answers UNKNOWN_TOPIC_OR_PARTITION for a topic it does not have.
    if (name !== null) return { name, id: ZERO_UUID };
    const known = ctx.topicName(topicId);
    if (known === undefined) throw kafkaError(KafkaCode.UNKNOWN_TOPIC_ID, `No topic has id ${topicId}`);
    return { name: known, id: topicId };
  }, (name) => ctx.controller.deleteTopic(name));
}

/** DeleteTopics v0–6 on the controller listener. */
export const controllerDeleteTopicsHandler: HandlerEntry<typeof ApiKey.DeleteTopics, ControllerContext> = {
  apiKey: ApiKey.DeleteTopics,
  versions: { min: 0, max: 6 },
  handle: handleDeleteTopics,
};

/** CreatePartitions v0–3 on the controller listener (the controller checks each topic's growth). */
export const controllerCreatePartitionsHandler: HandlerEntry<typeof ApiKey.CreatePartitions, ControllerContext> = {
  apiKey: ApiKey.CreatePartitions,
  versions: { min: 0, max: 3 },
  handle: (ctx, _header, body) => answerCreatePartitions(ctx.controller, body, () => undefined),
};

/** AlterConfigs v0–2 on the controller listener: topic resources only, as on a broker. */
export const controllerAlterConfigsHandler: HandlerEntry<typeof ApiKey.AlterConfigs, ControllerContext> = {
  apiKey: ApiKey.AlterConfigs,
  versions: { min: 0, max: 2 },
  handle: async (ctx, _header, body) => ({
    throttleTimeMs: 0,
    responses: await alterTopicResources(
      body.resources,
      (r) => ctx.controller.alterTopicConfigs(r.resourceName, r.configs.map((c) => [c.name, c.value] as const), body.validateOnly),
      ctx.controller.alterBrokerConfigs && ((r) => ctx.controller.alterBrokerConfigs!(r.resourceName, r.configs.map((c) => [c.name, c.value] as const), body.validateOnly)),
    ),
  }),
};

/** IncrementalAlterConfigs v0–1 on the controller listener: topic resources only, as on a broker. */
export const controllerIncrementalAlterConfigsHandler: HandlerEntry<typeof ApiKey.IncrementalAlterConfigs, ControllerContext> = {
  apiKey: ApiKey.IncrementalAlterConfigs,
  versions: { min: 0, max: 1 },
  handle: async (ctx, _header, body) => ({
    throttleTimeMs: 0,
    responses: await alterTopicResources(
      body.resources,
      (r) => ctx.controller.incrementalAlterTopicConfigs(r.resourceName, r.configs.map((c) => ({ name: c.name, op: c.configOperation, value: c.value })), body.validateOnly),
      ctx.controller.incrementalAlterBrokerConfigs &&
        ((r) => ctx.controller.incrementalAlterBrokerConfigs!(r.resourceName, r.configs.map((c) => ({ name: c.name, op: c.configOperation, value: c.value })), body.validateOnly)),
    ),
  }),
};
