/**
 * The records that turn one metadata image into another (Kafka's MetadataDelta in snapshot
 * mode: what a loader publishes when it loads a snapshot over the image it had). A broker
 * whose metadata reader answers with a snapshot replaces its image with the snapshot's, but
 * its publishers (the replica manager, the group coordinator) act on deltas: this gives them
 * one — topics gone, topics new, partitions and configs changed, registrations, producer ids,
 * the cluster id and SCRAM credentials — so that replaying it onto `from` gives `to`.
 *
 * A topic whose name, replication factor or creation time differ, or that has fewer
 * partitions, is removed and created again. The producer-id allocation never goes back.
 */
import { toBase64 } from '../../security/scram.ts';
import { partitionRecord } from './image-records.ts';
import type { MetadataImage, PartitionRegistration, TopicImage } from './metadata-image.ts';
import type { MetadataRecord } from './records.ts';

/** Records that, replayed onto `from`, give the image `to` (the producer-id allocation never goes back). */
export function imageDiffRecords(from: MetadataImage, to: MetadataImage): MetadataRecord[] {
  const records: MetadataRecord[] = [];
  if (to.clusterId !== null && to.clusterId !== from.clusterId) records.push({ type: 'cluster-id', clusterId: to.clusterId });
  for (const b of to.allBrokers()) {
    const a = from.registration(b.nodeId);
    if (a && a.host === b.host && a.port === b.port && a.rack === b.rack && a.brokerEpoch === b.brokerEpoch && a.incarnationId === b.incarnationId && a.fenced === b.fenced) continue;
    records.push({ type: 'register-broker', nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack, ...(b.incarnationId !== null ? { incarnationId: b.incarnationId } : {}), brokerEpoch: b.brokerEpoch, fenced: b.fenced });
  }
  for (const a of from.allBrokers()) if (!to.registration(a.nodeId)) records.push({ type: 'unregister-broker', nodeId: a.nodeId, brokerEpoch: a.brokerEpoch });
  if (to.nextProducerId > from.nextProducerId) records.push({ type: 'producer-ids', nodeId: -1, brokerEpoch: -1, firstProducerId: 0, size: to.nextProducerId });
  // Removals first: a topic re-created under the same name has a new id.
  const recreate = new Set<string>();
  for (const old of from.topics()) {
    const now = to.topicById(old.id);
    if (!now || !sameTopic(old, now)) {
      records.push({ type: 'remove-topic', topicId: old.id });
      if (now) recreate.add(old.id);
    }
  }
  for (const topic of to.topics()) {
    const old = recreate.has(topic.id) ? undefined : from.topicById(topic.id);
    if (!old) records.push({ type: 'topic', name: topic.name, topicId: topic.id, replicationFactor: topic.replicationFactor, createdAt: topic.createdAt });
    topic.partitions.forEach((p) => {
      if (!p || (old && samePartition(old.partitions[p.partition], p))) return;
      records.push(partitionRecord(topic.id, p));
    });
    for (const [name, value] of topic.configs) if (old?.configs.get(name) !== value) records.push({ type: 'config', resourceType: 'topic', resourceName: topic.name, name, value });
    if (old) for (const name of old.configs.keys()) if (!topic.configs.has(name)) records.push({ type: 'config', resourceType: 'topic', resourceName: topic.name, name, value: null });
  }
  for (const id of from.acls.keys()) if (!to.acls.has(id)) records.push({ type: 'remove-acl', id });
  for (const [id, binding] of to.acls) {
    const old = from.acls.get(id);
    if (old && ACL_FIELDS.every((f) => old[f] === binding[f])) continue;
    records.push({ type: 'acl', id, ...binding });
  }
  for (const [broker, configs] of to.brokerConfigsByResource) {
    const old = from.brokerConfigs(broker);
    for (const [name, value] of configs) if (old.get(name) !== value) records.push({ type: 'broker-config', broker, name, value });
  }
  for (const [broker, configs] of from.brokerConfigsByResource) {
    const now = to.brokerConfigs(broker);
    for (const name of configs.keys()) if (!now.has(name)) records.push({ type: 'broker-config', broker, name, value: null });
  }
  for (const [user, mechanisms] of to.scramCredentials) {
    for (const [mechanism, c] of mechanisms) {
      const old = from.scramCredential(user, mechanism);
      if (old && old.iterations === c.iterations && sameBytes(old.salt, c.salt) && sameBytes(old.storedKey, c.storedKey) && sameBytes(old.serverKey, c.serverKey)) continue;
      records.push({ type: 'user-scram-credential', name: user, mechanism, salt: toBase64(c.salt), storedKey: toBase64(c.storedKey), serverKey: toBase64(c.serverKey), iterations: c.iterations });
    }
  }
  for (const [user, mechanisms] of from.scramCredentials) {
    for (const mechanism of mechanisms.keys()) if (!to.scramCredential(user, mechanism)) records.push({ type: 'remove-user-scram-credential', name: user, mechanism });
  }
  return records;
}

const ACL_FIELDS = ['principal', 'host', 'resourceType', 'resourceName', 'patternType', 'operation', 'permission'] as const;

function sameTopic(a: TopicImage, b: TopicImage): boolean {
  return a.name === b.name && a.replicationFactor === b.replicationFactor && a.createdAt === b.createdAt && a.partitions.length <= b.partitions.length;
}

function samePartition(a: PartitionRegistration | undefined, b: PartitionRegistration): boolean {
  return (
    a !== undefined && a.leader === b.leader && a.leaderEpoch === b.leaderEpoch && a.partitionEpoch === b.partitionEpoch && sameList(a.replicas, b.replicas) && sameList(a.isr, b.isr) &&
    sameList(a.addingReplicas ?? [], b.addingReplicas ?? []) && sameList(a.removingReplicas ?? [], b.removingReplicas ?? [])
  );
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
