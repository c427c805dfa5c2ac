/**
 * Raft's voting rules as KRaft applies them (Raft §5.4.1, KIP-595): a voter grants its
 * vote in an epoch at most once, and only to a candidate whose log is at least as up to
 * date as its own — compared by the epoch of the last batch, then by the end offset — so
 * that whoever wins holds every committed entry.
 */

/** A log's position for the vote comparison: its last batch's epoch and its end offset. */
export interface LogPosition {
  readonly lastEpoch: number;
  readonly endOffset: number;
}

/** Negative when `a` is behind `b`, 0 when equal, positive when ahead. */
export function compareLogPositions(a: LogPosition, b: LogPosition): number {
  if (a.lastEpoch !== b.lastEpoch) return a.lastEpoch - b.lastEpoch;
  return a.endOffset - b.endOffset;
}

/** What a voter knows of the epoch a Vote request is for (already raised to the candidate's epoch). */
export interface VoterStanding {
  /** The role this voter holds in the epoch. */
  readonly role: 'unattached' | 'follower' | 'candidate' | 'leader' | 'resigned';
  /** Whom it voted for in this epoch (-1: nobody yet). */
  readonly votedId: number;
}

/**
 * Whether a voter in `standing` may vote for `candidateId` whose log is at `candidateLog`,
 * its own being at `localLog`. A follower or leader of the epoch already knows its leader;
 * a candidate voted for itself; an unattached voter votes once, for an up-to-date log (and
 * says yes again to the same candidate: a retried request).
 */
export function canGrantVote(standing: VoterStanding, candidateId: number, candidateLog: LogPosition, localLog: LogPosition): boolean {
  if (standing.role !== 'unattached') return false;
  if (standing.votedId !== -1) return standing.votedId === candidateId;
  return compareLogPositions(candidateLog, localLog) >= 0;
}

/** Votes needed to win among `voterCount` voters (a strict majority). */
export function majority(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}
