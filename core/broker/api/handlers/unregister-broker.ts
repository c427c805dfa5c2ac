/**
 * UnregisterBroker (64) on a broker: forwarded to the active controller, which takes the
 * broker out of every ISR and leadership and removes its registration (decommission, once its
 * replicas have moved away; Kafka does not refuse a live broker — it would register again).
 * A broker without a cluster controller has no registrations to remove.
 */
import { KafkaCode } from '../../../errors.ts';
import { ApiKey } from '../../../protocol/api-keys.ts';
import { toErrorPair } from '../../error-pair.ts';
import { access } from '../access.ts';
import type { HandlerEntry } from '../handler.ts';

/** UnregisterBroker v0. */
export const unregisterBrokerHandler: HandlerEntry<typeof ApiKey.UnregisterBroker> = {
  apiKey: ApiKey.UnregisterBroker,
  versions: { min: 0, max: 0 },
  handle: async (ctx, header, body) => {
    // Kafka's check: ALTER on the cluster.
    if (!access(ctx, header).cluster('alter')) return { throttleTimeMs: 0, errorCode: KafkaCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'Not authorized to unregister brokers' };
    const forward = ctx.controller.unregisterBroker;
    if (!forward) return { throttleTimeMs: 0, errorCode: KafkaCode.UNSUPPORTED_VERSION, errorMessage: 'This broker runs alone: it has no cluster controller to unregister brokers' };
    try {
      return await forward(body);
    } catch (error) {
      return { throttleTimeMs: 0, ...toErrorPair(error) };
    }
  },
};
