/**
 * The cluster's metadata records replayed into the image: registrations with epoch,
 * incarnation and fencing (clients see only unfenced brokers), partition epochs,
 * producer-id blocks and the cluster id.
 */
import { describe, expect, it } from 'vitest';
import { MetadataDelta } from '../../core/broker/metadata/metadata-delta.ts';
import { MetadataImage } from '../../core/broker/metadata/metadata-image.ts';
import type { MetadataRecord } from '../../core/broker/metadata/records.ts';

const register = (nodeId: number, brokerEpoch: number, fenced = true): MetadataRecord => ({ type: 'register-broker', nodeId, host: `h${nodeId}`, port: 9000 + nodeId, rack: null, incarnationId: `i${nodeId}`, brokerEpoch, fenced });

describe('cluster records in the image', () => {
  it('registers brokers fenced, shows clients only the unfenced ones, and flips fencing by epoch', () => {
    const delta = new MetadataDelta(MetadataImage.EMPTY).replay([register(1, 0), register(2, 1), { type: 'fence-broker', nodeId: 1, brokerEpoch: 0, fenced: false }]);
    const image = delta.apply();
    expect(image.brokers()).toEqual([{ nodeId: 1, host: 'h1', port: 9001, rack: null }]);
    expect(image.allBrokers().map((b) => [b.nodeId, b.brokerEpoch, b.incarnationId, b.fenced])).toEqual([[1, 0, 'i1', false], [2, 1, 'i2', true]]);
    expect(image.isFenced(2)).toBe(true);
    expect(image.isFenced(1)).toBe(false);
    expect(image.isFenced(9)).toBe(false);
    expect(image.broker(2)).toMatchObject({ host: 'h2' });
    expect([...delta.changedBrokers]).toEqual([1, 2]);

    // A fence naming an earlier registration's epoch changes nothing.
    const stale = new MetadataDelta(image).replay([{ type: 'fence-broker', nodeId: 2, brokerEpoch: 0, fenced: false }]).apply();
    expect(stale.isFenced(2)).toBe(true);
    const fenced = new MetadataDelta(image).replay([{ type: 'fence-broker', nodeId: 1, brokerEpoch: 0, fenced: true }]).apply();
    expect(fenced.brokers()).toEqual([]);
    expect(image.brokers()).toHaveLength(1);
  });

  it('keeps a cluster-of-one registration (no epoch, no incarnation) unfenced at epoch 0', () => {
    const image = new MetadataDelta(MetadataImage.EMPTY).replay([{ type: 'register-broker', nodeId: 7, host: 'h', port: 1, rack: null }]).apply();
    expect(image.registration(7)).toEqual({ nodeId: 7, host: 'h', port: 1, rack: null, brokerEpoch: 0, incarnationId: null, fenced: false });
    expect(image.brokers()).toEqual([{ nodeId: 7, host: 'h', port: 1, rack: null }]);
  });

  it('replays partition epochs (0 when absent) and answers which partitions a broker leads or replicates', () => {
    const image = new MetadataDelta(MetadataImage.EMPTY)
      .replay([
        { type: 'topic', name: 't', topicId: 'T', replicationFactor: 2, createdAt: 1 },
        { type: 'partition', topicId: 'T', partitionId: 0, replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 0 },
        { type: 'partition', topicId: 'T', partitionId: 1, replicas: [2, 3], isr: [2], leader: -1, leaderEpoch: 3, partitionEpoch: 7 },
      ])
      .apply();
    expect(image.partition('T', 0)!.partitionEpoch).toBe(0);
    expect(image.partition('T', 1)!.partitionEpoch).toBe(7);
    expect(image.partitionsLedBy(1)).toEqual([{ topicId: 'T', partition: 0 }]);
    expect(image.partitionsReplicatedOn(2)).toEqual([{ topicId: 'T', partition: 0 }, { topicId: 'T', partition: 1 }]);
    expect(image.partitionsInIsrOf(3)).toEqual([]);
    expect(image.partitionsWithoutLeader()).toEqual([{ topicId: 'T', partition: 1 }]);
  });

  it('keeps the producer-id high mark and the cluster id', () => {
    const delta = new MetadataDelta(MetadataImage.EMPTY).replay([
      { type: 'cluster-id', clusterId: 'abc' },
      { type: 'producer-ids', nodeId: 1, brokerEpoch: 0, firstProducerId: 0, size: 1000 },
      { type: 'producer-ids', nodeId: 2, brokerEpoch: 1, firstProducerId: 1000, size: 1000 },
    ]);
    const image = delta.apply();
    expect(image.nextProducerId).toBe(2000);
    expect(image.clusterId).toBe('abc');
    expect(delta.producerIdsChanged).toBe(true);
    expect(MetadataImage.EMPTY.nextProducerId).toBe(0);
    expect(MetadataImage.EMPTY.clusterId).toBeNull();
  });
});
