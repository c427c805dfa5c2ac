/**
 * An embedded broker inside a vitest test — the pattern to copy into your own tests.
 *
 * No Docker, no Kafka to install: `createBroker()` starts a broker in the test process
 * in milliseconds (memory storage), `broker.client()` talks to it without a socket, and
 * `broker.listen()` adds a TCP port when the code under test uses another Kafka client
 * (kafkajs here) or must connect by address.
 *
 * Run: npm run example -- embedded-broker     (or: npx vitest run examples/embedded-broker.test.ts)
 */
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, type EmbeddedBroker, createBroker } from '../mod.ts';

// The code under test: reads positions, publishes an alert for each truck over the limit.
// (In your project this lives in your source tree; the test only wires it to a broker.)
async function forwardSpeedingAlerts(client: Client, limitKmh: number, count: number): Promise<void> {
  const consumer = client.consumer({ fromBeginning: true });
  const producer = client.producer();
  await consumer.assign([{ topic: 'positions', partition: 0 }]);
  let seen = 0;
  await new Promise<void>((resolve, reject) => {
    consumer.done().catch(reject);
    void consumer.run({
      eachMessage: async ({ message }) => {
        const p = message.value as { truckId: string; speedKmh: number };
        if (p.speedKmh > limitKmh) await producer.send({ topic: 'alerts', messages: [{ key: p.truckId, value: { truckId: p.truckId, speedKmh: p.speedKmh } }] });
        if (++seen === count) resolve();
      },
    });
  });
  await consumer.close();
  await producer.close();
}

describe('an embedded broker in a test', () => {
  let broker: EmbeddedBroker;
  let client: Client;

  // One broker for the file: starting one is cheap, but sharing it keeps tests quick.
  // Give each test its own topics (or its own broker) so tests cannot see each other's data.
  beforeAll(async () => {
    broker = await createBroker();
    client = broker.client({ serializers: { key: 'string', value: 'json' } });
    await client.admin().createTopics({ topics: [{ topic: 'positions', numPartitions: 1 }, { topic: 'alerts', numPartitions: 1 }] });
  });

  afterAll(async () => {
    await client.close();
    await broker.close();
  });

  it('tests your code against a real broker, in-process', async () => {
    await client.producer().send({
      topic: 'positions',
      messages: [
        { key: 'truck-1', value: { truckId: 'truck-1', speedKmh: 80 } },
        { key: 'truck-2', value: { truckId: 'truck-2', speedKmh: 131 } },
        { key: 'truck-3', value: { truckId: 'truck-3', speedKmh: 95 } },
        { key: 'truck-4', value: { truckId: 'truck-4', speedKmh: 122 } },
      ],
    });

    await forwardSpeedingAlerts(client, 110, 4);

    // Assert on what really reached the broker, not on calls to a mock.
    const [alerts] = await client.admin().fetchTopicOffsets('alerts');
    expect(alerts!.high).toBe(2);
    const consumer = client.consumer({ fromBeginning: true });
    await consumer.assign([{ topic: 'alerts', partition: 0 }]);
    const got: unknown[] = [];
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: ({ message }) => {
          got.push(message.value);
          if (got.length === 2) resolve();
        },
      });
    });
    await consumer.close();
    expect(got).toEqual([
      { truckId: 'truck-2', speedKmh: 131 },
      { truckId: 'truck-4', speedKmh: 122 },
    ]);
  });

  it('serves any Kafka client over TCP once listening (kafkajs here)', async () => {
    const address = await broker.listen(); // 127.0.0.1 on a free port
    const kafka = new Kafka({ clientId: 'test', brokers: [address], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'positions', messages: [{ key: 'truck-9', value: JSON.stringify({ truckId: 'truck-9', speedKmh: 60 }) }] });
    await producer.disconnect();

    // The record kafkajs wrote is read back by our own client: same broker, same log.
    const [p] = await client.admin().fetchTopicOffsets('positions');
    const consumer = client.consumer();
    await consumer.assign([{ topic: 'positions', partition: 0, offset: p!.high - 1 }]);
    const message = await new Promise<unknown>((resolve) => void consumer.run({ eachMessage: ({ message }) => resolve(message.value) }));
    await consumer.close();
    expect(message).toEqual({ truckId: 'truck-9', speedKmh: 60 });
  });
});
