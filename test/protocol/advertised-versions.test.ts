/**
 * Pins what the broker advertises in ApiVersions, byte for byte. The interop tests with
 * kafkajs, librdkafka and kafka-python depend on these exact ranges (each client picks its
 * version from them, some enable features by them): a change here must be deliberate.
 */
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../adapters/memory/index.ts';
import { Broker } from '../../core/broker/broker.ts';
import { DEFAULT_HANDLERS } from '../../core/broker/api/preset.ts';
import { CLIENT_VERSIONS, commonVersion } from '../../core/client/client-versions.ts';
import { GROUP_CLIENT_VERSIONS } from '../../core/client/group/coordinator-channel.ts';
import { ApiKey, concat, decodeResponse, encodeApiVersionsFallback, encodeResponse } from '../../core/protocol/index.ts';

/**
 * [apiKey, min, max] of what is served (decoded and handled). SaslHandshake (17) and
 * SaslAuthenticate (36) authenticate on SASL listeners and are answered ILLEGAL_SASL_STATE
 * elsewhere, as Kafka's PLAINTEXT listeners do (and advertise them);
 * DescribeUserScramCredentials (50) and AlterUserScramCredentials (51) manage SCRAM users.
 * DescribeAcls, CreateAcls and DeleteAcls (29–31) are served from issue 14 (SECURITY_DISABLED
 * without an authorizer).
 */
const SERVED: ReadonlyArray<readonly [number, number, number]> = [
  [0, 3, 9], [1, 4, 12], [2, 1, 10], [3, 0, 9], [8, 0, 9], [9, 0, 9], [10, 0, 4], [11, 0, 9],
  [12, 0, 4], [13, 0, 5], [14, 0, 5], [15, 0, 5], [16, 0, 5], [17, 0, 1], [18, 0, 3], [19, 0, 7],
  [20, 0, 6], [21, 0, 2], [22, 0, 5], [23, 0, 4], [29, 0, 3], [30, 0, 3], [31, 0, 3], [32, 0, 4], [33, 0, 2], [35, 0, 4], [36, 0, 2], [37, 0, 3], [42, 0, 2],
  [43, 0, 2], [44, 0, 1], [45, 0, 0], [46, 0, 0], [47, 0, 0], [50, 0, 0], [51, 0, 0], [60, 0, 1], [64, 0, 0],
];

/** What the ApiVersions answer lists: the same, with Produce from v0 (librdkafka's compression probe). */
const ADVERTISED = SERVED.map(([k, min, max]) => (k === 0 ? [k, 0, max] as const : [k, min, max] as const));

const ranges = (list: ReadonlyArray<readonly [number, number, number]>) => list.map(([apiKey, minVersion, maxVersion]) => ({ apiKey, minVersion, maxVersion }));

function hex(chunks: Uint8Array[]): string {
  return Buffer.from(concat(chunks)).toString('hex');
}

describe('advertised API versions', () => {
  const broker = new Broker({ handlers: DEFAULT_HANDLERS, storage: memoryStorage(), retentionCheckIntervalMs: 0 });

  it('serves exactly today\'s ranges', () => {
    expect(broker.apiVersions().map((r) => ({ ...r }))).toEqual(ranges(SERVED));
  });

  it.each([0, 1, 2, 3])('answers ApiVersions v%i with today\'s ranges, byte for byte', async (version) => {
    const body = await broker.handle({ apiKey: ApiKey.ApiVersions, apiVersion: version, correlationId: 7, clientId: 'pin' }, { clientSoftwareName: 'pin', clientSoftwareVersion: '1' });
    const bytes = encodeResponse(ApiKey.ApiVersions, version, 7, body!);
    const expected = encodeResponse(ApiKey.ApiVersions, version, 7, { errorCode: 0, apiKeys: ranges(ADVERTISED), throttleTimeMs: 0 });
    expect(hex(bytes)).toBe(hex(expected));
    expect(decodeResponse(ApiKey.ApiVersions, version, concat(bytes).subarray(4)).body.apiKeys).toEqual(ranges(ADVERTISED));
  });

  it('keeps the v3 answer\'s exact bytes', async () => {
    const body = await broker.handle({ apiKey: ApiKey.ApiVersions, apiVersion: 3, correlationId: 1, clientId: 'pin' }, {});
    expect(hex(encodeResponse(ApiKey.ApiVersions, 3, 1, body!))).toMatchInlineSnapshot(`"00000116000000010000270000000000090000010004000c0000020001000a00000300000009000008000000090000090000000900000a0000000400000b0000000900000c0000000400000d0000000500000e0000000500000f00000005000010000000050000110000000100001200000003000013000000070000140000000600001500000002000016000000050000170000000400001d0000000300001e0000000300001f00000003000020000000040000210000000200002300000004000024000000020000250000000300002a0000000200002b0000000200002c0000000100002d0000000000002e0000000000002f00000000000032000000000000330000000000003c0000000100004000000000000000000000"`);
  });

  it('answers an unsupported ApiVersions version with today\'s fallback bytes', () => {
    expect(hex(encodeApiVersionsFallback(5, broker.apiVersions()))).toBe('0000001000000005002300000001001200000003');
  });

  it('keeps the client\'s version choices against this broker', () => {
    const chosen = (list: typeof CLIENT_VERSIONS) => Object.fromEntries(list.map((r) => [r.apiKey, commonVersion(broker.apiVersions(), r.apiKey, list)]));
    expect(chosen(CLIENT_VERSIONS)).toEqual({ 0: 9, 1: 12, 2: 7, 3: 9, 17: 1, 18: 3, 19: 7, 20: 5, 21: 2, 32: 4, 33: 2, 36: 2, 37: 3, 22: 4, 44: 1, 50: 0, 51: 0, 29: 3, 30: 3, 31: 3, 43: 2, 45: 0, 46: 0, 64: 0, 35: 4 });
    expect(chosen(GROUP_CLIENT_VERSIONS)).toEqual({ 10: 4, 11: 9, 14: 5, 12: 4, 13: 5, 8: 8, 9: 7, 15: 5, 16: 4, 42: 2, 47: 0 });
  });
});
