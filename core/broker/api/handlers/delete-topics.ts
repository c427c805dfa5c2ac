/** DeleteTopics: by name (v0–5) or by name or id (v6). */
import { ApiKey } from '../../../protocol/api-keys.ts';
import { ZERO_UUID } from '../../../protocol/codec.ts';
import type { BrokerContext } from '../context.ts';
import type { ApiRequest, ApiResponseInput } from '../../../protocol/api-messages.ts';
import type { BrokerRequestHeader, HandlerEntry } from '../handler.ts';
import { NO_ERROR, toErrorPair } from '../../error-pair.ts';
import { kafkaError, KafkaCode } from '../../../errors.ts';
import { access } from '../access.ts';

/**
 * The DeleteTopics rules over any controller: each topic by name or (v6) by id, resolved to
 * its name and id by `resolve` (which throws the coded error of a topic it does not know),
 * a topic named twice is INVALID_REQUEST and is not deleted, every other one is deleted on
 * its own. The broker's handler and the controller listener's share it.
 */
export async function answerDeleteTopics(
  header: BrokerRequestHeader,
  body: ApiRequest<typeof ApiKey.DeleteTopics>,
  resolve: (name: string | null, topicId: string) => { readonly name: string; readonly id: string },
  deleteTopic: (name: string) => Promise<void>,
): Promise<ApiResponseInput<typeof ApiKey.DeleteTopics>> {
  const wanted =
    header.apiVersion >= 6
      ? (body.topics ?? []).map((t) => ({ name: t.name, topicId: t.topicId ?? ZERO_UUID }))
      : (body.topicNames ?? []).map((name) => ({ name: name as string | null, topicId: ZERO_UUID }));
  // As Kafka: a topic named twice (by name or by id) is INVALID_REQUEST and is not deleted.
  const seen = new Map<string, number>();
  for (const w of wanted) {
    const key = w.name !== null ? `n:${w.name}` : `i:${w.topicId}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  const responses = await Promise.all(
    wanted.map(async ({ name, topicId }) => {
      try {
        if (name !== null && topicId !== ZERO_UUID) throw kafkaError(KafkaCode.INVALID_REQUEST, 'Give a topic name or a topic id, not both');
        if ((seen.get(name !== null ? `n:${name}` : `i:${topicId}`) ?? 0) > 1) throw kafkaError(KafkaCode.INVALID_REQUEST, `Topic ${name ?? topicId} appears more than once in the request`);
        const topic = resolve(name, topicId);
        await deleteTopic(topic.name);
        return { ...NO_ERROR, name: topic.name, topicId: topic.id };
      } catch (error) {
        return { ...toErrorPair(error), name, topicId };
      }
    }),
  );
  return { throttleTimeMs: 0, responses };
}

function handleDeleteTopics(ctx: BrokerContext, header: BrokerRequestHeader, body: ApiRequest<typeof ApiKey.DeleteTopics>): Promise<ApiResponseInput<typeof ApiKey.DeleteTopics>> {
  // Kafka's checks: DELETE on each topic (TOPIC_AUTHORIZATION_FAILED); by id, a topic the
  // principal may not DESCRIBE is answered as unknown, so ids do not reveal names.
  const can = access(ctx, header);
  return answerDeleteTopics(header, body, (name, topicId) => {
    const byName = name !== null;
    const known = byName ? undefined : ctx.image.topicById(topicId);
    if (!byName && known && !can.allows('describe', 'topic', known.name)) throw kafkaError(KafkaCode.UNKNOWN_TOPIC_ID, `No topic has id ${topicId}`);
    const target = byName ? name : known?.name;
    if (target !== undefined && !can.allows('delete', 'topic', target)) throw kafkaError(KafkaCode.TOPIC_AUTHORIZATION_FAILED, `Not authorized to delete topic "${target}"`);
    const topic = byName ? ctx.image.topic(name) : known;
    if (!topic) throw name !== null ? kafkaError(KafkaCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic "${name}" does not exist`) : kafkaError(KafkaCode.UNKNOWN_TOPIC_ID, `No topic has id ${topicId}`);
    return topic;
  }, (name) => ctx.controller.deleteTopic(name));
}

/** DeleteTopics v0–6. */
export const deleteTopicsHandler: HandlerEntry<typeof ApiKey.DeleteTopics> = {
  apiKey: ApiKey.DeleteTopics,
  versions: { min: 0, max: 6 },
  handle: handleDeleteTopics,
};
