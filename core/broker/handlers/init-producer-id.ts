/**
 * InitProducerId: a producer id and epoch for an idempotent producer (v3+: passing the
 * current id and epoch bumps the epoch, KIP-360). Transactional ids are refused until
 * transactions exist, as Produce refuses transactional batches.
 */
import type { Broker, BrokerRequestHeader, HandlerEntry } from '../broker.ts';

interface InitProducerIdRequest {
  transactionalId: string | null;
  transactionTimeoutMs: number;
  producerId?: number;
  producerEpoch?: number;
}

async function handleInitProducerId(broker: Broker, header: BrokerRequestHeader, body: InitProducerIdRequest): Promise<Record<string, unknown>> {
  if (body.transactionalId !== null && body.transactionalId !== undefined) {
    return { throttleTimeMs: 0, errorCode: 53, producerId: -1, producerEpoch: -1 };
  }
  const v = header.apiVersion;
  const result = await broker.producerState.ids.initProducerId(v >= 3 ? (body.producerId ?? -1) : -1, v >= 3 ? (body.producerEpoch ?? -1) : -1, v);
  return { throttleTimeMs: 0, ...result };
}

/** InitProducerId v0–5. */
export const initProducerIdHandler: HandlerEntry = { minVersion: 0, maxVersion: 5, handle: handleInitProducerId };
