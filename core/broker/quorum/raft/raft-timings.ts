/**
 * The timings of a Raft voter, named and defaulted as KRaft's `controller.quorum.*`
 * settings. Every wait runs on the injected Clock, so a simulation drives them.
 */

/** Timings of {@link RaftQuorum} (all milliseconds). */
export interface RaftTimings {
  /**
   * controller.quorum.election.timeout.ms: how long a voter without a leader waits before it
   * stands for election, randomised between this and twice this (so voters rarely collide).
   */
  readonly electionTimeoutMs: number;
  /**
   * controller.quorum.fetch.timeout.ms: a follower that has not heard from its leader for
   * this long stands for election; a leader that a majority has not fetched from within 1.5
   * times this resigns (check-quorum, Kafka's factor).
   */
  readonly fetchTimeoutMs: number;
  /** controller.quorum.election.backoff.max.ms: most a candidate waits after a lost election. */
  readonly electionBackoffMaxMs: number;
  /** controller.quorum.request.timeout.ms: how long a request to another voter may take. */
  readonly requestTimeoutMs: number;
  /** controller.quorum.retry.backoff.ms: pause before a failed request is sent again. */
  readonly retryBackoffMs: number;
}

/** KRaft's defaults. */
export const DEFAULT_RAFT_TIMINGS: RaftTimings = Object.freeze({
  electionTimeoutMs: 1000,
  fetchTimeoutMs: 2000,
  electionBackoffMaxMs: 1000,
  requestTimeoutMs: 2000,
  retryBackoffMs: 20,
});

/** Kafka's check-quorum window: a leader resigns when a majority has not fetched within fetch timeout × 1.5. */
export const CHECK_QUORUM_FACTOR = 1.5;
