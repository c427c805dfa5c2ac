/**
 * Revoking a partition while its handler runs (Kafka's rule for a rebalance): the record
 * in flight is finished and counts as processed — the positions revoke() resolves, which
 * the group commits before the partition moves, are past it — and nothing more of the
 * partition is handled, neither what was already fetched nor what a fetch brings later.
 *
 * The positions were once read before the in-flight handler finished, and the handler's
 * record was then not counted: the new owner read it a second time (the cooperative
 * rebalancing test saw one duplicate in about 8 loaded runs). Here an assignment source
 * of the test's own revokes at the exact moment, so the race is deterministic.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AssignmentSource, AssignmentTarget, EachBatchPayload, TopicPartitionOffset } from '../../../core/client/consumer.ts';
import { type Harness, harness, until } from '../helpers.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** An assignment source driven by the test. */
function manualSource(initial: TopicPartitionOffset[]): AssignmentSource & { target: () => AssignmentTarget } {
  let target: AssignmentTarget | undefined;
  return {
    async start(t) {
      target = t;
      await t.assign(initial);
    },
    async stop() {},
    target: () => target!,
  };
}

/** A promise and its resolver. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

async function setup() {
  h = await harness('in-process');
  const client = h.client();
  await client.admin().createTopics({ topics: [{ topic: 'rv', numPartitions: 2 }] });
  const producer = client.producer();
  // Several records per partition in one batch each: the rest of the batch is queued when the first is handled.
  await producer.send({ topic: 'rv', messages: Array.from({ length: 10 }, (_, i) => ({ value: `a${i}`, partition: i % 2 })) });
  return client;
}

const seenKey = (m: { partition: number; offset: number }) => `${m.partition}/${m.offset}`;

describe('revoking a partition whose handler is running', () => {
  it('eachMessage: the record in flight finishes and is counted; the rest of the partition is dropped', async () => {
    const client = await setup();
    const source = manualSource([{ topic: 'rv', partition: 0, offset: 0 }, { topic: 'rv', partition: 1, offset: 0 }]);
    const consumer = client.consumer({ maxWaitMs: 50 });
    consumer.useAssignmentSource(source);
    const seen: string[] = [];
    const inFlight = gate();
    const release = gate();
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        seen.push(seenKey({ partition, offset: message.offset }));
        if (partition === 0 && message.offset === 0) {
          inFlight.open();
          await release.promise;
        }
      },
    });
    await inFlight.promise;
    let revoked: TopicPartitionOffset[] | undefined;
    const revoking = source.target().revoke([{ topic: 'rv', partition: 0 }]).then((p) => (revoked = p));
    // revoke() waits for the handler: nothing is resolved while it runs.
    await new Promise((r) => setTimeout(r, 0));
    expect(revoked).toBeUndefined();
    release.open();
    await revoking;
    // Offset 0 was handled: the position to commit is 1, not 0 (0 would be read again by the next owner).
    expect(revoked).toEqual([{ topic: 'rv', partition: 0, offset: 1 }]);
    // Partition 1 goes on, partition 0 gets nothing more (its queued records were dropped), even as new records come.
    await client.producer().send({ topic: 'rv', messages: [{ value: 'b0', partition: 0 }, { value: 'b1', partition: 1 }] });
    await until(() => seen.includes('1/5'));
    await consumer.stop();
    expect(seen.filter((s) => s.startsWith('0/'))).toEqual(['0/0']);
    expect(seen.filter((s) => s.startsWith('1/'))).toEqual(['1/0', '1/1', '1/2', '1/3', '1/4', '1/5']);
  });

  it('eachBatch: what the running batch resolved counts; one that resolves nothing and returns counts whole', async () => {
    const client = await setup();
    const source = manualSource([{ topic: 'rv', partition: 0, offset: 0 }, { topic: 'rv', partition: 1, offset: 0 }]);
    const consumer = client.consumer({ maxWaitMs: 50 });
    consumer.useAssignmentSource(source);
    let inFlight = gate();
    let release = gate();
    let running = -1;
    const batches: string[] = [];
    let staleSeen: boolean | undefined;
    await consumer.run({
      eachBatch: async ({ batch, resolveOffset, isStale }: EachBatchPayload) => {
        batches.push(`${batch.partition}:${batch.messages.map((m) => m.offset).join(',')}`);
        running = batch.partition;
        // Partition 0 resolves its first two records, then stops once the batch is stale;
        // partition 1 resolves nothing: returning means the whole batch was processed.
        if (batch.partition === 0) {
          resolveOffset(batch.messages[0]!.offset);
          resolveOffset(batch.messages[1]!.offset);
        }
        inFlight.open();
        await release.promise;
        if (batch.partition === 0) staleSeen = isStale();
      },
    });
    const expected: Record<number, number> = { 0: 2, 1: 5 };
    for (let round = 0; round < 2; round++) {
      await inFlight.promise;
      const partition = running;
      inFlight = gate();
      const releasing = release;
      release = gate();
      const revoking = source.target().revoke([{ topic: 'rv', partition }]);
      releasing.open();
      expect(await revoking).toEqual([{ topic: 'rv', partition, offset: expected[partition] }]);
    }
    expect(staleSeen).toBe(true);
    await consumer.stop();
    expect(batches.sort()).toEqual(['0:0,1,2,3,4', '1:0,1,2,3,4']);
  });
});
