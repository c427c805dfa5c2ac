/**
 * Custom plugins — a partitioner and a storage adapter of your own, registered in a
 * registry and used by a broker and a producer just like the built-ins.
 *
 * - key-prefix-partitioner.ts: keys `region:truck` are routed by region, so each region's
 *   trucks share one partition (and one consumer sees a region in order).
 * - metered-storage.ts: wraps the memory storage and counts what is appended and read.
 *
 * Both pass the conformance suites that every built-in passes (see custom-plugin.test.ts:
 * `partitionerConformance` and `storageConformance` from tributary/conformance).
 *
 * Run: npm run example -- custom-plugin          (the conformance tests: npx vitest run examples/custom-plugin)
 */
import { createBroker, createDefaultRegistry, memoryStorage, type PartitionerFactory, type StorageFactory } from '../../mod.ts';
import { isMain } from '../shared/is-main.ts';
import type { Log } from '../shared/log.ts';
import { readTopic } from '../shared/read-topic.ts';
import { keyPrefixPartitioner } from './key-prefix-partitioner.ts';
import { type StorageMeter, meteredStorage } from './metered-storage.ts';

/** What the example found, for its test. */
export interface CustomPluginResult {
  /** Partitions each region's records were read back from (one each, if the partitioner works). */
  readonly partitionsByRegion: Record<string, number[]>;
  readonly recordsSent: number;
  readonly recordsRead: number;
  /** From the storage meter. */
  readonly appendedRecords: number;
  readonly readBytes: number;
}

/** Runs the example, printing through `log`. */
export async function main(log: Log = console.log): Promise<CustomPluginResult> {
  // A registry of your own: the built-ins plus your plugins, under names of your choosing.
  // (Registries are instances, never global: another broker in this process is unaffected.)
  const registry = createDefaultRegistry();
  registry.register('partitioner', 'key-prefix', keyPrefixPartitioner as PartitionerFactory);
  const meter: StorageMeter = new Map();
  registry.register('storage', 'metered', ((options?: { segmentBytes?: number }) => meteredStorage(memoryStorage(options), meter)) as StorageFactory);

  // The broker finds the storage by name in the registry (an object works too)…
  const broker = await createBroker({ registry, storage: { name: 'metered' } });
  // …and clients of this broker use the same registry, so 'key-prefix' resolves.
  const client = broker.client({ serializers: { key: 'string', value: 'json' } });
  try {
    await client.admin().createTopics({ topics: [{ topic: 'positions', numPartitions: 8 }] });
    const producer = client.producer({ partitioner: 'key-prefix' });
    const regions = ['eu', 'us', 'asia'];
    const messages = [];
    for (let tick = 0; tick < 5; tick++) {
      for (let truck = 1; truck <= 9; truck++) {
        const region = regions[truck % regions.length]!;
        messages.push({ key: `${region}:truck-${truck}`, value: { tick, speedKmh: 50 + truck } });
      }
    }
    await producer.send({ topic: 'positions', messages });
    log(`Sent ${messages.length} positions keyed region:truck with the key-prefix partitioner (8 partitions).`);

    const read = await readTopic(client, 'positions');
    const partitionsByRegion: Record<string, number[]> = {};
    const trucksByPartition = new Map<number, Set<string>>();
    for (const m of read) {
      const key = m.key as string;
      const region = key.split(':')[0]!;
      const list = (partitionsByRegion[region] ??= []);
      if (!list.includes(m.partition)) list.push(m.partition);
      let trucks = trucksByPartition.get(m.partition);
      if (!trucks) trucksByPartition.set(m.partition, (trucks = new Set()));
      trucks.add(key);
    }
    for (const [partition, trucks] of [...trucksByPartition].sort((a, b) => a[0] - b[0])) {
      log(`  partition ${partition}: ${[...trucks].sort().join(', ')}`);
    }
    log(`Each region in one partition: ${Object.values(partitionsByRegion).every((p) => p.length === 1)}`);

    log('');
    log('What the metered storage counted (topic-partition: appended batches / records / bytes, reads / bytes read; the other partitions stayed empty):');
    let appendedRecords = 0;
    let readBytes = 0;
    for (const [key, m] of [...meter].filter(([k, m]) => k.startsWith('positions-') && m.appendedBatches > 0).sort()) {
      appendedRecords += m.appendedRecords;
      readBytes += m.readBytes;
      log(`  ${key.padEnd(12)} ${m.appendedBatches} / ${m.appendedRecords} / ${m.appendedBytes} B, ${m.reads} / ${m.readBytes} B`);
    }
    return { partitionsByRegion, recordsSent: messages.length, recordsRead: read.length, appendedRecords, readBytes };
  } finally {
    await client.close();
    await broker.close();
  }
}

if (isMain(import.meta.url)) await main();
