/**
 * Child process of the idempotent-producer crash test: opens a broker on filesystem
 * storage in DIR, appends idempotent batches of PRODUCER_ID (sequences FROM, FROM+2, …
 * up to TO, two records each) to partition 0 of `t`, prints `appended`, then waits to be
 * killed with SIGKILL — no close, so no producer-state snapshot is written.
 *
 * Usage: node --import tsx idempotent-crash-child.ts DIR PRODUCER_ID FROM TO
 */
import { filesystemStorage } from '../../adapters/filesystem/index.ts';
import { Broker } from '../../core/broker/broker.ts';
import { DEFAULT_HANDLERS } from '../../core/broker/api/preset.ts';
import { encodeBatchSync } from '../../core/records/record-batch.ts';

const [dir, pid, from, to] = process.argv.slice(2) as [string, string, string, string];
const enc = new TextEncoder();
const broker = new Broker({ handlers: DEFAULT_HANDLERS, storage: filesystemStorage({ dir }), retentionCheckIntervalMs: 0 });
await broker.start();
for (let seq = Number(from); seq < Number(to); seq += 2) {
  const records = encodeBatchSync({
    records: [0, 1].map((i) => ({ key: null, value: enc.encode(`s${seq + i}`) })),
    producerId: Number(pid),
    producerEpoch: 0,
    baseSequence: seq,
    now: 1_700_000_000_000,
  });
  const r = (await broker.handle({ apiKey: 0, apiVersion: 9, correlationId: seq, clientId: 'crash' }, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 1000,
    topicData: [{ name: 't', partitionData: [{ index: 0, records }] }],
  })) as { responses: Array<{ partitionResponses: Array<{ errorCode: number }> }> };
  if (r.responses[0]!.partitionResponses[0]!.errorCode !== 0) throw new Error(`append failed: ${JSON.stringify(r)}`);
}
process.stdout.write('appended\n');
// Stay up until killed: the crash is the point.
setInterval(() => undefined, 60_000);
