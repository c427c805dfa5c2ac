/**
 * Child process of the crash test (test/storage/crash.test.ts): opens the filesystem
 * storage in the directory given as argv[2], appends batches with sync=always and
 * prints `ack <base> <last>` on stdout for each append once it is acknowledged, and
 * `meta <n>` after each acknowledged metadata write. It never stops by itself: the
 * parent kills it with SIGKILL. Batch contents derive from the base offset, so the
 * parent can rebuild every acknowledged batch and compare bytes.
 */
import { filesystemStorage } from '../../adapters/filesystem/index.ts';
import { crashBatch, CRASH_PARTITION, CRASH_STORAGE_OPTIONS, CRASH_TOPIC } from './crash-batches.ts';

const dir = process.argv[2];
if (!dir) throw new Error('usage: crash-child.ts <dir>');
const storage = filesystemStorage({ dir, ...CRASH_STORAGE_OPTIONS });
await storage.open();
const log = await storage.openPartition(CRASH_TOPIC, CRASH_PARTITION);
let offset = log.endOffset();
const previous = await storage.metadata.get('crash/counter');
let counter = previous ? Number(new TextDecoder().decode(previous)) : 0;
process.stdout.write(`ready ${offset}\n`);
for (;;) {
  const { bytes, info } = crashBatch(offset);
  await log.append(bytes, info, { sync: true });
  process.stdout.write(`ack ${info.baseOffset} ${info.lastOffset}\n`);
  offset = info.lastOffset + 1;
  if (offset % 5 === 0) {
    counter++;
    await storage.metadata.write([
      { type: 'put', key: 'crash/counter', value: new TextEncoder().encode(String(counter)) },
      { type: 'put', key: `crash/at/${counter}`, value: new TextEncoder().encode(String(offset)) },
    ]);
    process.stdout.write(`meta ${counter}\n`);
  }
}
