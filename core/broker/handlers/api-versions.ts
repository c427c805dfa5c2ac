/** ApiVersions: the ranges this broker serves (each handler's range cut to the codec's). */
import type { Broker, BrokerRequestHeader, HandlerEntry } from '../broker.ts';

function handleApiVersions(broker: Broker, _header: BrokerRequestHeader): Record<string, unknown> {
  return {
    errorCode: 0,
    apiKeys: broker.apiVersions(),
    throttleTimeMs: 0,
    supportedFeatures: [],
    finalizedFeaturesEpoch: -1,
    finalizedFeatures: [],
    zkMigrationReady: false,
  };
}

/** ApiVersions v0–4 (the request body is not needed to answer). */
export const apiVersionsHandler: HandlerEntry = { minVersion: 0, maxVersion: 4, handle: handleApiVersions };
