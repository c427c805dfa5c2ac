/**
 * The metadata quorum: where the controller's metadata log lives (Kafka's RaftClient as the
 * controller and the brokers use it). The controller appends batches of metadata records;
 * once a batch is committed (durable on a majority of voters — with one voter, synced to
 * its storage) every reader sees it in the same order. Everything above this interface —
 * the controller state machine, the brokers' metadata loaders — is the same whether the
 * quorum is one voter (`single`), in memory (tests, `createCluster`) or Raft (issue 12).
 */
import type { MetadataRecord } from '../metadata/records.ts';

/** One committed batch of the metadata log. */
export interface MetadataBatch {
  /** Offset of the batch's first record; the batch's records have consecutive offsets. */
  readonly baseOffset: number;
  /** The quorum epoch (leader term) the batch was written in. */
  readonly epoch: number;
  /** Milliseconds since epoch when the leader appended it. */
  readonly appendTimeMs: number;
  readonly records: readonly MetadataRecord[];
}

/** What {@link MetadataQuorum.read} returns. */
export interface MetadataRead {
  /** Committed batches from the offset asked for, in order (may be empty). */
  readonly batches: readonly MetadataBatch[];
  /** One past the last committed offset: what a reader that has applied everything has reached. */
  readonly highWatermark: number;
  /**
   * Set when the offset asked for is below what the source still holds as batches (a Raft
   * log that starts at a snapshot, KIP-630): the image at `endOffset` as records that,
   * replayed onto the EMPTY image, rebuild it (image-records.ts). The reader REPLACES its
   * image with that one (not a delta on what it had) and goes on from `endOffset`;
   * `batches` then start at or after `endOffset`. Absent from every other read.
   */
  readonly snapshot?: MetadataSnapshotRead;
}

/** A snapshot a read answers with (see {@link MetadataRead.snapshot}). */
export interface MetadataSnapshotRead {
  /** The offset after the last record the snapshot covers: where reading goes on. */
  readonly endOffset: number;
  /** The records that rebuild the image at `endOffset` from the empty image. */
  readonly records: readonly MetadataRecord[];
}

/** Who leads the quorum: the active controller. */
export interface QuorumLeader {
  /** Node id of the leader, or -1 while none is known (an election is under way). */
  readonly nodeId: number;
  /** The current quorum epoch; bumped by every election. */
  readonly epoch: number;
}

/** A voter of the controller quorum (`--controller-quorum ID@HOST:PORT`, Kafka's controller.quorum.voters). */
export interface QuorumVoter {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
}

/** The metadata log, as the controller writes it and every node reads it. */
export interface MetadataQuorum {
  /** The current leader and epoch as this node knows them. */
  leader(): QuorumLeader;
  /**
   * Appends one batch as the leader, atomically: resolves with its base offset once it is
   * committed. Rejects with NOT_CONTROLLER when this node does not lead the quorum at
   * `expectedEpoch` (the controller lost leadership: its in-memory state is stale), and
   * with a storage error when the write failed (nothing of the batch is committed).
   */
  append(records: readonly MetadataRecord[], expectedEpoch: number): Promise<number>;
  /**
   * Committed batches whose records start at or after `fromOffset`. When there are none
   * yet it waits up to `waitMs` for one (0: answer at once). Ends early with what there is
   * when the quorum closes.
   */
  read(fromOffset: number, waitMs: number): Promise<MetadataRead>;
  /** Calls `listener` whenever the leader or epoch changes; returns the unsubscribe function. */
  onLeaderChange(listener: (leader: QuorumLeader) => void): () => void;
  /** Stops: pending reads answer with what they have, appends reject. */
  close(): Promise<void>;
}

/** Offset of the record after a batch. */
export function nextOffsetAfter(batch: MetadataBatch): number {
  return batch.baseOffset + Math.max(1, batch.records.length);
}
