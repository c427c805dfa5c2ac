/**
 * IncrementalAlterConfigs (what kafka-configs.sh and current AdminClients send): per
 * topic, each config is set, deleted (back to its default), appended to or subtracted from
 * (list configs); configs not named keep their values. Broker settings are static here
 * (set at start-up), so altering a broker resource is INVALID_REQUEST, as with AlterConfigs.
 */
import { KafkaCode } from '../../../errors.ts';
import { ApiKey } from '../../../protocol/api-keys.ts';
import type { BrokerContext } from '../context.ts';
import type { ApiRequest, ApiResponseInput } from '../../../protocol/api-messages.ts';
import type { BrokerRequestHeader, HandlerEntry } from '../handler.ts';
import { ResourceType } from './describe-configs.ts';
import { NO_ERROR, toErrorPair } from '../../error-pair.ts';

async function handleIncrementalAlterConfigs(
  ctx: BrokerContext,
  _header: BrokerRequestHeader,
  body: ApiRequest<typeof ApiKey.IncrementalAlterConfigs>,
): Promise<ApiResponseInput<typeof ApiKey.IncrementalAlterConfigs>> {
  const responses = await Promise.all(
    body.resources.map(async (r) => {
      const base = { resourceType: r.resourceType, resourceName: r.resourceName };
      if (r.resourceType !== ResourceType.topic) {
        return { ...base, errorCode: KafkaCode.INVALID_REQUEST, errorMessage: 'Only topic configs can be altered; broker settings are static' };
      }
      try {
        const ops = r.configs.map((c) => ({ name: c.name, op: c.configOperation, value: c.value }));
        await ctx.controller.incrementalAlterTopicConfigs(r.resourceName, ops, body.validateOnly);
        return { ...base, ...NO_ERROR };
      } catch (error) {
        return { ...base, ...toErrorPair(error) };
      }
    }),
  );
  return { throttleTimeMs: 0, responses };
}

/** IncrementalAlterConfigs v0–1. */
export const incrementalAlterConfigsHandler: HandlerEntry<typeof ApiKey.IncrementalAlterConfigs> = {
  apiKey: ApiKey.IncrementalAlterConfigs,
  versions: { min: 0, max: 1 },
  handle: handleIncrementalAlterConfigs,
};
