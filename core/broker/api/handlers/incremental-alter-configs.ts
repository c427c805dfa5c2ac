/**
 * IncrementalAlterConfigs (what kafka-configs.sh and current AdminClients send): per
 * topic, each config is set, deleted (back to its default), appended to or subtracted from
 * (list configs); configs not named keep their values. Broker settings are static here
 * (set at start-up), so altering a broker resource is INVALID_REQUEST, as with AlterConfigs.
 */
import { ApiKey } from '../../../protocol/api-keys.ts';
import type { BrokerContext } from '../context.ts';
import type { ApiRequest, ApiResponseInput } from '../../../protocol/api-messages.ts';
import type { BrokerRequestHeader, HandlerEntry } from '../handler.ts';
import { alterConfigsRefusal, alterTopicResources } from './alter-topic-resources.ts';
import { access } from '../access.ts';

async function handleIncrementalAlterConfigs(
  ctx: BrokerContext,
  header: BrokerRequestHeader,
  body: ApiRequest<typeof ApiKey.IncrementalAlterConfigs>,
): Promise<ApiResponseInput<typeof ApiKey.IncrementalAlterConfigs>> {
  const can = access(ctx, header);
  const alterBroker = ctx.controller.incrementalAlterBrokerConfigs;
  const responses = await alterTopicResources(
    body.resources,
    (r) => ctx.controller.incrementalAlterTopicConfigs(r.resourceName, r.configs.map((c) => ({ name: c.name, op: c.configOperation, value: c.value })), body.validateOnly),
    (r) => alterConfigsRefusal(can, r.resourceType, r.resourceName),
    alterBroker && ((r) => alterBroker.call(ctx.controller, r.resourceName, r.configs.map((c) => ({ name: c.name, op: c.configOperation, value: c.value })), body.validateOnly)),
  );
  return { throttleTimeMs: 0, responses };
}

/** IncrementalAlterConfigs v0–1. */
export const incrementalAlterConfigsHandler: HandlerEntry<typeof ApiKey.IncrementalAlterConfigs> = {
  apiKey: ApiKey.IncrementalAlterConfigs,
  versions: { min: 0, max: 1 },
  handle: handleIncrementalAlterConfigs,
};
