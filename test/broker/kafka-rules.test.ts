/**
 * Rules Apache Kafka applies that a client can observe, checked one by one on the
 * broker's handlers: colliding topic names, authorized-operation fields, DeleteTopics
 * request checks, ListOffsets by timestamp down to the record, auto-creation errors kept
 * through Produce, old message formats, partition counts per request, topic configs.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Broker } from '../../core/broker/broker.ts';
import { encodeBatch, encodeBatchSync } from '../../core/records/record-batch.ts';
import { Registry } from '../../core/registry.ts';
import { gzip } from '../../plugins/compressors/gzip.ts';
import { brokerPool, call, produceBody } from './helpers.ts';

const pool = brokerPool();
const broker = pool.start;
afterEach(() => pool.closeAll());

const INT32_MIN = -2147483648;

function createBody(name: string): Record<string, unknown> {
  return { topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false };
}

describe("topic names differing only by '.' and '_'", () => {
  it('collide: the second is INVALID_TOPIC_EXCEPTION through CreateTopics, Metadata and Produce auto-creation', async () => {
    const b = await broker();
    expect((await call(b, 19, 7, createBody('orders.eu'))).topics[0].errorCode).toBe(0);
    expect((await call(b, 19, 7, createBody('orders_eu'))).topics[0].errorCode).toBe(17);
    const meta = await call(b, 3, 9, { topics: [{ name: 'orders_eu' }], allowAutoTopicCreation: true });
    expect(meta.topics[0].errorCode).toBe(17);
    const produced = await call(b, 0, 9, produceBody('orders_eu', 0, encodeBatchSync({ records: [{ key: null, value: new Uint8Array([1]) }] })));
    expect(produced.responses[0].partitionResponses[0].errorCode).toBe(17);
    expect(b.topics.get('orders_eu')).toBeUndefined();
    // The same name again is TOPIC_ALREADY_EXISTS, not a collision; unrelated names still work.
    expect((await call(b, 19, 7, createBody('orders.eu'))).topics[0].errorCode).toBe(36);
    expect((await call(b, 19, 7, createBody('orders.us'))).topics[0].errorCode).toBe(0);
  });
});

describe('authorized operations', () => {
  it('are INT32_MIN unless asked for, and every supported operation when asked (no authorizer)', async () => {
    const b = await broker();
    await call(b, 19, 7, createBody('ops'));
    const asked = await call(b, 3, 8, { topics: [{ name: 'ops' }], includeClusterAuthorizedOperations: true, includeTopicAuthorizedOperations: true });
    // Bits of Kafka's AclOperation codes: topic READ..ALTER_CONFIGS; cluster CREATE..IDEMPOTENT_WRITE.
    expect(asked.topics[0].topicAuthorizedOperations).toBe(0b110111111000);
    expect(asked.clusterAuthorizedOperations).toBe(0b1111110100000);
    const silent = await call(b, 3, 9, { topics: [{ name: 'ops' }], includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    expect(silent.topics[0].topicAuthorizedOperations).toBe(INT32_MIN);
    expect(silent.clusterAuthorizedOperations).toBe(INT32_MIN);
    expect((await call(b, 60, 0, { includeClusterAuthorizedOperations: true })).clusterAuthorizedOperations).toBe(0b1111110100000);
    expect((await call(b, 60, 1, { includeClusterAuthorizedOperations: false, endpointType: 1 })).clusterAuthorizedOperations).toBe(INT32_MIN);
  });
});

describe('DeleteTopics', () => {
  it('refuses a topic named twice and a topic given by both name and id, deleting neither', async () => {
    const b = await broker();
    await call(b, 19, 7, createBody('twice'));
    await call(b, 19, 7, createBody('both'));
    const dup = await call(b, 20, 5, { topicNames: ['twice', 'twice'], timeoutMs: 1000 });
    expect(dup.responses.map((r: { errorCode: number }) => r.errorCode)).toEqual([42, 42]);
    const both = await call(b, 20, 6, { topics: [{ name: 'both', topicId: b.topics.get('both')!.id }], timeoutMs: 1000 });
    expect(both.responses[0].errorCode).toBe(42);
    expect(b.topics.get('twice')).toBeDefined();
    expect(b.topics.get('both')).toBeDefined();
    const byId = await call(b, 20, 6, { topics: [{ name: null, topicId: b.topics.get('both')!.id }], timeoutMs: 1000 });
    expect(byId.responses[0]).toMatchObject({ errorCode: 0, name: 'both' });
    const unknownId = await call(b, 20, 6, { topics: [{ name: null, topicId: '0f0e0d0c-0b0a-0908-0706-050403020100' }], timeoutMs: 1000 });
    expect(unknownId.responses[0]).toMatchObject({ errorCode: 100, topicId: '0f0e0d0c-0b0a-0908-0706-050403020100' });
  });
});

describe('ListOffsets by timestamp', () => {
  const records = [1000, 2000, 3000, 4000].map((timestamp, i) => ({ key: null, value: new Uint8Array([i]), timestamp }));
  const lookup = async (b: Broker, topic: string, timestamp: number) =>
    (await call(b, 2, 5, { replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp }] }] })).topics[0].partitions[0];

  it('answers the first record at or after the time inside an uncompressed batch, with its timestamp', async () => {
    const b = await broker();
    await call(b, 0, 9, produceBody('lt', 0, encodeBatchSync({ records: records.slice(0, 1) })));
    await call(b, 0, 9, produceBody('lt', 0, encodeBatchSync({ records: records.slice(1) })));
    expect(await lookup(b, 'lt', 2500)).toMatchObject({ errorCode: 0, offset: 2, timestamp: 3000, leaderEpoch: 0 });
    expect(await lookup(b, 'lt', 2000)).toMatchObject({ offset: 1, timestamp: 2000 });
    expect(await lookup(b, 'lt', 0)).toMatchObject({ offset: 0, timestamp: 1000 });
    expect(await lookup(b, 'lt', 4001)).toMatchObject({ errorCode: 0, offset: -1, timestamp: -1, leaderEpoch: -1 });
  });

  it('opens a compressed batch through the broker codecs, and answers its first offset without them', async () => {
    const registry = new Registry().register('compressor', 'gzip', gzip);
    const batch = await encodeBatch({ records, compression: 1 }, registry);
    const withCodecs = await broker({ codecs: registry });
    await call(withCodecs, 0, 9, produceBody('lz', 0, batch.slice()));
    expect(await lookup(withCodecs, 'lz', 2500)).toMatchObject({ offset: 2, timestamp: 3000 });
    const without = await broker();
    await call(without, 0, 9, produceBody('lz', 0, batch.slice()));
    expect(await lookup(without, 'lz', 2500)).toMatchObject({ offset: 0, timestamp: 4000 });
  });
});

describe('Produce', () => {
  it('refuses an older message format (magic 0 or 1) as INVALID_RECORD and stores nothing', async () => {
    const b = await broker();
    for (const magic of [0, 1]) {
      const batch = encodeBatchSync({ records: [{ key: null, value: new Uint8Array([1]) }] });
      batch[16] = magic;
      const answer = await call(b, 0, 9, produceBody('old', 0, batch));
      expect(answer.responses[0].partitionResponses[0]).toMatchObject({ errorCode: 87, baseOffset: -1 });
    }
    expect(b.topics.get('old')!.partitions[0]!.logEndOffset).toBe(0);
  });
});

describe('partition counts a request may create', () => {
  it('over 10,000 in one CreateTopics or CreatePartitions request is POLICY_VIOLATION for the whole request', async () => {
    const b = await broker();
    const huge = await call(b, 19, 7, { topics: [{ name: 'huge', numPartitions: 2147483647, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000 });
    expect(huge.topics[0].errorCode).toBe(44);
    const split = await call(b, 19, 7, {
      topics: [
        { name: 'half-a', numPartitions: 6000, replicationFactor: 1, assignments: [], configs: [] },
        { name: 'half-b', numPartitions: 6000, replicationFactor: 1, assignments: [], configs: [] },
      ],
      timeoutMs: 1000,
    });
    expect(split.topics.map((t: { errorCode: number }) => t.errorCode)).toEqual([44, 44]);
    expect(b.topics.get('half-a')).toBeUndefined();
    await call(b, 19, 7, createBody('grow'));
    const grow = await call(b, 37, 3, { topics: [{ name: 'grow', count: 2147483647, assignments: null }], timeoutMs: 1000, validateOnly: false });
    expect(grow.results[0].errorCode).toBe(44);
    expect(b.topics.get('grow')!.partitions).toHaveLength(1);
  });
});

describe('topic configs', () => {
  it('refuses out-of-range, unknown-choice and null values with INVALID_CONFIG, and accepts the edges', async () => {
    const b = await broker();
    const create = async (name: string, value: string | null) =>
      (await call(b, 19, 7, { topics: [{ name: `c-${name.replaceAll('.', '-')}-${b.topics.all().length}`, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name, value }] }], timeoutMs: 1000 })).topics[0].errorCode;
    const refused: Array<[string, string | null]> = [
      ['segment.bytes', '13'], ['retention.ms', '-2'], ['retention.ms', '1.5'], ['retention.bytes', 'abc'], ['max.message.bytes', '-1'],
      ['message.timestamp.type', 'Foo'], ['compression.type', 'brotli'], ['cleanup.policy', 'compact'], ['retention.ms', null],
    ];
    for (const [name, value] of refused) expect(await create(name, value), `${name}=${value}`).toBe(40);
    const accepted: Array<[string, string]> = [
      ['segment.bytes', '14'], ['retention.ms', '-1'], ['retention.bytes', '-1'], ['max.message.bytes', '0'],
      ['message.timestamp.type', 'LogAppendTime'], ['compression.type', 'producer'], ['compression.type', 'gzip'], ['cleanup.policy', 'delete'],
    ];
    for (const [name, value] of accepted) expect(await create(name, value), `${name}=${value}`).toBe(0);
  });
});

describe('DescribeConfigs', () => {
  it('reads no keys, null or an empty list, as every config (as Kafka)', async () => {
    const b = await broker();
    await call(b, 19, 7, createBody('described'));
    for (const configurationKeys of [null, []]) {
      const r = await call(b, 32, 4, { resources: [{ resourceType: 2, resourceName: 'described', configurationKeys }], includeSynonyms: false, includeDocumentation: false });
      expect(r.results[0].configs.map((c: { name: string }) => c.name)).toEqual(expect.arrayContaining(['cleanup.policy', 'retention.ms', 'segment.bytes']));
    }
    const one = await call(b, 32, 4, { resources: [{ resourceType: 2, resourceName: 'described', configurationKeys: ['retention.ms', 'no.such'] }], includeSynonyms: false, includeDocumentation: false });
    expect(one.results[0].configs.map((c: { name: string }) => c.name)).toEqual(['retention.ms']);
  });
});
