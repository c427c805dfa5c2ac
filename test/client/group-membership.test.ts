/**
 * Group membership details: static members rejoining without a rebalance, pattern
 * subscriptions picking up new topics, cooperative rebalancing (only what moves is
 * revoked), manual commits, eachBatch, recovery from a lost membership, fatal errors.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { tcpTransport } from '../../adapters/transport/index.ts';
import type { EachBatchPayload } from '../../core/client/consumer.ts';
import type { Transport, TransportFactory } from '../../core/client/transport.ts';
import { type Harness, type Mode, until } from './helpers.ts';
import { FAST, type Seen, distinctValues, duplicates, groupHarness, groupMembers, produce, untilBalanced } from './group-helpers.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function setup(mode: Mode, topics: Record<string, number>) {
  h = await groupHarness(mode);
  const client = h.client();
  await client.admin().createTopics({ topics: Object.entries(topics).map(([topic, numPartitions]) => ({ topic, numPartitions })) });
  return client;
}

describe.each(['in-process', 'tcp'] as Mode[])('%s', (mode) => {
  it('a static member that restarts within the session timeout gets its partitions back without a rebalance', async () => {
    const client = await setup(mode, { s: 4 });
    const seen: Seen[] = [];
    const g = groupMembers(client, seen);
    const a = g.make({ groupId: 'gs', groupInstanceId: 'inst-a', partitionAssigners: ['range'] });
    const b = g.make({ groupId: 'gs', groupInstanceId: 'inst-b', partitionAssigners: ['range'] });
    for (const c of [a, b]) await c.subscribe({ topics: ['s'], fromBeginning: true });
    await Promise.all([a.run({ eachMessage: g.handler(0) }), b.run({ eachMessage: g.handler(1) })]);
    await untilBalanced([a, b], 4);
    const generation = a.group().generationId;
    const aParts = a.group().assignment;
    const bParts = b.group().assignment;
    let rebalances = 0;
    a.on('rebalancing', () => rebalances++);

    await b.stop();
    const b2 = g.make({ groupId: 'gs', groupInstanceId: 'inst-b', partitionAssigners: ['range'] });
    await b2.subscribe({ topics: ['s'], fromBeginning: true });
    await b2.run({ eachMessage: g.handler(2) });
    expect(b2.group().generationId).toBe(generation);
    expect(b2.group().assignment).toEqual(bParts);
    expect(b2.group().memberId).not.toBe('');
    // A rebalance would reach member a through its heartbeats: let it beat several times.
    let heartbeats = 0;
    a.on('heartbeat', () => heartbeats++);
    await until(() => heartbeats >= 5);
    expect(rebalances).toBe(0);
    expect(a.group().generationId).toBe(generation);
    expect(a.group().assignment).toEqual(aParts);

    await produce(client, 's', 4, 40);
    await until(() => seen.length >= 40);
    expect(seen.every((s) => s.member !== 1)).toBe(true);
    expect(distinctValues(seen).size).toBe(40);
  });

  it('a pattern subscription picks up a new matching topic (and leaves others alone)', async () => {
    const client = await setup(mode, { 'pat-a': 2, other: 1 });
    const seen: Seen[] = [];
    const g = groupMembers(client, seen);
    const c = g.make({ groupId: 'gp', metadataMaxAgeMs: 100 });
    await c.subscribe({ topics: [/^pat-/], fromBeginning: true });
    await c.run({ eachMessage: g.handler(0) });
    expect(c.group().assignment.map((p) => p.topic)).toEqual(['pat-a', 'pat-a']);
    await client.admin().createTopics({ topics: [{ topic: 'pat-b', numPartitions: 3 }] });
    await produce(client, 'pat-b', 3, 30);
    await produce(client, 'other', 1, 5);
    await until(() => seen.length >= 30);
    expect(c.group().assignment.filter((p) => p.topic === 'pat-b')).toHaveLength(3);
    expect(seen.every((s) => s.topic === 'pat-b')).toBe(true);
  });
});

describe('subscribing while running', () => {
  it('a topic added by subscribe() after run() joins the assignment', async () => {
    const client = await setup('in-process', { first: 1, second: 2 });
    const seen: Seen[] = [];
    const g = groupMembers(client, seen);
    const c = g.make({ groupId: 'gsub' });
    await c.subscribe({ topics: ['first'], fromBeginning: true });
    await c.run({ eachMessage: g.handler(0) });
    expect(c.group().assignment).toEqual([{ topic: 'first', partition: 0 }]);
    await c.subscribe({ topics: ['second'] });
    await until(() => c.group().assignment.length === 3);
    await produce(client, 'second', 2, 10);
    await until(() => seen.length >= 10);
    expect(seen.every((s) => s.topic === 'second')).toBe(true);
  });
});

describe('metadata changes and restarts', () => {
  it('the leader notices new partitions of a subscribed topic and rebalances them in', async () => {
    const client = await setup('in-process', { grow: 2 });
    const seen: Seen[] = [];
    const g = groupMembers(client, seen);
    const members = [0, 1].map(() => g.make({ groupId: 'ggrow', metadataMaxAgeMs: 100 }));
    for (const m of members) await m.subscribe({ topics: ['grow'], fromBeginning: true });
    await Promise.all(members.map((m, i) => m.run({ eachMessage: g.handler(i) })));
    await untilBalanced(members, 2);
    await client.admin().createPartitions({ topicPartitions: [{ topic: 'grow', count: 6 }] });
    await untilBalanced(members, 6);
    await produce(client, 'grow', 6, 60);
    await until(() => seen.length >= 60);
    expect(new Set(seen.map((s) => s.partition))).toEqual(new Set([0, 1, 2, 3, 4, 5]));
  });

  it('the same consumer object can stop and run again, resuming from its commits', async () => {
    const client = await setup('tcp', { again: 2 });
    await produce(client, 'again', 2, 20, 'a');
    const seen: Seen[] = [];
    const g = groupMembers(client, seen);
    const c = g.make({ groupId: 'gagain' });
    await c.subscribe({ topics: ['again'], fromBeginning: true });
    await c.run({ eachMessage: g.handler(0) });
    await until(() => seen.length >= 20);
    await c.stop();
    expect(c.group().assignment).toEqual([]);
    await produce(client, 'again', 2, 10, 'b');
    await c.run({ eachMessage: g.handler(1) });
    // Resumed from the beginning, the a- records (lower offsets) would come first.
    await until(() => seen.length >= 30);
    await c.stop();
    expect(seen.filter((s) => s.member === 1).map((s) => s.value.slice(0, 2)).every((v) => v === 'b-')).toBe(true);
    expect(seen).toHaveLength(30);
  });
});

describe('cooperative rebalancing', () => {
  it('revokes only the partitions that move, in a second round, while records keep flowing without loss', async () => {
    const client = await setup('in-process', { co: 6 });
    const seen: Seen[] = [];
    const g = groupMembers(client, seen);
    const a = g.make({ groupId: 'gc' });
    const revokedFromA: string[] = [];
    let lost = 0;
    a.on('partitions.revoked', ({ partitions }) => revokedFromA.push(...partitions.map((p: any) => `${p.topic}-${p.partition}`)));
    a.on('partitions.lost', () => lost++);
    await a.subscribe({ topics: ['co'], fromBeginning: true });
    await a.run({ eachMessage: g.handler(0) });
    expect(a.group().assignment).toHaveLength(6);
    expect(a.group().rebalanceProtocol).toBe('cooperative');

    const producing = (async () => {
      for (let i = 0; i < 20; i++) {
        await produce(client, 'co', 6, 30, `r${i}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const b = g.make({ groupId: 'gc' });
    await b.subscribe({ topics: ['co'], fromBeginning: true });
    await b.run({ eachMessage: g.handler(1) });
    await untilBalanced([a, b], 6);
    await producing;
    await until(() => distinctValues(seen).size >= 600);
    expect(a.group().assignment).toHaveLength(3);
    expect(b.group().assignment).toHaveLength(3);
    // Only the three partitions that went to b were revoked from a; a never lost its membership.
    expect(revokedFromA.sort()).toEqual(b.group().assignment.map((p) => `${p.topic}-${p.partition}`).sort());
    expect(lost).toBe(0);
    // Revoked partitions were committed before b started them: nothing read twice.
    expect(duplicates(seen)).toBe(0);
  });
});

describe('commits', () => {
  it('with autoCommit off, only commitOffsets() commits, and a restart resumes from there', async () => {
    const client = await setup('in-process', { m: 1 });
    await produce(client, 'm', 1, 10);
    const seen: Seen[] = [];
    const g = groupMembers(client, seen);
    const c = g.make({ groupId: 'gm', autoCommit: false });
    await c.subscribe({ topics: ['m'], fromBeginning: true });
    await c.run({ eachMessage: g.handler(0) });
    await until(() => seen.length >= 10);
    await c.commitOffsets([{ topic: 'm', partition: 0, offset: 6 }]);
    await c.stop();
    const [offsets] = await client.admin().fetchOffsets({ groupId: 'gm', topics: ['m'] });
    expect(offsets!.partitions[0]).toMatchObject({ partition: 0, offset: 6, high: 10, lag: 4 });
    const c2 = g.make({ groupId: 'gm', autoCommit: false });
    await c2.subscribe({ topics: ['m'], fromBeginning: true });
    await c2.run({ eachMessage: g.handler(1) });
    await until(() => seen.length >= 14);
    expect(seen.filter((s) => s.member === 1).map((s) => s.offset)).toEqual([6, 7, 8, 9]);
  });

  it('eachBatch: resolveOffset, heartbeat and commitOffsetsIfNecessary; a failing batch is redelivered from its first unresolved record', async () => {
    const client = await setup('in-process', { eb: 1 });
    await produce(client, 'eb', 1, 20);
    const offsets: number[] = [];
    let failed = false;
    const c = client.consumer({ ...FAST, groupId: 'geb' });
    await c.subscribe({ topics: ['eb'], fromBeginning: true });
    await c.run({
      eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary }: EachBatchPayload) => {
        for (const m of batch.messages) {
          if (m.offset === 12 && !failed) {
            failed = true;
            throw new Error('boom');
          }
          offsets.push(m.offset);
          resolveOffset(m.offset);
          await heartbeat();
        }
        await commitOffsetsIfNecessary();
      },
    });
    await until(() => offsets.length >= 20);
    expect(offsets).toEqual(Array.from({ length: 20 }, (_, i) => i));
    await until(async () => (await client.admin().fetchOffsets({ groupId: 'geb', topics: ['eb'] }))[0]!.partitions[0]!.offset === 20);
  });
});

describe('recovery and errors', () => {
  it('connections cut under a running group (coordinator and fetch alike): members reconnect, find the coordinator again, lose nothing', async () => {
    h = await groupHarness('tcp');
    const admin = h.client();
    await admin.admin().createTopics({ topics: [{ topic: 'cut', numPartitions: 4 }] });
    const opened: Transport[] = [];
    let total = 0;
    const tracking: TransportFactory = async (address, options) => {
      const t = await tcpTransport()(address, options);
      opened.push(t);
      total++;
      return t;
    };
    const seen: Seen[] = [];
    const members = [0, 1].map((i) => {
      const g = groupMembers(h!.client({ transport: tracking }), seen);
      return { c: g.make({ groupId: 'gcut' }), handler: g.handler(i) };
    });
    for (const m of members) await m.c.subscribe({ topics: ['cut'], fromBeginning: true });
    await Promise.all(members.map((m) => m.c.run({ eachMessage: m.handler })));
    await untilBalanced(members.map((m) => m.c), 4);
    const initial = total;
    for (let round = 0; round < 3; round++) {
      await produce(admin, 'cut', 4, 100, `r${round}`);
      await until(() => distinctValues(seen).size >= 100 * round + 50);
      for (const t of opened.splice(0)) await t.close();
    }
    await until(() => distinctValues(seen).size >= 300);
    await untilBalanced(members.map((m) => m.c), 4);
    // Rounds 1 and 2 were read over new connections.
    expect(total).toBeGreaterThan(initial);
  });

  it('a member the coordinator forgot (UNKNOWN_MEMBER_ID) rejoins with a new id and consumes on', async () => {
    const client = await setup('in-process', { rk: 2 });
    const seen: Seen[] = [];
    const g = groupMembers(client, seen);
    const c = g.make({ groupId: 'gk' });
    await c.subscribe({ topics: ['rk'], fromBeginning: true });
    await c.run({ eachMessage: g.handler(0) });
    const old = c.group().memberId;
    h!.broker.groups.leave('gk', [{ memberId: old, groupInstanceId: null }]);
    await until(() => c.group().memberId !== old && c.group().memberId !== '' && c.group().assignment.length === 2);
    await produce(client, 'rk', 2, 20);
    await until(() => seen.length >= 20);
    expect(distinctValues(seen).size).toBe(20);
  });

  it('a static member replaced by another instance with its id is fenced: its consumer stops with FENCED_INSTANCE_ID', async () => {
    const client = await setup('in-process', { f: 2 });
    const first = client.consumer({ ...FAST, groupId: 'gf', groupInstanceId: 'same' });
    await first.subscribe({ topics: ['f'] });
    await first.run({ eachMessage: async () => {} });
    const second = client.consumer({ ...FAST, groupId: 'gf', groupInstanceId: 'same' });
    await second.subscribe({ topics: ['f'] });
    await second.run({ eachMessage: async () => {} });
    await expect(first.done()).rejects.toMatchObject({ code: 'FENCED_INSTANCE_ID' });
    expect(first.running).toBe(false);
    expect(second.running).toBe(true);
    expect(second.group().assignment).toHaveLength(2);
  });

  it('fails clearly: no subscription, a session timeout the broker refuses, assign() on a group consumer, incompatible assignors', async () => {
    const client = await setup('in-process', { e: 1 });
    const c = client.consumer({ ...FAST, groupId: 'ge' });
    await expect(c.run({ eachMessage: async () => {} })).rejects.toMatchObject({ code: 'ERR_NO_SUBSCRIPTION' });
    expect(() => c.assign()).toThrow(expect.objectContaining({ code: 'ERR_GROUP_CONSUMER' }));
    expect(() => client.consumer({ groupId: '' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    expect(() => client.consumer({ groupId: 'x', partitionAssigners: ['nope' as never] })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));

    const short = client.consumer({ ...FAST, groupId: 'ge', sessionTimeoutMs: 50, heartbeatIntervalMs: 10 });
    await short.subscribe({ topics: ['e'] });
    await expect(short.run({ eachMessage: async () => {} })).rejects.toMatchObject({ code: 'INVALID_SESSION_TIMEOUT' });
    expect(short.running).toBe(false);

    const range = client.consumer({ ...FAST, groupId: 'gi', partitionAssigners: ['range'] });
    await range.subscribe({ topics: ['e'] });
    await range.run({ eachMessage: async () => {} });
    await expect(range.run({ eachMessage: async () => {} })).rejects.toMatchObject({ code: 'ERR_CONSUMER_RUNNING' });
    expect(range.running).toBe(true);
    const rr = client.consumer({ ...FAST, groupId: 'gi', partitionAssigners: ['roundrobin'] });
    await rr.subscribe({ topics: ['e'] });
    await expect(rr.run({ eachMessage: async () => {} })).rejects.toMatchObject({ code: 'INCONSISTENT_GROUP_PROTOCOL' });
    expect(range.group().assignment).toHaveLength(1);
  });
});
