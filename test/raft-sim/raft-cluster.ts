/**
 * The simulated controller quorum: N voters, each a {@link RaftQuorum} over its own
 * {@link SimDisk}, talking over the {@link RaftSimNetwork}, on one {@link SimClock}. Nodes
 * crash (a process crash keeps what reached the OS; a machine crash keeps only what was
 * synced) and restart from their disk as a new incarnation; a crashed incarnation's
 * object is cut off (its sends and disk writes fail) and stopped.
 *
 * {@link RaftSimCluster.observe} looks at every node the way the invariants want it: what
 * the node says (epoch, leader, high watermark, the committed batches its reads return)
 * and what its disk holds (its metadata log, decoded from the stored bytes).
 */
import type { Logger } from '../../core/contracts/logger.ts';
import type { Storage } from '../../core/contracts/storage.ts';
import { silentLogger } from '../../core/contracts/logger.ts';
import type { QuorumVoter } from '../../core/broker/quorum/metadata-quorum.ts';
import { decodeMetadataBatches, METADATA_TOPIC } from '../../core/broker/quorum/metadata-batch-codec.ts';
import { RaftQuorum } from '../../core/broker/quorum/raft/raft-quorum.ts';
import type { RaftTimings } from '../../core/broker/quorum/raft/raft-timings.ts';
import { iterateBatches } from '../../core/records/batch-iterator.ts';
import type { SeededRandom } from '../sim/seeded-random.ts';
import { SimDisk } from '../sim/sim-disk.ts';
import type { BatchView, NodeView } from './raft-invariants.ts';
import type { SimClock } from './sim-clock.ts';
import { RaftSimNetwork, type RaftNetworkFaults } from './raft-sim-network.ts';

/** One voter: its disk, and its running incarnation when up. */
export class RaftSimNode {
  readonly id: number;
  readonly disk: SimDisk;
  /** The running incarnation (undefined while down or starting). */
  quorum: RaftQuorum | undefined;
  /** Bumped by every crash. */
  incarnation = 0;
  /** Why it is down, when it is. */
  down: 'kill' | 'power' | 'stopped' | undefined = 'stopped';
  starting: Promise<void> | undefined;
  /** A clean stop under way (restart waits for it). */
  stopping: Promise<void> | undefined;
  /** The running incarnation's storage. */
  storage: Storage | undefined;
  /** The next offset this incarnation's reads start at. */
  readCursor = 0;
  unsubscribe: (() => void) | undefined;
  // Decoded batches by a key of their stored header (offset, epoch, CRC, length): a disk is re-read every step.
  readonly decoded = new Map<string, BatchView>();

  constructor(id: number) {
    this.id = id;
    this.disk = new SimDisk(id);
  }

  get running(): boolean {
    return this.quorum !== undefined;
  }
}

/** Options of {@link RaftSimCluster}. */
export interface RaftSimClusterOptions {
  readonly voters: number;
  readonly clock: SimClock;
  readonly random: SeededRandom;
  readonly faults: RaftNetworkFaults;
  readonly timings?: Partial<RaftTimings>;
  readonly logger?: Logger;
  /** Told of every leader a node names (onLeaderChange), with the incarnation. */
  readonly onLeader?: (nodeId: number, incarnation: number, leaderId: number, epoch: number) => void;
  /** Told of what each node logs at info level and above (for the trace of a replay); else `logger` or nothing. */
  readonly log?: (nodeId: number, incarnation: number, level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
  /** Told of lifecycle events (for the trace). */
  readonly onEvent?: (line: string) => void;
}

/** The voters of one simulated quorum. */
export class RaftSimCluster {
  readonly nodes: RaftSimNode[];
  readonly network: RaftSimNetwork;
  readonly voters: readonly QuorumVoter[];
  readonly clock: SimClock;
  readonly #options: RaftSimClusterOptions;
  readonly #random: SeededRandom;

  constructor(options: RaftSimClusterOptions) {
    this.#options = options;
    this.clock = options.clock;
    this.#random = options.random.fork();
    this.network = new RaftSimNetwork(options.clock, options.random.fork(), options.faults);
    this.nodes = Array.from({ length: options.voters }, (_, i) => new RaftSimNode(i + 1));
    this.voters = this.nodes.map((n) => ({ nodeId: n.id, host: `controller-${n.id}`, port: 9093 }));
  }

  /** Node ids. */
  get ids(): number[] {
    return this.nodes.map((n) => n.id);
  }

  node(id: number): RaftSimNode {
    const node = this.nodes.find((n) => n.id === id);
    if (!node) throw new Error(`no node ${id}`);
    return node;
  }

  /** Starts a node's next incarnation from its disk (resolves once it answers on the network). */
  start(node: RaftSimNode): Promise<void> {
    if (node.quorum || node.starting) return node.starting ?? Promise.resolve();
    const started = (async () => {
      await node.stopping;
      const incarnation = node.incarnation;
      const storage = node.disk.open();
      await storage.open();
      const random = this.#random.fork();
      const quorum = new RaftQuorum({
        nodeId: node.id,
        voters: this.voters,
        storage,
        clock: this.clock,
        logger: this.#loggerFor(node.id, incarnation),
        channel: this.network.channelFor(node.id),
        random: () => random.next(),
        ...(this.#options.timings ? { timings: this.#options.timings } : {}),
      });
      try {
        await quorum.open();
      } catch (error) {
        // Crashed while opening (its storage died): this incarnation never ran.
        if (node.incarnation !== incarnation) return;
        throw error;
      }
      if (node.incarnation !== incarnation) {
        // Crashed while opening: this incarnation never ran.
        void quorum.close().catch(() => undefined);
        return;
      }
      node.unsubscribe = quorum.onLeaderChange((l) => this.#options.onLeader?.(node.id, incarnation, l.nodeId, l.epoch));
      node.quorum = quorum;
      node.storage = storage;
      node.down = undefined;
      node.readCursor = 0;
      this.network.attach(node.id, quorum);
      this.#options.onEvent?.(`started node=${node.id}#${incarnation} epoch=${quorum.epoch} role=${quorum.role} logEnd=${quorum.logEndOffset}`);
    })();
    node.starting = started
      .catch((error: unknown) => this.#options.onEvent?.(`start-failed node=${node.id}#${node.incarnation}: ${String(error)}`))
      .finally(() => (node.starting = undefined));
    return node.starting;
  }

  #loggerFor(nodeId: number, incarnation: number): Logger {
    const log = this.#options.log;
    if (!log) return this.#options.logger ?? silentLogger;
    return {
      debug: () => undefined,
      info: (message, fields) => log(nodeId, incarnation, 'info', message, fields),
      warn: (message, fields) => log(nodeId, incarnation, 'warn', message, fields),
      error: (message, fields) => log(nodeId, incarnation, 'error', message, fields),
    };
  }

  /**
   * Crashes a node: `kill` (the process: what reached the OS survives) or `power` (the
   * machine: only what was synced survives). Returns what the disk lost.
   */
  async crash(node: RaftSimNode, kind: 'kill' | 'power'): Promise<string> {
    const zombie = node.quorum;
    node.unsubscribe?.();
    node.unsubscribe = undefined;
    node.quorum = undefined;
    node.incarnation++;
    node.down = kind;
    this.network.crash(node.id);
    let lost = '';
    if (kind === 'kill') node.disk.kill();
    else lost = (await node.disk.powerLoss()).map((c) => `${c.topic}-${c.partition}:${c.from}->${c.to}`).join(',');
    // The dead incarnation can neither send nor write; closing it stops its timers.
    if (zombie) void zombie.close().catch(() => undefined);
    return lost || 'nothing';
  }

  /**
   * Stops a node cleanly, as SIGTERM would: the quorum closes while the node is still on the
   * network (a leader resigns with EndQuorumEpoch), then the storage closes (syncing every log).
   */
  stop(node: RaftSimNode): void {
    const q = node.quorum;
    if (!q || node.stopping) return;
    node.unsubscribe?.();
    node.unsubscribe = undefined;
    node.quorum = undefined;
    node.down = 'stopped';
    const storage = node.storage;
    node.stopping = (async () => {
      await q.close().catch(() => undefined);
      await storage?.close().catch(() => undefined);
      node.incarnation++;
      this.network.crash(node.id);
      node.disk.kill();
      this.#options.onEvent?.(`stopped node=${node.id}`);
    })().finally(() => (node.stopping = undefined));
  }

  /** Stops every node (the end of a run): cut off first, so that closing sends nothing and waits for nothing. */
  async stopAll(): Promise<void> {
    for (const node of this.nodes) {
      const q = node.quorum;
      node.unsubscribe?.();
      node.unsubscribe = undefined;
      node.quorum = undefined;
      node.incarnation++;
      node.down = 'stopped';
      this.network.crash(node.id);
      node.disk.kill();
      if (q) await q.close().catch(() => undefined);
    }
  }

  /** The running node that leads at the MetadataQuorum level (leader() names itself), if any. */
  activeLeaders(): RaftSimNode[] {
    return this.nodes.filter((n) => n.quorum && n.quorum.leader().nodeId === n.id);
  }

  /** One look at every node (see the module comment). */
  async observe(): Promise<NodeView[]> {
    const views: NodeView[] = [];
    for (const node of this.nodes) {
      const log = await this.#diskLog(node);
      const q = node.quorum;
      if (!q) {
        views.push({ nodeId: node.id, incarnation: node.incarnation, voter: true, running: false, epoch: 0, leaderId: -1, highWatermark: 0, committed: [], log });
        continue;
      }
      const incarnation = node.incarnation;
      const read = await q.read(node.readCursor, 0);
      if (node.quorum !== q || node.incarnation !== incarnation) {
        views.push({ nodeId: node.id, incarnation: node.incarnation, voter: true, running: false, epoch: 0, leaderId: -1, highWatermark: 0, committed: [], log });
        continue;
      }
      const committed = read.batches.map((b) => ({ baseOffset: b.baseOffset, nextOffset: b.baseOffset + Math.max(1, b.records.length), epoch: b.epoch, records: JSON.stringify(b.records) }));
      if (committed.length > 0) node.readCursor = committed[committed.length - 1]!.nextOffset;
      // After the read: an epoch can only have grown since the high watermark was learned.
      const d = q.describe();
      views.push({ nodeId: node.id, incarnation, voter: true, running: true, epoch: d.epoch, leaderId: d.leaderId, highWatermark: read.highWatermark, committed, log });
    }
    return views;
  }

  /** The node's metadata log as its disk holds it now. */
  async #diskLog(node: RaftSimNode): Promise<BatchView[]> {
    const bytes = await node.disk.peekLog(METADATA_TOPIC, 0);
    const out: BatchView[] = [];
    for (const slice of iterateBatches(bytes)) {
      const h = slice.header;
      const key = `${h.baseOffset}:${h.partitionLeaderEpoch}:${h.crc}:${h.batchLength}`;
      let view = node.decoded.get(key);
      if (!view) {
        const batch = decodeMetadataBatches(slice.bytes)[0]!;
        view = { baseOffset: batch.baseOffset, nextOffset: batch.baseOffset + Math.max(1, batch.records.length), epoch: batch.epoch, records: JSON.stringify(batch.records) };
        node.decoded.set(key, view);
      }
      out.push(view);
    }
    return out;
  }
}
