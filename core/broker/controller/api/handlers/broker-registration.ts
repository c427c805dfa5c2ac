/**
 * BrokerRegistration: a broker announces itself (node id, cluster id, incarnation, its
 * listener's address, rack) and gets its broker epoch. The listener named PLAINTEXT is the
 * address clients are given; without one, the first listed.
 */
import { KafkaCode } from '../../../../errors.ts';
import { ApiKey } from '../../../../protocol/api-keys.ts';
import type { ApiRequest, ApiResponseInput } from '../../../../protocol/api-messages.ts';
import type { BrokerRequestHeader, HandlerEntry } from '../../../api/handler.ts';
import type { ControllerContext } from '../context.ts';

/** The listener name brokers register under (Kafka's default PLAINTEXT listener). */
export const BROKER_LISTENER_NAME = 'PLAINTEXT';

async function handleBrokerRegistration(
  ctx: ControllerContext,
  _header: BrokerRequestHeader,
  body: ApiRequest<typeof ApiKey.BrokerRegistration>,
): Promise<ApiResponseInput<typeof ApiKey.BrokerRegistration>> {
  const listener = body.listeners.find((l) => l.name === BROKER_LISTENER_NAME) ?? body.listeners[0];
  if (!listener) return { throttleTimeMs: 0, errorCode: KafkaCode.INVALID_REGISTRATION, brokerEpoch: -1 };
  const result = await ctx.controller.registerBroker({
    nodeId: body.brokerId,
    clusterId: body.clusterId,
    incarnationId: body.incarnationId,
    host: listener.host,
    port: listener.port,
    rack: body.rack,
    previousBrokerEpoch: body.previousBrokerEpoch,
  });
  if (result.errorCode !== KafkaCode.NONE) {
    ctx.logger.warn('broker registration refused', { nodeId: body.brokerId, errorCode: result.errorCode, reason: result.errorMessage });
  }
  return { throttleTimeMs: 0, errorCode: result.errorCode, brokerEpoch: result.errorCode === KafkaCode.NONE ? result.brokerEpoch : -1 };
}

/** BrokerRegistration v0–4. */
export const brokerRegistrationHandler: HandlerEntry<typeof ApiKey.BrokerRegistration, ControllerContext> = {
  apiKey: ApiKey.BrokerRegistration,
  versions: { min: 0, max: 4 },
  handle: handleBrokerRegistration,
};
