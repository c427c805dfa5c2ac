/**
 * Idempotent producers against the broker: a raw client sending the same Produce twice,
 * and real clients (kafkajs 2.2.4 `idempotent: true`, librdkafka via kcat with
 * `enable.idempotence=true`, `-E` so kcat does not quit while its only broker is down) made to retry by a proxy that cuts the connection after the
 * append but before the response: the retried batch is answered, not appended again.
 */
import { spawn } from 'node:child_process';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchSizeAt, readBatchHeader } from '../../core/records/batch-header.ts';
import { ApiKey } from '../../core/protocol/api-keys.ts';
import { decodeRequest, decodeResponse, encodeRequest } from '../../core/protocol/messages.ts';
import { decodeBatchSync, encodeBatchSync } from '../../core/records/record-batch.ts';
import { RawClient } from '../broker/raw-client.ts';
import { type GroupBroker, startGroupBroker } from './group-harness.ts';
import { SabotageProxy } from './sabotage-proxy.ts';

const { Kafka, logLevel } = kafkajs;
const enc = new TextEncoder();

let fx: GroupBroker;
let proxy: SabotageProxy;
beforeAll(async () => {
  fx = await startGroupBroker();
  proxy = await SabotageProxy.start(Number(fx.bootstrap.split(':')[1]));
  // Clients bootstrapped through the proxy must keep using it.
  fx.broker.advertise('127.0.0.1', proxy.port);
});
afterAll(async () => {
  await proxy?.close();
  await fx?.close();
});

/** Every value stored in a partition, in offset order. */
async function values(topic: string, partition: number): Promise<string[]> {
  const p = fx.broker.topics.get(topic)!.partitions[partition]!;
  const read = await p.read(0, 1 << 24, true);
  const bytes = Buffer.concat(read.chunks);
  const out: string[] = [];
  for (let pos = 0; pos < bytes.length; ) {
    const batch = decodeBatchSync(bytes, pos);
    for (const r of batch.records) out.push(Buffer.from(r.value!).toString());
    pos += batch.sizeInBytes;
  }
  return out;
}

/**
 * The (producer id, epoch, base sequence) of every idempotent batch in the Produce
 * requests the proxy forwarded from `from` on, one entry per time it was sent.
 */
function sentBatches(from: number): string[] {
  const out: string[] = [];
  for (const frame of proxy.produceFrames.slice(from)) {
    const { body } = decodeRequest<typeof ApiKey.Produce>(frame);
    for (const t of body.topicData) {
      for (const p of t.partitionData) {
        const records = p.records!;
        for (let pos = 0; pos < records.length; pos += batchSizeAt(records, pos)) {
          const h = readBatchHeader(records, pos);
          if (h.producerId >= 0) out.push(`${h.producerId}/${h.producerEpoch}/${h.baseSequence}`);
        }
      }
    }
  }
  return out;
}

/** True when some batch was sent more than once (the client really retried it). */
function someBatchRetried(sent: string[]): boolean {
  return new Set(sent).size < sent.length;
}

describe('a raw client', () => {
  it('gets the original offset for a repeated Produce, and nothing is appended twice', async () => {
    await fx.broker.topics.create({ name: 'raw-idem', numPartitions: 1, replicationFactor: 1 });
    const client = await RawClient.connect(Number(fx.bootstrap.split(':')[1]));
    try {
      client.write(...encodeRequest({ apiKey: 22, apiVersion: 4, correlationId: 1, clientId: 'raw' }, { transactionalId: null, transactionTimeoutMs: 60000, producerId: -1, producerEpoch: -1 }));
      const init = decodeResponse(22, 4, (await client.waitFrames(1))[0]!).body;
      expect(init.errorCode).toBe(0);
      const batch = (seq: number) => encodeBatchSync({ records: [{ key: null, value: enc.encode(`r${seq}`) }, { key: null, value: enc.encode(`r${seq + 1}`) }], producerId: init.producerId, producerEpoch: init.producerEpoch, baseSequence: seq });
      const produce = (correlationId: number, seq: number) =>
        encodeRequest({ apiKey: 0, apiVersion: 9, correlationId, clientId: 'raw' }, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 'raw-idem', partitionData: [{ index: 0, records: batch(seq) }] }] });
      // Pipelined: the first, a retry of it, the next, and a retry of the first again.
      client.write(...produce(2, 0), ...produce(3, 0), ...produce(4, 2), ...produce(5, 0));
      const frames = await client.waitFrames(5);
      const answers = frames.slice(1).map((f) => decodeResponse(0, 9, f).body.responses[0].partitionResponses[0]);
      expect(answers.map((a: any) => [a.errorCode, a.baseOffset])).toEqual([[0, 0], [0, 0], [0, 2], [0, 0]]);
      expect(await values('raw-idem', 0)).toEqual(['r0', 'r1', 'r2', 'r3']);
    } finally {
      client.close();
    }
  });
});

describe('kafkajs idempotent producer', () => {
  it('retries a batch whose response was lost; the broker does not store it twice', async () => {
    const kafka = new Kafka({ clientId: 'kjs-idem', brokers: [`127.0.0.1:${proxy.port}`], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 50, maxRetryTime: 500 } });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'kjs-idem', numPartitions: 1 }] });
    await admin.disconnect();
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      const before = proxy.produceRequests;
      const framesBefore = proxy.produceFrames.length;
      await producer.send({ topic: 'kjs-idem', messages: [{ value: 'a0' }, { value: 'a1' }] });
      proxy.arm(1);
      const sent = await producer.send({ topic: 'kjs-idem', messages: [{ value: 'b0' }, { value: 'b1' }, { value: 'b2' }] });
      await producer.send({ topic: 'kjs-idem', messages: [{ value: 'c0' }] });
      expect(proxy.cut).toBeGreaterThanOrEqual(1);
      expect(proxy.produceRequests - before).toBe(4); // one request was sent twice
      expect(someBatchRetried(sentBatches(framesBefore))).toBe(true);
      expect(sent[0]!.baseOffset).toBe('2');
      expect(await values('kjs-idem', 0)).toEqual(['a0', 'a1', 'b0', 'b1', 'b2', 'c0']);
    } finally {
      await producer.disconnect();
    }
  });
});

describe('librdkafka (kcat) idempotent producer', () => {
  it('retries a batch whose response was lost; the broker does not store it twice', async () => {
    await fx.broker.topics.create({ name: 'kcat-idem', numPartitions: 1, replicationFactor: 1 });
    const cutBefore = proxy.cut;
    const before = proxy.produceRequests;
    const framesBefore = proxy.produceFrames.length;
    proxy.arm(1);
    const lines = Array.from({ length: 50 }, (_, i) => `m${i}`);
    await new Promise<void>((resolve, reject) => {
      const child = spawn('kcat', ['-P', '-E', '-b', `127.0.0.1:${proxy.port}`, '-t', 'kcat-idem', '-p', '0',
        '-X', 'enable.idempotence=true', '-X', 'linger.ms=0', '-X', 'batch.num.messages=10', '-X', 'retry.backoff.ms=50',
        '-X', 'broker.address.family=v4'], { stdio: ['pipe', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d) => (err += d));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`kcat exited ${code}: ${err}`))));
      child.stdin.end(lines.join('\n') + '\n');
    });
    expect(proxy.cut - cutBefore).toBe(1);
    expect(proxy.produceRequests - before).toBeGreaterThan(1);
    // The batch whose answer was cut went out again with the same sequence.
    expect(someBatchRetried(sentBatches(framesBefore))).toBe(true);
    expect(await values('kcat-idem', 0)).toEqual(lines);
  });
});
