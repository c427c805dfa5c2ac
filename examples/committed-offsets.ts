/**
 * Committed offsets — stop, and resume where you left off.
 *
 * A consumer group stores, per partition, the offset of the next record it wants: its
 * committed offset. The broker keeps it (in its metadata store, on disk with filesystem
 * storage), so a consumer that restarts — or another member that takes over the
 * partition — continues from there instead of starting over or skipping ahead.
 *
 * This example commits by hand (`autoCommit: false`) to show what a commit is: for each
 * partition, the last processed offset + 1. With the default auto-commit the consumer
 * does the same on an interval, on rebalance and on stop.
 *
 * 1. A broker on filesystem storage in a temp dir; 100 invoices over 2 partitions.
 * 2. The "billing" group processes 40 of them, commits, stops. The broker shuts down.
 * 3. A new broker opens the same directory (as after a restart); a new consumer in the same
 *    group starts, and gets exactly the other 60: nothing twice, nothing skipped.
 *
 * Run: npm run example -- committed-offsets
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBroker, filesystemStorage, type EmbeddedBroker, type GroupConsumer } from '../mod.ts';
import { isMain } from './shared/is-main.ts';
import type { Log } from './shared/log.ts';
import { waitFor } from './shared/wait.ts';

const TOPIC = 'invoices';
const GROUP = 'billing';
const TOTAL = 100;
const FIRST_RUN = 40;

/** What the example found, for its test. */
export interface CommittedOffsetsResult {
  /** Offsets committed at the end of the first run, per partition. */
  readonly committed: Record<number, number>;
  /** What the restarted broker reported as committed for the group. */
  readonly committedAfterRestart: Record<number, number>;
  readonly firstRun: string[];
  readonly secondRun: string[];
  /** Offset of the first record of each partition in the second run. */
  readonly resumedAt: Record<number, number>;
}

function startBroker(dir: string): Promise<EmbeddedBroker> {
  // Fast group formation for the demo (Kafka waits 3 s for more members by default).
  return createBroker({ storage: filesystemStorage({ dir }), groups: { initialRebalanceDelayMs: 0, minSessionTimeoutMs: 100 } });
}

const memberOptions = { groupId: GROUP, autoCommit: false, heartbeatIntervalMs: 100, sessionTimeoutMs: 3000, maxWaitMs: 50 } as const;

/** Runs the example, printing through `log`. */
export async function main(log: Log = console.log): Promise<CommittedOffsetsResult> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-offsets-'));
  try {
    // --- 1 and 2: first broker, first consumer ---------------------------------------------
    let broker = await startBroker(dir);
    let client = broker.client({ serializers: { value: 'string' } });
    await client.admin().createTopics({ topics: [{ topic: TOPIC, numPartitions: 2 }] });
    // Sent in small batches, so that the consumer alternates between the partitions.
    const producer = client.producer();
    for (let i = 0; i < TOTAL; i += 10) {
      await producer.send({ topic: TOPIC, messages: Array.from({ length: 10 }, (_, j) => ({ value: `invoice-${i + j}`, partition: (i + j) % 2 })) });
    }
    log(`${TOTAL} invoices on 2 partitions, filesystem storage in ${dir}`);

    const firstRun: string[] = [];
    const lastProcessed = new Map<number, number>();
    let consumer: GroupConsumer = client.consumer(memberOptions);
    await consumer.subscribe({ topics: [TOPIC], fromBeginning: true });
    await consumer.run({
      eachMessage: ({ partition, message }) => {
        if (firstRun.length >= FIRST_RUN) return; // a guard: the pause below stops delivery before the next message
        firstRun.push(message.value as string);
        lastProcessed.set(partition, message.offset);
        // Enough for this run: pause so that no further message is handed to us.
        if (firstRun.length === FIRST_RUN) consumer.pause([{ topic: TOPIC }]);
      },
    });
    await waitFor(() => firstRun.length === FIRST_RUN, `${FIRST_RUN} invoices`);
    // The commit: per partition, the NEXT offset to read (last processed + 1).
    const toCommit = [...lastProcessed].map(([partition, offset]) => ({ topic: TOPIC, partition, offset: offset + 1 }));
    await consumer.commitOffsets(toCommit);
    const committed = Object.fromEntries(toCommit.map((c) => [c.partition, c.offset]));
    log(`First run: processed ${firstRun.length} invoices, committed ${toCommit.map((c) => `partition ${c.partition} → ${c.offset}`).join(', ')}`);
    await consumer.stop();
    await client.close();
    await broker.close();
    log('Consumer stopped, broker closed.');

    // --- 3: a new broker on the same directory, a new consumer in the same group ------------
    broker = await startBroker(dir);
    client = broker.client({ serializers: { value: 'string' } });
    const [fetched] = await client.admin().fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
    const committedAfterRestart = Object.fromEntries(fetched!.partitions.map((p) => [p.partition, p.offset]));
    log('');
    log(`Broker restarted on ${dir}. Group "${GROUP}" still has: ${fetched!.partitions.map((p) => `partition ${p.partition} at ${p.offset} (lag ${p.lag})`).join(', ')}`);

    const secondRun: string[] = [];
    const resumedAt: Record<number, number> = {};
    consumer = client.consumer(memberOptions);
    // fromBeginning only applies to partitions WITHOUT a committed offset; here both have one.
    await consumer.subscribe({ topics: [TOPIC], fromBeginning: true });
    await consumer.run({
      eachMessage: ({ partition, message }) => {
        resumedAt[partition] ??= message.offset;
        secondRun.push(message.value as string);
      },
    });
    await waitFor(() => secondRun.length >= TOTAL - FIRST_RUN, `the remaining ${TOTAL - FIRST_RUN} invoices`);
    await consumer.stop();
    await client.close();
    await broker.close();

    const overlap = secondRun.filter((v) => firstRun.includes(v)).length;
    const missing = TOTAL - new Set([...firstRun, ...secondRun]).size;
    log(`Second run: resumed at ${Object.entries(resumedAt).map(([p, o]) => `partition ${p} offset ${o}`).join(', ')}; processed ${secondRun.length} invoices.`);
    log(`Processed twice: ${overlap}. Never processed: ${missing}.`);
    return { committed, committedAfterRestart, firstRun, secondRun, resumedAt };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) await main();
