/**
 * The MetadataQuorum conformance suite (conformance/metadata-quorum/) run by every quorum:
 * the in-memory one, the single voter over (guarded) memory storage, and Raft — three
 * RaftQuorum voters in one process over an in-process network, the suite driving the leader.
 */
import { memoryStorage } from '../../adapters/memory/index.ts';
import { metadataQuorumConformance, type QuorumUnderTest } from '../../conformance/metadata-quorum/index.ts';
import { MemoryQuorum } from '../../core/broker/quorum/memory-quorum.ts';
import type { QuorumLeader } from '../../core/broker/quorum/metadata-quorum.ts';
import type { RaftQuorum } from '../../core/broker/quorum/raft/raft-quorum.ts';
import { SingleQuorum } from '../../core/broker/quorum/single-quorum.ts';
import { silentLogger } from '../../core/contracts/logger.ts';
import type { Storage } from '../../core/contracts/storage.ts';
import { guardStorage } from '../../core/storage/guard.ts';
import { ManualClock } from '../cluster/controller-helpers.ts';
import { RaftTestCluster, runFor, settle } from './local-raft-network.ts';

metadataQuorumConformance('memory', {
  async create() {
    const clock = new ManualClock();
    const quorum = new MemoryQuorum({ clock, leaderId: 1 });
    let next = 2;
    return {
      quorum,
      waitForLeader: async () => quorum.leader(),
      advance: async (ms) => {
        clock.advance(ms);
        await settle();
      },
      changeLeader: async () => quorum.elect(next++),
      dispose: async () => undefined,
    };
  },
});

async function singleUnderTest(storage: Storage, clock: ManualClock): Promise<QuorumUnderTest> {
  const quorum = new SingleQuorum({ storage, nodeId: 1, clock, logger: silentLogger });
  await quorum.open();
  return {
    quorum,
    waitForLeader: async () => quorum.leader(),
    advance: async (ms) => {
      clock.advance(ms);
      await settle();
    },
    restart: async () => {
      await quorum.close();
      return singleUnderTest(storage, clock);
    },
    dispose: async () => undefined,
  };
}

metadataQuorumConformance('single', {
  async create() {
    const storage = guardStorage(memoryStorage());
    await storage.open();
    return singleUnderTest(storage, new ManualClock());
  },
});

function raftUnderTest(cluster: RaftTestCluster): QuorumUnderTest {
  let driven: RaftQuorum | undefined;
  const current = async (q: RaftQuorum): Promise<QuorumLeader> => {
    // Until the driven node has heard of the new leader.
    for (let t = 0; t < 20_000 && q.leader().nodeId === -1; t += 10) await runFor(cluster.clock, 10);
    return q.leader();
  };
  return {
    get quorum() {
      if (!driven) throw new Error('waitForLeader first');
      return driven;
    },
    async waitForLeader() {
      driven = await cluster.waitForLeader();
      return driven.leader();
    },
    advance: (ms) => runFor(cluster.clock, ms),
    async changeLeader() {
      const q = driven!;
      const old = cluster.activeLeaders()[0]!;
      // The leader is cut off: the others elect one of themselves; once back, it follows.
      cluster.network.isolate(old.nodeId);
      await cluster.waitForLeader(20_000, [old.nodeId]);
      cluster.network.heal();
      await runFor(cluster.clock, 4000);
      return current(q);
    },
    async restart() {
      await cluster.stop();
      for (const v of cluster.voters) await cluster.startNode(v.nodeId);
      return raftUnderTest(cluster);
    },
    dispose: () => cluster.stop(),
  };
}

metadataQuorumConformance('raft', {
  async create() {
    const cluster = new RaftTestCluster(3);
    await cluster.start();
    return raftUnderTest(cluster);
  },
});
