/** Topics, configs and data survive a restart on filesystem storage; the cluster id stays. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { filesystemStorage } from '../../adapters/filesystem/index.ts';
import { decodeBatchSync } from '../../core/records/record-batch.ts';
import { batchOf, call, fetchBody, joined, produceBody, startedBroker } from './helpers.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

it('restores topics, configs, offsets and data from the filesystem', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-restart-'));
  dirs.push(dir);
  const first = await startedBroker({ storage: filesystemStorage({ dir }), flushPolicy: { mode: 'always' } });
  await first.topics.create({ name: 'kept', numPartitions: 2, replicationFactor: 1, configs: [['message.timestamp.type', 'LogAppendTime']] });
  for (let i = 0; i < 3; i++) await call(first, 0, 9, produceBody('kept', 1, batchOf([`v${i}`, `w${i}`])));
  const clusterId = first.clusterId;
  const id = first.topics.get('kept')!.id;
  await first.close();

  const second = await startedBroker({ storage: filesystemStorage({ dir }) });
  try {
    expect(second.clusterId).toBe(clusterId);
    const topic = second.topics.get('kept')!;
    expect(topic.id).toBe(id);
    expect(topic.logConfig.timestampType).toBe('LogAppendTime');
    expect(topic.partitions.map((p) => p.highWatermark)).toEqual([0, 6]);
    const r = await call(second, 0, 9, produceBody('kept', 1, batchOf(['after'])));
    expect(r.responses[0].partitionResponses[0].baseOffset).toBe(6);
    const f = await call(second, 1, 11, fetchBody('kept', 1, 0));
    const bytes = joined(f.responses[0].partitions[0].records);
    const values: string[] = [];
    for (let pos = 0; pos < bytes.length; ) {
      const batch = decodeBatchSync(bytes, pos);
      values.push(...batch.records.map((x) => new TextDecoder().decode(x.value!)));
      pos += batch.sizeInBytes;
    }
    expect(values).toEqual(['v0', 'w0', 'v1', 'w1', 'v2', 'w2', 'after']);
  } finally {
    await second.close();
  }
});

it('restarts with more partitions than its budget of open files (issue 13 #2)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-restart-'));
  dirs.push(dir);
  // 60 partitions, 12 handles: at most 4 working logs at a time.
  const first = await startedBroker({ storage: filesystemStorage({ dir, maxOpenFiles: 12 }) });
  for (const name of ['a', 'b', 'c']) await first.topics.create({ name, numPartitions: 20, replicationFactor: 1 });
  for (const name of ['a', 'b', 'c']) {
    for (let p = 0; p < 20; p++) await call(first, 0, 9, produceBody(name, p, batchOf([`${name}${p}`])));
  }
  await first.close();
  const second = await startedBroker({ storage: filesystemStorage({ dir, maxOpenFiles: 12 }) });
  try {
    for (const name of ['a', 'b', 'c']) {
      const topic = second.topics.get(name)!;
      expect(topic.partitions.map((p) => p.highWatermark)).toEqual(Array(20).fill(1));
      for (let p = 0; p < 20; p += 5) {
        const f = await call(second, 1, 11, fetchBody(name, p, 0));
        const batch = decodeBatchSync(joined(f.responses[0].partitions[0].records), 0);
        expect(new TextDecoder().decode(batch.records[0]!.value!)).toBe(`${name}${p}`);
      }
      const r = await call(second, 0, 9, produceBody(name, 19, batchOf(['more'])));
      expect(r.responses[0].partitionResponses[0].baseOffset).toBe(1);
    }
  } finally {
    await second.close();
  }
});

it('keeps a DeleteRecords log start across a restart, though storage kept the whole segment (issue 13 #26)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-restart-'));
  dirs.push(dir);
  const first = await startedBroker({ storage: filesystemStorage({ dir }), flushPolicy: { mode: 'always' } });
  await first.topics.create({ name: 'trimmed', numPartitions: 1, replicationFactor: 1 });
  for (let i = 0; i < 5; i++) await call(first, 0, 9, produceBody('trimmed', 0, batchOf([`v${i}`, `w${i}`])));
  const deleted = await call(first, 21, 2, { topics: [{ name: 'trimmed', partitions: [{ partitionIndex: 0, offset: 3 }] }], timeoutMs: 1000 });
  expect(deleted.topics[0].partitions[0]).toMatchObject({ errorCode: 0, lowWatermark: 3 });
  await first.close();

  const second = await startedBroker({ storage: filesystemStorage({ dir }) });
  try {
    const earliest = await call(second, 2, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'trimmed', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -2 }] }], timeoutMs: 1000 });
    expect(earliest.topics[0].partitions[0]).toMatchObject({ errorCode: 0, offset: 3 });
    expect((await call(second, 1, 11, fetchBody('trimmed', 0, 2))).responses[0].partitions[0].errorCode).toBe(1);
    expect((await call(second, 1, 11, fetchBody('trimmed', 0, 3))).responses[0].partitions[0].errorCode).toBe(0);
    // A topic created again under the name starts from 0.
    await second.topics.delete('trimmed');
    await second.topics.create({ name: 'trimmed', numPartitions: 1, replicationFactor: 1 });
    await call(second, 0, 9, produceBody('trimmed', 0, batchOf(['fresh'])));
    expect((await call(second, 1, 11, fetchBody('trimmed', 0, 0))).responses[0].partitions[0].errorCode).toBe(0);
  } finally {
    await second.close();
  }
});
