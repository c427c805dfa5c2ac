/**
 * Hostile input: random bytes, every truncation of valid requests, and absurd lengths
 * end in coded errors — never a RangeError, a hang or a giant allocation.
 */
import { describe, expect, it } from 'vitest';
import { TributaryError } from '../../core/errors.ts';
import {
  ApiKey, SUPPORTED_VERSIONS, GROUP_API_VERSIONS, Writer, concat, decodeConsumerAssignment, decodeConsumerSubscription,
  decodeRequest, decodeResponse, encodeRequest, encodeResponse,
} from '../../core/protocol/index.ts';

const ALL = [...SUPPORTED_VERSIONS, ...GROUP_API_VERSIONS];
const REQUEST_CODES = new Set(['ERR_MALFORMED_REQUEST', 'ERR_UNKNOWN_API', 'UNSUPPORTED_VERSION']);

/** A small deterministic PRNG (mulberry32) so failures reproduce. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    if (!(error instanceof TributaryError)) throw error;
    return error.code;
  }
}

function versionsOf(list: typeof ALL): Array<[number, number]> {
  return list.flatMap((r) => Array.from({ length: r.maxVersion - r.minVersion + 1 }, (_, i) => [r.apiKey, r.minVersion + i] as [number, number]));
}

describe('random bytes', () => {
  it('decode or fail with a coded error, for every supported API and version', () => {
    const random = prng(1234);
    for (const [apiKey, version] of versionsOf(ALL)) {
      for (let i = 0; i < 40; i++) {
        const body = new Uint8Array(Math.floor(random() * 120));
        for (let j = 0; j < body.length; j++) body[j] = random() < 0.3 ? 0xff : Math.floor(random() * 256);
        const w = new Writer();
        w.int16(apiKey); w.int16(version); w.int32(i); w.string('fuzz');
        w.raw(body);
        const code = codeOf(() => decodeRequest(w.finishOne(), ALL));
        if (code !== undefined) expect(REQUEST_CODES.has(code), code).toBe(true);
      }
    }
  });

  it('fully random frames, headers included', () => {
    const random = prng(99);
    for (let i = 0; i < 3000; i++) {
      const frame = new Uint8Array(Math.floor(random() * 64));
      for (let j = 0; j < frame.length; j++) frame[j] = Math.floor(random() * 256);
      if (frame.length >= 2 && random() < 0.7) { frame[0] = 0; frame[1] = [0, 1, 2, 3, 18, 19, 60][Math.floor(random() * 7)]!; }
      const code = codeOf(() => decodeRequest(frame, ALL));
      if (code !== undefined) expect(REQUEST_CODES.has(code), code).toBe(true);
    }
  });
});

describe('truncated frames', () => {
  const sampleBodies: Record<number, object> = {
    [ApiKey.Produce]: { transactionalId: 'tx', acks: -1, timeoutMs: 1000, topicData: [{ name: 'topic', partitionData: [{ index: 0, records: new Uint8Array(300).fill(1) }] }] },
    [ApiKey.Fetch]: { maxWaitMs: 500, topics: [{ topic: 't', topicId: '11111111-2222-3333-4444-555555555555', partitions: [{ partition: 1, fetchOffset: 10, partitionMaxBytes: 1024 }] }], rackId: 'r' },
    [ApiKey.Metadata]: { topics: [{ name: 'a' }, { name: 'b' }] },
  };

  it('every strict prefix of a valid request is malformed', () => {
    for (const [apiKey, version] of versionsOf(ALL)) {
      const frame = concat(encodeRequest({ apiKey, apiVersion: version, correlationId: 1, clientId: 'c' }, sampleBodies[apiKey] ?? {})).subarray(4);
      expect(decodeRequest(frame, ALL).header.apiKey).toBe(apiKey);
      for (let n = 0; n < frame.length; n++) {
        expect(codeOf(() => decodeRequest(frame.subarray(0, n), ALL)), `api ${apiKey} v${version} cut at ${n}`).toBe('ERR_MALFORMED_REQUEST');
      }
    }
  });

  it('every strict prefix of a Fetch response is ERR_MALFORMED_RESPONSE', () => {
    const frame = concat(encodeResponse(ApiKey.Fetch, 12, 1, { responses: [{ topic: 't', partitions: [{ partitionIndex: 0, highWatermark: 5, records: new Uint8Array(20) }] }] })).subarray(4);
    for (let n = 0; n < frame.length; n++) expect(codeOf(() => decodeResponse(ApiKey.Fetch, 12, frame.subarray(0, n)))).toBe('ERR_MALFORMED_RESPONSE');
  });
});

describe('absurd lengths', () => {
  function produceV7(write: (w: Writer) => void): Uint8Array {
    const w = new Writer();
    w.int16(ApiKey.Produce); w.int16(7); w.int32(1); w.string('c');
    w.string(null); w.int16(1); w.int32(1000);
    write(w);
    return w.finishOne();
  }

  it('an array count of 2^31-1 with a few bytes left', () => {
    expect(codeOf(() => decodeRequest(produceV7((w) => { w.int32(0x7fffffff); w.int32(0); })))).toBe('ERR_MALFORMED_REQUEST');
  });

  it('a records length of 2^31-1, and a negative one', () => {
    const frame = (len: number) => produceV7((w) => { w.int32(1); w.string('t'); w.int32(1); w.int32(0); w.int32(len); w.raw(new Uint8Array(10)); });
    expect(codeOf(() => decodeRequest(frame(0x7fffffff)))).toBe('ERR_MALFORMED_REQUEST');
    expect(codeOf(() => decodeRequest(frame(-2)))).toBe('ERR_MALFORMED_REQUEST');
    expect(decodeRequest<typeof ApiKey.Produce>(frame(10)).body.topicData[0].partitionData[0].records).toHaveLength(10);
  });

  it('a string length of 32767 and a negative non-null one', () => {
    expect(codeOf(() => decodeRequest(produceV7((w) => { w.int32(1); w.int16(0x7fff); w.raw(new Uint8Array(5)); })))).toBe('ERR_MALFORMED_REQUEST');
    expect(codeOf(() => decodeRequest(produceV7((w) => { w.int32(1); w.int16(-1); w.int32(0); })))).toBe('ERR_MALFORMED_REQUEST');
  });

  it('a compact array count near 2^32 in a flexible request', () => {
    const w = new Writer();
    w.int16(ApiKey.Metadata); w.int16(9); w.int32(1); w.string('c'); w.uvarint(0);
    w.uvarint(0xfffffffe); w.raw(new Uint8Array(8));
    expect(codeOf(() => decodeRequest(w.finishOne()))).toBe('ERR_MALFORMED_REQUEST');
  });

  it('a tagged field whose size runs past the frame', () => {
    const w = new Writer();
    w.int16(ApiKey.Metadata); w.int16(9); w.int32(1); w.string('c'); w.uvarint(0);
    w.uvarint(0); w.bool(true); w.bool(false); w.uvarint(1); w.uvarint(7); w.uvarint(1000);
    expect(codeOf(() => decodeRequest(w.finishOne()))).toBe('ERR_MALFORMED_REQUEST');
  });

  it('consumer protocol payloads', () => {
    expect(codeOf(() => decodeConsumerSubscription(new Uint8Array([0, 1, 0x7f, 0xff, 0xff, 0xff])))).toBe('ERR_MALFORMED_CONSUMER_PROTOCOL');
    expect(codeOf(() => decodeConsumerAssignment(new Uint8Array([0xff, 0xff])))).toBe('ERR_MALFORMED_CONSUMER_PROTOCOL');
  });
});
