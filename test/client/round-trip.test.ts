/**
 * Producer → broker → consumer round trips over TCP and in-process, on every storage
 * adapter, with every codec: every field of a record comes back as it was sent.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filesystemStorage } from '../../adapters/filesystem/index.ts';
import { levelStorage } from '../../adapters/level/index.ts';
import { memoryStorage } from '../../adapters/memory/index.ts';
import type { ConsumerMessage } from '../../core/client/consumer.ts';
import type { Storage } from '../../core/contracts/storage.ts';
import { type Harness, type Mode, collector, dec, enc, harness } from './helpers.ts';

const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-client-'));
  dirs.push(dir);
  return dir;
}

const STORAGES: Array<[string, () => Storage]> = [
  ['memory', () => memoryStorage()],
  ['filesystem', () => filesystemStorage({ dir: tmp() })],
  ['level', () => levelStorage({ location: tmp() })],
];

const MODES: Mode[] = ['tcp', 'in-process'];

for (const mode of MODES) {
  for (const [storageName, storage] of STORAGES) {
    describe(`round trip: ${mode}, ${storageName} storage`, () => {
      let h: Harness;
      beforeAll(async () => {
        h = await harness(mode, { storage: storage() });
      });
      afterAll(async () => {
        await h?.close();
      });

      for (const codec of CODECS) {
        it(`keeps every field with ${codec} compression`, async () => {
          const client = h.client();
          const topic = `rt-${codec}`;
          await client.admin().createTopics({ topics: [{ topic, numPartitions: 2 }] });
          const producer = client.producer({ compression: codec, lingerMs: 2 });
          const binary = new Uint8Array([0, 1, 2, 254, 255]);
          const results = await producer.send({
            topic,
            messages: [
              { key: 'k1', value: 'héllo ✓', headers: { a: 'x', b: binary }, timestamp: 1_700_000_000_123, partition: 1 },
              { key: null, value: null, headers: [{ key: 'dup', value: '1' }, { key: 'dup', value: '2' }, { key: 'nul', value: null }], timestamp: 1_700_000_000_456, partition: 1 },
              { key: binary, value: binary, timestamp: '1700000000789', partition: 0 },
              { key: '', value: '', partition: 0 },
            ],
          });
          expect(results.map((r) => [r.partition, r.baseOffset, r.errorCode]).sort()).toEqual([[0, 0, 0], [1, 0, 0]]);
          const consumer = client.consumer({ fromBeginning: true });
          const got = collector<ConsumerMessage>();
          await consumer.assign([{ topic, partition: 0 }, { topic, partition: 1 }]);
          await consumer.run({ eachMessage: got.eachMessage });
          await got.until(4);
          await consumer.stop();
          const p1 = got.messages.filter((m) => m.partition === 1);
          const p0 = got.messages.filter((m) => m.partition === 0);
          expect(p1.map((m) => m.offset)).toEqual([0, 1]);
          expect(dec.decode(p1[0]!.key)).toBe('k1');
          expect(dec.decode(p1[0]!.value)).toBe('héllo ✓');
          expect(p1[0]!.timestamp).toBe(1_700_000_000_123);
          expect(p1[0]!.headers.map((x) => [x.key, [...x.value!]])).toEqual([['a', [...enc.encode('x')]], ['b', [...binary]]]);
          expect(p1[1]!.key).toBeNull();
          expect(p1[1]!.value).toBeNull();
          expect(p1[1]!.timestamp).toBe(1_700_000_000_456);
          expect(p1[1]!.headers.map((x) => [x.key, x.value === null ? null : dec.decode(x.value)])).toEqual([['dup', '1'], ['dup', '2'], ['nul', null]]);
          expect([...p0[0]!.key]).toEqual([...binary]);
          expect([...p0[0]!.value]).toEqual([...binary]);
          expect(p0[0]!.timestamp).toBe(1_700_000_000_789);
          expect(p0[1]!.key).toEqual(new Uint8Array(0));
          expect(p0[1]!.value).toEqual(new Uint8Array(0));
          expect(p0[1]!.headers).toEqual([]);
          await producer.close();
        });
      }
    });
  }
}
