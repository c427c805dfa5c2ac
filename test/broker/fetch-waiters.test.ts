/**
 * Many long polls at once: each waiting fetch watches the broker's shutdown, and neither
 * a data arrival nor shutdown may leave listeners behind or make the runtime warn.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { batchOf, brokerPool, call, fetchBody, produceBody } from './helpers.ts';

const pool = brokerPool();
afterEach(() => pool.closeAll());

describe('waiting fetches', () => {
  it('fifty long polls wake on data and on shutdown without process warnings', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const b = await pool.start();
      await b.topics.create({ name: 't', numPartitions: 1, replicationFactor: 1 });
      const woken = Array.from({ length: 50 }, () => call(b, 1, 12, fetchBody('t', 0, 0, { maxWaitMs: 30_000, minBytes: 1 })));
      await call(b, 0, 7, produceBody('t', 0, batchOf(['a'])));
      const answers = await Promise.all(woken);
      for (const answer of answers) expect(answer.responses[0].partitions[0].highWatermark).toBe(1);

      const waiting = Array.from({ length: 50 }, () => call(b, 1, 12, fetchBody('t', 0, 1, { maxWaitMs: 30_000, minBytes: 1 })));
      b.beginShutdown();
      const late = await Promise.all(waiting);
      for (const answer of late) expect(answer.responses[0].partitions[0].records.length ?? 0).toBe(0);
      // Warnings are emitted on the next tick.
      await new Promise((r) => setTimeout(r, 10));
      expect(warnings.map(String)).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
