/**
 * Partitions and ordering — the two promises Kafka makes about where a record goes:
 *
 * 1. Same key → same partition. The default partitioner hashes the key bytes with
 *    murmur2 (as the Java client does) and takes `toPositive(hash) % partitions`, so every
 *    producer, in any language, puts "truck-7" in the same partition.
 * 2. Order is kept per partition, not across partitions. All of one key's records sit in
 *    one partition, so a consumer sees them in the order they were sent.
 * 3. Keyless records have no partition to stick to, so they are spread: the default
 *    partitioner is "sticky" (KIP-480: fill one batch on one partition, then move on —
 *    fewer, bigger batches), the `round-robin` partitioner deals them out one by one.
 *
 * Run: npm run example -- partitions-and-ordering
 */
import { createBroker, partitionForKey } from '../mod.ts';
import { isMain } from './shared/is-main.ts';
import type { Log } from './shared/log.ts';
import { readTopic } from './shared/read-topic.ts';

const PARTITIONS = 6;
const KEYS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace'];
const EVENTS_PER_KEY = 5;

/** What the example found, for its test. */
export interface PartitionsAndOrderingResult {
  /** Partition each key's records landed in (from what the consumer read). */
  readonly partitionOfKey: Record<string, number>;
  /** Partition murmur2 predicts for each key, computed locally without any broker. */
  readonly predictedPartitionOfKey: Record<string, number>;
  /** True when every key's events were read back in the order they were sent. */
  readonly orderKept: boolean;
  /** Partition of each keyless send with the default (sticky) partitioner: one per batch. */
  readonly stickyPartitions: number[][];
  /** Partition of each keyless record with the round-robin partitioner. */
  readonly roundRobinPartitions: number[];
}

/** Runs the example, printing through `log`. */
export async function main(log: Log = console.log): Promise<PartitionsAndOrderingResult> {
  const broker = await createBroker();
  const client = broker.client({ serializers: { key: 'string', value: 'string' } });
  try {
    await client.admin().createTopics({ topics: [{ topic: 'orders', numPartitions: PARTITIONS }] });

    // --- 1 and 2: keyed records --------------------------------------------------------
    // Interleave the keys (alice-1, bob-1, …, alice-2, …) so that order across keys is
    // mixed up on purpose; only the order within each key is promised.
    const producer = client.producer();
    const messages = [];
    for (let seq = 1; seq <= EVENTS_PER_KEY; seq++) for (const key of KEYS) messages.push({ key, value: `${key}-${seq}` });
    await producer.send({ topic: 'orders', messages });

    const encoder = new TextEncoder();
    const predictedPartitionOfKey: Record<string, number> = {};
    for (const key of KEYS) predictedPartitionOfKey[key] = partitionForKey(encoder.encode(key), PARTITIONS);

    const read = await readTopic(client, 'orders');
    const partitionOfKey: Record<string, number> = {};
    const seqsOfKey: Record<string, number[]> = {};
    for (const m of read) {
      const key = m.key as string;
      partitionOfKey[key] ??= m.partition;
      if (partitionOfKey[key] !== m.partition) log(`!! ${key} appeared in two partitions`);
      (seqsOfKey[key] ??= []).push(Number((m.value as string).split('-')[1]));
    }

    log(`Topic "orders" has ${PARTITIONS} partitions. ${messages.length} keyed records sent (${EVENTS_PER_KEY} per key, keys interleaved).`);
    log('');
    log('key     murmur2 says   stored in   events read back (in order)');
    for (const key of KEYS) {
      log(`${key.padEnd(8)}${String(predictedPartitionOfKey[key]).padStart(8)}   ${String(partitionOfKey[key]).padStart(10)}   ${seqsOfKey[key]!.map((s) => `${key}-${s}`).join(', ')}`);
    }
    log('');
    log('Per partition (offset: value) — keys sharing a partition interleave, each key stays in order:');
    for (let p = 0; p < PARTITIONS; p++) {
      const here = read.filter((m) => m.partition === p);
      log(`  partition ${p}: ${here.length === 0 ? '(empty: no key hashed here)' : here.map((m) => `${m.offset}:${m.value}`).join(' ')}`);
    }
    const orderKept = KEYS.every((k) => seqsOfKey[k]!.join() === Array.from({ length: EVENTS_PER_KEY }, (_, i) => i + 1).join());
    log(`Order within every key kept: ${orderKept}`);

    // --- 3: keyless records --------------------------------------------------------------
    // Each send() below becomes one batch; when the batch closes, the sticky partitioner
    // picks another partition for the next one.
    log('');
    log('Keyless records, default (sticky) partitioner: 4 sends of 5 records each');
    const stickyPartitions: number[][] = [];
    for (let i = 0; i < 4; i++) {
      const acked = await producer.send({ topic: 'orders', messages: Array.from({ length: 5 }, (_, j) => ({ value: `keyless-${i}-${j}` })) });
      stickyPartitions.push(acked.map((r) => r.partition));
      log(`  send ${i + 1}: all 5 records went to partition ${acked.map((r) => r.partition).join(', ')}`);
    }

    log('Keyless records, round-robin partitioner: 12 records in one send');
    const roundRobin = client.producer({ partitioner: 'round-robin' });
    const before = await client.admin().fetchTopicOffsets('orders');
    await roundRobin.send({ topic: 'orders', messages: Array.from({ length: 12 }, (_, j) => ({ value: `rr-${j}` })) });
    const after = await client.admin().fetchTopicOffsets('orders');
    const rr = (await readTopic(client, 'orders')).filter((m) => (m.value as string).startsWith('rr-'));
    const roundRobinPartitions = rr.sort((a, b) => Number((a.value as string).slice(3)) - Number((b.value as string).slice(3))).map((m) => m.partition);
    log(`  record i → partition: ${roundRobinPartitions.join(' ')}`);
    log(`  records added per partition: ${after.map((p) => p.high - before.find((b) => b.partition === p.partition)!.high).join(' ')}`);

    return { partitionOfKey, predictedPartitionOfKey, orderKept, stickyPartitions, roundRobinPartitions };
  } finally {
    await client.close();
    await broker.close();
  }
}

if (isMain(import.meta.url)) await main();
