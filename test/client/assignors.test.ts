/** The built-in assignors on their own: balance, stickiness across member changes, determinism. */
import { describe, expect, it } from 'vitest';
import {
  type AssignmentInput,
  type AssignorMember,
  type MemberAssignments,
  type PartitionAssignor,
  cooperativeStickyAssignor,
  currentOwners,
  rangeAssignor,
  resolveAssignors,
  roundRobinAssignor,
} from '../../core/client/assignors/index.ts';

function member(memberId: string, topics: string[], owned: Array<[string, number]> = [], extra: Partial<AssignorMember> = {}): AssignorMember {
  return { memberId, groupInstanceId: null, topics, ownedPartitions: owned.map(([topic, partition]) => ({ topic, partition })), generationId: 1, userData: null, rackId: null, ...extra };
}

function input(members: AssignorMember[], counts: Record<string, number>): AssignmentInput {
  return { members, partitionCounts: new Map(Object.entries(counts)) };
}

function flat(a: MemberAssignments, id: string): string[] {
  return (a.get(id) ?? []).map((p) => `${p.topic}-${p.partition}`);
}

function loads(a: MemberAssignments, members: AssignorMember[]): number[] {
  return members.map((m) => (a.get(m.memberId) ?? []).length);
}

/** Every partition assigned exactly once, only to members subscribed to its topic. */
function expectValid(a: MemberAssignments, inp: AssignmentInput): void {
  const seen = new Set<string>();
  for (const [id, list] of a) {
    const m = inp.members.find((x) => x.memberId === id)!;
    for (const p of list) {
      expect(m.topics).toContain(p.topic);
      const k = `${p.topic}-${p.partition}`;
      expect(seen.has(k)).toBe(false);
      seen.add(k);
    }
  }
  let total = 0;
  for (const [t, n] of inp.partitionCounts) if (inp.members.some((m) => m.topics.includes(t))) total += n;
  expect(seen.size).toBe(total);
}

/** Applies an assignment as the members' new owned partitions (one generation later). */
function next(members: AssignorMember[], a: MemberAssignments): AssignorMember[] {
  return members.map((m) => ({ ...m, ownedPartitions: a.get(m.memberId) ?? [], generationId: m.generationId + 1 }));
}

describe('range', () => {
  it('gives each member a contiguous range per topic, the first ones one more', async () => {
    const inp = input([member('b', ['t', 'u']), member('a', ['t', 'u']), member('c', ['t'])], { t: 7, u: 3 });
    const a = await rangeAssignor().assign(inp);
    expectValid(a, inp);
    expect(flat(a, 'a')).toEqual(['t-0', 't-1', 't-2', 'u-0', 'u-1']);
    expect(flat(a, 'b')).toEqual(['t-3', 't-4', 'u-2']);
    expect(flat(a, 'c')).toEqual(['t-5', 't-6']);
  });

  it('orders static members by instance id, so restarts with new member ids change nothing', async () => {
    const a1 = await rangeAssignor().assign(input([member('zz', ['t'], [], { groupInstanceId: 'i1' }), member('aa', ['t'], [], { groupInstanceId: 'i2' })], { t: 4 }));
    expect(flat(a1, 'zz')).toEqual(['t-0', 't-1']);
    const a2 = await rangeAssignor().assign(input([member('bb', ['t'], [], { groupInstanceId: 'i1' }), member('aa', ['t'], [], { groupInstanceId: 'i2' })], { t: 4 }));
    expect(flat(a2, 'bb')).toEqual(['t-0', 't-1']);
  });
});

describe('round-robin', () => {
  it('deals partitions in topic/partition order over sorted members, skipping members not subscribed', async () => {
    const inp = input([member('a', ['t']), member('b', ['t', 'u']), member('c', ['u'])], { t: 3, u: 3 });
    const a = await roundRobinAssignor().assign(inp);
    expectValid(a, inp);
    expect(flat(a, 'a')).toEqual(['t-0', 't-2']);
    // Kafka's circular walk: after t-2 the walk stands at b, so u-0 goes to b, u-1 to c, u-2 (a skipped) to b.
    expect(flat(a, 'b')).toEqual(['t-1', 'u-0', 'u-2']);
    expect(flat(a, 'c')).toEqual(['u-1']);
  });

  it('is balanced within one for uniform subscriptions, and answers to kafkajs\'s name too', async () => {
    const members = ['m1', 'm2', 'm3', 'm4'].map((id) => member(id, ['t', 'u']));
    const a = await roundRobinAssignor().assign(input(members, { t: 5, u: 6 }));
    const l = loads(a, members);
    expect(Math.max(...l) - Math.min(...l)).toBeLessThanOrEqual(1);
    expect(roundRobinAssignor().aliases).toContain('RoundRobinAssigner');
    expect(resolveAssignors(['RoundRobinAssigner'])[0]!.name).toBe('roundrobin');
  });
});

describe('cooperative-sticky', () => {
  const sticky = cooperativeStickyAssignor();

  it('balances a fresh group within one', async () => {
    for (const [n, p] of [[3, 6], [4, 10], [7, 3], [5, 23]] as const) {
      const members = Array.from({ length: n }, (_, i) => member(`m${i}`, ['t']));
      const inp = input(members, { t: p });
      const a = await sticky.assign(inp);
      expectValid(a, inp);
      const l = loads(a, members);
      expect(Math.max(...l) - Math.min(...l)).toBeLessThanOrEqual(1);
    }
  });

  it('keeps every member\'s partitions when one joins, moving only what balance needs', async () => {
    let members = ['a', 'b', 'c'].map((id) => member(id, ['t']));
    const first = await sticky.assign(input(members, { t: 12 }));
    members = next(members, first);
    const joined = [...members, member('d', ['t'], [], { generationId: -1 })];
    const inp = input(joined, { t: 12 });
    const second = await sticky.assign(inp);
    expectValid(second, inp);
    expect(loads(second, joined)).toEqual([3, 3, 3, 3]);
    let moved = 0;
    for (const m of members) {
      const now = new Set(flat(second, m.memberId));
      const before = flat(first, m.memberId);
      moved += before.filter((p) => !now.has(p)).length;
      // Only taken away, never swapped.
      expect(flat(second, m.memberId).every((p) => before.includes(p))).toBe(true);
    }
    expect(moved).toBe(3);
  });

  it('hands only the leaver\'s partitions to the others when one leaves', async () => {
    let members = ['a', 'b', 'c', 'd'].map((id) => member(id, ['t', 'u']));
    const first = await sticky.assign(input(members, { t: 6, u: 6 }));
    members = next(members, first);
    const left = members.filter((m) => m.memberId !== 'c');
    const second = await sticky.assign(input(left, { t: 6, u: 6 }));
    expectValid(second, input(left, { t: 6, u: 6 }));
    for (const m of left) for (const p of flat(first, m.memberId)) expect(flat(second, m.memberId)).toContain(p);
    expect(loads(second, left)).toEqual([4, 4, 4]);
  });

  it('is deterministic: the same input, in any member order, gives the same assignment', async () => {
    const members = ['x', 'a', 'q', 'm'].map((id, i) => member(id, i % 2 ? ['t', 'u'] : ['t'], i === 0 ? [['t', 3], ['t', 4]] : []));
    const counts = { t: 9, u: 4 };
    const a1 = await sticky.assign(input(members, counts));
    const a2 = await sticky.assign(input([...members].reverse(), counts));
    for (const m of members) expect(flat(a2, m.memberId)).toEqual(flat(a1, m.memberId));
    expectValid(a1, input(members, counts));
  });

  it('balances unequal subscriptions as far as they allow', async () => {
    const members = [member('a', ['t']), member('b', ['t', 'u']), member('c', ['u'])];
    const inp = input(members, { t: 4, u: 4 });
    const a = await sticky.assign(inp);
    expectValid(a, inp);
    expect(loads(a, members).sort()).toEqual([2, 3, 3]);
  });

  it('settles a partition claimed twice for the higher generation; drops claims on unsubscribed topics', async () => {
    const inp = input([
      member('a', ['t'], [['t', 0], ['t', 1]], { generationId: 4 }),
      member('b', ['t'], [['t', 0], ['u', 0]], { generationId: 5 }),
    ], { t: 2, u: 1 });
    const owners = currentOwners(inp);
    expect(owners.get('t\u00000')).toBe('b');
    expect(owners.get('t\u00001')).toBe('a');
    expect(owners.has('u\u00000')).toBe(false);
    const a = await sticky.assign(inp);
    expect(flat(a, 'b')).toEqual(['t-0']);
    expect(flat(a, 'a')).toEqual(['t-1']);
  });

  it('stays balanced and sticky through a random sequence of joins and leaves', async () => {
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    let members = ['m0', 'm1', 'm2'].map((id) => member(id, ['t', 'u']));
    let prev: MemberAssignments = new Map();
    let id = 3;
    for (let round = 0; round < 40; round++) {
      const inp = input(members, { t: 10, u: 7 });
      const a = await sticky.assign(inp);
      expectValid(a, inp);
      const l = loads(a, members);
      expect(Math.max(...l) - Math.min(...l)).toBeLessThanOrEqual(1);
      // A member keeps everything it had up to the quota of its new share.
      const ceil = Math.ceil(17 / members.length);
      for (const m of members) {
        const kept = flat(prev, m.memberId).filter((p) => flat(a, m.memberId).includes(p)).length;
        expect(kept).toBeGreaterThanOrEqual(Math.min(flat(prev, m.memberId).length, ceil - 1));
      }
      prev = a;
      members = next(members, a);
      if (members.length > 1 && rand() < 0.5) members.splice(Math.floor(rand() * members.length), 1);
      else members.push(member(`m${id++}`, ['t', 'u'], [], { generationId: -1 }));
    }
  });
});

describe('choosing assignors', () => {
  it('resolves names and custom assignors; rejects unknown names, bad objects and duplicates', () => {
    const custom: PartitionAssignor = { name: 'mine', rebalanceProtocol: 'eager', assign: () => new Map() };
    expect(resolveAssignors(['cooperative-sticky', 'range', custom]).map((a) => a.name)).toEqual(['cooperative-sticky', 'range', 'mine']);
    for (const bad of [[], ['nope'], [{ name: '', rebalanceProtocol: 'eager', assign: () => new Map() }], [{ name: 'x', rebalanceProtocol: 'lazy', assign: () => new Map() }], ['range', 'range']]) {
      expect(() => resolveAssignors(bad as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    }
  });
});
