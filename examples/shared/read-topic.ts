/**
 * Reads a topic from its start to its current end with an assign-mode consumer (no
 * group), then stops: the "give me everything that is there now" that several examples
 * need to show what was stored.
 */
import type { Client, ConsumerMessage } from '../../mod.ts';

/** Every message of every partition of `topic`, up to the end offsets seen when called, in per-partition order. */
export async function readTopic(client: Client, topic: string): Promise<ConsumerMessage[]> {
  const admin = client.admin();
  // The high watermark of each partition is where "now" ends.
  const ends = await admin.fetchTopicOffsets(topic);
  const remaining = new Map(ends.filter((p) => p.high > p.low).map((p) => [p.partition, p.high]));
  const messages: ConsumerMessage[] = [];
  if (remaining.size === 0) return messages;
  const consumer = client.consumer({ fromBeginning: true, maxWaitMs: 50 });
  await consumer.assign(ends.map((p) => ({ topic, partition: p.partition })));
  const allRead = new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: ({ message }) => {
        messages.push(message);
        if (message.offset + 1 >= (remaining.get(message.partition) ?? Infinity)) {
          remaining.delete(message.partition);
          if (remaining.size === 0) resolve();
        }
      },
    });
  });
  await Promise.race([allRead, consumer.done()]);
  await consumer.close();
  return messages;
}
