/**
 * A broker in a process of its own, so that the acks example can kill it the hard way
 * (SIGKILL: no shutdown, no flush, no goodbye) and start it again on the same data.
 *
 * Usage: node --import tsx examples/acks/broker-process.ts <data-dir> [port]
 * Prints `listening <host:port>` once it accepts connections.
 */
import process from 'node:process';
import { createBroker, filesystemStorage } from '../../mod.ts';

const [dir, port] = process.argv.slice(2);
if (!dir) {
  console.error('usage: broker-process.ts <data-dir> [port]');
  process.exit(2);
}
const broker = await createBroker({ storage: filesystemStorage({ dir }), autoCreateTopics: false });
const address = await broker.listen({ port: Number(port ?? 0) });
console.log(`listening ${address}`);
// A clean stop when asked nicely; the example uses SIGKILL to show what a crash does.
process.on('SIGTERM', () => void broker.close().then(() => process.exit(0)));
