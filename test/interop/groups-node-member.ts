/**
 * A kafkajs or @platformatic/kafka group member in its own process, so that an interop
 * test can kill it without a LeaveGroup (SIGKILL) — the only honest way to test that the
 * coordinator moves a dead member's partitions after its session timeout.
 *
 * Usage: node --import tsx groups-node-member.ts kafkajs|platformatic BOOTSTRAP GROUP TOPIC SESSION_TIMEOUT_MS
 * Prints JSON lines like group-consumer.py: {"assigned": [partitions]} on every
 * assignment, {"p", "o", "v"} per record. SIGTERM leaves the group cleanly.
 */
import { type NodeFamily, runNodeMember } from './groups-node-clients.ts';

const [family, bootstrap, group, topic, session] = process.argv.slice(2) as [NodeFamily, string, string, string, string];

function emit(obj: unknown): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

const stop = await runNodeMember(family, { group, topic, bootstrap, sessionTimeoutMs: Number(session) }, {
  assigned: (partitions) => emit({ assigned: partitions }),
  record: (c) => emit({ p: c.partition, o: c.offset, v: c.value }),
});
process.once('SIGTERM', () => {
  stop().finally(() => process.exit(0));
});
