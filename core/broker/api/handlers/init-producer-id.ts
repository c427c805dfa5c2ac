/**
 * InitProducerId: a fresh producer id at epoch 0 for an idempotent producer, in every
 * version (the id and epoch v3+ may name are not needed without a transactional id, as in
 * Kafka). Transactional ids are refused until transactions exist, as Produce refuses
 * transactional batches.
 */
import { KafkaCode } from '../../../errors.ts';
import { ApiKey } from '../../../protocol/api-keys.ts';
import type { BrokerContext } from '../context.ts';
import type { ApiRequest, ApiResponseInput } from '../../../protocol/api-messages.ts';
import type { BrokerRequestHeader, HandlerEntry } from '../handler.ts';
import { access } from '../access.ts';

async function handleInitProducerId(ctx: BrokerContext, header: BrokerRequestHeader, body: ApiRequest<typeof ApiKey.InitProducerId>): Promise<ApiResponseInput<typeof ApiKey.InitProducerId>> {
  if (body.transactionalId !== null && body.transactionalId !== undefined) {
    return { throttleTimeMs: 0, errorCode: KafkaCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1, producerEpoch: -1 };
  }
  // Kafka's check for an idempotent producer: IDEMPOTENT_WRITE on the cluster, or WRITE on
  // some topic (KIP-679); else CLUSTER_AUTHORIZATION_FAILED.
  const can = access(ctx, header);
  if (!can.cluster('idempotent-write') && !can.anyOfType('write', 'topic')) {
    return { throttleTimeMs: 0, errorCode: KafkaCode.CLUSTER_AUTHORIZATION_FAILED, producerId: -1, producerEpoch: -1 };
  }
  const result = await ctx.producerIds.initProducerId();
  return { throttleTimeMs: 0, ...result };
}

/** InitProducerId v0–5. */
export const initProducerIdHandler: HandlerEntry<typeof ApiKey.InitProducerId> = {
  apiKey: ApiKey.InitProducerId,
  versions: { min: 0, max: 5 },
  handle: handleInitProducerId,
};
