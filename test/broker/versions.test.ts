/**
 * Every version of every API the broker advertises, over the wire: the request is encoded
 * by the protocol codec, served, and the response decodes with no error anywhere in it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryStorage } from '../../adapters/memory/index.ts';
import { startServer, type TributaryServer } from '../../adapters/server/index.ts';
import { Broker } from '../../core/broker/broker.ts';
import { DEFAULT_HANDLERS } from '../../core/broker/api/preset.ts';
import { ZERO_UUID, decodeResponse, encodeRequest } from '../../core/protocol/index.ts';
import { batchOf } from './helpers.ts';
import { RawClient } from './raw-client.ts';

let server: TributaryServer;
let client: RawClient;
let correlation = 0;
beforeAll(async () => {
  server = await startServer(new Broker({ handlers: DEFAULT_HANDLERS, storage: memoryStorage(), retentionCheckIntervalMs: 0 }), { port: 0 });
  await server.broker.topics.create({ name: 'vt', numPartitions: 1, replicationFactor: 1 });
  client = await RawClient.connect(server.port);
});
afterAll(async () => {
  client?.close();
  await server?.close();
});

async function roundTrip(apiKey: number, apiVersion: number, body: object): Promise<any> {
  const id = ++correlation;
  const before = client.frames.length;
  client.write(...encodeRequest({ apiKey, apiVersion, correlationId: id, clientId: 'versions' }, body));
  const frames = await client.waitFrames(before + 1);
  expect(client.closed).toBe(false);
  const response = decodeResponse(apiKey, apiVersion, frames[before]!);
  expect(response.correlationId).toBe(id);
  return response.body;
}

function errorCodes(value: unknown, out: number[] = []): number[] {
  if (Array.isArray(value)) for (const v of value) errorCodes(v, out);
  else if (value && typeof value === 'object' && !(value instanceof Uint8Array)) {
    for (const [k, v] of Object.entries(value)) {
      if ((k === 'errorCode' || k === 'topicConfigErrorCode') && typeof v === 'number') out.push(v);
      else errorCodes(v, out);
    }
  }
  return out;
}

const bodies: Record<number, (v: number) => object> = {
  0: () => ({ transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'vt', partitionData: [{ index: 0, records: batchOf(['a', 'b']) }] }] }),
  1: () => ({
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 1, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic: 'vt', topicId: server.broker.topics.get('vt')!.id, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [], rackId: '',
  }),
  2: () => ({ replicaId: -1, isolationLevel: 0, topics: [{ name: 'vt', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -2, maxNumOffsets: 1 }] }], timeoutMs: 1000 }),
  3: (v) => ({ topics: v === 0 ? [] : [{ name: 'vt', topicId: ZERO_UUID }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }),
  10: () => ({ key: 'group', keyType: 0, coordinatorKeys: ['group'] }),
  18: () => ({ clientSoftwareName: 'versions', clientSoftwareVersion: '1' }),
  19: (v) => ({ topics: [{ name: `created-${v}`, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'retention.ms', value: '60000' }] }], timeoutMs: 1000, validateOnly: false }),
  20: (v) => (v >= 6 ? { topics: [{ name: `created-${v}`, topicId: ZERO_UUID }], timeoutMs: 1000 } : { topicNames: [`created-${v}`], timeoutMs: 1000 }),
  21: () => ({ topics: [{ name: 'vt', partitions: [{ partitionIndex: 0, offset: 0 }] }], timeoutMs: 1000 }),
  32: () => ({ resources: [{ resourceType: 2, resourceName: 'vt', configurationKeys: null }, { resourceType: 4, resourceName: '1', configurationKeys: null }], includeSynonyms: true, includeDocumentation: true }),
  33: () => ({ resources: [{ resourceType: 2, resourceName: 'vt', configs: [{ name: 'retention.ms', value: '100000' }] }], validateOnly: true }),
  37: () => ({ topics: [{ name: 'vt', count: 5, assignments: null }], timeoutMs: 1000, validateOnly: true }),
  44: () => ({ resources: [{ resourceType: 2, resourceName: 'vt', configs: [{ name: 'retention.ms', configOperation: 0, value: '100000' }] }], validateOnly: true }),
  60: () => ({ includeClusterAuthorizedOperations: false, endpointType: 1 }),
};

describe('every advertised version', () => {
  it('advertises every API of issue 4', () => {
    const advertised = server.broker.apiVersions().map((r) => r.apiKey);
    for (const key of Object.keys(bodies)) expect(advertised, `API ${key}`).toContain(Number(key));
  });

  it('serves each version without an error', async () => {
    // Group APIs (issue 5) are exercised by their own tests.
    for (const range of server.broker.apiVersions().filter((r) => bodies[r.apiKey] !== undefined)) {
      // CreateTopics must run before DeleteTopics at the same version: keys are sorted, 19 < 20.
      for (let v = range.minVersion; v <= range.maxVersion; v++) {
        const body = await roundTrip(range.apiKey, v, bodies[range.apiKey]!(v));
        expect(errorCodes(body), `API ${range.apiKey} v${v}`).toEqual(errorCodes(body).map(() => 0));
        if (range.apiKey === 1) expect(body.responses[0].partitions[0].highWatermark).toBeGreaterThan(0);
        if (range.apiKey === 3 && v > 0) expect(body.topics[0].name).toBe('vt');
      }
    }
  });

  it('fills each version\'s own fields as Kafka does', async () => {
    const range = (key: number) => server.broker.apiVersions().find((r) => r.apiKey === key)!;
    const versions = (key: number) => Array.from({ length: range(key).maxVersion - range(key).minVersion + 1 }, (_, i) => range(key).minVersion + i);
    for (const v of versions(3)) {
      const body = await roundTrip(3, v, { topics: v === 0 ? [] : [{ name: 'vt', topicId: ZERO_UUID }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: v >= 8, includeTopicAuthorizedOperations: v >= 8 });
      const topic = body.topics.find((t: { name: string }) => t.name === 'vt');
      const partition = topic.partitions[0];
      if (v >= 1) expect(body.controllerId, `Metadata v${v}`).toBe(1);
      if (v >= 2) expect(typeof body.clusterId).toBe('string');
      if (v >= 7) expect(partition.leaderEpoch).toBe(0);
      expect(partition).toMatchObject({ leaderId: 1, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] });
      if (v >= 8) expect([topic.topicAuthorizedOperations, body.clusterAuthorizedOperations]).toEqual([3576, 8096]);
    }
    for (const v of versions(0)) {
      const p = (await roundTrip(0, v, bodies[0]!(v))).responses[0].partitionResponses[0];
      expect(p, `Produce v${v}`).toMatchObject({ errorCode: 0, logAppendTimeMs: -1, logStartOffset: v >= 5 ? 0 : -1 });
      if (v >= 8) expect(p).toMatchObject({ recordErrors: [], errorMessage: null });
    }
    for (const v of versions(1)) {
      for (const isolationLevel of [0, 1]) {
        const p = (await roundTrip(1, v, { ...bodies[1]!(v), isolationLevel })).responses[0].partitions[0];
        // READ_UNCOMMITTED has no aborted-transaction list (null); READ_COMMITTED an empty one.
        expect(p.abortedTransactions, `Fetch v${v} isolation ${isolationLevel}`).toEqual(isolationLevel === 1 ? [] : null);
        expect(p).toMatchObject({ lastStableOffset: p.highWatermark, logStartOffset: v >= 5 ? 0 : -1, preferredReadReplica: -1 });
        if (v >= 12) expect(p.divergingEpoch).toEqual({ epoch: -1, endOffset: -1 });
      }
    }
    for (const v of versions(2)) {
      const p = (await roundTrip(2, v, bodies[2]!(v))).topics[0].partitions[0];
      expect(p, `ListOffsets v${v}`).toMatchObject({ errorCode: 0, offset: 0, timestamp: -1, leaderEpoch: v >= 4 ? 0 : -1 });
    }
    for (const v of versions(19)) {
      const t = (await roundTrip(19, v, { ...bodies[19]!(v), topics: [{ name: `fields-${v}`, numPartitions: -1, replicationFactor: -1, assignments: [], configs: [] }] })).topics[0];
      expect(t.errorCode, `CreateTopics v${v}`).toBe(0);
      if (v >= 5) expect(t).toMatchObject({ numPartitions: 1, replicationFactor: 1 });
      if (v >= 5) expect(t.configs.find((c: { name: string }) => c.name === 'retention.ms')).toMatchObject({ value: '604800000', configSource: 5 });
      if (v >= 7) expect(t.topicId).toBe(server.broker.topics.get(`fields-${v}`)!.id);
    }
    for (const v of versions(32)) {
      const r = (await roundTrip(32, v, bodies[32]!(v))).results[0];
      const entry = r.configs.find((c: { name: string }) => c.name === 'retention.ms');
      if (v === 0) expect(entry.isDefault).toBe(true);
      if (v >= 1) expect(entry.synonyms.length, `DescribeConfigs v${v}`).toBeGreaterThan(0);
      if (v >= 3) expect(entry).toMatchObject({ configType: 5, documentation: expect.any(String) });
    }
  });

  it('serves the max-timestamp lookup (ListOffsets v7+, -3) and the tiered specials of v8–10 over the wire', async () => {
    await server.broker.topics.create({ name: 'mts', numPartitions: 1, replicationFactor: 1 });
    for (const timestamp of [1_000, 5_000, 3_000]) {
      await roundTrip(0, 9, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'mts', partitionData: [{ index: 0, records: batchOf(['x', 'y'], { timestamp }) }] }] });
    }
    const ask = (v: number, timestamp: number) => roundTrip(2, v, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'mts', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 }] }], timeoutMs: 1000 })
      .then((b) => b.topics[0].partitions[0]);
    const range = server.broker.apiVersions().find((r) => r.apiKey === 2)!;
    expect(range.maxVersion).toBeGreaterThanOrEqual(7);
    for (let v = 7; v <= range.maxVersion; v++) {
      // The batch holding the largest timestamp is the second (offsets 2–3); its first record at that timestamp answers.
      expect(await ask(v, -3), `ListOffsets v${v}`).toMatchObject({ errorCode: 0, offset: 2, timestamp: 5_000, leaderEpoch: 0 });
      expect(await ask(v, 4_000)).toMatchObject({ errorCode: 0, offset: 2, timestamp: 5_000 });
    }
    expect(await ask(6, -3)).toMatchObject({ errorCode: 42 });
    expect(await ask(8, -4)).toMatchObject({ errorCode: 0, offset: 0 });
    if (range.maxVersion >= 9) expect(await ask(9, -5)).toMatchObject({ errorCode: 0, offset: -1, leaderEpoch: -1 });
  });
});
