/**
 * A consumer's long-poll Fetch must not hold back the rest of its client. A broker answers
 * a connection's requests in order (over TCP, and in process through BrokerSession), so a
 * Fetch waiting up to maxWaitMs on the client's shared connection once delayed every
 * Produce, admin request and other consumer's fetch behind it. Each consumer now fetches
 * on connections of its own, closed when it stops.
 *
 * No timing asserts: the long poll waits far longer than the test could, and the other
 * requests must finish while it is still pending.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { tcpTransport } from '../../../adapters/transport/index.ts';
import { ApiKey } from '../../../core/protocol/api-keys.ts';
import { inProcessTransport } from '../../../core/client/in-process-transport.ts';
import type { Transport, TransportFactory } from '../../../core/client/transport.ts';
import { type Harness, type Mode, harness, until } from '../helpers.ts';

const LONG_POLL_MS = 20_000;

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** A pending request as the test sees it. */
interface Tracked {
  readonly apiKey: number;
  readonly maxWaitMs: number | undefined;
  /** The connection it went on. */
  readonly transport: Transport;
  settled: boolean;
  readonly done: Promise<void>;
}

/** Wraps a transport factory so that every request is recorded with whether it has settled, and every connection opened. */
function tracking(factory: TransportFactory, requests: Tracked[]): TransportFactory {
  return async (address, options) => {
    const t = await factory(address, options);
    const wrapped = {
      get apiVersions() {
        return t.apiVersions;
      },
      get connected() {
        return t.connected;
      },
      request(apiKey, version, body, requestOptions) {
        const pending = t.request(apiKey, version, body, requestOptions);
        const tracked: Tracked = {
          apiKey,
          maxWaitMs: (body as { maxWaitMs?: number }).maxWaitMs,
          transport: wrapped,
          settled: false,
          done: pending.then(() => undefined, () => undefined).finally(() => (tracked.settled = true)),
        };
        requests.push(tracked);
        return pending;
      },
      close: () => t.close(),
    } as Transport;
    return wrapped;
  };
}

describe.each(['in-process', 'tcp'] as Mode[])('%s', (mode) => {
  it("a consumer's long poll does not delay the client's other requests, and stop() ends it", async () => {
    h = await harness(mode);
    const requests: Tracked[] = [];
    const base = h.server ? tcpTransport() : inProcessTransport(h.broker);
    const client = h.client({ transport: tracking(base, requests) });
    const admin = client.admin();
    await admin.createTopics({ topics: [{ topic: 'idle', numPartitions: 1 }, { topic: 'busy', numPartitions: 1 }] });

    const idle = client.consumer({ maxWaitMs: LONG_POLL_MS, fromBeginning: true });
    await idle.assign([{ topic: 'idle', partition: 0 }]);
    await idle.run({ eachMessage: async () => {} });
    await until(() => requests.some((r) => r.apiKey === ApiKey.Fetch && r.maxWaitMs === LONG_POLL_MS && !r.settled));
    const longPoll = requests.find((r) => r.apiKey === ApiKey.Fetch && r.maxWaitMs === LONG_POLL_MS)!;

    // A producer, an admin request and a second consumer of the same client, all while the
    // long poll waits: each must finish before it (when it did not, it waited behind it).
    const first = (work: Promise<unknown>) => Promise.race([work.then(() => 'work'), longPoll.done.then(() => 'long poll')]);
    expect(await first(client.producer().send({ topic: 'busy', messages: [{ value: 'one' }] }))).toBe('work');
    expect(await first(admin.listTopics().then((topics) => expect(topics.sort()).toEqual(['busy', 'idle'])))).toBe('work');
    const values: string[] = [];
    const busy = client.consumer({ maxWaitMs: 50, fromBeginning: true });
    expect(await first(busy.assign([{ topic: 'busy', partition: 0 }]))).toBe('work');
    expect(await first(busy.run({ eachMessage: async ({ message }) => void values.push(new TextDecoder().decode(message.value as Uint8Array)) }))).toBe('work');
    expect(await first(until(() => values.length === 1))).toBe('work');
    expect(values).toEqual(['one']);
    expect(await first(busy.stop())).toBe('work');
    expect(longPoll.settled).toBe(false);

    // Stopping the consumer closes its fetch connection: the long poll ends with it.
    await idle.stop();
    await longPoll.done;
    expect(longPoll.transport.connected).toBe(false);
    // The client's shared connections stay: only the consumer's own one closed.
    expect(requests.some((r) => r.apiKey === ApiKey.Produce && r.transport.connected)).toBe(true);

    // A run after stop fetches again, on a new connection.
    await client.producer().send({ topic: 'idle', messages: [{ value: 'late' }] });
    const seen: number[] = [];
    await idle.run({ eachMessage: async ({ message }) => void seen.push(message.offset) });
    await until(() => seen.length === 1);
    expect(seen).toEqual([0]);
    await idle.stop();
  });
});
