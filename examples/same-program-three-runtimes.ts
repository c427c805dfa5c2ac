/**
 * The same program under Node, Deno and Bun — unchanged, no build step, no flags in the
 * code. Tributary's core uses only web-standard APIs, and its TCP layer uses node:net,
 * which Deno and Bun both provide; so this program starts a broker listening on TCP,
 * connects a client to it over a real socket, and does a produce/consume round trip in
 * whichever runtime runs it.
 *
 * Run it under each:
 *   node --import tsx examples/same-program-three-runtimes.ts     (or: npm run example -- same-program-three-runtimes)
 *   npx deno run -A examples/same-program-three-runtimes.ts
 *   npx bun examples/same-program-three-runtimes.ts
 */
import process from 'node:process';
import { createBroker, createClient } from '../mod.ts';
import { isMain } from './shared/is-main.ts';
import type { Log } from './shared/log.ts';

/** What the example found, for its test. */
export interface RuntimeResult {
  readonly runtime: 'node' | 'deno' | 'bun';
  readonly version: string;
  readonly sent: string[];
  readonly received: string[];
}

/** Which runtime this is, told apart by the globals each one adds. */
export function runtimeName(): { runtime: RuntimeResult['runtime']; version: string } {
  const g = globalThis as { Deno?: { version: { deno: string } }; Bun?: { version: string } };
  if (g.Deno) return { runtime: 'deno', version: g.Deno.version.deno };
  if (g.Bun) return { runtime: 'bun', version: g.Bun.version };
  return { runtime: 'node', version: process.versions.node };
}

/** Runs the example, printing through `log`. */
export async function main(log: Log = console.log): Promise<RuntimeResult> {
  const { runtime, version } = runtimeName();
  log(`Running under ${runtime} ${version}`);

  // A broker in this process, listening on 127.0.0.1 on a free port…
  const broker = await createBroker({ listen: true });
  log(`broker listening on ${broker.address}`);
  // …and a client that reaches it the way any Kafka client would: over TCP.
  const client = createClient({ brokers: [broker.address!], serializers: { key: 'string', value: 'string' } });
  try {
    await client.admin().createTopics({ topics: [{ topic: 'greetings', numPartitions: 1 }] });
    const sent = ['hello', 'from', runtime];
    await client.producer().send({ topic: 'greetings', messages: sent.map((value, i) => ({ key: `k${i}`, value })) });
    log(`produced: ${sent.join(' ')}`);

    const consumer = client.consumer({ fromBeginning: true });
    await consumer.assign([{ topic: 'greetings', partition: 0 }]);
    const received: string[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer.done().catch(reject);
      void consumer.run({
        eachMessage: ({ message }) => {
          received.push(message.value as string);
          if (received.length === sent.length) resolve();
        },
      });
    });
    await consumer.close();
    log(`consumed: ${received.join(' ')}`);
    log(received.join() === sent.join() ? `round trip OK under ${runtime}` : `round trip FAILED under ${runtime}`);
    return { runtime, version, sent, received };
  } finally {
    await client.close();
    await broker.close();
  }
}

if (isMain(import.meta.url)) await main();
