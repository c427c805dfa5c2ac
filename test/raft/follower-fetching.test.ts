/**
 * A follower reads a Fetch answer whether it came through the codec (every tagged field
 * filled in) or was handed over in process (tagged fields at their defaults may be absent):
 * an in-process answer without divergingEpoch once made every follower retry forever, so
 * no election completed over the in-process transport.
 */
import { describe, expect, it } from 'vitest';
import { followerFetchOutcome } from '../../core/broker/quorum/raft/follower-fetching.ts';
import type { ApiResponse } from '../../core/protocol/api-messages.ts';
import type { ApiKey } from '../../core/protocol/api-keys.ts';

type FetchAnswer = ApiResponse<typeof ApiKey.Fetch>;
const records = new Uint8Array([1, 2, 3]);

function answer(partition: Record<string, unknown>): FetchAnswer {
  return { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses: [{ topic: '__cluster_metadata', topicId: '', partitions: [{ partitionIndex: 0, errorCode: 0, highWatermark: 7, lastStableOffset: 7, logStartOffset: 0, abortedTransactions: null, preferredReadReplica: -1, records, ...partition }] }] } as unknown as FetchAnswer;
}

describe('followerFetchOutcome', () => {
  it('appends an answer whose tagged fields were left out (in process)', () => {
    expect(followerFetchOutcome(answer({}), 3)).toEqual({ kind: 'append', records, highWatermark: 7 });
  });

  it('truncates on a diverging epoch and follows a newer leader, as decoded answers carry them', () => {
    const decoded = { currentLeader: { leaderId: 2, leaderEpoch: 3 }, divergingEpoch: { epoch: 2, endOffset: 5 }, snapshotId: { endOffset: -1, epoch: -1 } };
    expect(followerFetchOutcome(answer(decoded), 3)).toEqual({ kind: 'truncate', epoch: 2, endOffset: 5 });
    expect(followerFetchOutcome(answer({ ...decoded, currentLeader: { leaderId: 1, leaderEpoch: 4 } }), 3)).toEqual({ kind: 'new-epoch', leaderId: 1, epoch: 4 });
    expect(followerFetchOutcome(answer({ ...decoded, divergingEpoch: { epoch: -1, endOffset: -1 } }), 3)).toEqual({ kind: 'append', records, highWatermark: 7 });
  });
});
