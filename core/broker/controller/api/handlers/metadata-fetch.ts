/**
 * Fetch on the controller listener: brokers read the metadata log, `__cluster_metadata`
 * partition 0 (by name up to v12, by its fixed topic id from v13), as RecordBatch v2 bytes
 * (metadata-batch-codec.ts). Only committed batches are served, from the fetch offset on;
 * the high watermark is the quorum's. With nothing new the request waits up to maxWaitMs
 * for a commit (the quorum's long poll), ending early when the listener shuts down. A node
 * that does not lead the quorum answers NOT_LEADER_OR_FOLLOWER with the leader it knows
 * (v12+ `currentLeader`, which every answer carries), so a broker moves to the leader.
 * Any other topic or partition is UNKNOWN_TOPIC_OR_PARTITION (UNKNOWN_TOPIC_ID by id).
 * On a voter of a Raft quorum the whole request is the quorum's (RaftEndpoint.handleFetch).
 */
import { KafkaCode } from '../../../../errors.ts';
import { ApiKey } from '../../../../protocol/api-keys.ts';
import type { ApiRequest, ApiResponseInput, Encodable } from '../../../../protocol/api-messages.ts';
import type { FetchResponsePartitionData } from '../../../../protocol/generated/fetch.ts';
import type { BrokerRequestHeader, HandlerEntry } from '../../../api/handler.ts';
import { METADATA_TOPIC, METADATA_TOPIC_ID, encodeMetadataBatch } from '../../../quorum/metadata-batch-codec.ts';
import type { MetadataRead } from '../../../quorum/metadata-quorum.ts';
import type { ControllerContext } from '../context.ts';

type PartitionAnswer = Encodable<FetchResponsePartitionData>;

/** The metadata log read from `offset`: at once when there is something, else after up to `maxWaitMs`. */
async function readLog(ctx: ControllerContext, offset: number, maxWaitMs: number): Promise<MetadataRead> {
  const now = await ctx.quorum.read(offset, 0);
  if (now.batches.length > 0 || maxWaitMs <= 0 || offset > now.highWatermark || ctx.shutdown.aborted()) return now;
  let stop: (() => void) | undefined;
  const stopped = new Promise<MetadataRead>((resolve) => {
    stop = ctx.shutdown.onAbort(() => resolve(now));
  });
  try {
    return await Promise.race([ctx.quorum.read(offset, maxWaitMs), stopped]);
  } finally {
    stop?.();
  }
}

async function answerPartition(ctx: ControllerContext, fetchOffset: number, maxWaitMs: number, maxBytes: number): Promise<PartitionAnswer> {
  const leader = ctx.quorum.leader();
  const base = {
    partitionIndex: 0,
    logStartOffset: 0,
    currentLeader: { leaderId: leader.nodeId, leaderEpoch: leader.epoch },
    abortedTransactions: null,
    preferredReadReplica: -1,
  };
  if (leader.nodeId !== ctx.nodeId) return { ...base, errorCode: KafkaCode.NOT_LEADER_OR_FOLLOWER, highWatermark: -1, lastStableOffset: -1, records: null };
  const read = await readLog(ctx, fetchOffset, maxWaitMs);
  const answered = { ...base, highWatermark: read.highWatermark, lastStableOffset: read.highWatermark };
  if (fetchOffset < 0 || fetchOffset > read.highWatermark) return { ...answered, errorCode: KafkaCode.OFFSET_OUT_OF_RANGE, records: null };
  // Whole batches up to maxBytes, and always the first one (a batch is never cut).
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for (const batch of read.batches) {
    const encoded = encodeMetadataBatch(batch);
    if (chunks.length > 0 && bytes + encoded.length > maxBytes) break;
    chunks.push(encoded);
    bytes += encoded.length;
  }
  return { ...answered, errorCode: KafkaCode.NONE, records: chunks };
}

async function handleMetadataFetch(ctx: ControllerContext, header: BrokerRequestHeader, body: ApiRequest<typeof ApiKey.Fetch>): Promise<ApiResponseInput<typeof ApiKey.Fetch>> {
  // A Raft voter: followers and observers fetch from the quorum itself (epochs, divergence, progress).
  if (ctx.raft) return ctx.raft.handleFetch(body, header.apiVersion, ctx.shutdown);
  const byId = header.apiVersion >= 13;
  const maxBytes = Math.min(body.maxBytes, ctx.limits.fetchMaxBytes);
  // The metadata partition is answered after the others: it is the one that may wait.
  let wanted: { fetchOffset: number; partitionMaxBytes: number } | undefined;
  const responses = body.topics.map((topic) => {
    const isMetadata = byId ? topic.topicId === METADATA_TOPIC_ID : topic.topic === METADATA_TOPIC;
    return {
      topic: topic.topic,
      topicId: topic.topicId,
      partitions: topic.partitions.map((p): PartitionAnswer | 'metadata' => {
        if (isMetadata && p.partition === 0 && wanted === undefined) {
          wanted = { fetchOffset: p.fetchOffset, partitionMaxBytes: p.partitionMaxBytes };
          return 'metadata';
        }
        return {
          partitionIndex: p.partition,
          errorCode: isMetadata ? KafkaCode.UNKNOWN_TOPIC_OR_PARTITION : byId ? KafkaCode.UNKNOWN_TOPIC_ID : KafkaCode.UNKNOWN_TOPIC_OR_PARTITION,
          highWatermark: -1,
          records: null,
        };
      }),
    };
  });
  const metadata = wanted === undefined ? undefined : await answerPartition(ctx, wanted.fetchOffset, body.maxWaitMs, Math.min(maxBytes, wanted.partitionMaxBytes));
  return {
    throttleTimeMs: 0,
    errorCode: KafkaCode.NONE,
    sessionId: 0,
    responses: responses.map((t) => ({ ...t, partitions: t.partitions.map((p) => (p === 'metadata' ? metadata! : p)) })),
  };
}

/** Fetch v4–17 of the metadata log (the controller listener's Fetch). */
export const metadataFetchHandler: HandlerEntry<typeof ApiKey.Fetch, ControllerContext> = {
  apiKey: ApiKey.Fetch,
  versions: { min: 4, max: 17 },
  handle: handleMetadataFetch,
};
