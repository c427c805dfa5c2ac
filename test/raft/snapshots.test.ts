/**
 * Metadata snapshots on Raft voters (KIP-630): after `maxRecordsBetweenSnapshots` committed
 * records a voter writes a snapshot and drops the log before it; a restarted voter loads it;
 * an empty voter and an observer far behind get it from the leader (Fetch's snapshotId, then
 * FetchSnapshot); `read` from below the log start answers with it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { memoryStorage } from '../../adapters/memory/index.ts';
import { imageFromRecords, imageToRecords } from '../../core/broker/metadata/image-records.ts';
import { MetadataDelta } from '../../core/broker/metadata/metadata-delta.ts';
import type { MetadataImage } from '../../core/broker/metadata/metadata-image.ts';
import type { MetadataRecord } from '../../core/broker/metadata/records.ts';
import { METADATA_TOPIC, METADATA_TOPIC_ID } from '../../core/broker/quorum/metadata-batch-codec.ts';
import type { MetadataQuorum } from '../../core/broker/quorum/metadata-quorum.ts';
import type { RaftQuorum } from '../../core/broker/quorum/raft/raft-quorum.ts';
import { decodeSnapshot, SNAPSHOT_POINTER_KEY } from '../../core/broker/quorum/raft/snapshot-store.ts';
import { MetadataFollower } from '../../core/broker/cluster/metadata-follower.ts';
import { QuorumController } from '../../core/broker/controller/quorum-controller.ts';
import { heartbeat, register } from '../cluster/controller-helpers.ts';
import { MetadataLoader } from '../../core/broker/metadata/metadata-publisher.ts';
import { RemoteMetadataReader } from '../../core/broker/quorum/remote-metadata-reader.ts';
import type { Transport, TransportFactory } from '../../core/client/transport.ts';
import { silentLogger } from '../../core/contracts/logger.ts';
import { KafkaCode, TributaryError } from '../../core/errors.ts';
import { ApiKey } from '../../core/protocol/api-keys.ts';
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse } from '../../core/protocol/messages.ts';
import { concat } from '../../core/protocol/writer.ts';
import { RaftTestCluster, runFor, TestShutdown } from './local-raft-network.ts';

const clusters: RaftTestCluster[] = [];
afterEach(async () => {
  for (const c of clusters.splice(0)) await c.stop();
});
function cluster(...args: ConstructorParameters<typeof RaftTestCluster>): RaftTestCluster {
  const c = new RaftTestCluster(...args);
  clusters.push(c);
  return c;
}

/** Batch `i`: a topic with a partition and a config, a change to an earlier topic, a producer-id block. */
function batch(i: number): MetadataRecord[] {
  const id = (n: number) => `00000000-0000-0000-0000-${String(n).padStart(12, '0')}`;
  const records: MetadataRecord[] = [
    { type: 'topic', name: `t${i}`, topicId: id(i + 100), replicationFactor: 3, createdAt: 1000 + i },
    { type: 'partition', topicId: id(i + 100), partitionId: 0, replicas: [1, 2, 3], isr: [1, 2, 3], leader: 1 + (i % 3), leaderEpoch: 0, partitionEpoch: 0 },
    { type: 'config', resourceType: 'topic', resourceName: `t${i}`, name: 'retention.ms', value: String(i) },
    { type: 'producer-ids', nodeId: 1, brokerEpoch: 0, firstProducerId: i * 10, size: 10 },
  ];
  if (i > 0) records.push({ type: 'partition', topicId: id(i + 99), partitionId: 0, replicas: [1, 2, 3], isr: [1, 2], leader: 2, leaderEpoch: 1, partitionEpoch: 1 });
  if (i === 0) records.unshift({ type: 'cluster-id', clusterId: 'snap-cluster' }, { type: 'register-broker', nodeId: 1, host: 'b1', port: 1, rack: null, incarnationId: 'x', brokerEpoch: 3, fenced: false });
  return records;
}

/** What a reader from offset 0 builds: the snapshot's image (if the read has one) and every batch after it. */
async function imageOf(quorum: MetadataQuorum): Promise<{ image: MetadataImage; snapshotEnd: number | undefined }> {
  let image = imageFromRecords([]);
  let offset = 0;
  let snapshotEnd: number | undefined;
  for (;;) {
    const read = await quorum.read(offset, 0);
    if (read.snapshot) {
      image = imageFromRecords(read.snapshot.records);
      offset = read.snapshot.endOffset;
      snapshotEnd ??= read.snapshot.endOffset;
    }
    for (const b of read.batches) {
      if (b.baseOffset < offset) continue;
      image = new MetadataDelta(image).replay(b.records).apply();
      offset = b.baseOffset + b.records.length;
    }
    if (offset >= read.highWatermark) return { image, snapshotEnd };
    if (read.batches.length === 0 && !read.snapshot) throw new Error(`no progress at ${offset} (hw ${read.highWatermark})`);
  }
}

async function appendBatches(c: RaftTestCluster, leader: RaftQuorum, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) {
    const done = leader.append(batch(i), leader.epoch);
    await runFor(c.clock, 20);
    await done;
  }
}

const expected = (n: number) => new MetadataDelta(imageFromRecords([])).replay(Array.from({ length: n }, (_, i) => batch(i)).flat()).apply();

describe('Raft metadata snapshots', () => {
  it('every voter snapshots after N committed records, drops the log before it, and reads answer with the snapshot', async () => {
    const c = cluster(3, { maxRecordsBetweenSnapshots: 30 });
    await c.start();
    const leader = await c.waitForLeader();
    await appendBatches(c, leader, 0, 12);
    await runFor(c.clock, 500);
    for (const node of c.nodes.values()) {
      const d = node.describe();
      expect(d.snapshotId, `node ${node.nodeId}`).not.toBeNull();
      expect(d.logStartOffset).toBe(d.snapshotId!.endOffset);
      expect(d.logStartOffset).toBeGreaterThanOrEqual(30);
      // The log holds nothing before the snapshot.
      expect(node.logBatches().every((b) => b.baseOffset >= d.logStartOffset)).toBe(true);
      const { image, snapshotEnd } = await imageOf(node);
      expect(snapshotEnd).toBe(d.logStartOffset);
      expect(imageToRecords(image)).toEqual(imageToRecords(expected(12)));
    }
  });

  it('a restarted voter loads its snapshot, then the log after it, and has the same image', async () => {
    const c = cluster(3, { maxRecordsBetweenSnapshots: 30 });
    await c.start();
    let leader = await c.waitForLeader();
    await appendBatches(c, leader, 0, 10);
    await runFor(c.clock, 500);
    const follower = [...c.nodes.values()].find((n) => n !== leader)!;
    const before = follower.describe();
    expect(before.snapshotId).not.toBeNull();
    expect(await c.storages.get(follower.nodeId)!.metadata.get(SNAPSHOT_POINTER_KEY)).toBeDefined();
    await c.stopNode(follower.nodeId);
    const restarted = await c.startNode(follower.nodeId);
    // Before any fetch: the snapshot and the log after it are loaded from storage alone.
    expect(restarted.describe()).toMatchObject({ snapshotId: before.snapshotId, logStartOffset: before.logStartOffset, logEndOffset: before.logEndOffset });
    expect(restarted.highWatermark).toBeGreaterThanOrEqual(before.snapshotId!.endOffset);
    const { image } = await imageOf(restarted);
    // What it has committed so far is at least the snapshot; after catching up, everything.
    await runFor(c.clock, 1000);
    leader = await c.waitForLeader();
    await appendBatches(c, leader, 10, 12);
    await runFor(c.clock, 500);
    expect(imageToRecords((await imageOf(restarted)).image)).toEqual(imageToRecords(expected(12)));
    expect(image.topics().length).toBeGreaterThan(0);
    // The whole cluster restarted: each voter comes back from its own snapshot and log.
    for (const id of [...c.nodes.keys()]) await c.stopNode(id);
    await c.start();
    leader = await c.waitForLeader();
    expect(imageToRecords((await imageOf(leader)).image)).toEqual(imageToRecords(expected(12)));
  });

  it('an empty voter catches up from the leader\'s snapshot (Fetch snapshotId, FetchSnapshot in chunks)', async () => {
    // Small fetches: the snapshot comes in many FetchSnapshot chunks.
    const c = cluster(3, { maxRecordsBetweenSnapshots: 30, maxFetchBytes: 512 });
    await c.start();
    const leader = await c.waitForLeader();
    const empty = [...c.nodes.values()].find((n) => n !== leader)!.nodeId;
    await c.stopNode(empty);
    await appendBatches(c, leader, 0, 12);
    await runFor(c.clock, 500);
    expect(leader.describe().logStartOffset).toBeGreaterThan(0);
    // A new disk: nothing of the log, no snapshot, no election state.
    const storage = memoryStorage();
    await storage.open();
    c.storages.set(empty, storage);
    const sentBefore = c.network.sent.filter((s) => s.apiKey === 59).length;
    const node = await c.startNode(empty);
    await runFor(c.clock, 3000);
    expect(c.network.sent.filter((s) => s.apiKey === 59 && s.from === empty).length - sentBefore).toBeGreaterThan(1);
    expect(node.describe().snapshotId).not.toBeNull();
    expect(node.describe().logStartOffset).toBeGreaterThanOrEqual(leader.describe().snapshotId!.endOffset);
    expect(node.logEndOffset).toBe(leader.logEndOffset);
    expect(imageToRecords((await imageOf(node)).image)).toEqual(imageToRecords(expected(12)));
    // It counts for the majority again: with the third voter cut off, appends still commit.
    const third = [...c.nodes.values()].find((n) => n !== leader && n !== node)!;
    c.network.isolate(third.nodeId);
    await appendBatches(c, leader, 12, 13);
    expect(imageToRecords((await imageOf(node)).image)).toEqual(imageToRecords(expected(13)));
  });

  it('an observer behind the log start gets the snapshot id; FetchSnapshot serves the bytes and checks id and position', async () => {
    const c = cluster(3, { maxRecordsBetweenSnapshots: 30 });
    await c.start();
    const leader = await c.waitForLeader();
    await appendBatches(c, leader, 0, 12);
    await runFor(c.clock, 500);
    const id = leader.describe().snapshotId!;
    const fetch = await leader.handleFetch({
      clusterId: null, replicaId: -1, replicaState: { replicaId: -1, replicaEpoch: -1 }, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: METADATA_TOPIC, topicId: METADATA_TOPIC_ID, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 3, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
      forgottenTopicsData: [], rackId: '',
    } as never, 17, new TestShutdown());
    const p = fetch.responses![0]!.partitions![0]!;
    expect(p).toMatchObject({ errorCode: KafkaCode.NONE, snapshotId: id, records: null });
    const snapshotRequest = (snapshotId: { endOffset: number; epoch: number }, position: number, maxBytes = 1 << 20) => ({
      clusterId: null, replicaId: -1, maxBytes,
      topics: [{ name: METADATA_TOPIC, partitions: [{ partition: 0, currentLeaderEpoch: leader.epoch, snapshotId, position, replicaDirectoryId: '' }] }],
    }) as never;
    const chunks: Uint8Array[] = [];
    let position = 0;
    for (;;) {
      const answer = (await leader.handleFetchSnapshot(snapshotRequest(id, position, 700), 1)).topics![0]!.partitions![0]!;
      expect(answer).toMatchObject({ errorCode: KafkaCode.NONE, position, snapshotId: id });
      const piece = answer.unalignedRecords as Uint8Array;
      chunks.push(piece);
      position += piece.length;
      if (position >= answer.size!) break;
    }
    expect(chunks.length).toBeGreaterThan(1);
    const bytes = new Uint8Array(position);
    let at = 0;
    for (const ch of chunks) (bytes.set(ch, at), (at += ch.length));
    const snapshotImage = imageFromRecords(decodeSnapshot(bytes));
    const { image, snapshotEnd } = await imageOf(leader);
    expect(snapshotEnd).toBe(id.endOffset);
    expect(snapshotImage.topics().length).toBeGreaterThan(0);
    expect(snapshotImage.topics().length).toBeLessThanOrEqual(image.topics().length);
    const wrong = (await leader.handleFetchSnapshot(snapshotRequest({ endOffset: id.endOffset - 1, epoch: id.epoch }, 0), 1)).topics![0]!.partitions![0]!;
    expect(wrong.errorCode).toBe(KafkaCode.SNAPSHOT_NOT_FOUND);
    const past = (await leader.handleFetchSnapshot(snapshotRequest(id, position + 1), 1)).topics![0]!.partitions![0]!;
    expect(past.errorCode).toBe(KafkaCode.POSITION_OUT_OF_RANGE);
  });
});

/** A transport straight to the voters' RaftEndpoints (through the codec both ways), for a broker's RemoteMetadataReader. */
function raftTransport(c: RaftTestCluster): TransportFactory {
  const versions = [ApiKey.Fetch, ApiKey.FetchSnapshot].map((apiKey) => ({ apiKey, minVersion: 0, maxVersion: apiKey === ApiKey.Fetch ? 17 : 1 }));
  return async (address) => {
    const nodeId = c.voters.find((v) => v.port === address.port)!.nodeId;
    let connected = true;
    return {
      apiVersions: versions,
      get connected() {
        return connected;
      },
      async request(apiKey: number, version: number, body: object) {
        const node = c.nodes.get(nodeId);
        if (!node) throw new TributaryError('ERR_CONNECTION_CLOSED', `node ${nodeId} is down`);
        const decoded = decodeRequest(concat(encodeRequest({ apiKey, apiVersion: version, correlationId: 1, clientId: 'observer' }, body)).subarray(4), versions).body;
        const answer = apiKey === ApiKey.Fetch ? await node.handleFetch(decoded as never, version, new TestShutdown()) : await node.handleFetchSnapshot(decoded as never, version);
        return decodeResponse(apiKey, version, concat(encodeResponse(apiKey, version, 1, answer)).subarray(4)).body;
      },
      async close() {
        connected = false;
      },
    } as unknown as Transport;
  };
}

describe('Raft metadata snapshots for observers', () => {
  it('a broker far behind gets the snapshot over Fetch / FetchSnapshot; its follower replaces its image, publishers see one delta', async () => {
    const c = cluster(3, { maxRecordsBetweenSnapshots: 30 });
    await c.start();
    const leader = await c.waitForLeader();
    await appendBatches(c, leader, 0, 2);
    const reader = new RemoteMetadataReader({ voters: c.voters, transport: raftTransport(c), clock: c.clock, nodeId: 7, maxBytes: 600 });
    const loader = new MetadataLoader();
    const deltas: MetadataDelta[] = [];
    loader.install({ name: 'recorder', onMetadataUpdate: (delta) => void deltas.push(delta) });
    const follower = new MetadataFollower({ source: reader, loader, clock: c.clock, logger: silentLogger, pollMs: 100, retryBackoffMs: 50 });
    const run = async (ms: number) => {
      for (let t = 0; t < ms; t += 10) await runFor(c.clock, 10);
    };
    // Stopping waits for the read in flight: a long poll that ends on the clock.
    const stop = async () => {
      let stopped = false;
      const stopping = follower.stop().then(() => (stopped = true));
      for (let i = 0; i < 500 && !stopped; i++) await runFor(c.clock, 10);
      await stopping;
    };
    try {
      follower.start();
      await run(500);
      expect(imageToRecords(loader.image)).toEqual(imageToRecords(expected(2)));
      // The broker is away while the log moves on and the voters snapshot past where it stopped.
      await stop();
      await appendBatches(c, leader, 2, 12);
      await run(300);
      const snapshotEnd = leader.describe().logStartOffset;
      expect(snapshotEnd).toBeGreaterThan(follower.nextOffset);
      deltas.length = 0;
      follower.start();
      await run(1000);
      expect(follower.nextOffset).toBe(leader.highWatermark);
      expect(imageToRecords(loader.image)).toEqual(imageToRecords(expected(12)));
      // The snapshot came as one change from the image the broker had: the topics it lacked are created in it.
      expect(deltas[0]!.createdTopics.size).toBeGreaterThan(0);
      expect([...deltas[0]!.createdTopics].every((id) => !expected(2).topicById(id))).toBe(true);
    } finally {
      await reader.close();
      await stop();
    }
  });
});

describe('The controller over a Raft quorum with snapshots', () => {
  it('a controller activating after a failover replays the snapshot, then the log after it: the same image', async () => {
    const c = cluster(3, { maxRecordsBetweenSnapshots: 10 });
    await c.start();
    const controllers = new Map<number, QuorumController>();
    for (const v of c.voters) controllers.set(v.nodeId, new QuorumController({ quorum: c.node(v.nodeId), nodeId: v.nodeId, clock: c.clock, logger: silentLogger, numPartitions: 1, defaultReplicationFactor: 1, sessionTimeoutMs: 600_000 }));
    const active = async (): Promise<QuorumController> => {
      for (let t = 0; t < 20_000; t += 10) {
        const on = [...controllers.values()].filter((ctl) => ctl.active);
        if (on.length === 1) {
          await on[0]!.whenIdle();
          if (on[0]!.active) return on[0]!;
        }
        await runFor(c.clock, 10);
      }
      throw new Error('no active controller');
    };
    try {
      const first = await active();
      await heartbeat(first, 10, await register(first, 10));
      for (let i = 0; i < 8; i++) await first.createTopic({ name: `topic-${i}`, numPartitions: 2, replicationFactor: 1 });
      await runFor(c.clock, 500);
      const snapshotEnd = c.node(first.nodeId).describe().logStartOffset;
      expect(snapshotEnd).toBeGreaterThan(0);
      const before = imageToRecords(first.image);
      first.close();
      controllers.delete(first.nodeId);
      await c.stopNode(first.nodeId);
      const second = await active();
      expect(c.node(second.nodeId).describe().logStartOffset).toBeGreaterThan(0);
      expect(imageToRecords(second.image)).toEqual(before);
      await second.createTopic({ name: 'after', numPartitions: 1, replicationFactor: 1 });
      expect(second.image.topic('after')).toBeDefined();
      expect(second.image.topics()).toHaveLength(9);
    } finally {
      for (const ctl of controllers.values()) ctl.close();
    }
  });
});
