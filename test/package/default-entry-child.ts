/**
 * Run by default-entry.test.ts with the optional packages hidden: imports the entry given
 * as argument (mod.ts or dist/mod.js), uses it on memory and filesystem storage, asks for
 * what needs a hidden package, and prints one JSON line of what happened.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Tributary from '../../mod.ts';

const [entry, avroEntry] = process.argv.slice(2);
const t = (await import(pathToFileURL(entry!).href)) as typeof Tributary;
const codeOf = async (fn: () => unknown): Promise<string> => {
  try {
    await fn();
    return 'no error';
  } catch (error) {
    return String((error as { code?: unknown }).code ?? (error as Error).message);
  }
};

/** Produces one record and reads it back: the entry works on this storage. */
async function roundTrip(broker: Tributary.EmbeddedBroker): Promise<string | null> {
  const client = broker.client({ serializers: { key: 'string', value: 'string' } });
  try {
    await client.admin().createTopics({ topics: [{ topic: 't', numPartitions: 1 }] });
    const producer = client.producer();
    await producer.send({ topic: 't', messages: [{ key: 'k', value: 'hello' }] });
    await producer.close();
    const consumer = client.consumer({ fromBeginning: true });
    await consumer.assign([{ topic: 't', partition: 0 }]);
    const value = await new Promise<string | null>((resolve) => {
      void consumer.run({ eachMessage: async ({ message }) => resolve(message.value as string | null) });
    });
    await consumer.close();
    return value;
  } finally {
    await client.close();
    await broker.close();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'tributary-entry-'));
try {
  const result = {
    memory: await roundTrip(await t.createBroker()),
    filesystem: await roundTrip(await t.createBroker({ storage: t.filesystemStorage({ dir: join(dir, 'fs') }) })),
    levelByName: await codeOf(async () => (await t.createBroker({ storage: { name: 'level', options: { location: join(dir, 'level') } } })).close()),
    avroByName: await codeOf(() => t.defaultRegistry.create('serializer', 'avro', { schema: 'string' })),
    avroWithoutSchema: await codeOf(() => t.defaultRegistry.create('serializer', 'avro')),
    avroEntry: await codeOf(() => import(pathToFileURL(avroEntry!).href)),
  };
  console.log(JSON.stringify(result));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
