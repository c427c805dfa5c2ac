/** BrokerHeartbeat: keeps a registration alive; answers whether the broker is caught up, fenced, and may shut down. */
import { ApiKey } from '../../../../protocol/api-keys.ts';
import type { ApiRequest, ApiResponseInput } from '../../../../protocol/api-messages.ts';
import type { BrokerRequestHeader, HandlerEntry } from '../../../api/handler.ts';
import type { ControllerContext } from '../context.ts';

async function handleBrokerHeartbeat(
  ctx: ControllerContext,
  _header: BrokerRequestHeader,
  body: ApiRequest<typeof ApiKey.BrokerHeartbeat>,
): Promise<ApiResponseInput<typeof ApiKey.BrokerHeartbeat>> {
  const result = await ctx.controller.brokerHeartbeat({
    nodeId: body.brokerId,
    brokerEpoch: body.brokerEpoch,
    currentMetadataOffset: body.currentMetadataOffset,
    wantFence: body.wantFence,
    wantShutdown: body.wantShutDown,
  });
  return { throttleTimeMs: 0, errorCode: result.errorCode, isCaughtUp: result.isCaughtUp, isFenced: result.isFenced, shouldShutDown: result.shouldShutdown };
}

/** BrokerHeartbeat v0–1 (v1's offline log directories are not used: one log directory per broker). */
export const brokerHeartbeatHandler: HandlerEntry<typeof ApiKey.BrokerHeartbeat, ControllerContext> = {
  apiKey: ApiKey.BrokerHeartbeat,
  versions: { min: 0, max: 1 },
  handle: handleBrokerHeartbeat,
};
