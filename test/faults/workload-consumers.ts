/**
 * The readers of a fault run: a group consumer during the run (ours, auto-committing), an
 * observer of the group's committed offsets, and the final read of the whole log with kcat
 * (librdkafka, an implementation independent of ours) once the cluster has healed.
 */
import type { Client } from '../../core/client/client.ts';
import { kcat, type KcatMessage } from '../interop/kcat-runner.ts';
import type { CommitObservation, ConsumedRecord, SeenRecord } from './history.ts';

/** A consumer at work. */
export interface WorkloadConsumer {
  readonly consumed: ConsumedRecord[];
  /** Problems the consumer reported (crash events), for the failure report. */
  readonly problems: string[];
  stop(): Promise<void>;
}

const text = new TextDecoder();

/** Our group consumer, subscribed from the beginning, committing every 500 ms. */
export async function startGroupConsumer(name: string, client: Client, topic: string, groupId: string): Promise<WorkloadConsumer> {
  const consumed: ConsumedRecord[] = [];
  const problems: string[] = [];
  const consumer = client.consumer({ groupId, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000, autoCommitIntervalMs: 500, maxWaitMs: 200 });
  consumer.on('crash', ({ error }) => problems.push(`${name} crashed: ${String(error)}`));
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: ({ partition, message }) => {
      const value = message.value === null ? '<null>' : typeof message.value === 'string' ? message.value : text.decode(message.value as Uint8Array);
      consumed.push({ consumer: name, partition, offset: message.offset, value });
    },
  });
  return {
    consumed,
    problems,
    async stop() {
      await consumer.close().catch((error: unknown) => problems.push(`${name} close: ${String(error)}`));
    },
  };
}

/** Polls a group's committed offsets until stopped; each poll is one observation per partition. */
export function observeCommits(client: Client, topic: string, groupId: string, everyMs = 300): { readonly commits: CommitObservation[]; stop(): Promise<void> } {
  const commits: CommitObservation[] = [];
  const admin = client.admin();
  let running = true;
  let tick = 0;
  const loop = (async () => {
    while (running) {
      try {
        const topics = await admin.fetchOffsets({ groupId, topics: [topic] });
        tick++;
        for (const t of topics) for (const p of t.partitions) commits.push({ group: groupId, partition: p.partition, offset: p.offset, at: tick });
      } catch {
        // The coordinator may be down or moving: the next poll tries again.
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    commits,
    async stop() {
      running = false;
      await loop;
    },
  };
}

/** Reads every partition of `topic` from the beginning to its high watermark with kcat. */
export async function readFinalLog(bootstrap: readonly string[], topic: string): Promise<SeenRecord[]> {
  const out = await kcat(['-C', '-b', bootstrap.join(','), '-t', topic, '-o', 'beginning', '-e', '-J', '-q', '-X', 'client.id=faults-final-reader', '-X', 'topic.metadata.refresh.interval.ms=1000'], '', { timeoutMs: 60_000 });
  return out
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l) as KcatMessage)
    .map((m) => ({ partition: m.partition, offset: m.offset, value: m.payload ?? '<null>' }));
}
