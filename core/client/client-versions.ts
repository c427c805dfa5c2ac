/**
 * The versions this client can build requests for and read responses of, and the
 * negotiation against what a broker advertises: the highest version both sides speak.
 */
import { kafkaError } from '../errors.ts';
import { ApiKey, apiName } from '../protocol/api-keys.ts';
import { findVersionRange, type ApiVersionRange } from '../protocol/supported-versions.ts';

/**
 * Ranges the client implements. The ceilings are where a later version would change
 * what the client must send or understand (Fetch 13 and Metadata 10 move to topic ids,
 * Produce 10 only adds leader hints the client does not use, DeleteTopics 6 moves to a
 * topic list) — the generic codec handles the wire format of every version in between.
 */
export const CLIENT_VERSIONS: readonly ApiVersionRange[] = Object.freeze([
  { apiKey: ApiKey.Produce, minVersion: 3, maxVersion: 9 },
  { apiKey: ApiKey.Fetch, minVersion: 4, maxVersion: 12 },
  { apiKey: ApiKey.ListOffsets, minVersion: 1, maxVersion: 7 },
  { apiKey: ApiKey.Metadata, minVersion: 1, maxVersion: 9 },
  { apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: 3 },
  { apiKey: ApiKey.CreateTopics, minVersion: 0, maxVersion: 7 },
  { apiKey: ApiKey.DeleteTopics, minVersion: 0, maxVersion: 5 },
  { apiKey: ApiKey.DescribeConfigs, minVersion: 0, maxVersion: 4 },
  { apiKey: ApiKey.AlterConfigs, minVersion: 0, maxVersion: 2 },
  { apiKey: ApiKey.CreatePartitions, minVersion: 0, maxVersion: 3 },
  { apiKey: ApiKey.InitProducerId, minVersion: 0, maxVersion: 4 },
].map((r) => Object.freeze(r)));

/** The highest version of `apiKey` in both lists, or undefined when they do not overlap. */
export function commonVersion(
  brokerRanges: readonly ApiVersionRange[],
  apiKey: number,
  clientRanges: readonly ApiVersionRange[] = CLIENT_VERSIONS,
): number | undefined {
  const broker = findVersionRange(brokerRanges, apiKey);
  const client = findVersionRange(clientRanges, apiKey);
  if (!broker || !client) return undefined;
  const max = Math.min(broker.maxVersion, client.maxVersion);
  return max >= Math.max(broker.minVersion, client.minVersion) ? max : undefined;
}

/** As {@link commonVersion}, but an API without a common version is `UNSUPPORTED_VERSION`. */
export function pickVersion(brokerRanges: readonly ApiVersionRange[], apiKey: number): number {
  const version = commonVersion(brokerRanges, apiKey);
  if (version === undefined) {
    throw kafkaError(35, `The broker and this client share no version of ${apiName(apiKey)}`, { details: { apiKey } });
  }
  return version;
}
