import { describe, expect, it } from 'vitest';
import { imageDiffRecords } from '../../core/broker/metadata/image-diff.ts';
import { imageFromRecords, imageToRecords } from '../../core/broker/metadata/image-records.ts';
import { MetadataDelta } from '../../core/broker/metadata/metadata-delta.ts';
import { MetadataImage } from '../../core/broker/metadata/metadata-image.ts';
import type { MetadataRecord } from '../../core/broker/metadata/records.ts';
import { toBase64 } from '../../core/security/scram.ts';

const b64 = (...bytes: number[]) => toBase64(new Uint8Array(bytes));

/** A log with every kind of record, including changes that overwrite and remove earlier state. */
function richLog(): MetadataRecord[] {
  const t1 = '11111111-1111-1111-1111-111111111111';
  const t2 = '22222222-2222-2222-2222-222222222222';
  const t3 = '33333333-3333-3333-3333-333333333333';
  return [
    { type: 'leader-change', leaderId: 1, epoch: 1, voters: [1, 2, 3] },
    { type: 'cluster-id', clusterId: 'cluster-a' },
    { type: 'register-broker', nodeId: 1, host: 'h1', port: 9092, rack: 'r1', incarnationId: 'inc-1', brokerEpoch: 5, fenced: true },
    { type: 'register-broker', nodeId: 2, host: 'h2', port: 9093, rack: null, incarnationId: 'inc-2', brokerEpoch: 6, fenced: true },
    { type: 'register-broker', nodeId: 3, host: 'h3', port: 9094, rack: null },
    { type: 'fence-broker', nodeId: 1, brokerEpoch: 5, fenced: false },
    { type: 'register-broker', nodeId: 2, host: 'h2b', port: 9095, rack: 'r2', incarnationId: 'inc-2b', brokerEpoch: 17, fenced: true },
    { type: 'fence-broker', nodeId: 2, brokerEpoch: 17, fenced: false },
    { type: 'fence-broker', nodeId: 2, brokerEpoch: 17, fenced: true },
    { type: 'producer-ids', nodeId: 1, brokerEpoch: 5, firstProducerId: 0, size: 1000 },
    { type: 'producer-ids', nodeId: 2, brokerEpoch: 17, firstProducerId: 1000, size: 1000 },
    { type: 'topic', name: 'orders', topicId: t1, replicationFactor: 3, createdAt: 1_700_000_000_000 },
    { type: 'partition', topicId: t1, partitionId: 0, replicas: [1, 2, 3], isr: [1, 2, 3], leader: 1, leaderEpoch: 0, partitionEpoch: 0 },
    { type: 'partition', topicId: t1, partitionId: 1, replicas: [2, 3, 1], isr: [2, 3, 1], leader: 2, leaderEpoch: 0 },
    { type: 'partition', topicId: t1, partitionId: 1, replicas: [2, 3, 1], isr: [3, 1], leader: 3, leaderEpoch: 4, partitionEpoch: 9 },
    { type: 'config', resourceType: 'topic', resourceName: 'orders', name: 'retention.ms', value: '1000' },
    { type: 'config', resourceType: 'topic', resourceName: 'orders', name: 'cleanup.policy', value: 'compact' },
    { type: 'config', resourceType: 'topic', resourceName: 'orders', name: 'retention.ms', value: null },
    { type: 'topic', name: 'gone', topicId: t2, replicationFactor: 1, createdAt: 1 },
    { type: 'partition', topicId: t2, partitionId: 0, replicas: [1], isr: [1], leader: 1, leaderEpoch: 0 },
    { type: 'remove-topic', topicId: t2 },
    { type: 'topic', name: 'offline', topicId: t3, replicationFactor: 1, createdAt: 2 },
    { type: 'partition', topicId: t3, partitionId: 0, replicas: [2], isr: [], leader: -1, leaderEpoch: 7, partitionEpoch: 8 },
    { type: 'user-scram-credential', name: 'alice', mechanism: 'SCRAM-SHA-256', salt: b64(1, 2), storedKey: b64(3, 4), serverKey: b64(5, 6), iterations: 4096 },
    { type: 'user-scram-credential', name: 'alice', mechanism: 'SCRAM-SHA-512', salt: b64(7), storedKey: b64(8), serverKey: b64(9), iterations: 8192 },
    { type: 'user-scram-credential', name: 'bob', mechanism: 'SCRAM-SHA-256', salt: b64(10), storedKey: b64(11), serverKey: b64(12), iterations: 4096 },
    { type: 'user-scram-credential', name: 'carol', mechanism: 'SCRAM-SHA-256', salt: b64(13), storedKey: b64(14), serverKey: b64(15), iterations: 4096 },
    { type: 'remove-user-scram-credential', name: 'carol', mechanism: 'SCRAM-SHA-256' },
    { type: 'remove-user-scram-credential', name: 'alice', mechanism: 'SCRAM-SHA-512' },
    // A reassignment under way on orders-0.
    { type: 'partition', topicId: t1, partitionId: 0, replicas: [1, 2, 3, 4], isr: [1, 2, 3], leader: 1, leaderEpoch: 0, partitionEpoch: 1, addingReplicas: [4], removingReplicas: [3] },
    { type: 'acl', id: 'acl-1', principal: 'User:alice', host: '*', resourceType: 'topic', resourceName: 'orders', patternType: 'literal', operation: 'read', permission: 'allow' },
    { type: 'acl', id: 'acl-2', principal: 'User:bob', host: '10.0.0.1', resourceType: 'group', resourceName: 'g', patternType: 'prefixed', operation: 'all', permission: 'deny' },
    { type: 'acl', id: 'acl-3', principal: 'User:*', host: '*', resourceType: 'cluster', resourceName: 'kafka-cluster', patternType: 'literal', operation: 'describe', permission: 'allow' },
    { type: 'remove-acl', id: 'acl-3' },
    { type: 'broker-config', broker: '', name: 'log.retention.ms', value: '1000' },
    { type: 'broker-config', broker: '1', name: 'log.cleaner.threads', value: '2' },
    { type: 'broker-config', broker: '1', name: 'num.io.threads', value: '8' },
    { type: 'broker-config', broker: '1', name: 'num.io.threads', value: null },
    { type: 'register-broker', nodeId: 4, host: 'h4', port: 9096, rack: null, incarnationId: 'inc-4', brokerEpoch: 30, fenced: true },
    { type: 'register-broker', nodeId: 5, host: 'h5', port: 9097, rack: null, incarnationId: 'inc-5', brokerEpoch: 31, fenced: true },
    { type: 'unregister-broker', nodeId: 5, brokerEpoch: 31 },
  ];
}

/**
 * The public accessors of MetadataImage this dump covers. A new one (a new part of the
 * image) fails the test below: extend imageToRecords, then this dump.
 */
const DUMPED_ACCESSORS = [
  'aclIndex', 'acls', 'brokerConfigs', 'brokerConfigsByResource', 'allBrokers', 'broker', 'brokers', 'clusterId', 'isFenced', 'nextProducerId', 'partition', 'partitionsInIsrOf', 'partitionsLedBy',
  'partitionsReplicatedOn', 'partitionsWithoutLeader', 'registration', 'registrationsById', 'scramCredential', 'scramCredentials', 'topic', 'topicById', 'topics', 'topicsById',
];

/** Everything an image tells, as plain JSON. */
function dump(image: MetadataImage): unknown {
  const nodes = [...new Set([...image.registrationsById.keys(), 1, 2, 3, 4, 5])].sort();
  const users = [...image.scramCredentials.keys()].sort();
  return {
    clusterId: image.clusterId,
    nextProducerId: image.nextProducerId,
    registrations: [...image.registrationsById.entries()].sort(([a], [b]) => a - b),
    allBrokers: image.allBrokers(),
    brokers: image.brokers(),
    perNode: nodes.map((n) => ({ n, broker: image.broker(n), registration: image.registration(n), fenced: image.isFenced(n), led: image.partitionsLedBy(n), replicated: image.partitionsReplicatedOn(n), inIsr: image.partitionsInIsrOf(n) })),
    withoutLeader: image.partitionsWithoutLeader(),
    topics: image.topics().map((t) => ({ ...t, configs: [...t.configs].sort(), byName: image.topic(t.name) === t, byId: image.topicById(t.id) === t, partitionLookups: t.partitions.map((p) => image.partition(t.id, p.partition)) })),
    topicsById: [...image.topicsById.keys()].sort(),
    acls: [...image.acls].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, b]) => [id, { ...b }]),
    aclIndexBuilt: image.aclIndex !== undefined,
    brokerConfigs: [...image.brokerConfigsByResource].sort(([a], [b]) => (a < b ? -1 : 1)).map(([r, c]) => [r, [...c].sort(), [...image.brokerConfigs(r)].sort()]),
    scram: users.map((u) => [u, [...image.scramCredentials.get(u)!].sort(([a], [b]) => (a < b ? -1 : 1)).map(([m, c]) => [m, Array.from(c.salt), Array.from(c.storedKey), Array.from(c.serverKey), c.iterations, image.scramCredential(u, m) === c])]),
  };
}

describe('imageToRecords', () => {
  it('rebuilds every part of a rich image', () => {
    const image = new MetadataDelta(MetadataImage.EMPTY).replay(richLog()).apply();
    // The image is rich: every part has something in it.
    expect(image.clusterId).toBe('cluster-a');
    expect(image.nextProducerId).toBe(2000);
    expect(image.allBrokers().map((b) => [b.nodeId, b.fenced])).toEqual([[1, false], [2, true], [3, false], [4, true]]);
    expect(image.topics().map((t) => t.name)).toEqual(['offline', 'orders']);
    expect([...image.scramCredentials.keys()].sort()).toEqual(['alice', 'bob']);
    expect([...image.acls.keys()].sort()).toEqual(['acl-1', 'acl-2']);
    expect(image.brokerConfigs('1').get('log.cleaner.threads')).toBe('2');
    expect(image.partition(image.topic('orders')!.id, 0)).toMatchObject({ addingReplicas: [4], removingReplicas: [3] });

    const records = imageToRecords(image);
    const rebuilt = imageFromRecords(records);
    expect(dump(rebuilt)).toEqual(dump(image));
    // Through JSON as a snapshot stores them, too.
    expect(dump(imageFromRecords(JSON.parse(JSON.stringify(records)) as MetadataRecord[]))).toEqual(dump(image));
    // And again: a snapshot of a loaded snapshot is the same snapshot.
    expect(imageToRecords(rebuilt)).toEqual(records);
  });

  it('writes nothing for the empty image', () => {
    expect(imageToRecords(MetadataImage.EMPTY)).toEqual([]);
  });

  it('covers every accessor and constructor part of MetadataImage (a new part must be snapshotted)', () => {
    const accessors = Object.getOwnPropertyNames(MetadataImage.prototype).filter((n) => n !== 'constructor').sort();
    expect(accessors).toEqual([...DUMPED_ACCESSORS].sort());
    // topicsById, registrations, nextProducerId, clusterId, scram: a new constructor argument is a new part.
    expect(MetadataImage.length).toBe(2);
    const params = MetadataImage.toString().match(/constructor\(([\s\S]*?)\)\s*\{/)?.[1]?.split(',').map((s) => s.trim().split(/[\s:=]/)[0]).filter((s) => s !== '');
    expect(params).toEqual(['topicsById', 'registrations', 'nextProducerId', 'clusterId', 'scram', 'acls', 'brokerConfigs']);
  });
});

describe('imageDiffRecords', () => {
  const log = richLog();
  const imageAt = (n: number) => new MetadataDelta(MetadataImage.EMPTY).replay(log.slice(0, n)).apply();
  const full = imageAt(log.length);

  it('turns every earlier image of the log into the final one, and back (topics removed, recreated, configs unset, credentials removed)', () => {
    for (let n = 0; n <= log.length; n++) {
      const from = imageAt(n);
      expect(dump(new MetadataDelta(from).replay(imageDiffRecords(from, full)).apply()), `from ${n} records`).toEqual(dump(full));
      // Backwards too, once the producer ids are those of the end (they never go back).
      if (n >= 11) expect(dump(new MetadataDelta(full).replay(imageDiffRecords(full, from)).apply()), `back to ${n} records`).toEqual(dump(from));
    }
  });

  it('is empty between equal images, and names only what changed', () => {
    expect(imageDiffRecords(full, imageFromRecords(imageToRecords(full)))).toEqual([]);
    const changed = new MetadataDelta(full).replay([{ type: 'config', resourceType: 'topic', resourceName: 'orders', name: 'segment.ms', value: '5' }]).apply();
    expect(imageDiffRecords(full, changed)).toEqual([{ type: 'config', resourceType: 'topic', resourceName: 'orders', name: 'segment.ms', value: '5' }]);
  });
});
