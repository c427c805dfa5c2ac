import { afterEach, describe, expect, it } from 'vitest';
import { memoryStorage } from '../../adapters/memory/index.ts';
import { ALL_SCHEMAS } from '../../core/protocol/index.ts';
import { decodeBatchSync, encodeBatchSync } from '../../core/records/record-batch.ts';
import { batchOf, brokerPool, call, fetchBody, joined, produceBody, startedBroker } from './helpers.ts';

// Every version each schema describes, to test handler versions beyond today's advertised ranges.
const WIDE = ALL_SCHEMAS.map((s) => ({ apiKey: s.apiKey, minVersion: s.minVersion, maxVersion: s.maxVersion }));

const pool = brokerPool();
const broker = pool.start;
afterEach(() => pool.closeAll());

function decodeAll(bytes: Uint8Array) {
  const out = [];
  for (let pos = 0; pos < bytes.length; ) {
    const batch = decodeBatchSync(bytes, pos);
    out.push(batch);
    pos += batch.sizeInBytes;
  }
  return out;
}

describe('produce and fetch', () => {
  it('assigns consecutive offsets and returns the stored bytes', async () => {
    const b = await broker();
    const r1 = await call(b, 0, 9, produceBody('t', 0, batchOf(['a', 'b'])));
    const r2 = await call(b, 0, 9, produceBody('t', 0, batchOf(['c'])));
    expect(r1.responses[0].partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 0, logAppendTimeMs: -1 });
    expect(r2.responses[0].partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 2 });
    const f = await call(b, 1, 11, fetchBody('t', 0, 0));
    const p = f.responses[0].partitions[0];
    expect(p).toMatchObject({ errorCode: 0, highWatermark: 3, lastStableOffset: 3, logStartOffset: 0 });
    const batches = decodeAll(joined(p.records));
    expect(batches.flatMap((x) => x.records.map((r) => [r.offset, new TextDecoder().decode(r.value!)]))).toEqual([[0, 'a'], [1, 'b'], [2, 'c']]);
    expect(batches[0]!.partitionLeaderEpoch).toBe(0);
  });

  it('acks=0 gets no response; an invalid acks value is INVALID_REQUIRED_ACKS', async () => {
    const b = await broker();
    expect(await call(b, 0, 9, produceBody('t', 0, batchOf(['a']), 0))).toBeNull();
    const bad = await call(b, 0, 9, produceBody('t', 0, batchOf(['a']), 2));
    expect(bad.responses[0].partitionResponses[0].errorCode).toBe(21);
    expect(b.topics.get('t')!.partitions[0]!.highWatermark).toBe(1);
  });

  it('a failed acks=0 produce throws so that the server closes the connection (as Kafka does)', async () => {
    const b = await broker();
    const batch = batchOf(['a']);
    batch[batch.length - 1]! ^= 0xff;
    await expect(call(b, 0, 9, produceBody('t', 0, batch, 0))).rejects.toMatchObject({ code: 'ERR_ACKS0_FAILED' });
  });

  it('rejects a corrupt batch with CORRUPT_MESSAGE and stores nothing of it', async () => {
    const b = await broker();
    const batch = batchOf(['a', 'b']);
    batch[batch.length - 1]! ^= 0xff;
    const r = await call(b, 0, 9, produceBody('t', 0, batch));
    expect(r.responses[0].partitionResponses[0]).toMatchObject({ errorCode: 2, baseOffset: -1 });
    expect(b.topics.get('t')!.partitions[0]!.logEndOffset).toBe(0);
  });

  it('rejects truncated, empty and oversized records, and unknown partitions', async () => {
    const b = await broker({ topicDefaults: { 'max.message.bytes': '200' } });
    const batch = batchOf(['a']);
    const truncated = await call(b, 0, 9, produceBody('t', 0, batch.subarray(0, batch.length - 3)));
    expect(truncated.responses[0].partitionResponses[0].errorCode).toBe(2);
    const empty = await call(b, 0, 9, produceBody('t', 0, new Uint8Array(0)));
    expect(empty.responses[0].partitionResponses[0].errorCode).toBe(87);
    const big = await call(b, 0, 9, produceBody('t', 0, batchOf(['x'.repeat(500)])));
    expect(big.responses[0].partitionResponses[0].errorCode).toBe(10);
    const unknown = await call(b, 0, 9, produceBody('t', 5, batch));
    expect(unknown.responses[0].partitionResponses[0].errorCode).toBe(3);
    const invalid = await call(b, 0, 9, produceBody('bad name', 0, batch));
    expect(invalid.responses[0].partitionResponses[0].errorCode).toBe(17);
  });

  it('stamps LogAppendTime inside the CRC when the topic asks for it', async () => {
    const b = await broker();
    await b.topics.create({ name: 'lat', numPartitions: 1, replicationFactor: 1, configs: [['message.timestamp.type', 'LogAppendTime']] });
    const before = Date.now();
    const r = await call(b, 0, 9, produceBody('lat', 0, batchOf(['a', 'b'], { timestamp: 1000 })));
    const appendTime = r.responses[0].partitionResponses[0].logAppendTimeMs;
    expect(appendTime).toBeGreaterThanOrEqual(before);
    const f = await call(b, 1, 11, fetchBody('lat', 0, 0));
    const [batch] = decodeAll(joined(f.responses[0].partitions[0].records)); // verifies the CRC
    expect(batch!.timestampType).toBe('log-append-time');
    expect(batch!.records.map((x) => x.timestamp)).toEqual([appendTime, appendTime]);
  });

  it('does not auto-create when disabled', async () => {
    const b = await broker({ autoCreateTopics: false });
    const r = await call(b, 0, 9, produceBody('t', 0, batchOf(['a'])));
    expect(r.responses[0].partitionResponses[0].errorCode).toBe(3);
    const m = await call(b, 3, 9, { topics: [{ name: 't' }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false });
    expect(m.topics[0].errorCode).toBe(3);
  });

  it('answers OFFSET_OUT_OF_RANGE beyond the log end', async () => {
    const b = await broker();
    await call(b, 0, 9, produceBody('t', 0, batchOf(['a'])));
    const f = await call(b, 1, 11, fetchBody('t', 0, 5));
    expect(f.responses[0].partitions[0].errorCode).toBe(1);
  });

  it('long-polls until data arrives, then answers at once', async () => {
    const b = await broker();
    await b.topics.create({ name: 't', numPartitions: 2, replicationFactor: 1 });
    const waiting = call(b, 1, 11, fetchBody('t', 1, 0, { maxWaitMs: 60_000 }));
    let answered = false;
    void waiting.then(() => (answered = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(answered).toBe(false);
    await call(b, 0, 9, produceBody('t', 1, batchOf(['late'])));
    const f = await waiting;
    expect(f.responses[0].partitions[0].highWatermark).toBe(1);
    expect(decodeAll(joined(f.responses[0].partitions[0].records))[0]!.records).toHaveLength(1);
  });

  it('a long poll ends when the broker shuts down', async () => {
    const b = await startedBroker();
    await b.topics.create({ name: 't', numPartitions: 1, replicationFactor: 1 });
    const waiting = call(b, 1, 11, fetchBody('t', 0, 0, { maxWaitMs: 600_000 }));
    await new Promise((r) => setTimeout(r, 10));
    await b.close();
    expect((await waiting).responses[0].partitions[0].records).toEqual([]);
  });

  it('respects partitionMaxBytes but always returns a first batch', async () => {
    const b = await broker();
    for (let i = 0; i < 3; i++) await call(b, 0, 9, produceBody('t', 0, batchOf([`v${i}`])));
    const f = await call(b, 1, 11, fetchBody('t', 0, 0, { partitionMaxBytes: 1 }));
    expect(decodeAll(joined(f.responses[0].partitions[0].records))).toHaveLength(1);
  });
});

describe('list offsets', () => {
  it('answers earliest, latest, max timestamp and by timestamp', async () => {
    const b = await broker({ protocolVersions: WIDE });
    await call(b, 0, 9, produceBody('t', 0, batchOf(['a', 'b'], { timestamp: 1000 })));
    await call(b, 0, 9, produceBody('t', 0, batchOf(['c'], { timestamp: 5000 })));
    await call(b, 0, 9, produceBody('t', 0, batchOf(['d'], { timestamp: 3000 })));
    const ask = async (timestamp: number, v = 7) => {
      const r = await call(b, 2, v, { replicaId: -1, isolationLevel: 0, topics: [{ name: 't', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp }] }] });
      return r.topics[0].partitions[0];
    };
    expect(await ask(-2)).toMatchObject({ errorCode: 0, offset: 0 });
    expect(await ask(-1)).toMatchObject({ errorCode: 0, offset: 4, leaderEpoch: 0 });
    expect(await ask(-3)).toMatchObject({ errorCode: 0, offset: 2, timestamp: 5000 });
    expect(await ask(2000)).toMatchObject({ offset: 2, timestamp: 5000 });
    expect(await ask(9000)).toMatchObject({ offset: -1, timestamp: -1 });
    const v0 = await call(b, 2, 0, { replicaId: -1, topics: [{ name: 't', partitions: [{ partitionIndex: 0, timestamp: -1, maxNumOffsets: 1 }] }] });
    expect(v0.topics[0].partitions[0].oldStyleOffsets).toEqual([4]);
  });

  it('answers the max-timestamp lookup with the first record at that timestamp, not its batch\'s last offset (KAFKA-16310)', async () => {
    const b = await broker();
    const enc = new TextEncoder();
    const timestamps = [1000, 9000, 4000, 9000, 2000];
    await call(b, 0, 9, produceBody('t', 0, batchOf(['a'], { timestamp: 500 })));
    await call(b, 0, 9, produceBody('t', 0, encodeBatchSync({ records: timestamps.map((timestamp, i) => ({ key: null, value: enc.encode(`r${i}`), timestamp })), now: 1000 })));
    const r = await call(b, 2, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: 't', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -3 }] }] });
    expect(r.topics[0].partitions[0]).toMatchObject({ errorCode: 0, offset: 2, timestamp: 9000 });
  });
});

describe('topics', () => {
  it('validates creations per topic', async () => {
    const b = await broker();
    const topic = (name: string, extra: object = {}) => ({ name, numPartitions: 2, replicationFactor: 1, assignments: [], configs: [], ...extra });
    const r = await call(b, 19, 7, {
      topics: [
        topic('ok'),
        topic('bad/name'),
        topic('a'.repeat(250)),
        topic('..'),
        topic('rf', { replicationFactor: 3 }),
        topic('zero', { numPartitions: 0 }),
        topic('compact', { configs: [{ name: 'cleanup.policy', value: 'compact' }] }),
        topic('unknown-config', { configs: [{ name: 'no.such', value: '1' }] }),
        topic('dup'),
        topic('dup'),
      ],
      timeoutMs: 1000,
      validateOnly: false,
    });
    expect(r.topics.map((t: any) => [t.name.slice(0, 10), t.errorCode])).toEqual([
      ['ok', 0], ['bad/name', 17], ['a'.repeat(10), 17], ['..', 17], ['rf', 38], ['zero', 37], ['compact', 40], ['unknown-co', 40], ['dup', 42], ['dup', 42],
    ]);
    expect(r.topics[0]).toMatchObject({ numPartitions: 2, replicationFactor: 1 });
    const again = await call(b, 19, 7, { topics: [topic('ok')], timeoutMs: 1000, validateOnly: false });
    expect(again.topics[0].errorCode).toBe(36);
    const dry = await call(b, 19, 7, { topics: [topic('dry')], timeoutMs: 1000, validateOnly: true });
    expect(dry.topics[0]).toMatchObject({ errorCode: 0, numPartitions: 2 });
    expect(b.topics.get('dry')).toBeUndefined();
  });

  it('lists brokers, partitions, leaders and in-sync replicas in Metadata', async () => {
    const b = await broker({ nodeId: 7, host: 'h', port: 1234, protocolVersions: WIDE });
    await b.topics.create({ name: 't', numPartitions: 3, replicationFactor: 1 });
    const m = await call(b, 3, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    expect(m.brokers).toEqual([{ nodeId: 7, host: 'h', port: 1234, rack: null }]);
    expect(m.controllerId).toBe(7);
    expect(m.topics[0].partitions.map((p: any) => [p.partitionIndex, p.leaderId, p.leaderEpoch, p.replicaNodes, p.isrNodes])).toEqual([
      [0, 7, 0, [7], [7]], [1, 7, 0, [7], [7]], [2, 7, 0, [7], [7]],
    ]);
  });

  it('grows partitions, alters and describes configs, deletes, and restores all after a restart', async () => {
    const storage = memoryStorage();
    const b = await startedBroker({ storage });
    await b.topics.create({ name: 't', numPartitions: 1, replicationFactor: 1, configs: [['retention.ms', '1000']] });
    const grow = await call(b, 37, 3, { topics: [{ name: 't', count: 3, assignments: null }, { name: 'none', count: 2, assignments: null }], timeoutMs: 1000, validateOnly: false });
    expect(grow.results.map((r: any) => r.errorCode)).toEqual([0, 3]);
    const shrink = await call(b, 37, 3, { topics: [{ name: 't', count: 2, assignments: null }], timeoutMs: 1000, validateOnly: false });
    expect(shrink.results[0].errorCode).toBe(37);
    const alter = await call(b, 33, 2, { resources: [{ resourceType: 2, resourceName: 't', configs: [{ name: 'max.message.bytes', value: '5000' }] }], validateOnly: false });
    expect(alter.responses[0].errorCode).toBe(0);
    const d = await call(b, 32, 4, { resources: [{ resourceType: 2, resourceName: 't', configurationKeys: null }], includeSynonyms: true, includeDocumentation: false });
    const byName = Object.fromEntries(d.results[0].configs.map((c: any) => [c.name, c]));
    expect(byName['max.message.bytes']).toMatchObject({ value: '5000', configSource: 1, isDefault: false });
    // AlterConfigs replaces the whole set: retention.ms went back to its default.
    expect(byName['retention.ms']).toMatchObject({ value: '604800000', configSource: 5, isDefault: true });
    await call(b, 0, 9, produceBody('t', 2, batchOf(['kept'])));
    await b.topics.create({ name: 'gone', numPartitions: 1, replicationFactor: 1 });
    const del = await call(b, 20, 6, { topics: [{ name: 'gone', topicId: '00000000-0000-0000-0000-000000000000' }, { name: 'nope', topicId: '00000000-0000-0000-0000-000000000000' }], timeoutMs: 1000 });
    expect(del.responses.map((r: any) => r.errorCode)).toEqual([0, 3]);
    const clusterId = b.clusterId;
    await b.close();

    const again = await broker({ storage });
    expect(again.clusterId).toBe(clusterId);
    expect(again.topics.all().map((t) => t.name)).toEqual(['t']);
    const t = again.topics.get('t')!;
    expect(t.partitions).toHaveLength(3);
    expect(t.logConfig.maxMessageBytes).toBe(5000);
    expect(t.partitions[2]!.highWatermark).toBe(1);
  });

  it('describes broker configs with defaults marked', async () => {
    const b = await broker({ numPartitions: 4 });
    const d = await call(b, 32, 1, { resources: [{ resourceType: 4, resourceName: '1', configurationKeys: ['num.partitions', 'log.retention.ms'] }], includeSynonyms: false });
    const byName = Object.fromEntries(d.results[0].configs.map((c: any) => [c.name, c]));
    expect(byName['num.partitions']).toMatchObject({ value: '4', configSource: 4 });
    expect(byName['log.retention.ms']).toMatchObject({ value: '604800000', configSource: 5 });
  });

  it('advertises only handled APIs, each cut to the codec range', async () => {
    const b = await broker({ protocolVersions: [{ apiKey: 0, minVersion: 0, maxVersion: 20 }, { apiKey: 1, minVersion: 5, maxVersion: 8 }, { apiKey: 9999, minVersion: 0, maxVersion: 1 }] });
    expect(b.apiVersions()).toEqual([{ apiKey: 0, minVersion: 3, maxVersion: 11 }, { apiKey: 1, minVersion: 5, maxVersion: 8 }]);
    const standard = await broker();
    const r = await call(standard, 18, 3, { clientSoftwareName: 'x', clientSoftwareVersion: '1' });
    expect(r.apiKeys.map((k: any) => k.apiKey)).toEqual(expect.arrayContaining([0, 1, 2, 3, 10, 18, 19, 20, 32, 33, 37, 60]));
  });
});

describe('retention', () => {
  it('drops whole old segments and moves the log start offset', async () => {
    const b = await broker({ storage: memoryStorage({ segmentBytes: 1 }) });
    await b.topics.create({ name: 't', numPartitions: 1, replicationFactor: 1, configs: [['retention.bytes', '1'], ['retention.ms', '-1'], ['segment.bytes', '100']] });
    for (let i = 0; i < 3; i++) await call(b, 0, 9, produceBody('t', 0, batchOf([`v${i}`])));
    await b.runRetention();
    const p = b.topics.get('t')!.partitions[0]!;
    expect(p.logStartOffset).toBe(2);
    const f = await call(b, 1, 11, fetchBody('t', 0, 0));
    expect(f.responses[0].partitions[0]).toMatchObject({ errorCode: 1 });
  });
});
