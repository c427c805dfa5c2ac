/** CreatePartitions: grow topics, with optional explicit assignments and validateOnly. */
import { ApiKey } from '../../../protocol/api-keys.ts';
import { kafkaError, KafkaCode } from '../../../errors.ts';
import type { BrokerContext } from '../context.ts';
import type { ApiRequest, ApiResponseInput } from '../../../protocol/api-messages.ts';
import type { BrokerRequestHeader, HandlerEntry } from '../handler.ts';
import { MAX_NEW_PARTITIONS_PER_REQUEST, tooManyPartitions } from '../../controller/local-controller.ts';
import { NO_ERROR, toErrorPair } from '../../error-pair.ts';
import type { Controller } from '../../controller/controller.ts';
import { access } from '../access.ts';

/**
 * The CreatePartitions rules over any controller: the whole request fails when it would add
 * too many partitions at once (counted against `currentCount`, where known), a topic named
 * twice is INVALID_REQUEST, every other topic grows on its own. The broker's handler and the
 * controller listener's share it.
 */
export async function answerCreatePartitions(
  controller: Pick<Controller, 'createPartitions'>,
  body: ApiRequest<typeof ApiKey.CreatePartitions>,
  currentCount: (name: string) => number | undefined,
  mayAlter: (name: string) => boolean = () => true,
): Promise<ApiResponseInput<typeof ApiKey.CreatePartitions>> {
  const counts = new Map<string, number>();
  for (const t of body.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
  // As Kafka: the whole request fails when it would add too many partitions at once.
  let added = 0;
  for (const t of body.topics) added += Math.max(0, t.count - (currentCount(t.name) ?? t.count));
  const requestError = added > MAX_NEW_PARTITIONS_PER_REQUEST ? tooManyPartitions(added) : null;
  const results = await Promise.all(
    body.topics.map(async (t) => {
      try {
        if (requestError) throw requestError;
        if ((counts.get(t.name) ?? 0) > 1) throw kafkaError(KafkaCode.INVALID_REQUEST, `Topic "${t.name}" appears more than once in the request`);
        if (!mayAlter(t.name)) throw kafkaError(KafkaCode.TOPIC_AUTHORIZATION_FAILED, `Not authorized to alter topic "${t.name}"`);
        await controller.createPartitions(t.name, t.count, t.assignments ? t.assignments.map((a) => a.brokerIds) : null, body.validateOnly);
        return { name: t.name, ...NO_ERROR };
      } catch (error) {
        return { name: t.name, ...toErrorPair(error) };
      }
    }),
  );
  return { throttleTimeMs: 0, results };
}

function handleCreatePartitions(ctx: BrokerContext, header: BrokerRequestHeader, body: ApiRequest<typeof ApiKey.CreatePartitions>): Promise<ApiResponseInput<typeof ApiKey.CreatePartitions>> {
  // Kafka's check: ALTER on each topic (TOPIC_AUTHORIZATION_FAILED).
  const mayAlter = access(ctx, header).filter('alter', 'topic', body.topics.map((t) => t.name));
  return answerCreatePartitions(ctx.controller, body, (name) => ctx.image.topic(name)?.partitions.length, mayAlter);
}

/** CreatePartitions v0–3. */
export const createPartitionsHandler: HandlerEntry<typeof ApiKey.CreatePartitions> = {
  apiKey: ApiKey.CreatePartitions,
  versions: { min: 0, max: 3 },
  handle: handleCreatePartitions,
};
