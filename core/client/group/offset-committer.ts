/**
 * The member's commit bookkeeping: what was last committed (or started from) per
 * partition, so that unchanged positions are not committed again, and what a refused
 * commit means for the membership (a lost generation, a moved coordinator).
 */
import { KafkaCode, TributaryError } from '../../errors.ts';
import type { TopicPartition, TopicPartitionOffset } from '../consumer.ts';
import { type CoordinatorChannel, coordinatorMoved } from './coordinator-channel.ts';
import { type Committer, type OffsetToCommit, commitOffsets } from './offsets.ts';

function key(tp: TopicPartition): string {
  return `${tp.topic}\u0000${tp.partition}`;
}

/** Commits for one member. */
export class OffsetCommitter {
  readonly #channel: CoordinatorChannel;
  readonly #who: () => Committer;
  readonly #onLost: (reason: string) => void;
  readonly #onCommitted: (offsets: OffsetToCommit[]) => void;
  readonly #committed = new Map<string, number>();

  /**
   * `who` gives the member's current identity; `onLost` runs when the coordinator says the
   * generation is gone; `onCommitted` after each successful commit.
   */
  constructor(channel: CoordinatorChannel, who: () => Committer, onLost: (reason: string) => void, onCommitted: (offsets: OffsetToCommit[]) => void) {
    this.#channel = channel;
    this.#who = who;
    this.#onLost = onLost;
    this.#onCommitted = onCommitted;
  }

  /** Records the committed offset a partition starts from (no need to commit it again). */
  started(tp: TopicPartition, offset: number): void {
    this.#committed.set(key(tp), offset);
  }

  /** Forgets partitions (revoked: whoever owns them next commits for them). */
  forget(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) this.#committed.delete(key(tp));
  }

  /** Forgets everything (the member stopped). */
  clear(): void {
    this.#committed.clear();
  }

  /** Commits the offsets that differ from what was last committed; rejects with the coordinator's error. */
  async commit(offsets: ReadonlyArray<OffsetToCommit | TopicPartitionOffset>): Promise<void> {
    const changed = offsets.filter((o): o is OffsetToCommit => o.offset !== undefined && this.#committed.get(key(o)) !== o.offset);
    if (changed.length === 0) return;
    try {
      await commitOffsets(this.#channel, this.#who(), changed);
    } catch (error) {
      if (error instanceof TributaryError && error.kafkaCode !== undefined) {
        if (error.kafkaCode === KafkaCode.UNKNOWN_MEMBER_ID || error.kafkaCode === KafkaCode.ILLEGAL_GENERATION) this.#onLost(`OffsetCommit: ${error.code}`);
        else if (coordinatorMoved(error)) this.#channel.invalidate();
      }
      throw error;
    }
    for (const o of changed) this.#committed.set(key(o), o.offset);
    this.#onCommitted(changed);
  }
}
