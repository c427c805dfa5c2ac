/**
 * The controller listener of a Raft voter, over real TCP on 127.0.0.1: three RaftQuorums
 * (memory storage) reach each other through TransportRaftChannel and serveController; the
 * listener advertises the Raft APIs only when it has a quorum behind it, DescribeQuorum
 * names the leader and each voter's progress, an observer (RemoteMetadataReader) reads the
 * committed log from whichever voter leads, and a long-poll Fetch never holds up a vote.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { memoryStorage } from '../../adapters/memory/index.ts';
import { serveController } from '../../adapters/server/index.ts';
import { tcpTransport } from '../../adapters/transport/index.ts';
import type { QuorumVoter } from '../../core/broker/quorum/metadata-quorum.ts';
import { describeQuorum } from '../../core/broker/quorum/quorum-description.ts';
import { RaftQuorum } from '../../core/broker/quorum/raft/raft-quorum.ts';
import { voteRequest } from '../../core/broker/quorum/raft/raft-messages.ts';
import { RemoteMetadataReader } from '../../core/broker/quorum/remote-metadata-reader.ts';
import { TransportRaftChannel } from '../../core/broker/quorum/transport-raft-channel.ts';
import { METADATA_TOPIC, METADATA_TOPIC_ID } from '../../core/broker/quorum/metadata-batch-codec.ts';
import { systemClock } from '../../core/clock.ts';
import { silentLogger } from '../../core/contracts/logger.ts';
import { ApiKey } from '../../core/protocol/index.ts';
import { TestController } from './controller-test-parts.ts';

const transport = tcpTransport();
const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Three voters over TCP, each behind its controller listener. */
async function threeVoters() {
  const voters: QuorumVoter[] = [];
  for (const nodeId of [1, 2, 3]) voters.push({ nodeId, host: '127.0.0.1', port: await freePort() });
  const quorums = new Map<number, RaftQuorum>();
  for (const voter of voters) {
    const storage = memoryStorage();
    await storage.open();
    const channel = new TransportRaftChannel({ nodeId: voter.nodeId, voters, transport, clock: systemClock, logger: silentLogger });
    const quorum = new RaftQuorum({ nodeId: voter.nodeId, voters, storage, clock: systemClock, logger: silentLogger, channel, timings: { electionTimeoutMs: 200, fetchTimeoutMs: 1000, electionBackoffMaxMs: 200, requestTimeoutMs: 1000 } });
    const listener = await serveController({ nodeId: voter.nodeId, controller: new TestController(quorum as never), quorum, raft: quorum, host: '127.0.0.1', port: voter.port });
    cleanups.push(() => storage.close());
    cleanups.push(() => channel.close());
    cleanups.push(() => quorum.close());
    cleanups.push(() => listener.close());
    quorums.set(voter.nodeId, quorum);
  }
  await Promise.all([...quorums.values()].map((q) => q.open()));
  const leader = () => [...quorums.values()].find((q) => q.leader().nodeId === q.nodeId);
  await until('a leader ready', () => leader() !== undefined);
  return { voters, quorums, leader: () => leader()! };
}

describe('the controller listener of a Raft voter', () => {
  it('advertises Vote, BeginQuorumEpoch, EndQuorumEpoch, DescribeQuorum and FetchSnapshot only with a quorum behind it', async () => {
    const { voters } = await threeVoters();
    const raftConnection = await transport({ host: voters[0]!.host, port: voters[0]!.port }, { clientId: 't', requestTimeoutMs: 2000, connectTimeoutMs: 2000, logger: silentLogger });
    cleanups.push(() => raftConnection.close());
    const range = (apiKey: number) => raftConnection.apiVersions.find((r) => r.apiKey === apiKey);
    expect([ApiKey.Vote, ApiKey.BeginQuorumEpoch, ApiKey.EndQuorumEpoch, ApiKey.FetchSnapshot, ApiKey.DescribeQuorum].map((k) => [range(k)?.minVersion, range(k)?.maxVersion])).toEqual([[0, 1], [0, 1], [0, 1], [0, 1], [0, 2]]);

    const single = new (await import('./controller-test-parts.ts')).TestQuorum(9);
    const plain = await serveController({ nodeId: 9, controller: new TestController(single), quorum: single, host: '127.0.0.1', port: 0 });
    cleanups.push(() => plain.close());
    const plainConnection = await transport({ host: '127.0.0.1', port: plain.port }, { clientId: 't', requestTimeoutMs: 2000, connectTimeoutMs: 2000, logger: silentLogger });
    cleanups.push(() => plainConnection.close());
    expect(plainConnection.apiVersions.filter((r) => [ApiKey.Vote, ApiKey.BeginQuorumEpoch, ApiKey.EndQuorumEpoch, ApiKey.FetchSnapshot, ApiKey.DescribeQuorum].includes(r.apiKey as never))).toEqual([]);
  });

  it('answers DescribeQuorum from the leader, and serves an observer the committed log from whichever voter leads', async () => {
    const { voters, leader } = await threeVoters();
    const first = leader();
    await first.append([{ type: 'cluster-id', clusterId: 'c1' }], first.leader().epoch);
    const described = await describeQuorum({ voters, transport, retryBackoffMs: 10 });
    expect(described.leaderId).toBe(first.nodeId);
    expect(described.epoch).toBe(first.leader().epoch);
    expect(described.voters.map((v) => v.nodeId).sort()).toEqual([1, 2, 3]);
    expect(described.highWatermark).toBeGreaterThanOrEqual(2);

    const reader = new RemoteMetadataReader({ voters, transport, nodeId: 7, retryBackoffMs: 10, retryBackoffMaxMs: 50 });
    cleanups.push(() => reader.close());
    const read = await reader.read(0, 0);
    expect(read.batches.flatMap((b) => b.records)).toContainEqual({ type: 'cluster-id', clusterId: 'c1' });
    expect(reader.leader().nodeId).toBe(first.nodeId);
    // Every batch it hands over is committed.
    for (const b of read.batches) expect(b.baseOffset).toBeLessThan(read.highWatermark);

    // The leader goes: the reader finds the next one and reads on.
    await first.close();
    await until('another leader', () => leader() !== undefined && leader() !== first);
    const next = leader();
    await next.append([{ type: 'cluster-id', clusterId: 'c1' }], next.leader().epoch);
    let records: unknown[] = [];
    const deadline = Date.now() + 20_000;
    while (records.length === 0 && Date.now() < deadline) {
      records = (await reader.read(read.highWatermark, 200).catch(() => ({ batches: [] }))).batches.flatMap((b) => b.records);
    }
    expect(records).toContainEqual({ type: 'cluster-id', clusterId: 'c1' });
    expect(reader.leader().nodeId).toBe(next.nodeId);
  });

  it('keeps votes apart from a waiting fetch: a vote is answered while a long poll waits on the same voter', async () => {
    const { voters, leader } = await threeVoters();
    const target = leader();
    const channel = new TransportRaftChannel({ nodeId: 3, voters, transport, clock: systemClock, logger: silentLogger });
    cleanups.push(() => channel.close());
    const epoch = target.leader().epoch;
    // An observer's fetch at the high watermark: it waits its whole maxWaitMs.
    let fetchDone = false;
    const fetch = channel.send(target.nodeId, ApiKey.Fetch, 17, {
      clusterId: null, replicaId: -1, replicaState: { replicaId: -1, replicaEpoch: -1 }, maxWaitMs: 1000, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: METADATA_TOPIC, topicId: METADATA_TOPIC_ID, partitions: [{ partition: 0, currentLeaderEpoch: epoch, fetchOffset: target.highWatermark, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
      forgottenTopicsData: [], rackId: '',
    }, 5000);
    void fetch.then(() => (fetchDone = true), () => undefined);
    await new Promise((r) => setTimeout(r, 50));
    // A vote for an old epoch: refused — and answered while the fetch still waits.
    const vote = await channel.send(target.nodeId, ApiKey.Vote, 1, voteRequest(null, target.nodeId, 3, Math.max(1, epoch - 1), 0, 0), 5000);
    expect(fetchDone).toBe(false);
    expect(vote.topics[0]?.partitions[0]?.voteGranted).toBe(false);
    const answered = await fetch;
    expect(answered.responses[0]?.partitions[0]?.errorCode).toBe(0);
  });
});
