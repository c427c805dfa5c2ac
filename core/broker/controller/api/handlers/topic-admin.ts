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
import { scramMechanismOf } from '../../../../security/scram.ts';
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
      undefined,
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
      undefined,
      ctx.controller.incrementalAlterBrokerConfigs &&
        ((r) => ctx.controller.incrementalAlterBrokerConfigs!(r.resourceName, r.configs.map((c) => ({ name: c.name, op: c.configOperation, value: c.value })), body.validateOnly)),
    ),
  }),
};

/**
 * AlterUserScramCredentials v0 on the controller listener: what a broker forwards, already
 * checked there; the controller derives the stored keys and commits them. Every user gets
 * the outcome of the one commit (NOT_CONTROLLER when this voter does not lead: the broker
 * retries elsewhere).
 */
export const controllerAlterUserScramCredentialsHandler: HandlerEntry<typeof ApiKey.AlterUserScramCredentials, ControllerContext> = {
  apiKey: ApiKey.AlterUserScramCredentials,
  versions: { min: 0, max: 0 },
  handle: async (ctx, _header, body) => {
    const users = [...new Set([...body.upsertions, ...body.deletions].map((x) => x.name))];
    const mechanism = (id: number) => {
      const m = scramMechanismOf(id);
      if (m === undefined) throw kafkaError(KafkaCode.UNSUPPORTED_SASL_MECHANISM, `Unknown SCRAM mechanism ${id}`);
      return m;
    };
    let errorCode: number = KafkaCode.NONE;
    let errorMessage: string | null = null;
    try {
      if (!ctx.controller.alterUserScramCredentials) throw kafkaError(KafkaCode.UNSUPPORTED_VERSION, 'This controller does not keep SCRAM credentials');
      await ctx.controller.alterUserScramCredentials({
        upsertions: body.upsertions.map((u) => ({ name: u.name, mechanism: mechanism(u.mechanism), iterations: u.iterations, salt: u.salt, saltedPassword: u.saltedPassword })),
        deletions: body.deletions.map((d) => ({ name: d.name, mechanism: mechanism(d.mechanism) })),
      });
    } catch (error) {
      errorCode = (error as { kafkaCode?: number }).kafkaCode ?? KafkaCode.UNKNOWN_SERVER_ERROR;
      errorMessage = (error as Error).message;
    }
    return { throttleTimeMs: 0, results: users.map((user) => ({ user, errorCode, errorMessage })) };
  },
};
