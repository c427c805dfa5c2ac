/**
 * Child process of the LevelDB crash test (run as `node --import tsx level-crash-child.ts
 * <location> <seed>`): once its modules are loaded it waits for a line on stdin (so the
 * parent can start it while the previous round is still being checked), then appends
 * batches with `sync: true` to two partitions at once and writes the metadata store,
 * printing one line per acknowledged write, until it is killed.
 * Lines go to a pipe, which Node writes synchronously on POSIX, so a printed ack is
 * never lost with the process.
 */
import { levelStorage } from '../../adapters/level/index.ts';
import type { PartitionLog } from '../../core/contracts/storage.ts';
import { CRASH_PARTITIONS, CRASH_TOPIC, ackLine, crashBatch } from './level-crash-fixtures.ts';

const [location, seedArg] = process.argv.slice(2);
let seed = Number(seedArg ?? 1) >>> 0 || 1;
function random(): number {
  // xorshift32: reproducible from the seed the parent prints on failure.
  seed ^= seed << 13;
  seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  seed >>>= 0;
  return seed / 4294967296;
}

await new Promise((resolve) => process.stdin.once('data', resolve));
process.stdin.pause();

const storage = levelStorage({ location: location! });
await storage.open();
const logs: PartitionLog[] = [];
for (let p = 0; p < CRASH_PARTITIONS; p++) logs.push(await storage.openPartition(CRASH_TOPIC, p));
process.stdout.write('ready\n');

async function writer(p: number): Promise<void> {
  const log = logs[p]!;
  let next = log.endOffset();
  for (;;) {
    // Several appends in flight at once, acknowledged in order as they resolve.
    const inFlight = [];
    for (let k = 0; k < 1 + Math.floor(random() * 3); k++) {
      const spec = { partition: p, baseOffset: next, count: 1 + Math.floor(random() * 40), valueSize: 1 + Math.floor(random() * 400) };
      next += spec.count + (random() < 0.1 ? 5 : 0); // an occasional gap
      const { bytes, info } = crashBatch(spec);
      inFlight.push(log.append(bytes, info, { sync: true }).then(() => process.stdout.write(ackLine(spec))));
    }
    await Promise.all(inFlight);
    if (p === 0) {
      const end = log.endOffset();
      await storage.metadata.write([{ type: 'put', key: 'crash/p0-end', value: new TextEncoder().encode(String(end)) }]);
      process.stdout.write(`M ${end}\n`);
    }
  }
}

await Promise.all(logs.map((_, p) => writer(p)));
