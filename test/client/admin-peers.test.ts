/**
 * The admin APIs standard tools call (issue 13 #26): IncrementalAlterConfigs, DeleteRecords
 * and OffsetDelete through our client's admin, in-process and over TCP.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigOperation, ConfigResourceType } from '../../core/client/admin.ts';
import { type Harness, type Mode, until } from './helpers.ts';
import { type Seen, groupHarness, groupMembers, produce, untilBalanced } from './group-helpers.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const TOPIC = ConfigResourceType.TOPIC;

describe.each(['in-process', 'tcp'] as Mode[])('%s', (mode) => {
  it('incrementalAlterConfigs sets, deletes and refuses appends to non-list configs; others keep their values', async () => {
    h = await groupHarness(mode);
    const admin = h.client().admin();
    await admin.createTopics({ topics: [{ topic: 'cfg', configEntries: [{ name: 'retention.ms', value: '60000' }] }] });
    const values = async () => {
      const [r] = (await admin.describeConfigs({ resources: [{ type: TOPIC, name: 'cfg', configNames: ['retention.ms', 'max.message.bytes'] }] })).resources;
      return Object.fromEntries(r!.configEntries.map((c) => [c.configName, [c.configValue, c.isDefault]]));
    };
    // AlterConfigs would drop retention.ms; the incremental form keeps it.
    await admin.incrementalAlterConfigs({ resources: [{ type: TOPIC, name: 'cfg', configEntries: [{ name: 'max.message.bytes', value: '2048' }] }] });
    expect(await values()).toEqual({ 'retention.ms': ['60000', false], 'max.message.bytes': ['2048', false] });
    await admin.incrementalAlterConfigs({ resources: [{ type: TOPIC, name: 'cfg', configEntries: [{ name: 'retention.ms', operation: ConfigOperation.DELETE }] }] });
    expect((await values())['retention.ms']![1]).toBe(true);
    expect((await values())['max.message.bytes']).toEqual(['2048', false]);
    await admin.incrementalAlterConfigs({ validateOnly: true, resources: [{ type: TOPIC, name: 'cfg', configEntries: [{ name: 'max.message.bytes', value: '4096' }] }] });
    expect((await values())['max.message.bytes']).toEqual(['2048', false]);
    await expect(admin.incrementalAlterConfigs({ resources: [{ type: TOPIC, name: 'cfg', configEntries: [{ name: 'retention.ms', value: '1', operation: ConfigOperation.APPEND }] }] }))
      .rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    await expect(admin.incrementalAlterConfigs({ resources: [{ type: TOPIC, name: 'cfg', configEntries: [{ name: 'no.such.config', value: '1' }] }] }))
      .rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    await expect(admin.incrementalAlterConfigs({ resources: [{ type: TOPIC, name: 'missing', configEntries: [{ name: 'retention.ms', value: '1' }] }] }))
      .rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
  });

  it('deleteRecords moves the log start: earliest offsets and consumers start there; beyond the high watermark is refused', async () => {
    h = await groupHarness(mode);
    const client = h.client();
    const admin = client.admin();
    await admin.createTopics({ topics: [{ topic: 'dr', numPartitions: 2 }] });
    await produce(client, 'dr', 2, 20);
    expect(await admin.deleteRecords({ topic: 'dr', partitions: [{ partition: 0, offset: 4 }] })).toEqual([{ partition: 0, lowWatermark: 4 }]);
    expect((await admin.fetchTopicOffsets('dr')).map((o) => [o.partition, o.low, o.high])).toEqual([[0, 4, 10], [1, 0, 10]]);
    const consumer = client.consumer({ fromBeginning: true, maxWaitMs: 20 });
    const offsets: number[] = [];
    await consumer.assign([{ topic: 'dr', partition: 0 }]);
    await consumer.run({ eachMessage: async ({ message }) => void offsets.push(Number(message.offset)) });
    await until(() => offsets.length >= 6);
    await consumer.stop();
    expect(offsets).toEqual([4, 5, 6, 7, 8, 9]);
    await expect(admin.deleteRecords({ topic: 'dr', partitions: [{ partition: 1, offset: 11 }] })).rejects.toMatchObject({ code: 'OFFSET_OUT_OF_RANGE' });
    expect(await admin.deleteRecords({ topic: 'dr', partitions: [{ partition: 1, offset: 'latest' }] })).toEqual([{ partition: 1, lowWatermark: 10 }]);
    // Moving back is a no-op: the low watermark stays.
    expect(await admin.deleteRecords({ topic: 'dr', partitions: [{ partition: 0, offset: 2 }] })).toEqual([{ partition: 0, lowWatermark: 4 }]);
    await admin.deleteTopicRecords({ topic: 'dr', partitions: [{ partition: 0, offset: 7 }] });
    expect((await admin.fetchTopicOffsets('dr')).map((o) => o.low)).toEqual([7, 10]);
  });

  it('deleteOffsets removes an empty group\'s offsets and keeps those an active group consumes', async () => {
    h = await groupHarness(mode);
    const client = h.client();
    const admin = client.admin();
    await admin.createTopics({ topics: [{ topic: 'od', numPartitions: 2 }, { topic: 'od-other', numPartitions: 1 }] });
    await produce(client, 'od', 2, 10);
    const seen: Seen[] = [];
    const g = groupMembers(client, seen);
    const member = g.make({ groupId: 'god' });
    await member.subscribe({ topics: ['od'], fromBeginning: true });
    await member.run({ eachMessage: g.handler(0) });
    await untilBalanced([member], 2);
    await until(() => seen.length >= 10);
    await until(async () => (await admin.fetchOffsets({ groupId: 'god', topics: ['od'] }))[0]!.partitions.every((p) => p.offset === 5));

    await expect(admin.deleteOffsets({ groupId: 'god', topic: 'od' })).rejects.toMatchObject({ code: 'GROUP_SUBSCRIBED_TO_TOPIC' });
    await expect(admin.deleteOffsets({ groupId: 'nobody', topic: 'od' })).rejects.toMatchObject({ code: 'GROUP_ID_NOT_FOUND' });
    await member.stop();
    expect(await admin.deleteOffsets({ groupId: 'god', topic: 'od', partitions: [1] })).toEqual([{ partition: 1, errorCode: 0 }]);
    expect((await admin.fetchOffsets({ groupId: 'god', topics: ['od'] }))[0]!.partitions.map((p) => p.offset)).toEqual([5, -1]);
    expect(await admin.deleteOffsets({ groupId: 'god', topic: 'od' })).toEqual([{ partition: 0, errorCode: 0 }, { partition: 1, errorCode: 0 }]);
    expect(await admin.fetchOffsets({ groupId: 'god' })).toEqual([]);
  });
});
