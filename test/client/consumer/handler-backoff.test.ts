/**
 * A failing handler is retried after a backoff that grows with each consecutive failure
 * (retry.initialRetryTime × multiplier^(n-1)), as fetch retries do. It once used the
 * partition's fetch-failure count, which is 0 after a good fetch, so every handler retry
 * waited the initial backoff.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, harness } from '../helpers.ts';

const open: Harness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});

describe('consumer handler retries', () => {
  it('back off longer after each consecutive handler failure', async () => {
    const h = await harness('in-process');
    open.push(h);
    const client = h.client();
    await client.admin().createTopics({ topics: [{ topic: 'handler-backoff', numPartitions: 1 }] });
    await client.producer().send({ topic: 'handler-backoff', messages: [{ value: 'poison' }] });
    const consumer = client.consumer({ fromBeginning: true, maxWaitMs: 20, retry: { retries: 3, initialRetryTime: 40, multiplier: 3, maxRetryTime: 10_000, factor: 0 } });
    await consumer.assign([{ topic: 'handler-backoff', partition: 0 }]);
    const attempts: number[] = [];
    await consumer.run({
      eachMessage: async () => {
        attempts.push(performance.now());
        throw Object.assign(new Error('always'), { code: 'APP' });
      },
    });
    await expect(consumer.done()).rejects.toMatchObject({ code: 'APP' });
    // The first call and three retries, 40, 120 and 360 ms apart (plus a fetch each).
    expect(attempts).toHaveLength(4);
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
    expect(gaps[0]).toBeGreaterThanOrEqual(35);
    expect(gaps[1]).toBeGreaterThanOrEqual(110);
    expect(gaps[2]).toBeGreaterThanOrEqual(330);
  });
});
