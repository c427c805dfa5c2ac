/**
 * An observer of the simulated quorum: a node that is no voter (a broker, in a cluster)
 * and follows the committed metadata log by Fetch with replica id -1, over the same
 * simulated network as the voters (so its requests and answers are lost, delayed and
 * duplicated too). It keeps the leader and epoch the answers name, moves to the leader an
 * error names, and asks a random voter when it knows none.
 *
 * A leader sends observers committed batches only, so what an observer receives is part of
 * the committed log: the checker compares it with every other node's committed log, and
 * checks that its high watermark never goes back within an epoch it has seen.
 */
import { KafkaCode } from '../../core/kafka-error-codes.ts';
import { decodeMetadataBatches } from '../../core/broker/quorum/metadata-batch-codec.ts';
import { followerFetchRequest, RAFT_REQUEST_VERSIONS } from '../../core/broker/quorum/raft/raft-messages.ts';
import { ApiKey } from '../../core/protocol/api-keys.ts';
import type { SeededRandom } from '../sim/seeded-random.ts';
import type { BatchView, NodeView, RaftViolation } from './raft-invariants.ts';
import type { RaftSimNetwork } from './raft-sim-network.ts';
import type { SimClock } from './sim-clock.ts';

const REQUEST_TIMEOUT_MS = 2000;

/** One observer. */
export class RaftSimObserver {
  readonly id: number;
  readonly #network: RaftSimNetwork;
  readonly #clock: SimClock;
  readonly #random: SeededRandom;
  readonly #voters: readonly number[];
  readonly #report: (found: RaftViolation[]) => void;
  #leaderId = -1;
  #epoch = -1;
  #highWatermark = 0;
  // The epoch the current high watermark was learned in.
  #hwEpoch = -1;
  readonly #log: BatchView[] = [];
  #unread: BatchView[] = [];
  #stopped = false;
  /** Fetches answered with records. */
  fetched = 0;

  constructor(id: number, network: RaftSimNetwork, clock: SimClock, random: SeededRandom, voters: readonly number[], report: (found: RaftViolation[]) => void) {
    this.id = id;
    this.#network = network;
    this.#clock = clock;
    this.#random = random;
    this.#voters = voters;
    this.#report = report;
  }

  get #end(): number {
    return this.#log[this.#log.length - 1]?.nextOffset ?? 0;
  }

  /** Starts fetching. */
  start(): void {
    void this.#loop();
  }

  /** Stops after the fetch in flight. */
  stop(): void {
    this.#stopped = true;
  }

  /** What the checker looks at (the committed batches received since the last look). */
  view(): NodeView {
    const committed = this.#unread;
    this.#unread = [];
    return { nodeId: this.id, incarnation: 0, voter: false, running: true, epoch: Math.max(0, this.#epoch), leaderId: this.#leaderId, highWatermark: this.#highWatermark, committed, log: [...this.#log] };
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.#clock.setTimeout(resolve, ms));
  }

  async #loop(): Promise<void> {
    const channel = this.#network.channelFor(this.id);
    while (!this.#stopped) {
      const target = this.#leaderId >= 0 ? this.#leaderId : this.#random.pick(this.#voters);
      const last = this.#log[this.#log.length - 1];
      const request = followerFetchRequest(null, -1, this.#epoch, this.#end, last?.epoch ?? 0, 64 * 1024);
      let answer;
      try {
        answer = await channel.send(target, ApiKey.Fetch, RAFT_REQUEST_VERSIONS[ApiKey.Fetch], request, REQUEST_TIMEOUT_MS);
      } catch {
        this.#leaderId = -1;
        await this.#sleep(this.#random.int(20, 200));
        continue;
      }
      if (this.#stopped) return;
      const p = answer.responses[0]?.partitions[0];
      if (answer.errorCode !== KafkaCode.NONE || !p) {
        this.#leaderId = -1;
        await this.#sleep(this.#random.int(20, 200));
        continue;
      }
      const named = p.currentLeader;
      if (named.leaderEpoch > this.#epoch) {
        this.#epoch = named.leaderEpoch;
        this.#leaderId = named.leaderId;
      } else if (named.leaderEpoch === this.#epoch && named.leaderId >= 0) this.#leaderId = named.leaderId;
      if (p.errorCode !== KafkaCode.NONE) {
        // Not the leader (or another epoch): follow what it named, else ask around.
        if (!(named.leaderEpoch >= this.#epoch && named.leaderId >= 0 && named.leaderId !== target)) this.#leaderId = -1;
        await this.#sleep(this.#random.int(20, 200));
        continue;
      }
      this.#accept(target, named.leaderEpoch, p.highWatermark, p.records);
    }
  }

  #accept(from: number, epoch: number, highWatermark: number, records: Uint8Array | null): void {
    const found: RaftViolation[] = [];
    const who = `observer ${this.id} (from node ${from} at epoch ${epoch})`;
    if (highWatermark >= 0) {
      if (highWatermark < this.#highWatermark && epoch >= this.#hwEpoch) {
        found.push({ rule: 'hw-monotonic', detail: `${who} got high watermark ${highWatermark} after ${this.#highWatermark} (learned at epoch ${this.#hwEpoch})` });
      }
      if (highWatermark >= this.#highWatermark) {
        this.#highWatermark = highWatermark;
        this.#hwEpoch = epoch;
      }
    }
    if (records && records.length > 0) {
      this.fetched++;
      for (const b of decodeMetadataBatches(records)) {
        const view: BatchView = { baseOffset: b.baseOffset, nextOffset: b.baseOffset + Math.max(1, b.records.length), epoch: b.epoch, records: JSON.stringify(b.records) };
        if (view.nextOffset > highWatermark) found.push({ rule: 'committed-consistent', detail: `${who} was sent [${view.baseOffset}..${view.nextOffset - 1} e${view.epoch}] above the high watermark ${highWatermark} it was told` });
        if (view.baseOffset < this.#end) continue;
        if (view.baseOffset > this.#end) {
          found.push({ rule: 'committed-consistent', detail: `${who} was sent a batch at offset ${view.baseOffset}; it asked from ${this.#end}` });
          break;
        }
        this.#log.push(view);
        this.#unread.push(view);
      }
    }
    if (found.length > 0) this.#report(found);
  }
}
