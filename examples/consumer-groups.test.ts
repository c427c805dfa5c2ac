import { expect, it } from 'vitest';
import { main } from './consumer-groups.ts';
import { collectLog } from './shared/log.ts';

function expectOwnedOnce(assignment: Record<string, number[]>): void {
  expect(Object.values(assignment).flat().sort()).toEqual([0, 1, 2, 3, 4, 5]);
}

it('consumer-groups: 3 members × 2 partitions, 8 members with 2 idle, a leaver\'s partition moves', async () => {
  const { log, lines } = collectLog();
  const r = await main(log);
  expectOwnedOnce(r.withThree);
  expect(Object.values(r.withThree).map((p) => p.length)).toEqual([2, 2, 2]);

  expectOwnedOnce(r.withEight);
  expect(Object.keys(r.withEight)).toHaveLength(8);
  expect(Object.values(r.withEight).filter((p) => p.length === 0)).toHaveLength(2);

  expectOwnedOnce(r.afterLeave);
  expect(Object.keys(r.afterLeave)).not.toContain(r.left.name);
  expect(Object.keys(r.afterLeave)).toHaveLength(7);
  // Its partition went to one of the previously idle members.
  const heir = Object.entries(r.afterLeave).find(([, p]) => p.includes(r.left.partitions[0]!))![0];
  expect(r.withEight[heir]).toEqual([]);

  expect(r.processed).toBe(r.produced);
  expect(r.distinctProcessed).toBe(r.produced);
  expect(lines.join('\n')).toContain('2 members are idle');
});
