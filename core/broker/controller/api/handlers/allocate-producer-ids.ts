/** AllocateProducerIds: a block of producer ids for one broker. */
import { ApiKey } from '../../../../protocol/api-keys.ts';
import type { ApiRequest, ApiResponseInput } from '../../../../protocol/api-messages.ts';
import type { BrokerRequestHeader, HandlerEntry } from '../../../api/handler.ts';
import type { ControllerContext } from '../context.ts';

async function handleAllocateProducerIds(
  ctx: ControllerContext,
  _header: BrokerRequestHeader,
  body: ApiRequest<typeof ApiKey.AllocateProducerIds>,
): Promise<ApiResponseInput<typeof ApiKey.AllocateProducerIds>> {
  const result = await ctx.controller.allocateProducerIds({ brokerId: body.brokerId, brokerEpoch: body.brokerEpoch });
  return { throttleTimeMs: 0, errorCode: result.errorCode, producerIdStart: result.firstProducerId, producerIdLen: result.size };
}

/** AllocateProducerIds v0. */
export const allocateProducerIdsHandler: HandlerEntry<typeof ApiKey.AllocateProducerIds, ControllerContext> = {
  apiKey: ApiKey.AllocateProducerIds,
  versions: { min: 0, max: 0 },
  handle: handleAllocateProducerIds,
};
