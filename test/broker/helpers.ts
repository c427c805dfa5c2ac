/** Shared helpers for the broker unit tests: a broker on memory storage and batch builders. */
import { memoryStorage } from '../../adapters/memory/index.ts';
import { Broker, type BrokerOptions } from '../../core/broker/broker.ts';
import { DEFAULT_HANDLERS } from '../../core/broker/api/preset.ts';
import type { Storage } from '../../core/contracts/storage.ts';
import { encodeBatchSync } from '../../core/records/record-batch.ts';

/** A started broker on (by default) fresh memory storage. */
export async function startedBroker(options: Partial<BrokerOptions> = {}): Promise<Broker> {
  const broker = new Broker({ storage: options.storage ?? memoryStorage(), retentionCheckIntervalMs: 0, ...options, handlers: options.handlers ?? DEFAULT_HANDLERS });
  await broker.start();
  return broker;
}

/**
 * Brokers for one test file: `start` starts one, `closeAll` (for afterEach) closes every
 * one started since the last call.
 */
export function brokerPool(): { start(options?: Partial<BrokerOptions>): Promise<Broker>; closeAll(): Promise<void> } {
  const open: Broker[] = [];
  return {
    async start(options = {}) {
      const b = await startedBroker(options);
      open.push(b);
      return b;
    },
    async closeAll() {
      for (const b of open.splice(0)) await b.close();
    },
  };
}

/** Calls a handler the way the server does. */
export function call(broker: Broker, apiKey: number, apiVersion: number, body: unknown): Promise<any> {
  return broker.handle({ apiKey, apiVersion, correlationId: 1, clientId: 'test' }, body);
}

const enc = new TextEncoder();

/** A record batch of `values` (string values, keys `k<i>` unless keyless). */
export function batchOf(values: string[], options: { keyless?: boolean; timestamp?: number; compression?: number } = {}): Uint8Array {
  return encodeBatchSync({
    records: values.map((v, i) => ({
      key: options.keyless ? null : enc.encode(`k${i}`),
      value: enc.encode(v),
      headers: [{ key: 'h', value: enc.encode(`x${i}`) }],
      timestamp: options.timestamp,
    })),
    now: options.timestamp ?? 1_700_000_000_000,
  });
}

/** Produce v9 body for one partition. */
export function produceBody(topic: string, partition: number, records: Uint8Array | null, acks = 1): Record<string, unknown> {
  return { transactionalId: null, acks, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] };
}

/** Fetch v11 body for one partition. */
export function fetchBody(topic: string, partition: number, fetchOffset: number, options: { maxWaitMs?: number; minBytes?: number; maxBytes?: number; partitionMaxBytes?: number } = {}): Record<string, unknown> {
  return {
    replicaId: -1,
    maxWaitMs: options.maxWaitMs ?? 0,
    minBytes: options.minBytes ?? 1,
    maxBytes: options.maxBytes ?? 1 << 20,
    isolationLevel: 1,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset, logStartOffset: -1, partitionMaxBytes: options.partitionMaxBytes ?? 1 << 20 }] }],
    forgottenTopicsData: [],
    rackId: '',
  };
}

/** Concatenates chunks. */
export function joined(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let pos = 0;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  return out;
}

export type { Storage };
