/**
 * The producers of a fault run: our client, kafkajs and confluent-kafka-python
 * (librdkafka), each sending unique values `<name>-<seq>` round-robin over the partitions
 * at a steady pace and logging the outcome of every one.
 */
import { Kafka, logLevel } from 'kafkajs';
import type { Client } from '../../core/client/client.ts';
import { pythonCan, startPython } from '../interop/python-runner.ts';
import type { ProduceOutcome } from './history.ts';

/** Which client library a producer uses. */
export type ProducerKind = 'ours' | 'kafkajs' | 'confluent';

/** What every producer of a run is told. */
export interface ProducerSettings {
  readonly bootstrap: readonly string[];
  readonly topic: string;
  readonly partitions: number;
  /** -1 (all) or 1. */
  readonly acks: -1 | 1;
  /** Idempotence (default: on with acks=all). */
  readonly idempotent?: boolean;
  /** Pause between two sends (default 20 ms). */
  readonly intervalMs?: number;
  /** How long one value may wait for its acknowledgement, retries included (default 30000). */
  readonly deliveryTimeoutMs?: number;
}

/** A producer at work. */
export interface WorkloadProducer {
  readonly name: string;
  /** Every outcome so far (values still in flight are not listed). */
  readonly outcomes: ProduceOutcome[];
  /** Acknowledged values so far. */
  acked(): number;
  /** What the client reported besides outcomes (client errors, an unclean exit), for the run's report. */
  problems(): string[];
  /** Stops sending, waits for what is in flight (each still unsettled is recorded as unknown). */
  stop(): Promise<void>;
}

/** Whether confluent-kafka-python is installed (CI installs it; a dev machine may not have it). */
export const confluentAvailable = (): boolean => pythonCan('import confluent_kafka');

/** Kafka error codes that mean the broker refused the value before writing it. */
const REFUSED = new Set(['NOT_ENOUGH_REPLICAS', 'INVALID_RECORD', 'RECORD_LIST_TOO_LARGE', 'MESSAGE_TOO_LARGE']);

/**
 * Drives `send` once per interval with unique values until stopped, recording outcomes;
 * up to `concurrency` sends are in flight at once (the producer batches and orders them).
 */
function drive(name: string, settings: ProducerSettings, send: (value: string, partition: number) => Promise<{ partition: number; offset: number }>, close: () => Promise<void>, concurrency = 200): WorkloadProducer {
  const outcomes: ProduceOutcome[] = [];
  const inFlight = new Map<string, Promise<void>>();
  let running = true;
  let acked = 0;
  const loop = (async () => {
    for (let seq = 0; running; seq++) {
      const value = `${name}-${seq}`;
      const partition = seq % settings.partitions;
      const settled = send(value, partition).then(
        (r) => {
          acked++;
          outcomes.push({ kind: 'acked', producer: name, value, partition: r.partition, offset: r.offset });
        },
        (error: unknown) => {
          const code = String((error as { code?: unknown; type?: unknown }).code ?? (error as { type?: unknown }).type ?? '');
          const message = error instanceof Error ? error.message : String(error);
          outcomes.push({ kind: REFUSED.has(code) ? 'failed' : 'unknown', producer: name, value, error: `${code} ${message}`.trim() });
        },
      );
      inFlight.set(value, settled.finally(() => inFlight.delete(value)));
      // Back-pressure: a stalled cluster must not pile up unbounded sends.
      while (running && inFlight.size >= concurrency) await Promise.race(inFlight.values());
      await new Promise((r) => setTimeout(r, settings.intervalMs ?? 20));
    }
  })();
  return {
    name,
    outcomes,
    acked: () => acked,
    problems: () => [],
    async stop() {
      running = false;
      await loop;
      const limit = new Promise<void>((r) => setTimeout(r, (settings.deliveryTimeoutMs ?? 30_000) + 10_000));
      await Promise.race([Promise.allSettled(inFlight.values()), limit]);
      for (const value of inFlight.keys()) outcomes.push({ kind: 'unknown', producer: name, value, error: 'still in flight at the end' });
      await close().catch(() => undefined);
    },
  };
}

/** Our client's producer (core/client through mod.ts's createClient). */
export function startOurProducer(name: string, client: Client, settings: ProducerSettings): WorkloadProducer {
  const idempotent = settings.idempotent ?? settings.acks === -1;
  const producer = client.producer({ acks: settings.acks, idempotent, lingerMs: 5, deliveryTimeoutMs: settings.deliveryTimeoutMs ?? 30_000, timeoutMs: 10_000 });
  return drive(
    name,
    settings,
    async (value, partition) => {
      const [meta] = await producer.send({ topic: settings.topic, messages: [{ value, partition }] });
      return { partition: meta!.partition, offset: meta!.baseOffset };
    },
    () => producer.disconnect(),
  );
}

/**
 * A kafkajs producer (idempotent with one request in flight, as kafkajs requires), one
 * send() at a time: concurrent send() calls of an idempotent kafkajs producer are known to
 * lose messages (tulios/kafkajs#1005), which would be kafkajs's failure, not the cluster's.
 */
export async function startKafkajsProducer(name: string, settings: ProducerSettings): Promise<WorkloadProducer> {
  const idempotent = settings.idempotent ?? settings.acks === -1;
  const kafka = new Kafka({ clientId: name, brokers: [...settings.bootstrap], logLevel: logLevel.NOTHING, requestTimeout: 5_000, connectionTimeout: 3_000, retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 2_000 } });
  const producer = kafka.producer({ idempotent, maxInFlightRequests: idempotent ? 1 : 5, allowAutoTopicCreation: false });
  await producer.connect();
  return drive(
    name,
    settings,
    async (value, partition) => {
      const [meta] = await producer.send({ topic: settings.topic, acks: settings.acks, timeout: 10_000, messages: [{ value, partition }] });
      return { partition: meta!.partition, offset: Number(meta!.baseOffset) };
    },
    () => producer.disconnect(),
    idempotent ? 1 : 200,
  );
}

/** A confluent-kafka-python producer in a child process (test/interop/python/faults_producer.py). */
export function startConfluentProducer(name: string, settings: ProducerSettings, maxSeconds = 600): WorkloadProducer {
  const python = startPython('faults_producer.py', {
    bootstrap: settings.bootstrap.join(','),
    topic: settings.topic,
    partitions: settings.partitions,
    prefix: name,
    interval_ms: settings.intervalMs ?? 20,
    acks: settings.acks === -1 ? 'all' : '1',
    idempotent: settings.idempotent ?? settings.acks === -1,
    message_timeout_ms: settings.deliveryTimeoutMs ?? 30_000,
    max_seconds: maxSeconds,
  });
  const toOutcomes = (): ProduceOutcome[] =>
    python.events.flatMap((e): ProduceOutcome[] => {
      if (e.event === 'acked') return [{ kind: 'acked', producer: name, value: e.value as string, partition: e.partition as number, offset: e.offset as number }];
      if (e.event === 'unknown') return [{ kind: 'unknown', producer: name, value: e.value as string, error: String(e.error) }];
      return [];
    });
  const outcomes: ProduceOutcome[] = [];
  const problems: string[] = [];
  return {
    name,
    outcomes,
    acked: () => python.events.filter((e) => e.event === 'acked').length,
    problems: () => [...problems, ...python.events.filter((e) => e.event !== 'acked' && e.event !== 'unknown').map((e) => `${name}: ${JSON.stringify(e)}`)],
    async stop() {
      try {
        await python.stop();
      } catch (error) {
        // The tail holds the exit status and stderr; the events are in the history.
        problems.push(`${name}: ${String(error).split('\n')[0]} … ${String(error).slice(-2_000)}`);
      } finally {
        python.kill();
        outcomes.push(...toOutcomes());
      }
    },
  };
}
