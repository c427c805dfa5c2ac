/**
 * InitProducerId: a fresh producer id at epoch 0 for an idempotent producer, in every
 * version (the id and epoch v3+ may name are not needed without a transactional id, as in
 * Kafka). Transactional ids are refused until transactions exist, as Produce refuses
 * transactional batches.
 */
import { ApiKey } from '../../../protocol/api-keys.ts';
import type { BrokerContext } from '../context.ts';
import type { BrokerRequestHeader, HandlerEntry } from '../handler.ts';

interface InitProducerIdRequest {
  transactionalId: string | null;
  transactionTimeoutMs: number;
  producerId?: number;
  producerEpoch?: number;
}

async function handleInitProducerId(ctx: BrokerContext, _header: BrokerRequestHeader, body: InitProducerIdRequest): Promise<Record<string, unknown>> {
  if (body.transactionalId !== null && body.transactionalId !== undefined) {
    return { throttleTimeMs: 0, errorCode: 53, producerId: -1, producerEpoch: -1 };
  }
  const result = await ctx.producerIds.initProducerId();
  return { throttleTimeMs: 0, ...result };
}

/** InitProducerId v0–5. */
export const initProducerIdHandler: HandlerEntry = {
  apiKey: ApiKey.InitProducerId,
  versions: { min: 0, max: 5 },
  handle: handleInitProducerId,
};
