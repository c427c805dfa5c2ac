/**
 * FindCoordinator: on a cluster of one every group and transaction coordinator is this
 * node. (librdkafka also reads its presence as "the broker supports lz4".) The group
 * protocol itself is served by the group coordinator, registered separately.
 */
import { KafkaCode } from '../../../errors.ts';
import { ApiKey } from '../../../protocol/api-keys.ts';
import type { BrokerContext } from '../context.ts';
import type { ApiRequest, ApiResponseInput } from '../../../protocol/api-messages.ts';
import type { BrokerRequestHeader, HandlerEntry } from '../handler.ts';

function handleFindCoordinator(ctx: BrokerContext, header: BrokerRequestHeader, body: ApiRequest<typeof ApiKey.FindCoordinator>): ApiResponseInput<typeof ApiKey.FindCoordinator> {
  const self = ctx.image.broker(ctx.nodeId)!;
  const keyType = body.keyType ?? 0;
  const known = keyType === 0 || keyType === 1;
  const errorCode = known ? KafkaCode.NONE : KafkaCode.INVALID_REQUEST;
  const errorMessage = known ? null : `Unknown coordinator key type ${keyType}`;
  if (header.apiVersion >= 4) {
    return {
      throttleTimeMs: 0,
      coordinators: (body.coordinatorKeys ?? []).map((key) => ({ key, nodeId: known ? self.nodeId : -1, host: known ? self.host : '', port: known ? self.port : -1, errorCode, errorMessage })),
    };
  }
  return { throttleTimeMs: 0, errorCode, errorMessage, nodeId: known ? self.nodeId : -1, host: known ? self.host : '', port: known ? self.port : -1 };
}

/** FindCoordinator v0–6. */
export const findCoordinatorHandler: HandlerEntry<typeof ApiKey.FindCoordinator> = {
  apiKey: ApiKey.FindCoordinator,
  versions: { min: 0, max: 6 },
  handle: handleFindCoordinator,
};
