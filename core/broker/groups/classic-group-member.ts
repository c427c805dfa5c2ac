/** One member of a classic consumer group, as the coordinator tracks it. */

/** One protocol a member supports (an assignor name) with its subscription bytes. */
export interface MemberProtocol {
  readonly name: string;
  readonly metadata: Uint8Array;
}

/** What a JoinGroup call answers (the handler shapes it per version). */
export interface JoinResult {
  readonly errorCode: number;
  readonly generationId: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly leader: string;
  readonly memberId: string;
  /** Every member's subscription for the chosen protocol: only the leader gets them. */
  readonly members: ReadonlyArray<{ memberId: string; groupInstanceId: string | null; metadata: Uint8Array }>;
  /** The leader need not assign (a static member replaced its old id; KIP-814, JoinGroup v9). */
  readonly skipAssignment: boolean;
}

/** What a SyncGroup call answers. */
export interface SyncResult {
  readonly errorCode: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly assignment: Uint8Array;
}

const EMPTY = new Uint8Array(0);

/** A member of a classic group with its pending join/sync answers and its session timer: real lifecycle state. */
export class ClassicGroupMember {
  /** Coordinator-assigned id. */
  readonly memberId: string;
  /** group.instance.id of a static member (KIP-345), or null. */
  readonly groupInstanceId: string | null;
  /** The client id of its last join. */
  clientId: string;
  /** The client host of its last join (empty when the transport does not say). */
  clientHost: string;
  /** How long a rebalance waits for this member to rejoin. */
  rebalanceTimeoutMs: number;
  /** How long the member may stay silent before it is removed. */
  sessionTimeoutMs: number;
  /** The protocol type it joined with (`consumer`, `connect`, …). */
  protocolType: string;
  /** Supported protocols, most preferred first. */
  protocols: MemberProtocol[];
  /** Its assignment in the current generation (opaque bytes from the leader). */
  assignment: Uint8Array = EMPTY;
  /** Set while its JoinGroup waits for the rebalance to finish. */
  joinWaiter: ((result: JoinResult) => void) | null = null;
  /** Set while its SyncGroup waits for the leader's assignment. */
  syncWaiter: ((result: SyncResult) => void) | null = null;
  /** The session timer (armed at every sign of life). */
  sessionTimer: unknown = undefined;

  constructor(init: {
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    rebalanceTimeoutMs: number;
    sessionTimeoutMs: number;
    protocolType: string;
    protocols: MemberProtocol[];
  }) {
    this.memberId = init.memberId;
    this.groupInstanceId = init.groupInstanceId;
    this.clientId = init.clientId;
    this.clientHost = init.clientHost;
    this.rebalanceTimeoutMs = init.rebalanceTimeoutMs;
    this.sessionTimeoutMs = init.sessionTimeoutMs;
    this.protocolType = init.protocolType;
    this.protocols = init.protocols;
  }

  /** True while a JoinGroup of this member is waiting. */
  get awaitingJoin(): boolean {
    return this.joinWaiter !== null;
  }

  /** The subscription bytes for `protocol` (empty when it does not support it). */
  metadataFor(protocol: string): Uint8Array {
    return this.protocols.find((p) => p.name === protocol)?.metadata ?? EMPTY;
  }

  /** True when `protocols` are the same names with the same bytes, in the same order. */
  matches(protocols: readonly MemberProtocol[]): boolean {
    if (protocols.length !== this.protocols.length) return false;
    return protocols.every((p, i) => p.name === this.protocols[i]!.name && sameBytes(p.metadata, this.protocols[i]!.metadata));
  }

  /** Answers a waiting JoinGroup (if any). */
  answerJoin(result: JoinResult): void {
    const waiter = this.joinWaiter;
    this.joinWaiter = null;
    waiter?.(result);
  }

  /** Answers a waiting SyncGroup (if any). */
  answerSync(result: SyncResult): void {
    const waiter = this.syncWaiter;
    this.syncWaiter = null;
    waiter?.(result);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
