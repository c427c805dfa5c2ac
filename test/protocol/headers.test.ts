/**
 * Request header v1/v2, response header v0/v1, the ApiVersions rules, the advertised
 * ranges, and the coded errors for unknown APIs and unsupported versions.
 */
import { describe, expect, it } from 'vitest';
import { TributaryError } from '../../core/errors.ts';
import {
  ALL_SCHEMAS, ApiKey, GROUP_API_VERSIONS, SCHEMAS, SUPPORTED_VERSIONS, Writer, concat, decodeRequest, decodeRequestHeader,
  decodeResponse, encodeApiVersionsFallback, encodeRequest, encodeResponse, findVersionRange,
} from '../../core/protocol/index.ts';

function frameOf(chunks: Uint8Array[]): Uint8Array {
  return concat(chunks).subarray(4);
}

function thrown(fn: () => unknown): TributaryError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(TributaryError);
    return error as TributaryError;
  }
  throw new Error('expected an error');
}

describe('request headers', () => {
  it('v1 for non-flexible versions: key, version, correlation id, int16 client id, then the body', () => {
    const frame = frameOf(encodeRequest({ apiKey: ApiKey.Metadata, apiVersion: 8, correlationId: 42, clientId: 'abc' }, { topics: null }));
    const view = new DataView(frame.buffer, frame.byteOffset);
    expect([view.getInt16(0), view.getInt16(2), view.getInt32(4), view.getInt16(8)]).toEqual([3, 8, 42, 3]);
    const { header, bodyOffset } = decodeRequestHeader(frame);
    expect(header).toEqual({ apiKey: 3, apiVersion: 8, correlationId: 42, clientId: 'abc' });
    expect(bodyOffset).toBe(13);
    expect(view.getInt32(13)).toBe(-1); // null topics
  });

  it('v2 for flexible versions: the client id stays an int16 string, then a tag buffer', () => {
    const frame = frameOf(encodeRequest({ apiKey: ApiKey.Metadata, apiVersion: 9, correlationId: 7, clientId: 'abc' }, { topics: null }));
    expect(new DataView(frame.buffer, frame.byteOffset).getInt16(8)).toBe(3);
    expect(frame[13]).toBe(0); // empty tag buffer
    expect(decodeRequestHeader(frame).bodyOffset).toBe(14);
    expect(frame[14]).toBe(0); // compact null array
  });

  it('skips tagged fields in a v2 header', () => {
    const w = new Writer();
    w.int16(ApiKey.ApiVersions); w.int16(3); w.int32(9); w.string(null);
    w.uvarint(1); w.uvarint(3); w.uvarint(2); w.int16(0x1234); // one unknown header tag
    w.compactString('tributary-test'); w.compactString('1.0'); w.uvarint(0);
    const decoded = decodeRequest(w.finishOne());
    expect(decoded.header).toEqual({ apiKey: 18, apiVersion: 3, correlationId: 9, clientId: null });
    expect(decoded.body).toEqual({ clientSoftwareName: 'tributary-test', clientSoftwareVersion: '1.0' });
  });

  it('a truncated header is malformed', () => {
    expect(thrown(() => decodeRequestHeader(new Uint8Array([0, 3, 0]))).code).toBe('ERR_MALFORMED_REQUEST');
  });
});

describe('response headers', () => {
  it('v0 (correlation id only) for non-flexible versions, v1 (plus a tag buffer) for flexible ones', () => {
    const v8 = frameOf(encodeResponse(ApiKey.Metadata, 8, 5, { throttleTimeMs: 0x01020304 }));
    expect(new DataView(v8.buffer, v8.byteOffset).getInt32(4)).toBe(0x01020304);
    const v9 = frameOf(encodeResponse(ApiKey.Metadata, 9, 5, { throttleTimeMs: 0x01020304 }));
    expect(v9[4]).toBe(0);
    expect(new DataView(v9.buffer, v9.byteOffset).getInt32(5)).toBe(0x01020304);
    expect(decodeResponse(ApiKey.Metadata, 9, v9).body.throttleTimeMs).toBe(0x01020304);
  });

  it('ApiVersions answers with header v0 even in flexible v3', () => {
    const frame = frameOf(encodeResponse(ApiKey.ApiVersions, 3, 11, { errorCode: 0, apiKeys: SUPPORTED_VERSIONS }));
    const view = new DataView(frame.buffer, frame.byteOffset);
    expect(view.getInt32(0)).toBe(11);
    expect(view.getInt16(4)).toBe(0); // errorCode right after the correlation id
    expect(frame[6]).toBe(SUPPORTED_VERSIONS.length + 1); // compact array count
    const back = decodeResponse(ApiKey.ApiVersions, 3, frame).body;
    expect(back.apiKeys).toEqual(SUPPORTED_VERSIONS.map((r) => ({ ...r })));
  });

  it('the unsupported-ApiVersions fallback is a v0 body with error 35 and our ApiVersions range', () => {
    const frame = frameOf(encodeApiVersionsFallback(99));
    const back = decodeResponse(ApiKey.ApiVersions, 0, frame);
    expect(back.correlationId).toBe(99);
    expect(back.body).toEqual({ errorCode: 35, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 3 }], throttleTimeMs: 0, supportedFeatures: [], finalizedFeaturesEpoch: -1, finalizedFeatures: [], zkMigrationReady: false });
  });
});

describe('unknown APIs and versions', () => {
  it('an unknown API key is ERR_UNKNOWN_API, carrying the header', () => {
    const w = new Writer();
    w.int16(999); w.int16(0); w.int32(1234); w.string('x');
    const error = thrown(() => decodeRequest(w.finishOne()));
    expect(error.code).toBe('ERR_UNKNOWN_API');
    expect((error.details!.header as { correlationId: number }).correlationId).toBe(1234);
  });

  it('a version outside the advertised range is UNSUPPORTED_VERSION (35)', () => {
    const produceV2 = frameOf(encodeRequest({ apiKey: ApiKey.Produce, apiVersion: 2, correlationId: 3, clientId: null }, {}));
    const error = thrown(() => decodeRequest(produceV2));
    expect([error.code, error.kafkaCode]).toEqual(['UNSUPPORTED_VERSION', 35]);
    const w = new Writer();
    w.int16(ApiKey.ApiVersions); w.int16(4); w.int32(8); w.string('c'); w.uvarint(0);
    const api4 = thrown(() => decodeRequest(w.finishOne()));
    expect(api4.code).toBe('UNSUPPORTED_VERSION');
    expect((api4.details!.header as { correlationId: number }).correlationId).toBe(8);
  });

  it('group APIs decode only once the broker adds their ranges', () => {
    const join = frameOf(encodeRequest({ apiKey: ApiKey.JoinGroup, apiVersion: 5, correlationId: 1, clientId: 'c' }, { groupId: 'g' }));
    expect(thrown(() => decodeRequest(join)).code).toBe('ERR_UNKNOWN_API');
    expect(decodeRequest<typeof ApiKey.JoinGroup>(join, [...SUPPORTED_VERSIONS, ...GROUP_API_VERSIONS]).body.groupId).toBe('g');
  });
});

describe('advertised ranges', () => {
  // The "advertise" column of CLIENTS.md, and the highest version kafkajs sends (it ignores our minimum).
  const required: Array<[number, number, number, number]> = [
    [ApiKey.Produce, 3, 7, 7], [ApiKey.Fetch, 4, 12, 11], [ApiKey.ListOffsets, 1, 5, 3], [ApiKey.Metadata, 0, 9, 6],
    [ApiKey.ApiVersions, 0, 3, 2], [ApiKey.CreateTopics, 0, 7, 3], [ApiKey.DeleteTopics, 0, 6, 1],
    [ApiKey.DescribeConfigs, 0, 2, 2], [ApiKey.CreatePartitions, 0, 1, 1],
  ];
  const requiredGroups: Array<[number, number, number, number]> = [
    [ApiKey.OffsetCommit, 0, 8, 5], [ApiKey.OffsetFetch, 1, 8, 4], [ApiKey.FindCoordinator, 0, 4, 2], [ApiKey.JoinGroup, 0, 6, 5],
    [ApiKey.Heartbeat, 0, 4, 3], [ApiKey.LeaveGroup, 0, 4, 3], [ApiKey.SyncGroup, 0, 4, 3], [ApiKey.DescribeGroups, 0, 5, 2],
    [ApiKey.ListGroups, 0, 4, 2], [ApiKey.SaslHandshake, 0, 1, 1], [ApiKey.InitProducerId, 0, 3, 1],
    [ApiKey.SaslAuthenticate, 0, 2, 1], [ApiKey.DeleteGroups, 0, 2, 1],
  ];

  it.each([['issue 4', SUPPORTED_VERSIONS, required], ['groups', GROUP_API_VERSIONS, requiredGroups]] as const)('%s ranges cover CLIENTS.md and stay inside the schemas', (_n, list, req) => {
    for (const [key, min, max, kafkajsMax] of req) {
      const range = findVersionRange(list, key)!;
      expect(range, `api ${key}`).toBeDefined();
      expect(range.minVersion, `api ${key} min`).toBeLessThanOrEqual(min);
      expect(range.maxVersion, `api ${key} max`).toBeGreaterThanOrEqual(max);
      expect(range.minVersion, `api ${key} kafkajs`).toBeLessThanOrEqual(kafkajsMax);
    }
    for (const range of list) {
      const schema = SCHEMAS.get(range.apiKey)!;
      expect(range.minVersion).toBeGreaterThanOrEqual(schema.minVersion);
      expect(range.maxVersion).toBeLessThanOrEqual(schema.maxVersion);
    }
  });

  it('platformatic gets Metadata ≤ 9 with Fetch 12, and every described API has a key name', () => {
    expect(findVersionRange(SUPPORTED_VERSIONS, ApiKey.Metadata)!.maxVersion).toBe(9);
    expect(findVersionRange(SUPPORTED_VERSIONS, ApiKey.Fetch)!.maxVersion).toBe(12);
    const names = new Map(Object.entries(ApiKey).map(([n, k]) => [k as number, n]));
    for (const schema of ALL_SCHEMAS) expect(names.get(schema.apiKey)).toBe(schema.name);
  });
});
