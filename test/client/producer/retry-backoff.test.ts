/**
 * A retried batch waits out its backoff on a timer. With `lingerMs: 0` the producer once
 * re-ran its drain on a microtask until the backoff had passed — a busy loop that kept
 * the event loop (timers, sockets, other work) from running for the whole backoff.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { inProcessTransport } from '../../../core/client/in-process-transport.ts';
import type { RequestOptions, ResponseOf, Transport, TransportFactory } from '../../../core/client/transport.ts';
import { KafkaCode } from '../../../core/kafka-error-codes.ts';
import type { ApiRequestInput, ApiResponseInput } from '../../../core/protocol/api-messages.ts';
import { ApiKey } from '../../../core/protocol/api-keys.ts';
import { type Harness, harness } from '../helpers.ts';

const open: Harness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});

/** In-process connections whose first Produce is refused with NOT_ENOUGH_REPLICAS (retriable, nothing written). */
function refuseFirstProduce(inner: TransportFactory, onRefused: () => void): TransportFactory {
  let refused = false;
  return async (address, options) => {
    const t = await inner(address, options);
    const wrapped: Transport = {
      get apiVersions() {
        return t.apiVersions;
      },
      get connected() {
        return t.connected;
      },
      request<K extends ApiKey, O extends RequestOptions | undefined = undefined>(apiKey: K, apiVersion: number, body: ApiRequestInput<K>, requestOptions?: O): Promise<ResponseOf<K, O>> {
        if (apiKey === ApiKey.Produce && !refused) {
          refused = true;
          const produce = body as ApiRequestInput<typeof ApiKey.Produce>;
          onRefused();
          const refusal: ApiResponseInput<typeof ApiKey.Produce> = {
            responses: (produce.topicData ?? []).map((td) => ({
              name: td.name,
              partitionResponses: (td.partitionData ?? []).map((p) => ({ index: p.index, errorCode: KafkaCode.NOT_ENOUGH_REPLICAS, baseOffset: -1 })),
            })),
          };
          // The sender reads only these fields of an answer.
          return Promise.resolve(refusal as unknown as ResponseOf<K, O>);
        }
        return t.request(apiKey, apiVersion, body, requestOptions);
      },
      close: () => t.close(),
    };
    return wrapped;
  };
}

describe('producer retry backoff', () => {
  for (const idempotent of [false, true]) {
    it(`sleeps through a retry backoff with lingerMs 0 instead of spinning (idempotent: ${idempotent})`, async () => {
      const h = await harness('in-process');
      open.push(h);
      let refusedAt = 0;
      // A timer started when the broker refuses fires during the 300 ms backoff only if the
      // producer sleeps; a producer spinning on microtasks lets it fire after the retry at best.
      let timerFiredAt = Infinity;
      const onRefused = () => {
        refusedAt = performance.now();
        setTimeout(() => (timerFiredAt = performance.now()), 10);
      };
      const client = h.client({
        transport: refuseFirstProduce(inProcessTransport(h.broker), onRefused),
        retry: { retries: 3, initialRetryTime: 300, maxRetryTime: 300, factor: 0 },
      });
      await client.admin().createTopics({ topics: [{ topic: 'backoff', numPartitions: 1 }] });
      const producer = client.producer({ lingerMs: 0, idempotent, acks: idempotent ? 'all' : 1 });
      const [meta] = await producer.send({ topic: 'backoff', messages: [{ value: 'v' }] });
      const deliveredAt = performance.now();
      expect(meta).toMatchObject({ errorCode: 0, baseOffset: 0 });
      // The retry still waited its backoff.
      expect(deliveredAt - refusedAt).toBeGreaterThanOrEqual(290);
      expect(timerFiredAt).toBeLessThan(deliveredAt);
    });
  }
});
