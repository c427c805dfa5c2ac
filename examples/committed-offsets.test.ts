import { expect, it } from 'vitest';
import { main } from './committed-offsets.ts';
import { collectLog } from './shared/log.ts';

it('committed-offsets: after a broker and consumer restart the group resumes exactly where it committed', async () => {
  const { log } = collectLog();
  const r = await main(log);
  expect(r.firstRun).toHaveLength(40);
  // The commit survived the broker restart (filesystem storage)…
  expect(r.committedAfterRestart).toEqual(r.committed);
  // …and the new consumer started each partition at its committed offset.
  for (const [partition, offset] of Object.entries(r.committed)) expect(r.resumedAt[Number(partition)]).toBe(offset);
  expect(r.secondRun).toHaveLength(60);
  expect(r.secondRun.filter((v) => r.firstRun.includes(v))).toEqual([]);
  expect(new Set([...r.firstRun, ...r.secondRun]).size).toBe(100);
});
