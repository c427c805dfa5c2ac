/**
 * What a follower makes of its leader's Fetch answer (Kafka's KafkaRaftClient
 * handleFetchResponse), as a decision the state machine then carries out:
 *
 * - a higher epoch named (whatever the error): follow that leader, or wait unattached;
 * - FENCED_LEADER_EPOCH / NOT_LEADER_OR_FOLLOWER at this epoch, another error, a malformed
 *   answer: fetch again after a pause (the fetch timeout decides when to stand);
 * - a snapshot id: the follower is behind the leader's log start: load that snapshot
 *   (FetchSnapshot), then fetch on from its end;
 * - a diverging epoch: truncate to where that epoch ends (never below the high watermark);
 * - otherwise: append the records (synced before the next fetch, which acknowledges them)
 *   and take the leader's high watermark, capped at the own log end (-1: not known yet).
 */
import { KafkaCode } from '../../../errors.ts';
import type { ApiKey } from '../../../protocol/api-keys.ts';
import type { ApiResponse } from '../../../protocol/api-messages.ts';
import { concat } from '../../../protocol/writer.ts';

/** The follower's next step after a Fetch answer. */
export type FollowerFetchOutcome =
  | { readonly kind: 'new-epoch'; readonly leaderId: number; readonly epoch: number }
  | { readonly kind: 'retry' }
  | { readonly kind: 'truncate'; readonly epoch: number; readonly endOffset: number }
  | { readonly kind: 'snapshot'; readonly endOffset: number; readonly epoch: number }
  | { readonly kind: 'append'; readonly records: Uint8Array; readonly highWatermark: number };

/** Classifies the leader's answer to a follower at `epoch`. */
export function followerFetchOutcome(response: ApiResponse<typeof ApiKey.Fetch>, epoch: number): FollowerFetchOutcome {
  const p = response.responses[0]?.partitions[0];
  if (response.errorCode !== KafkaCode.NONE || !p) return { kind: 'retry' };
  // Tagged fields an answer handed over in process (not through the codec) may leave out:
  // absent means their defaults (-1), as the decoder would have filled them in.
  const leader = (p.currentLeader as typeof p.currentLeader | undefined) ?? { leaderId: -1, leaderEpoch: -1 };
  if (leader.leaderEpoch > epoch) return { kind: 'new-epoch', leaderId: leader.leaderId, epoch: leader.leaderEpoch };
  if (p.errorCode !== KafkaCode.NONE) return { kind: 'retry' };
  const snapshot = (p.snapshotId as typeof p.snapshotId | undefined) ?? { endOffset: -1, epoch: -1 };
  if (snapshot.endOffset >= 0 && snapshot.epoch >= 0) return { kind: 'snapshot', endOffset: snapshot.endOffset, epoch: snapshot.epoch };
  const diverging = (p.divergingEpoch as typeof p.divergingEpoch | undefined) ?? { epoch: -1, endOffset: -1 };
  if (diverging.epoch >= 0) return { kind: 'truncate', epoch: diverging.epoch, endOffset: diverging.endOffset };
  return { kind: 'append', records: recordBytes(p.records), highWatermark: p.highWatermark };
}

/** A Fetch answer's records as one buffer (the in-process transports hand over chunks). */
export function recordBytes(records: Uint8Array | readonly Uint8Array[] | null): Uint8Array {
  if (records === null) return new Uint8Array(0);
  if (records instanceof Uint8Array) return records;
  return records.length === 1 ? records[0]! : concat(records);
}
