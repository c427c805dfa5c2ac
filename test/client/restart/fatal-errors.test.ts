/**
 * Issue 13, item 1: errors Kafka calls fatal stop a consumer and say so where the user
 * looks — the promise they await (run() for the first join, done() after it) and the
 * consumer's 'crash' event — not only in a log line.
 */
import { afterEach, expect, it } from 'vitest';
import { DEFAULT_HANDLERS } from '../../../core/broker/api/preset.ts';
import { ApiKey } from '../../../core/protocol/api-keys.ts';
import { FAST, groupHarness } from '../group-helpers.ts';
import { type Harness, harness } from '../helpers.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

it('a fenced static member: done() rejects with FENCED_INSTANCE_ID and the crash event carries it', async () => {
  h = await groupHarness('in-process');
  const client = h.client();
  await client.admin().createTopics({ topics: [{ topic: 'f', numPartitions: 2 }] });
  const first = client.consumer({ ...FAST, groupId: 'gf', groupInstanceId: 'same' });
  const crashes: Array<{ error: unknown; groupId: string | null }> = [];
  first.on('crash', (payload) => crashes.push(payload));
  await first.subscribe({ topics: ['f'] });
  await first.run({ eachMessage: async () => {} });
  const second = client.consumer({ ...FAST, groupId: 'gf', groupInstanceId: 'same' });
  await second.subscribe({ topics: ['f'] });
  await second.run({ eachMessage: async () => {} });
  await expect(first.done()).rejects.toMatchObject({ code: 'FENCED_INSTANCE_ID' });
  expect(crashes).toHaveLength(1);
  expect(crashes[0]).toMatchObject({ groupId: 'gf', error: { code: 'FENCED_INSTANCE_ID' } });
});

it('a fatal error while joining: run() rejects and the crash event fires too', async () => {
  h = await groupHarness('in-process');
  const client = h.client();
  await client.admin().createTopics({ topics: [{ topic: 'e', numPartitions: 1 }] });
  const short = client.consumer({ ...FAST, groupId: 'ge', sessionTimeoutMs: 50, heartbeatIntervalMs: 10 });
  const crashes: unknown[] = [];
  short.on('crash', ({ error }) => crashes.push(error));
  await short.subscribe({ topics: ['e'] });
  await expect(short.run({ eachMessage: async () => {} })).rejects.toMatchObject({ code: 'INVALID_SESSION_TIMEOUT' });
  expect(crashes).toEqual([expect.objectContaining({ code: 'INVALID_SESSION_TIMEOUT' })]);
  await expect(short.done()).rejects.toMatchObject({ code: 'INVALID_SESSION_TIMEOUT' });
});

it('an API the broker does not speak (UNSUPPORTED_VERSION) crashes the consumer at once instead of being retried', async () => {
  h = await harness('in-process', { handlers: DEFAULT_HANDLERS.filter((e) => e.apiKey !== ApiKey.Fetch) });
  const client = h.client({ retry: { retries: 1000, initialRetryTime: 10, maxRetryTime: 20 } });
  await client.admin().createTopics({ topics: [{ topic: 'u', numPartitions: 1 }] });
  const consumer = client.consumer({ fromBeginning: true });
  const crashes: unknown[] = [];
  consumer.on('crash', ({ error }) => crashes.push(error));
  await consumer.assign([{ topic: 'u', partition: 0 }]);
  await consumer.run({ eachMessage: async () => {} });
  await expect(consumer.done()).rejects.toMatchObject({ code: 'UNSUPPORTED_VERSION' });
  expect(crashes).toEqual([expect.objectContaining({ code: 'UNSUPPORTED_VERSION' })]);
});
