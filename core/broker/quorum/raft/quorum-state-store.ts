/**
 * The election state a Raft voter must never forget (Kafka's quorum-state file): the
 * highest epoch it has seen, whom it voted for in it, and the leader it learned for it.
 * Written to the storage's metadata store — whose puts the adapters make durable — BEFORE
 * the voter grants a vote or acts in a new epoch, so a restart can neither vote twice in
 * an epoch nor go back to an older one.
 */
import type { MetadataStore } from '../../../contracts/storage.ts';
import { TributaryError } from '../../../errors.ts';

/** Where the state lives in the metadata store. */
export const RAFT_STATE_KEY = 'quorum/raft-state';

/** The persisted election state. */
export interface ElectionState {
  /** The highest epoch this voter has seen (0 before any election). */
  readonly epoch: number;
  /** The candidate it voted for in `epoch` (itself when it stood), or -1. */
  readonly votedId: number;
  /** The leader it learned for `epoch`, or -1. */
  readonly leaderId: number;
}

/** The state of a voter that never saw an election. */
export const INITIAL_ELECTION_STATE: ElectionState = Object.freeze({ epoch: 0, votedId: -1, leaderId: -1 });

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Reads and writes {@link ElectionState} in a metadata store. */
export class QuorumStateStore {
  readonly #store: MetadataStore;

  constructor(store: MetadataStore) {
    this.#store = store;
  }

  /** The stored state, or the initial one when none was ever written. */
  async load(): Promise<ElectionState> {
    const bytes = await this.#store.get(RAFT_STATE_KEY);
    if (bytes === undefined) return INITIAL_ELECTION_STATE;
    const text = decoder.decode(bytes);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const s = parsed as Partial<ElectionState> | undefined;
    if (!s || !isId(s.epoch, 0) || !isId(s.votedId, -1) || !isId(s.leaderId, -1)) {
      throw new TributaryError('ERR_METADATA_CORRUPT', `The stored Raft election state (${RAFT_STATE_KEY}) is not valid: ${text}`);
    }
    return Object.freeze({ epoch: s.epoch!, votedId: s.votedId!, leaderId: s.leaderId! });
  }

  /** Writes `state` durably (the adapter syncs metadata puts). */
  async save(state: ElectionState): Promise<void> {
    await this.#store.put(RAFT_STATE_KEY, encoder.encode(JSON.stringify({ epoch: state.epoch, votedId: state.votedId, leaderId: state.leaderId })));
  }
}

function isId(value: unknown, min: number): boolean {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min;
}
