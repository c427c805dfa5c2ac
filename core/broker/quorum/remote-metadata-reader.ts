/**
 * The metadata log as a broker that is not a voter reads it (a quorum observer): a
 * {@link MetadataQuorum} whose reads are Fetch requests of `__cluster_metadata` partition 0
 * to the active controller's listener (by topic id from Fetch v13), decoded with
 * decodeMetadataBatches. It never appends — only the active controller does — so
 * {@link RemoteMetadataReader.append} rejects with NOT_CONTROLLER.
 *
 * The leader it reports is the one the controller's answers name (Fetch v12+
 * `currentLeader`); a voter that does not lead answers NOT_LEADER_OR_FOLLOWER with the
 * leader it knows, and the read moves there. Connection failures back off and retry on the
 * injected Clock (controller-link.ts) until the link's retry time runs out: then the read
 * rejects with REQUEST_TIMED_OUT (retriable), and the caller's loop decides. It has a
 * connection of its own: answers on a connection come in request order, so a long poll
 * must not share one with the controller channel's heartbeats.
 *
 * A read from below the controller's log start (the log before it is in a snapshot,
 * KIP-630) gets the snapshot's id in the Fetch answer; the reader then loads the snapshot
 * with FetchSnapshot, chunk by chunk, and answers with it (MetadataRead.snapshot).
 */
import { kafkaError, KafkaCode, TributaryError } from '../../errors.ts';
import { ApiKey } from '../../protocol/api-keys.ts';
import { concat } from '../../protocol/writer.ts';
import { ControllerLink, type ControllerLinkOptions, type LinkAnswer } from '../controller/controller-link.ts';
import type { MetadataRecord } from '../metadata/records.ts';
import { METADATA_TOPIC, METADATA_TOPIC_ID, decodeMetadataBatches } from './metadata-batch-codec.ts';
import { type MetadataBatch, type MetadataQuorum, type MetadataRead, type QuorumLeader, nextOffsetAfter } from './metadata-quorum.ts';
import { decodeSnapshot, type SnapshotId } from './raft/snapshot-store.ts';

/** What a Fetch answer asks of the reader: nothing more, or to load a snapshot first. */
type FetchOutcome = MetadataRead | { readonly needSnapshot: SnapshotId; readonly highWatermark: number };

/** Options of {@link RemoteMetadataReader}: the link's (voters, transport, clock, timeouts) and the fetch settings. */
export interface RemoteMetadataReaderOptions extends ControllerLinkOptions {
  /** This broker's node id, sent as the fetching replica (an observer). Default -1 (none). */
  readonly nodeId?: number;
  /** Most bytes of batches per answer (at least one batch comes). Default 8 MiB (Kafka's metadata fetch size). */
  readonly maxBytes?: number;
}

const EMPTY = new Uint8Array(0);
const MAX_WAIT_MS = 0x7fffffff;

/** A MetadataQuorum that reads the metadata log from the active controller over the network. */
export class RemoteMetadataReader implements MetadataQuorum {
  readonly #link: ControllerLink;
  readonly #nodeId: number;
  readonly #maxBytes: number;
  readonly #listeners = new Set<(leader: QuorumLeader) => void>();
  #leader: QuorumLeader = Object.freeze({ nodeId: -1, epoch: -1 });
  #highWatermark = 0;
  // End offset and epoch of the last batch read: the next fetch's last fetched epoch.
  #lastEnd = 0;
  #lastEpoch = -1;
  #closed = false;

  constructor(options: RemoteMetadataReaderOptions) {
    this.#link = new ControllerLink({ clientId: 'tributary-metadata-reader', ...options });
    this.#nodeId = options.nodeId ?? -1;
    this.#maxBytes = options.maxBytes ?? 8 * 1024 * 1024;
  }

  /** The leader the controller's last answer named (nodeId -1 until one did). */
  leader(): QuorumLeader {
    return this.#leader;
  }

  /** Brokers do not write the metadata log: always NOT_CONTROLLER. */
  append(_records: readonly MetadataRecord[], _expectedEpoch: number): Promise<number> {
    return Promise.reject(kafkaError(KafkaCode.NOT_CONTROLLER, 'This node reads the metadata log; only the active controller appends to it'));
  }

  /**
   * Committed batches from `fromOffset` on, fetched from the active controller, which waits
   * up to `waitMs` for one when there is none. After {@link close}: nothing, at once.
   */
  async read(fromOffset: number, waitMs: number): Promise<MetadataRead> {
    if (this.#closed) return { batches: [], highWatermark: this.#highWatermark };
    // maxWaitMs is an int32 on the wire.
    const wait = Math.min(MAX_WAIT_MS, Math.max(0, Math.floor(waitMs)));
    try {
      const outcome = await this.#link.call<typeof ApiKey.Fetch, FetchOutcome>(
        ApiKey.Fetch,
        (version) => ({
          replicaId: this.#nodeId,
          ...(version >= 15 ? { replicaState: { replicaId: this.#nodeId, replicaEpoch: -1 } } : {}),
          maxWaitMs: wait,
          minBytes: 1,
          maxBytes: this.#maxBytes,
          isolationLevel: 0,
          sessionId: 0,
          sessionEpoch: -1,
          topics: [{
            topic: METADATA_TOPIC,
            topicId: METADATA_TOPIC_ID,
            partitions: [{
              partition: 0,
              // The leader epoch it knows (a Raft leader refuses an older one with FENCED_LEADER_EPOCH, naming itself).
              currentLeaderEpoch: this.#leader.epoch,
              fetchOffset: fromOffset,
              // The epoch of the batch before fromOffset: a Raft leader checks it against its log.
              lastFetchedEpoch: fromOffset > 0 && fromOffset === this.#lastEnd ? this.#lastEpoch : -1,
              logStartOffset: -1,
              partitionMaxBytes: this.#maxBytes,
            }],
          }],
          forgottenTopicsData: [],
          rackId: '',
        }),
        (response, version) => this.#interpret(response, version, fromOffset),
        { extraTimeoutMs: wait },
      );
      if (!('needSnapshot' in outcome)) return outcome;
      const records = await this.#fetchSnapshot(outcome.needSnapshot);
      this.#lastEnd = outcome.needSnapshot.endOffset;
      this.#lastEpoch = outcome.needSnapshot.epoch;
      return { snapshot: { endOffset: outcome.needSnapshot.endOffset, records }, batches: [], highWatermark: outcome.highWatermark };
    } catch (error) {
      // Closed while fetching: a pending read answers with what there is.
      if (this.#closed && error instanceof TributaryError && error.code === 'ERR_CONNECTION_CLOSED') return { batches: [], highWatermark: this.#highWatermark };
      throw error;
    }
  }

  /** Calls `listener` whenever the leader an answer names changes; returns the unsubscribe function. */
  onLeaderChange(listener: (leader: QuorumLeader) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stops: a pending read answers with nothing, later ones at once. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.clear();
    await this.#link.close();
  }

  // The snapshot `id`'s records, fetched from the leader in chunks (each answer at most maxBytes).
  async #fetchSnapshot(id: SnapshotId): Promise<MetadataRecord[]> {
    const chunks: Uint8Array[] = [];
    let position = 0;
    for (;;) {
      const chunk = await this.#link.call(
        ApiKey.FetchSnapshot,
        () => ({
          clusterId: null,
          replicaId: this.#nodeId,
          maxBytes: this.#maxBytes,
          topics: [{ name: METADATA_TOPIC, partitions: [{ partition: 0, currentLeaderEpoch: this.#leader.epoch, snapshotId: { endOffset: id.endOffset, epoch: id.epoch }, position }] }],
        }),
        (response) => {
          const p = response.topics[0]?.partitions[0];
          if (response.errorCode !== KafkaCode.NONE) throw kafkaError(response.errorCode, 'The controller refused the metadata snapshot fetch');
          if (!p) throw kafkaError(KafkaCode.UNKNOWN_SERVER_ERROR, 'The controller answered the metadata snapshot fetch without the partition');
          if (p.errorCode === KafkaCode.NOT_LEADER_OR_FOLLOWER) {
            return { kind: 'not-controller', value: undefined, ...(p.currentLeader.leaderId >= 0 ? { leaderId: p.currentLeader.leaderId } : {}) };
          }
          // SNAPSHOT_NOT_FOUND (a newer snapshot replaced it) and the rest: the caller's next read starts over.
          if (p.errorCode !== KafkaCode.NONE) throw kafkaError(p.errorCode, `The controller refused the metadata snapshot ${id.endOffset}/${id.epoch} at byte ${position}`);
          return { kind: 'done', value: { bytes: p.unalignedRecords, size: p.size } };
        },
      );
      if (!chunk) throw kafkaError(KafkaCode.NOT_CONTROLLER, 'No controller served the metadata snapshot');
      chunks.push(chunk.bytes.slice());
      position += chunk.bytes.length;
      if (position >= chunk.size) break;
      if (chunk.bytes.length === 0) throw kafkaError(KafkaCode.UNKNOWN_SERVER_ERROR, `The controller sent an empty chunk of the metadata snapshot at byte ${position}`);
    }
    return decodeSnapshot(concat(chunks));
  }

  #interpret(response: { errorCode: number; responses: Array<{ partitions: Array<FetchedPartition> }> }, version: number, fromOffset: number): LinkAnswer<FetchOutcome> {
    const p = response.responses[0]?.partitions[0];
    const unchanged: MetadataRead = { batches: [], highWatermark: this.#highWatermark };
    if (response.errorCode === KafkaCode.NOT_CONTROLLER) return { kind: 'not-controller', value: unchanged };
    if (response.errorCode !== KafkaCode.NONE) throw kafkaError(response.errorCode, 'The controller refused the metadata fetch');
    if (!p) throw kafkaError(KafkaCode.UNKNOWN_SERVER_ERROR, 'The controller answered the metadata fetch without the partition');
    // A voter whose quorum is not open (starting, or closing): ask another, and believe nothing it says.
    if (p.errorCode === KafkaCode.BROKER_NOT_AVAILABLE) return { kind: 'not-controller', value: unchanged };
    if (version >= 12 && p.currentLeader.leaderId >= 0) this.#learnLeader(p.currentLeader.leaderId, p.currentLeader.leaderEpoch);
    if (p.errorCode === KafkaCode.NOT_LEADER_OR_FOLLOWER || p.errorCode === KafkaCode.NOT_CONTROLLER || p.errorCode === KafkaCode.FENCED_LEADER_EPOCH || p.errorCode === KafkaCode.UNKNOWN_LEADER_EPOCH) {
      // Another voter leads, or this one does at an epoch the reader did not know (it has
      // learned it from currentLeader above): ask the leader it names, at once.
      const leaderId = version >= 12 && p.currentLeader.leaderId >= 0 ? p.currentLeader.leaderId : undefined;
      return { kind: 'not-controller', value: unchanged, ...(leaderId !== undefined ? { leaderId } : {}) };
    }
    if (p.errorCode === KafkaCode.UNKNOWN_TOPIC_OR_PARTITION || p.errorCode === KafkaCode.UNKNOWN_TOPIC_ID) {
      // Every controller listener has the metadata log: this address is a plain broker's.
      throw new TributaryError('ERR_NOT_A_CONTROLLER', `The controller quorum address answers as a Kafka broker without a metadata log (${METADATA_TOPIC} unknown): --controller-quorum must name a controller listener (the voter's controller port), not a broker port`);
    }
    if (p.errorCode !== KafkaCode.NONE) throw kafkaError(p.errorCode, `The controller refused the metadata fetch from offset ${fromOffset}`);
    // The in-process transport hands the answer over as built: the field may be absent.
    if (version >= 12 && p.snapshotId !== undefined && p.snapshotId.endOffset >= 0 && p.snapshotId.epoch >= 0) {
      // Below the controller's log start: the snapshot first.
      this.#highWatermark = p.highWatermark;
      return { kind: 'done', value: { needSnapshot: { endOffset: p.snapshotId.endOffset, epoch: p.snapshotId.epoch }, highWatermark: p.highWatermark } };
    }
    // A Raft leader may answer with batches past its high watermark (what followers fetch):
    // a reader applies only committed ones, and asks for the rest again once they are.
    const batches: MetadataBatch[] = decodeMetadataBatches(recordBytes(p.records)).filter((b) => b.baseOffset >= fromOffset && nextOffsetAfter(b) <= p.highWatermark);
    const last = batches[batches.length - 1];
    if (last) {
      this.#lastEnd = nextOffsetAfter(last);
      this.#lastEpoch = last.epoch;
    }
    this.#highWatermark = p.highWatermark;
    return { kind: 'done', value: { batches, highWatermark: p.highWatermark } };
  }

  #learnLeader(nodeId: number, epoch: number): void {
    if (this.#leader.nodeId === nodeId && this.#leader.epoch === epoch) return;
    // A voter that lags names an older leader: epochs only grow.
    if (epoch < this.#leader.epoch) return;
    this.#leader = Object.freeze({ nodeId, epoch });
    this.#link.preferLeader(nodeId);
    for (const listener of [...this.#listeners]) listener(this.#leader);
  }
}

/** The fields of a Fetch answer's partition the reader uses. */
interface FetchedPartition {
  readonly errorCode: number;
  readonly highWatermark: number;
  readonly currentLeader: { readonly leaderId: number; readonly leaderEpoch: number };
  // Absent in an answer handed over in process as built (the default: none).
  readonly snapshotId?: { readonly endOffset: number; readonly epoch: number };
  readonly records: Uint8Array | null;
}

/**
 * The records of an answer as one buffer: over TCP they are one; the in-process transport
 * hands a Fetch answer over as the handler built it, one chunk per batch.
 */
function recordBytes(records: Uint8Array | readonly Uint8Array[] | null): Uint8Array {
  if (records === null) return EMPTY;
  if (records instanceof Uint8Array) return records;
  return records.length === 1 ? records[0]! : concat(records);
}
