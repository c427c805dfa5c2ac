/** Appends commit in order at consecutive offsets; reads give them back from any offset. */
import { expect, it } from 'vitest';
import type { MetadataRecord } from '../../core/broker/metadata/records.ts';
import { nextOffsetAfter } from '../../core/broker/quorum/metadata-quorum.ts';
import { KafkaCode } from '../../core/errors.ts';
import type { QuorumSuiteContext } from './harness.ts';

/** A producer-ids record numbered `n` (any record type would do: the quorum does not look inside). */
export const numbered = (n: number): MetadataRecord => ({ type: 'producer-ids', nodeId: 1, brokerEpoch: 0, firstProducerId: n, size: 1 });

export function appendReadTests(ctx: QuorumSuiteContext): void {
  it('commits appends in order at consecutive offsets, each batch in the leader epoch', async () => {
    const { under, leader } = await ctx.leading();
    const q = under.quorum;
    const start = (await q.read(0, 0)).highWatermark;
    const a = await q.append([numbered(1), numbered(2)], leader.epoch);
    const b = await q.append([numbered(3)], leader.epoch);
    const c = await q.append([numbered(4), numbered(5), numbered(6)], leader.epoch);
    expect([a, b, c]).toEqual([start, start + 2, start + 3]);
    const read = await q.read(start, 0);
    expect(read.highWatermark).toBe(start + 6);
    expect(read.batches.map((x) => [x.baseOffset, x.epoch, x.records])).toEqual([
      [start, leader.epoch, [numbered(1), numbered(2)]],
      [start + 2, leader.epoch, [numbered(3)]],
      [start + 3, leader.epoch, [numbered(4), numbered(5), numbered(6)]],
    ]);
    expect(nextOffsetAfter(read.batches[2]!)).toBe(read.highWatermark);
  });

  it('reads from any batch offset on, and nothing from the high watermark', async () => {
    const { under, leader } = await ctx.leading();
    const q = under.quorum;
    const start = (await q.read(0, 0)).highWatermark;
    for (let i = 0; i < 5; i++) await q.append([numbered(i)], leader.epoch);
    expect((await q.read(start + 3, 0)).batches.map((b) => b.baseOffset)).toEqual([start + 3, start + 4]);
    expect(await q.read(start + 5, 0)).toEqual({ batches: [], highWatermark: start + 5 });
    // Everything from 0: whatever the implementation wrote before, then ours, in offset order.
    const all = (await q.read(0, 0)).batches;
    for (let i = 1; i < all.length; i++) expect(all[i]!.baseOffset).toBe(nextOffsetAfter(all[i - 1]!));
    expect(all.slice(-5).map((b) => b.records[0])).toEqual([0, 1, 2, 3, 4].map(numbered));
  });

  it('gives readers copies: changing the appended records afterwards changes nothing', async () => {
    const { under, leader } = await ctx.leading();
    const records = [numbered(1)] as Array<{ firstProducerId: number }> & MetadataRecord[];
    const offset = await under.quorum.append(records, leader.epoch);
    (records[0] as { firstProducerId: number }).firstProducerId = 99;
    expect((await under.quorum.read(offset, 0)).batches[0]!.records).toEqual([numbered(1)]);
  });

  it('refuses an empty batch with INVALID_REQUEST', async () => {
    const { under, leader } = await ctx.leading();
    await expect(under.quorum.append([], leader.epoch)).rejects.toMatchObject({ kafkaCode: KafkaCode.INVALID_REQUEST });
  });
}
