/** DeleteTopics: by name (v0–5) or by name or id (v6). */
import type { Broker, BrokerRequestHeader, HandlerEntry } from '../broker.ts';
import { NO_ERROR, toErrorPair } from './errors.ts';
import { kafkaError } from '../../errors.ts';

interface DeleteTopicsRequest {
  topics?: Array<{ name: string | null; topicId: string }>;
  topicNames?: string[];
  timeoutMs: number;
}

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

async function handleDeleteTopics(broker: Broker, header: BrokerRequestHeader, body: DeleteTopicsRequest): Promise<Record<string, unknown>> {
  const wanted =
    header.apiVersion >= 6
      ? (body.topics ?? []).map((t) => ({ name: t.name, topicId: t.topicId ?? ZERO_UUID }))
      : (body.topicNames ?? []).map((name) => ({ name: name as string | null, topicId: ZERO_UUID }));
  const responses = await Promise.all(
    wanted.map(async ({ name, topicId }) => {
      const topic = name !== null ? broker.topics.get(name) : broker.topics.byId(topicId);
      try {
        if (!topic) throw name !== null ? kafkaError(3, `Topic "${name}" does not exist`) : kafkaError(100, `No topic has id ${topicId}`);
        await broker.topics.delete(topic.name);
        return { ...NO_ERROR, name: topic.name, topicId: topic.id };
      } catch (error) {
        return { ...toErrorPair(error), name, topicId };
      }
    }),
  );
  return { throttleTimeMs: 0, responses };
}

/** DeleteTopics v0–6. */
export const deleteTopicsHandler: HandlerEntry = { minVersion: 0, maxVersion: 6, handle: handleDeleteTopics };
