/**
 * What a MetadataQuorum implementation gives the conformance suite: a way to get a quorum
 * that leads (or whose leader the suite can drive), to move its clock, and — where the
 * implementation supports them — to move leadership elsewhere and to restart over the
 * same durable state.
 */
import type { MetadataQuorum, QuorumLeader } from '../../core/broker/quorum/metadata-quorum.ts';

/** One quorum under test, as the harness built it. */
export interface QuorumUnderTest {
  /** The quorum the suite appends to and reads from: its node leads once {@link waitForLeader} resolves. */
  readonly quorum: MetadataQuorum;
  /** Resolves once `quorum.leader()` names `quorum`'s own node (driving the clock as needed); returns that leader. */
  waitForLeader(): Promise<QuorumLeader>;
  /** Moves the quorum's clock forward `ms` (a manual clock), letting what falls due run. */
  advance(ms: number): Promise<void>;
  /**
   * Implementations with more than one possible leader: makes another node lead at a
   * higher epoch, so that `quorum` is no longer the leader (its own `leader()` and
   * `onLeaderChange` must say so). Resolves with the new leader as `quorum` reports it.
   */
  changeLeader?(): Promise<QuorumLeader>;
  /**
   * Durable implementations: closes everything and opens the quorum again over the same
   * state (a restart). The result leads once its `waitForLeader` resolves.
   */
  restart?(): Promise<QuorumUnderTest>;
  /** Releases everything (the suite calls it after each test, after closing `quorum`). */
  dispose(): Promise<void>;
}

/** How the suite gets quorums to test. */
export interface MetadataQuorumHarness {
  /** A new quorum over fresh, empty state. */
  create(): Promise<QuorumUnderTest>;
}

/** What the suite's per-topic files share. */
export interface QuorumSuiteContext {
  readonly harness: MetadataQuorumHarness;
  /** A new quorum under test whose node leads; disposed after the test. */
  leading(): Promise<{ under: QuorumUnderTest; leader: QuorumLeader }>;
  /** Tracks a quorum under test (one a restart gave) for disposal after the test. */
  track(under: QuorumUnderTest): void;
}
