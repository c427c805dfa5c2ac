/**
 * Fetch: whole stored batches from each requested offset, up to the high watermark (the
 * log end for a follower), as
 * bytes (never decoded), read by the replica manager (which also runs the long poll).
 * This handler checks the request and shapes the answer per topic.
 */
import { ApiKey } from '../../../protocol/api-keys.ts';
import { TributaryError, KafkaCode } from '../../../errors.ts';
import type { BrokerContext } from '../context.ts';
import type { ApiRequest, ApiResponseInput, Encodable } from '../../../protocol/api-messages.ts';
import type { FetchResponseFetchableTopicResponse } from '../../../protocol/generated/fetch.ts';
import type { BrokerRequestHeader, HandlerEntry } from '../handler.ts';
import { access } from '../access.ts';

const MAX_INT32 = 2147483647;

async function handleFetch(ctx: BrokerContext, header: BrokerRequestHeader, body: ApiRequest<typeof ApiKey.Fetch>): Promise<ApiResponseInput<typeof ApiKey.Fetch>> {
  const v = header.apiVersion;
  const base = { throttleTimeMs: 0, sessionId: 0, nodeEndpoints: [] };
  // Incremental fetch sessions (KIP-227) are not kept: sessionId 0 tells the client to send full fetches.
  if (v >= 7 && (body.sessionId ?? 0) !== 0) {
    return { ...base, errorCode: KafkaCode.FETCH_SESSION_ID_NOT_FOUND, responses: [] };
  }
  // Kafka answers a negative maxWaitMs or minBytes at once (ReplicaManager.fetchMessages:
  // `maxWaitMs <= 0 || bytesReadable >= minBytes`): no wait, no error, the connection stays.
  const maxWaitMs = Number.isInteger(body.maxWaitMs) && body.maxWaitMs > 0 ? body.maxWaitMs : 0;
  const minBytes = Number.isInteger(body.minBytes) && body.minBytes > 0 ? body.minBytes : 0;
  const byId = v >= 13;
  // Fetch v15+ names the follower in ReplicaState (KIP-903), older versions in ReplicaId.
  const replicaId = (v >= 15 ? body.replicaState?.replicaId : body.replicaId) ?? -1;
  // Kafka's checks: a follower needs CLUSTER_ACTION on the cluster, a consumer READ on each
  // topic; what may not be read answers TOPIC_AUTHORIZATION_FAILED per partition. An id no
  // topic has is left to the replica manager (UNKNOWN_TOPIC_ID).
  const can = access(ctx, header);
  const nameOf = (t: (typeof body.topics)[number]) => (byId ? (ctx.image.topicById(t.topicId ?? '')?.name ?? null) : (t.topic ?? ''));
  let readable: (t: (typeof body.topics)[number]) => boolean = () => true;
  if (!can.unrestricted) {
    if (replicaId >= 0) {
      const follower = can.cluster('cluster-action');
      readable = () => follower;
    } else {
      const names = body.topics.map(nameOf);
      const allowed = can.filter('read', 'topic', names.filter((n): n is string => n !== null));
      readable = (t) => {
        const name = nameOf(t);
        return name === null || allowed(name);
      };
    }
  }
  const results = await ctx.replicaManager.fetchRecords({
    replicaId,
    isolationLevel: body.isolationLevel ?? 0,
    maxWaitMs,
    minBytes,
    // fetch.max.bytes caps what a client may ask for (still at least one batch, KIP-74).
    maxBytes: Math.min(v >= 3 ? (body.maxBytes ?? MAX_INT32) : MAX_INT32, ctx.limits.fetchMaxBytes),
    apiVersion: v,
    byId,
    entries: body.topics.filter(readable).flatMap((t) =>
      t.partitions.map((p) => ({
        topic: (byId ? t.topicId : t.topic) ?? '',
        partition: p.partition,
        fetchOffset: p.fetchOffset,
        partitionMaxBytes: p.partitionMaxBytes,
        currentLeaderEpoch: p.currentLeaderEpoch,
        lastFetchedEpoch: v >= 12 ? p.lastFetchedEpoch : -1,
      })),
    ),
  });
  const responses: Array<Encodable<FetchResponseFetchableTopicResponse>> = [];
  let i = 0;
  for (const t of body.topics) {
    if (!readable(t)) {
      const partitions = t.partitions.map((p) => ({ partitionIndex: p.partition, errorCode: KafkaCode.TOPIC_AUTHORIZATION_FAILED, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, records: null }));
      responses.push({ topic: t.topic ?? '', topicId: t.topicId, partitions });
      continue;
    }
    const partitions = results.slice(i, i + t.partitions.length);
    i += t.partitions.length;
    responses.push({ topic: t.topic ?? '', topicId: t.topicId, partitions });
  }
  return { ...base, errorCode: 0, responses };
}

/**
 * Fetch v4–17 (record batches; sessionless). Consumers (replica id -1) read up to the high
 * watermark from the leader; followers (a broker id) read up to the log end, with
 * DivergingEpoch from v12 (see ReplicaManager.fetchRecords).
 */
export const fetchHandler: HandlerEntry<typeof ApiKey.Fetch> = {
  apiKey: ApiKey.Fetch,
  versions: { min: 4, max: 17 },
  handle: (ctx, header, body: ApiRequest<typeof ApiKey.Fetch>) => {
    if (header.apiVersion < 4) throw new TributaryError('UNSUPPORTED_VERSION', 'Fetch below v4 is not served', { kafkaCode: KafkaCode.UNSUPPORTED_VERSION });
    return handleFetch(ctx, header, body);
  },
};
