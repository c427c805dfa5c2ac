/**
 * Real bytes from a real client: requests encoded by kafkajs' own protocol encoders
 * (node_modules/kafkajs/src/protocol/requests) decode with our codec, and our responses
 * decode with kafkajs' own response decoders.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { ApiKey, SUPPORTED_VERSIONS, concat, decodeRequest, encodeResponse } from '../../core/protocol/index.ts';

const require = createRequire(import.meta.url);
const kafkajs = (path: string) => require(`kafkajs/src/protocol/${path}`);
const frameRequest = kafkajs('request.js');

/** Encodes a kafkajs request object exactly as its connection would put it on the socket. */
async function kafkajsFrame(request: unknown, correlationId = 17): Promise<Uint8Array> {
  const encoder = await frameRequest({ correlationId, clientId: 'kafkajs-client', request });
  return new Uint8Array(encoder.buffer).subarray(4);
}

/** Our response body as kafkajs' connection hands it to a decoder (after the correlation id). */
function responsePayload(apiKey: number, version: number, body: object): Buffer {
  return globalThis.Buffer.from(concat(encodeResponse(apiKey, version, 17, body)).subarray(8));
}

const produceMessages = [
  { key: 'k1', value: 'value one', headers: { h: 'x' }, timestamp: 1_700_000_000_000 },
  { key: null, value: 'value two', timestamp: 1_700_000_000_005 },
];

async function kafkajsBatch(): Promise<Uint8Array> {
  const produce = kafkajs('requests/produce/v7/request.js')({
    acks: -1, timeout: 30000, topicData: [{ topic: 'events', partitions: [{ partition: 2, messages: produceMessages }] }],
  });
  const { body } = decodeRequest<typeof ApiKey.Produce>(await kafkajsFrame(produce));
  return body.topicData[0]!.partitionData[0]!.records!;
}

describe('kafkajs requests decode with our codec', () => {
  it('ApiVersions v2', async () => {
    const { header, body } = decodeRequest(await kafkajsFrame(kafkajs('requests/apiVersions/v2/request.js')()));
    expect(header).toEqual({ apiKey: ApiKey.ApiVersions, apiVersion: 2, correlationId: 17, clientId: 'kafkajs-client' });
    expect(body).toEqual({ clientSoftwareName: '', clientSoftwareVersion: '' });
  });

  it('Metadata v6', async () => {
    const request = kafkajs('requests/metadata/v6/request.js')({ topics: ['alpha', 'beta'], allowAutoTopicCreation: false });
    const { header, body } = decodeRequest<typeof ApiKey.Metadata>(await kafkajsFrame(request));
    expect(header.apiVersion).toBe(6);
    expect(body.topics!.map((t) => t.name)).toEqual(['alpha', 'beta']);
    expect(body.allowAutoTopicCreation).toBe(false);
  });

  it('Produce v7: the record batch arrives as a view of the frame, magic 2, intact length', async () => {
    const produce = kafkajs('requests/produce/v7/request.js')({
      acks: -1, timeout: 30000, topicData: [{ topic: 'events', partitions: [{ partition: 2, messages: produceMessages }] }],
    });
    const frame = await kafkajsFrame(produce);
    const { header, body } = decodeRequest<typeof ApiKey.Produce>(frame);
    expect(header).toMatchObject({ apiKey: 0, apiVersion: 7 });
    expect(body).toMatchObject({ transactionalId: null, acks: -1, timeoutMs: 30000 });
    const records = body.topicData[0]!.partitionData[0]!.records!;
    expect(body.topicData[0]).toMatchObject({ name: 'events', partitionData: [{ index: 2 }] });
    expect(records.buffer).toBe(frame.buffer);
    const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
    expect(view.getInt32(8) + 12).toBe(records.length); // batchLength
    expect(records[16]).toBe(2); // magic
    expect(view.getInt32(57)).toBe(2); // record count
  });

  it('Fetch v11', async () => {
    const request = kafkajs('requests/fetch/v11/request.js')({
      replicaId: -1, maxWaitTime: 500, minBytes: 1, maxBytes: 10485760, rackId: 'rack-1',
      topics: [{ topic: 'events', partitions: [{ partition: 2, fetchOffset: '12345678901', maxBytes: 1048576 }] }],
    });
    const { body } = decodeRequest<typeof ApiKey.Fetch>(await kafkajsFrame(request));
    expect(body).toMatchObject({ replicaId: -1, maxWaitMs: 500, minBytes: 1, maxBytes: 10485760, isolationLevel: 1, sessionId: 0, sessionEpoch: -1, rackId: 'rack-1', forgottenTopicsData: [] });
    expect(body.topics[0]).toMatchObject({ topic: 'events', partitions: [{ partition: 2, currentLeaderEpoch: -1, fetchOffset: 12345678901, logStartOffset: -1, partitionMaxBytes: 1048576 }] });
  });
});

describe('our responses decode with kafkajs', () => {
  it('ApiVersions v2', async () => {
    const decoded = await kafkajs('requests/apiVersions/v2/response.js').decode(responsePayload(ApiKey.ApiVersions, 2, { apiKeys: SUPPORTED_VERSIONS, throttleTimeMs: 0 }));
    expect(decoded.errorCode).toBe(0);
    expect(decoded.apiVersions).toEqual(SUPPORTED_VERSIONS.map((r) => ({ ...r })));
  });

  it('Metadata v6', async () => {
    const decoded = await kafkajs('requests/metadata/v6/response.js').decode(responsePayload(ApiKey.Metadata, 6, {
      brokers: [{ nodeId: 1, host: 'localhost', port: 9092, rack: null }],
      clusterId: 'cluster-x', controllerId: 1,
      topics: [{ name: 'events', partitions: [{ partitionIndex: 0, leaderId: 1, replicaNodes: [1], isrNodes: [1] }] }],
    }));
    expect(decoded).toMatchObject({ brokers: [{ nodeId: 1, host: 'localhost', port: 9092, rack: null }], clusterId: 'cluster-x', controllerId: 1 });
    expect(decoded.topicMetadata[0]).toMatchObject({ topicErrorCode: 0, topic: 'events', isInternal: false, partitionMetadata: [{ partitionId: 0, leader: 1, replicas: [1], isr: [1], offlineReplicas: [] }] });
  });

  it('Fetch v11 with a kafkajs-encoded batch passed through as chunks', async () => {
    const batch = await kafkajsBatch();
    // Split the batch in two chunks, as stored batches would be: the encoder must not care.
    const chunks = [batch.subarray(0, 40), batch.subarray(40)];
    const decoded = await kafkajs('requests/fetch/v11/response.js').decode(responsePayload(ApiKey.Fetch, 11, {
      responses: [{ topic: 'events', partitions: [{ partitionIndex: 2, highWatermark: 2, lastStableOffset: 2, logStartOffset: 0, records: chunks }] }],
    }));
    const partition = decoded.responses[0].partitions[0];
    expect(partition).toMatchObject({ partition: 2, errorCode: 0, highWatermark: '2', lastStableOffset: '2' });
    expect(partition.messages.map((m: { key: Buffer | null; value: Buffer }) => [m.key?.toString() ?? null, m.value.toString()])).toEqual([['k1', 'value one'], [null, 'value two']]);
    expect(partition.messages[0].headers.h.toString()).toBe('x');
  });
});
