/**
 * Metadata: brokers by id, the controller, and per topic its id and partitions with
 * leader, leader epoch, replicas and in-sync replicas. Unknown topics are auto-created
 * when the broker allows it and the request does (v4+ allowAutoTopicCreation).
 */
import { KafkaCode } from '../../../errors.ts';
import { ApiKey } from '../../../protocol/api-keys.ts';
import { CLUSTER_OPERATIONS, OPERATIONS_NOT_REQUESTED, TOPIC_OPERATIONS, authorizedOperations, grantedOperations } from '../../authorized-operations.ts';
import { access } from '../access.ts';
import { ZERO_UUID } from '../../../protocol/codec.ts';
import { addressOn, type BrokerContext } from '../context.ts';
import type { ApiRequest, ApiResponseInput, Encodable } from '../../../protocol/api-messages.ts';
import type { MetadataResponseTopic } from '../../../protocol/generated/metadata.ts';
import type { BrokerRequestHeader, HandlerEntry } from '../handler.ts';
import { INTERNAL_TOPICS, topicNameProblem } from '../../topic-name.ts';
import type { TopicImage } from '../../metadata/metadata-image.ts';
import { toErrorPair } from '../../error-pair.ts';

function describeTopic(topic: TopicImage, operations: number, live: (nodeId: number) => boolean): Encodable<MetadataResponseTopic> {
  return {
    errorCode: 0,
    name: topic.name,
    topicId: topic.id,
    isInternal: INTERNAL_TOPICS.has(topic.name),
    partitions: topic.partitions.map((p) => ({
      // No leader (every in-sync replica down, or an election under way): clients retry.
      errorCode: p.leader < 0 ? KafkaCode.LEADER_NOT_AVAILABLE : KafkaCode.NONE,
      partitionIndex: p.partition,
      leaderId: p.leader,
      leaderEpoch: p.leaderEpoch,
      replicaNodes: p.replicas,
      isrNodes: p.isr,
      // Replicas on brokers that are fenced or gone (a cluster of one never lists its own node).
      offlineReplicas: p.replicas.filter((id) => !live(id)),
    })),
    topicAuthorizedOperations: operations,
  };
}

function missing(name: string | null, topicId: string, errorCode: number): Encodable<MetadataResponseTopic> {
  return { errorCode, name, topicId, isInternal: false, partitions: [], topicAuthorizedOperations: OPERATIONS_NOT_REQUESTED };
}

async function handleMetadata(ctx: BrokerContext, header: BrokerRequestHeader, body: ApiRequest<typeof ApiKey.Metadata>): Promise<ApiResponseInput<typeof ApiKey.Metadata>> {
  const v = header.apiVersion;
  // v0 asks for every topic with an empty list; v1+ with null.
  const all = body.topics === null || (v === 0 && body.topics.length === 0);
  const allowAuto = ctx.autoCreateTopics && (v < 4 || body.allowAutoTopicCreation !== false);
  // Kafka's checks: DESCRIBE on each topic — an all-topics answer leaves out the others, a
  // named one answers TOPIC_AUTHORIZATION_FAILED (whether or not it exists); auto-creation
  // needs CREATE on the cluster or the topic.
  const can = access(ctx, header);
  const requested = all ? ctx.image.topics().map((t) => t.name) : (body.topics ?? []).map((t) => t.name ?? (t.topicId ? ctx.image.topicById(t.topicId)?.name : undefined)).filter((n): n is string => n !== undefined && n !== null);
  const describable = can.filter('describe', 'topic', requested);
  const mayCreate = (name: string) => can.cluster('create') || can.allows('create', 'topic', name);
  const unauthorized = (name: string | null, topicId: string) => missing(name, topicId, KafkaCode.TOPIC_AUTHORIZATION_FAILED);
  // The codec drops these fields outside v8+ (topic) and v8–10 (cluster).
  const topicOperations = (topic: TopicImage) =>
    authorizedOperations(body.includeTopicAuthorizedOperations, can.unrestricted ? TOPIC_OPERATIONS : grantedOperations('topic', (op) => can.allows(op, 'topic', topic.name)));
  const liveIds = new Set(ctx.image.brokers().map((b) => b.nodeId));
  const describe = (topic: TopicImage) => describeTopic(topic, topicOperations(topic), (id) => liveIds.has(id));
  let topics: ReadonlyArray<Encodable<MetadataResponseTopic>>;
  if (all) {
    topics = ctx.image.topics().filter((t) => describable(t.name)).map(describe);
  } else {
    topics = await Promise.all(
      (body.topics ?? []).map(async (request) => {
        if (request.name === null || request.name === undefined) {
          const byId = request.topicId ? ctx.image.topicById(request.topicId) : undefined;
          if (byId && !describable(byId.name)) return unauthorized(null, request.topicId ?? ZERO_UUID);
          return byId ? describe(byId) : missing(null, request.topicId ?? ZERO_UUID, KafkaCode.UNKNOWN_TOPIC_ID);
        }
        const name = request.name;
        if (!describable(name)) return unauthorized(name, ZERO_UUID);
        if (topicNameProblem(name) !== null) return missing(name, ZERO_UUID, KafkaCode.INVALID_TOPIC_EXCEPTION);
        let topic = ctx.image.topic(name);
        if (!topic && allowAuto && !mayCreate(name)) return unauthorized(name, ZERO_UUID);
        if (!topic && allowAuto) {
          try {
            topic = await ctx.controller.getOrCreateTopic(name);
          } catch (error) {
            return missing(name, ZERO_UUID, toErrorPair(error).errorCode);
          }
        }
        return topic ? describe(topic) : missing(name, ZERO_UUID, KafkaCode.UNKNOWN_TOPIC_OR_PARTITION);
      }),
    );
  }
  return {
    throttleTimeMs: 0,
    brokers: ctx.image.brokers().map((e) => addressOn(ctx, header.listener, e)).map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack })),
    clusterId: ctx.clusterId,
    controllerId: ctx.controllerId,
    topics,
    clusterAuthorizedOperations: authorizedOperations(body.includeClusterAuthorizedOperations, can.unrestricted ? CLUSTER_OPERATIONS : grantedOperations('cluster', (op) => can.cluster(op))),
  };
}

/** Metadata v0–12. */
export const metadataHandler: HandlerEntry<typeof ApiKey.Metadata> = {
  apiKey: ApiKey.Metadata,
  versions: { min: 0, max: 12 },
  handle: handleMetadata,
};
