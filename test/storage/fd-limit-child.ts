/**
 * Child of fd-limit.test.ts, run under a low `ulimit -n`: writes to many partitions of a
 * filesystem storage with a budget of open files, closes, reopens every partition at once
 * (as a restarting broker does) and reads each back. Prints one JSON line.
 */
import { filesystemStorage } from '../../adapters/filesystem/index.ts';
import { makeBatch } from './filesystem-fixtures.ts';

const [dir, partitionsArg, budgetArg] = process.argv.slice(2);
const partitions = Number(partitionsArg);
// 'default': the adapter's own default, which must fit the process's limit.
const maxOpenFiles = budgetArg === 'default' ? undefined : Number(budgetArg);

async function main(): Promise<void> {
  const first = filesystemStorage({ dir: dir!, ...(maxOpenFiles !== undefined ? { maxOpenFiles } : {}) });
  await first.open();
  const logs = await Promise.all(Array.from({ length: partitions }, (_, p) => first.openPartition('t', p)));
  for (let p = 0; p < partitions; p++) {
    const b = makeBatch({ baseOffset: 0, count: 2, fill: p & 0xff });
    await logs[p]!.append(b.bytes, b.info);
  }
  await first.close();
  const second = filesystemStorage({ dir: dir!, ...(maxOpenFiles !== undefined ? { maxOpenFiles } : {}) });
  await second.open();
  const reopened = await Promise.all(Array.from({ length: partitions }, (_, p) => second.openPartition('t', p)));
  let records = 0;
  for (const log of reopened) {
    const read = await log.read(0, 1 << 20);
    if (read.bytes > 0) records += log.endOffset();
  }
  await second.close();
  console.log(JSON.stringify({ ok: true, records }));
}

main().catch((error: unknown) => {
  console.log(JSON.stringify({ ok: false, code: (error as { code?: string }).code, message: String(error), cause: String((error as { cause?: unknown }).cause ?? '') }));
  process.exitCode = 1;
});
