/**
 * AlterPartition: partition leaders propose ISR changes; the controller commits or refuses
 * each. Topics are addressed by id (v2+). A refusal of the whole request — this node is not
 * the controller, or the sender's broker epoch is stale — goes in the top-level error code,
 * as Kafka's controller answers it; any other refusal stays with its partition.
 */
import { KafkaCode } from '../../../../errors.ts';
import { ApiKey } from '../../../../protocol/api-keys.ts';
import type { ApiRequest, ApiResponseInput } from '../../../../protocol/api-messages.ts';
import type { BrokerRequestHeader, HandlerEntry } from '../../../api/handler.ts';
import type { AlterPartitionItem, AlterPartitionItemResult } from '../../broker-to-controller.ts';
import type { ControllerContext } from '../context.ts';

const WHOLE_REQUEST_ERRORS: ReadonlySet<number> = new Set([KafkaCode.NOT_CONTROLLER, KafkaCode.STALE_BROKER_EPOCH]);

/** The top-level error of an answer: the one whole-request error every partition shares, else 0. */
export function wholeRequestError(results: readonly AlterPartitionItemResult[]): number {
  const first = results[0]?.errorCode;
  if (first === undefined || !WHOLE_REQUEST_ERRORS.has(first)) return KafkaCode.NONE;
  return results.every((r) => r.errorCode === first) ? first : KafkaCode.NONE;
}

async function handleAlterPartition(
  ctx: ControllerContext,
  header: BrokerRequestHeader,
  body: ApiRequest<typeof ApiKey.AlterPartition>,
): Promise<ApiResponseInput<typeof ApiKey.AlterPartition>> {
  const items: AlterPartitionItem[] = [];
  for (const topic of body.topics) {
    for (const p of topic.partitions) {
      items.push({
        topicId: topic.topicId,
        partition: p.partitionIndex,
        leaderEpoch: p.leaderEpoch,
        partitionEpoch: p.partitionEpoch,
        // v3 names each ISR member with its broker epoch; the controller checks membership by id.
        newIsr: header.apiVersion >= 3 ? p.newIsrWithEpochs.map((b) => b.brokerId) : p.newIsr,
      });
    }
  }
  const results = await ctx.controller.alterPartition({ brokerId: body.brokerId, brokerEpoch: body.brokerEpoch, items });
  const errorCode = wholeRequestError(results);
  if (errorCode !== KafkaCode.NONE) return { throttleTimeMs: 0, errorCode, topics: [] };
  // One entry per topic, in the order topics first appear in the answer.
  const byTopic = new Map<string, Array<AlterPartitionItemResult>>();
  for (const r of results) {
    let list = byTopic.get(r.topicId);
    if (!list) byTopic.set(r.topicId, (list = []));
    list.push(r);
  }
  return {
    throttleTimeMs: 0,
    errorCode: KafkaCode.NONE,
    topics: [...byTopic].map(([topicId, partitions]) => ({
      topicId,
      partitions: partitions.map((r) => ({
        partitionIndex: r.partition,
        errorCode: r.errorCode,
        leaderId: r.leader,
        leaderEpoch: r.leaderEpoch,
        isr: [...r.isr],
        leaderRecoveryState: 0,
        partitionEpoch: r.partitionEpoch,
      })),
    })),
  };
}

/** AlterPartition v2–3 (v0–1 address topics by name; brokers of the topic-id era send 2+). */
export const alterPartitionHandler: HandlerEntry<typeof ApiKey.AlterPartition, ControllerContext> = {
  apiKey: ApiKey.AlterPartition,
  versions: { min: 2, max: 3 },
  handle: handleAlterPartition,
};
