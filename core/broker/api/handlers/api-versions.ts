/** ApiVersions: the ranges this broker serves (each handler's range cut to the codec's). */
import { ApiKey } from '../../../protocol/api-keys.ts';
import type { ApiRange, BrokerContext } from '../context.ts';
import type { ApiResponseInput } from '../../../protocol/api-messages.ts';
import type { BrokerRequestHeader, HandlerEntry } from '../handler.ts';

/**
 * The ranges as written into the ApiVersions answer. One deliberate difference from what
 * is served: Produce is listed from v0 although only v3+ is accepted (v0–2 requests are
 * refused like any unsupported version). librdkafka (kcat, confluent-kafka-python, …)
 * enables gzip and snappy only when the broker's Produce range includes v0 and lz4 only
 * when it includes v0–1; without them it silently sends those batches uncompressed.
 * Apache Kafka 4.0 answers the same way for the same reason (KAFKA-18659). Every client
 * picks its highest common Produce version, so none of them sends v0–2.
 */
export function advertisedRanges(served: readonly ApiRange[]): ApiRange[] {
  return served.map((r) => (r.apiKey === ApiKey.Produce && r.minVersion <= 3 ? { ...r, minVersion: 0 } : r));
}

function handleApiVersions(ctx: Pick<BrokerContext, 'apiVersions'>, _header: BrokerRequestHeader): ApiResponseInput<typeof ApiKey.ApiVersions> {
  return {
    errorCode: 0,
    apiKeys: advertisedRanges(ctx.apiVersions()),
    throttleTimeMs: 0,
    supportedFeatures: [],
    finalizedFeaturesEpoch: -1,
    finalizedFeatures: [],
    zkMigrationReady: false,
  };
}

/**
 * ApiVersions v0–4 (the request body is not needed to answer). It needs nothing of its
 * context but the served ranges, so the controller listener serves it too.
 */
export const apiVersionsHandler: HandlerEntry<typeof ApiKey.ApiVersions, Pick<BrokerContext, 'apiVersions'>> = {
  apiKey: ApiKey.ApiVersions,
  versions: { min: 0, max: 4 },
  handle: handleApiVersions,
};
