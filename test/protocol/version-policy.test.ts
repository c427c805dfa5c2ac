/**
 * The one version policy: every table is derived from it and stays inside the schemas,
 * and what a broker advertises is handler ∩ schema ∩ policy.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { KafkaCode, KAFKA_ERRORS, kafkaError, type ErrorCode } from '../../core/errors.ts';
import { CLIENT_VERSIONS, pickVersion } from '../../core/client/client-versions.ts';
import type { ResponseOf } from '../../core/client/transport.ts';
import { ApiKey, SCHEMAS, type ProduceRequest, type ProduceResponse } from '../../core/protocol/index.ts';
import type { ApiRequest, ApiRequestInput, ApiResponse } from '../../core/protocol/api-messages.ts';
import {
  BROKER_VERSIONS, CLIENT_API_VERSIONS, GROUP_API_VERSIONS, GROUP_CLIENT_VERSIONS, SUPPORTED_VERSIONS, VERSION_POLICY,
  advertisedVersions, findVersionRange, highestCommonVersion,
} from '../../core/protocol/version-policy.ts';

describe('version policy', () => {
  it('names every API we describe, and only those', () => {
    expect(Object.keys(VERSION_POLICY).sort()).toEqual(Object.keys(ApiKey).sort());
  });

  it.each([['broker', BROKER_VERSIONS], ['client', CLIENT_API_VERSIONS]] as const)('keeps the %s ranges inside the schemas', (_side, list) => {
    for (const r of list) {
      const schema = SCHEMAS.get(r.apiKey)!;
      expect(r.minVersion, schema.name).toBeGreaterThanOrEqual(schema.minVersion);
      expect(r.maxVersion, schema.name).toBeLessThanOrEqual(schema.maxVersion);
      expect(r.minVersion, schema.name).toBeLessThanOrEqual(r.maxVersion);
    }
  });

  it('splits the broker and client tables without losing or adding an API', () => {
    expect([...SUPPORTED_VERSIONS, ...GROUP_API_VERSIONS].sort((a, b) => a.apiKey - b.apiKey)).toEqual(BROKER_VERSIONS);
    expect([...CLIENT_VERSIONS, ...GROUP_CLIENT_VERSIONS].sort((a, b) => a.apiKey - b.apiKey)).toEqual(CLIENT_API_VERSIONS);
  });

  it('advertises handler ∩ policy, leaving out APIs without a handler or without overlap', () => {
    const handlers: Array<[number, { minVersion: number; maxVersion: number }]> = [
      [ApiKey.Produce, { minVersion: 3, maxVersion: 11 }], // policy 3–9
      [ApiKey.Metadata, { minVersion: 0, maxVersion: 12 }], // policy 0–9
      [ApiKey.Fetch, { minVersion: 13, maxVersion: 17 }], // policy 4–12: no overlap
      [9999, { minVersion: 0, maxVersion: 1 }], // not in the policy
    ];
    expect(advertisedVersions(handlers)).toEqual([
      { apiKey: ApiKey.Produce, minVersion: 3, maxVersion: 9 },
      { apiKey: ApiKey.Metadata, minVersion: 0, maxVersion: 9 },
    ]);
  });

  it('chooses the client\'s version from the same data', () => {
    const broker = [{ apiKey: ApiKey.ListOffsets, minVersion: 0, maxVersion: 10 }, { apiKey: ApiKey.OffsetFetch, minVersion: 0, maxVersion: 9 }];
    expect(highestCommonVersion(broker, ApiKey.ListOffsets)).toBe(VERSION_POLICY.ListOffsets.client![1]);
    expect(pickVersion(broker, ApiKey.OffsetFetch)).toBe(VERSION_POLICY.OffsetFetch.client![1]);
    expect(highestCommonVersion(broker, ApiKey.SaslHandshake)).toBeUndefined();
    expect(findVersionRange(CLIENT_API_VERSIONS, ApiKey.DescribeCluster)).toBeUndefined();
  });
});

describe('Kafka error codes by name', () => {
  it('come from the one table', () => {
    expect(KafkaCode.NOT_LEADER_OR_FOLLOWER).toBe(6);
    expect(KafkaCode.UNKNOWN_SERVER_ERROR).toBe(-1);
    for (const [name, code] of Object.entries(KafkaCode)) expect(KAFKA_ERRORS[name as keyof typeof KafkaCode].code).toBe(code);
    expectTypeOf(KafkaCode.UNSUPPORTED_VERSION).toEqualTypeOf<35>();
  });

  it('give TributaryError codes of the closed union', () => {
    expect(kafkaError(KafkaCode.FENCED_LEADER_EPOCH).code).toBe('FENCED_LEADER_EPOCH');
    expect(kafkaError(10_000).code).toBe('KAFKA_ERROR_10000');
    expectTypeOf<'NOT_LEADER_OR_FOLLOWER'>().toMatchTypeOf<ErrorCode>();
    expectTypeOf<'ERR_STORAGE_CLOSED'>().toMatchTypeOf<ErrorCode>();
    expectTypeOf<'ERR_NO_SUCH_CODE'>().not.toMatchTypeOf<ErrorCode>();
  });
});

describe('typed API map', () => {
  it('maps keys to the generated request and response types', () => {
    expectTypeOf<ApiRequest<typeof ApiKey.Produce>>().toEqualTypeOf<ProduceRequest>();
    expectTypeOf<ApiResponse<typeof ApiKey.Produce>>().toEqualTypeOf<ProduceResponse>();
    // Inputs: every field optional, records as chunks.
    expectTypeOf<{ acks: -1; topicData: [{ name: 't'; partitionData: [{ index: 0; records: Uint8Array[] }] }] }>().toMatchTypeOf<ApiRequestInput<typeof ApiKey.Produce>>();
    expectTypeOf<{ acks: 'all' }>().not.toMatchTypeOf<ApiRequestInput<typeof ApiKey.Produce>>();
  });

  it('resolves null only when no response is expected', () => {
    type Produce = typeof ApiKey.Produce;
    expectTypeOf<ResponseOf<Produce, undefined>>().toEqualTypeOf<ProduceResponse>();
    expectTypeOf<ResponseOf<Produce, { extraTimeoutMs: number }>>().toEqualTypeOf<ProduceResponse>();
    expectTypeOf<ResponseOf<Produce, { expectResponse: false }>>().toEqualTypeOf<null>();
    expectTypeOf<ResponseOf<Produce, { expectResponse: boolean }>>().toEqualTypeOf<ProduceResponse | null>();
  });
});
