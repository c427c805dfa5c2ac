import { expect, it } from 'vitest';
import { main } from './partitions-and-ordering.ts';
import { collectLog } from './shared/log.ts';

it('partitions-and-ordering: keys land where murmur2 says, in order; keyless records spread', async () => {
  const { log, lines } = collectLog();
  const r = await main(log);
  // Where the broker stored each key is where Kafka's murmur2 predicts, computed locally.
  expect(r.partitionOfKey).toEqual(r.predictedPartitionOfKey);
  expect(Object.keys(r.partitionOfKey)).toHaveLength(7);
  expect(r.orderKept).toBe(true);
  // Sticky: each send (one batch) went to a single partition.
  for (const partitions of r.stickyPartitions) expect(partitions).toHaveLength(1);
  // Round-robin: 12 records dealt over 6 partitions, two each, in turn.
  expect(r.roundRobinPartitions).toHaveLength(12);
  for (let p = 0; p < 6; p++) expect(r.roundRobinPartitions.filter((x) => x === p)).toHaveLength(2);
  expect(r.roundRobinPartitions[0]).not.toBe(r.roundRobinPartitions[1]);
  expect(lines.join('\n')).toContain('Order within every key kept: true');
});
