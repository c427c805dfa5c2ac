/**
 * The MetadataQuorum conformance suite: one set of vitest tests that every metadata quorum
 * passes — the in-memory one, the single voter, Raft — so the controller and the brokers'
 * loaders can rely on the same semantics whichever runs underneath:
 *
 * - append/read: batches commit in order at consecutive offsets, in the leader's epoch;
 *   reads give committed batches from any batch offset; readers get copies; an empty batch
 *   is INVALID_REQUEST;
 * - long poll: a read at the high watermark waits for the next commit, or its wait on the clock;
 * - leadership: appends only at the leader's epoch (else NOT_CONTROLLER, nothing
 *   committed); a leadership change reaches `onLeaderChange` and `leader()`, fences the
 *   old epoch, keeps what was committed (implementations with several possible leaders);
 * - close: waiting reads answer, appends are refused;
 * - persistence: a restart keeps every committed batch and leads at a higher epoch
 *   (durable implementations).
 *
 * ```ts
 * metadataQuorumConformance('my-quorum', { create: async () => ({ quorum, waitForLeader, advance, dispose }) });
 * ```
 */
import { afterEach, describe } from 'vitest';
import { appendReadTests } from './append-read.ts';
import { closeTests } from './close.ts';
import type { MetadataQuorumHarness, QuorumSuiteContext, QuorumUnderTest } from './harness.ts';
import { leadershipTests } from './leadership.ts';
import { longPollTests } from './long-poll.ts';
import { persistenceTests } from './persistence.ts';

export type { MetadataQuorumHarness, QuorumUnderTest } from './harness.ts';

/** Registers the MetadataQuorum conformance tests for an implementation under `describe(name)`. */
export function metadataQuorumConformance(name: string, harness: MetadataQuorumHarness): void {
  const live: QuorumUnderTest[] = [];
  const ctx: QuorumSuiteContext = {
    harness,
    async leading() {
      const under = await harness.create();
      live.push(under);
      const leader = await under.waitForLeader();
      return { under, leader };
    },
    track: (under) => void live.push(under),
  };

  afterEach(async () => {
    for (const under of live.splice(0).reverse()) {
      await under.quorum.close().catch(() => undefined);
      await under.dispose();
    }
  });

  describe(`${name}: metadata quorum conformance`, () => {
    appendReadTests(ctx);
    longPollTests(ctx);
    leadershipTests(ctx);
    closeTests(ctx);
    persistenceTests(ctx);
  });
}
