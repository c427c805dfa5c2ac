/**
 * The versions this client can build requests for and read responses of, and the
 * negotiation against what a broker advertises: the highest version both sides speak.
 * The ranges come from the one version policy (core/protocol/version-policy.ts).
 */
import { kafkaError } from '../errors.ts';
import { apiName } from '../protocol/api-keys.ts';
import { KafkaCode } from '../kafka-error-codes.ts';
import { CLIENT_API_VERSIONS, CLIENT_VERSIONS, highestCommonVersion, type ApiVersionRange } from '../protocol/version-policy.ts';

export { CLIENT_API_VERSIONS, CLIENT_VERSIONS };

/**
 * The highest version of `apiKey` in both lists, or undefined when they do not overlap.
 * `clientRanges` defaults to every API the client sends (group APIs included).
 */
export function commonVersion(
  brokerRanges: readonly ApiVersionRange[],
  apiKey: number,
  clientRanges: readonly ApiVersionRange[] = CLIENT_API_VERSIONS,
): number | undefined {
  return highestCommonVersion(brokerRanges, apiKey, clientRanges);
}

/** As {@link commonVersion}, but an API without a common version is `UNSUPPORTED_VERSION`. */
export function pickVersion(brokerRanges: readonly ApiVersionRange[], apiKey: number, clientRanges: readonly ApiVersionRange[] = CLIENT_API_VERSIONS): number {
  const version = commonVersion(brokerRanges, apiKey, clientRanges);
  if (version === undefined) {
    throw kafkaError(KafkaCode.UNSUPPORTED_VERSION, `The broker and this client share no version of ${apiName(apiKey)}`, { details: { apiKey } });
  }
  return version;
}
