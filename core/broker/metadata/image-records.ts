/**
 * A metadata image as records (Kafka's SnapshotGenerator / MetadataImage.write): the
 * records that, replayed in order onto {@link MetadataImage.EMPTY}, rebuild the same image.
 * What a metadata snapshot holds, so that a node that restarts, or joins, loads the image
 * at an offset instead of replaying the log from zero.
 *
 * Every part of the image is written: the cluster id, each registration (address, epoch,
 * incarnation, fenced), the producer-id allocation, each topic with its partitions (epochs
 * and a running reassignment's adding / removing replicas included) and configs, each
 * user's SCRAM credentials, every ACL (with its id), the dynamic broker configs. test/broker/image-records.test.ts
 * fails when the image gains a part this function does not write.
 */
import { toBase64 } from '../../security/scram.ts';
import { MetadataDelta } from './metadata-delta.ts';
import { MetadataImage, type PartitionRegistration } from './metadata-image.ts';
import type { MetadataRecord, PartitionRecord } from './records.ts';

/** The records that rebuild `image` from the empty image (in a replayable order: a topic before its partitions and configs). */
export function imageToRecords(image: MetadataImage): MetadataRecord[] {
  const records: MetadataRecord[] = [];
  if (image.clusterId !== null) records.push({ type: 'cluster-id', clusterId: image.clusterId });
  for (const b of image.allBrokers()) {
    records.push({
      type: 'register-broker',
      nodeId: b.nodeId,
      host: b.host,
      port: b.port,
      rack: b.rack,
      ...(b.incarnationId !== null ? { incarnationId: b.incarnationId } : {}),
      brokerEpoch: b.brokerEpoch,
      fenced: b.fenced,
    });
  }
  // Every id below nextProducerId was handed out: one block covering them all (no broker owns it now).
  if (image.nextProducerId > 0) records.push({ type: 'producer-ids', nodeId: -1, brokerEpoch: -1, firstProducerId: 0, size: image.nextProducerId });
  for (const topic of image.topics()) {
    records.push({ type: 'topic', name: topic.name, topicId: topic.id, replicationFactor: topic.replicationFactor, createdAt: topic.createdAt });
    topic.partitions.forEach((p) => {
      if (!p) return; // a hole (never in images the controller writes): nothing to rebuild
      records.push(partitionRecord(topic.id, p));
    });
    for (const [name, value] of [...topic.configs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      records.push({ type: 'config', resourceType: 'topic', resourceName: topic.name, name, value });
    }
  }
  for (const [id, binding] of [...image.acls].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) records.push({ type: 'acl', id, ...binding });
  for (const [broker, configs] of [...image.brokerConfigsByResource].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    for (const [name, value] of [...configs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) records.push({ type: 'broker-config', broker, name, value });
  }
  for (const user of [...image.scramCredentials.keys()].sort()) {
    for (const [mechanism, c] of image.scramCredentials.get(user)!) {
      records.push({ type: 'user-scram-credential', name: user, mechanism, salt: toBase64(c.salt), storedKey: toBase64(c.storedKey), serverKey: toBase64(c.serverKey), iterations: c.iterations });
    }
  }
  return records;
}

/** The record that sets partition `p` of topic `topicId` as it is. */
export function partitionRecord(topicId: string, p: PartitionRegistration): PartitionRecord {
  return {
    type: 'partition',
    topicId,
    partitionId: p.partition,
    replicas: [...p.replicas],
    isr: [...p.isr],
    leader: p.leader,
    leaderEpoch: p.leaderEpoch,
    partitionEpoch: p.partitionEpoch,
    ...(p.addingReplicas?.length ? { addingReplicas: [...p.addingReplicas] } : {}),
    ...(p.removingReplicas?.length ? { removingReplicas: [...p.removingReplicas] } : {}),
  };
}

/** The image `records` rebuild from the empty image (a snapshot's image). */
export function imageFromRecords(records: Iterable<MetadataRecord>): MetadataImage {
  return new MetadataDelta(MetadataImage.EMPTY).replay(records).apply();
}
