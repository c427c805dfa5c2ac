/** CreateTopics: per-topic validation and creation, validateOnly, and (v5+) the resulting configs. */
import { ApiKey } from '../../../protocol/api-keys.ts';
import { kafkaError, KafkaCode } from '../../../errors.ts';
import { ZERO_UUID } from '../../../protocol/codec.ts';
import type { BrokerContext } from '../context.ts';
import type { ApiRequest, ApiResponseInput, Encodable } from '../../../protocol/api-messages.ts';
import type { CreateTopicsResponseCreatableTopicResult } from '../../../protocol/generated/create-topics.ts';
import type { BrokerRequestHeader, HandlerEntry } from '../handler.ts';
import { MAX_NEW_PARTITIONS_PER_REQUEST, tooManyPartitions } from '../../controller/local-controller.ts';
import type { TopicImage } from '../../metadata/metadata-image.ts';
import type { Controller } from '../../controller/controller.ts';
import { describeTopicConfigs } from './describe-configs.ts';
import { NO_ERROR, toErrorPair } from '../../error-pair.ts';
import { access } from '../access.ts';

/** One config entry of a created topic's answer (v5+). */
export type CreatedTopicConfig = NonNullable<Encodable<CreateTopicsResponseCreatableTopicResult>['configs']>[number];

function created(topic: TopicImage, configs: readonly CreatedTopicConfig[]): Encodable<CreateTopicsResponseCreatableTopicResult> {
  return {
    ...NO_ERROR,
    name: topic.name,
    topicId: topic.id,
    topicConfigErrorCode: 0,
    numPartitions: topic.partitions.length,
    replicationFactor: topic.replicationFactor,
    configs,
  };
}

/**
 * The CreateTopics rules over any controller: the whole request fails when it would create
 * too many partitions at once, a topic named twice is INVALID_REQUEST, every other topic is
 * created (or validated) on its own and answered with its coded error or its result, with
 * the configs `configsOf` lists. The broker's handler and the controller listener's share it.
 */
export async function answerCreateTopics(
  controller: Pick<Controller, 'createTopic' | 'defaultNumPartitions'>,
  header: BrokerRequestHeader,
  body: ApiRequest<typeof ApiKey.CreateTopics>,
  configsOf: (topic: TopicImage) => readonly CreatedTopicConfig[],
  mayCreate: (name: string) => boolean = () => true,
): Promise<ApiResponseInput<typeof ApiKey.CreateTopics>> {
  const counts = new Map<string, number>();
  for (const t of body.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
  const validateOnly = header.apiVersion >= 1 && body.validateOnly === true;
  // As Kafka: the whole request fails when it would create too many partitions at once.
  let total = 0;
  for (const t of body.topics) total += t.assignments.length > 0 ? t.assignments.length : t.numPartitions === -1 ? controller.defaultNumPartitions : Math.max(0, t.numPartitions);
  const requestError = total > MAX_NEW_PARTITIONS_PER_REQUEST ? tooManyPartitions(total) : null;
  const topics = await Promise.all(
    body.topics.map(async (t) => {
      const fail = (error: unknown) => ({
        ...toErrorPair(error),
        name: t.name,
        topicId: ZERO_UUID,
        topicConfigErrorCode: 0,
        numPartitions: -1,
        replicationFactor: -1,
        configs: null,
      });
      if (requestError) return fail(requestError);
      if ((counts.get(t.name) ?? 0) > 1) return fail(kafkaError(KafkaCode.INVALID_REQUEST, `Topic "${t.name}" appears more than once in the request`));
      if (!mayCreate(t.name)) return fail(kafkaError(KafkaCode.TOPIC_AUTHORIZATION_FAILED, `Not authorized to create topic "${t.name}"`));
      try {
        const topic = await controller.createTopic(
          {
            name: t.name,
            numPartitions: t.numPartitions,
            replicationFactor: t.replicationFactor,
            assignments: t.assignments,
            configs: t.configs.map((c) => [c.name, c.value] as const),
          },
          validateOnly,
        );
        return created(topic, configsOf(topic));
      } catch (error) {
        return fail(error);
      }
    }),
  );
  // v0 has no error message field; the codec drops what a version lacks.
  return { throttleTimeMs: 0, topics };
}

async function handleCreateTopics(ctx: BrokerContext, header: BrokerRequestHeader, body: ApiRequest<typeof ApiKey.CreateTopics>): Promise<ApiResponseInput<typeof ApiKey.CreateTopics>> {
  // Kafka's checks: CREATE on the cluster, or else on each topic (TOPIC_AUTHORIZATION_FAILED);
  // the created topic's configs are listed only with DESCRIBE_CONFIGS on it (topicConfigErrorCode otherwise).
  const can = access(ctx, header);
  const names = body.topics.map((t) => t.name);
  const mayCreate = can.cluster('create') ? () => true : can.filter('create', 'topic', names);
  const mayDescribeConfigs = can.filter('describe-configs', 'topic', names);
  const answer = await answerCreateTopics(ctx.controller, header, body, (topic) =>
    mayDescribeConfigs(topic.name)
      ? describeTopicConfigs(ctx, topic, null).map((c) => ({
          name: c.name,
          value: c.value,
          readOnly: c.readOnly,
          configSource: c.configSource,
          isSensitive: c.isSensitive,
        }))
      : [], mayCreate);
  if (can.unrestricted) return answer;
  const topics = (answer.topics ?? []).map((t) => (t.errorCode === KafkaCode.NONE && !mayDescribeConfigs(t.name ?? '') ? { ...t, topicConfigErrorCode: KafkaCode.TOPIC_AUTHORIZATION_FAILED, configs: null } : t));
  return { ...answer, topics };
}

/** CreateTopics v0–7. */
export const createTopicsHandler: HandlerEntry<typeof ApiKey.CreateTopics> = {
  apiKey: ApiKey.CreateTopics,
  versions: { min: 0, max: 7 },
  handle: handleCreateTopics,
};
