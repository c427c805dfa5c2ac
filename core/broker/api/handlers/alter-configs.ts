/**
 * AlterConfigs (the legacy, non-incremental form): a topic's overrides are replaced by
 * the given set, so configs left out return to their defaults. Broker settings are
 * static here (set at start-up), so altering a broker resource is INVALID_REQUEST.
 */
import { ApiKey } from '../../../protocol/api-keys.ts';
import type { BrokerContext } from '../context.ts';
import type { ApiRequest, ApiResponseInput } from '../../../protocol/api-messages.ts';
import type { BrokerRequestHeader, HandlerEntry } from '../handler.ts';
import { alterConfigsRefusal, alterTopicResources } from './alter-topic-resources.ts';
import { access } from '../access.ts';

async function handleAlterConfigs(ctx: BrokerContext, header: BrokerRequestHeader, body: ApiRequest<typeof ApiKey.AlterConfigs>): Promise<ApiResponseInput<typeof ApiKey.AlterConfigs>> {
  const can = access(ctx, header);
  const alterBroker = ctx.controller.alterBrokerConfigs;
  const responses = await alterTopicResources(
    body.resources,
    (r) => ctx.controller.alterTopicConfigs(r.resourceName, r.configs.map((c) => [c.name, c.value] as const), body.validateOnly),
    (r) => alterConfigsRefusal(can, r.resourceType, r.resourceName),
    alterBroker && ((r) => alterBroker.call(ctx.controller, r.resourceName, r.configs.map((c) => [c.name, c.value] as const), body.validateOnly)),
  );
  return { throttleTimeMs: 0, responses };
}

/** AlterConfigs v0–2. */
export const alterConfigsHandler: HandlerEntry<typeof ApiKey.AlterConfigs> = {
  apiKey: ApiKey.AlterConfigs,
  versions: { min: 0, max: 2 },
  handle: handleAlterConfigs,
};
