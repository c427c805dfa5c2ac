/** Helpers for the group coordinator tests: a manual clock and request bodies. */
import type { GroupTimers } from '../../core/broker/groups/timers.ts';
import { GROUP_OFFSETS_TOPIC, LogGroupStore } from '../../core/broker/groups/log-group-store.ts';
import { offsetKey } from '../../core/broker/groups/metadata-group-store.ts';
import type { Storage } from '../../core/contracts/storage.ts';
import { encodeConsumerSubscription, encodeConsumerAssignment } from '../../core/protocol/consumer-protocol.ts';

/** Timers that fire only when the test advances the clock. */
export class ManualTimers implements GroupTimers {
  time = 1_700_000_000_000;
  #seq = 0;
  readonly #timers = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.#seq;
    this.#timers.set(id, { at: this.time + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** Timers armed and not yet fired. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Moves the clock forward, firing due timers in time order, then lets promise callbacks run. */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.#timers) if (e[1].at <= target && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      this.#timers.delete(next[0]);
      this.time = next[1].at;
      next[1].fn();
      await flush();
    }
    this.time = target;
    await flush();
  }
}

/** Lets queued promise callbacks run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}

/** A consumer subscription to `topics`. */
export function subscription(topics: string[]): Uint8Array {
  return encodeConsumerSubscription({ version: 0, topics, userData: null, ownedPartitions: [], generationId: -1, rackId: null });
}

/** A consumer assignment. */
export function assignment(topic: string, partitions: number[]): Uint8Array {
  return encodeConsumerAssignment({ version: 0, assignedPartitions: [{ topic, partitions }], userData: null });
}

/** JoinGroup body (v5+ fields included; older versions ignore them). */
export function joinBody(groupId: string, memberId = '', options: { instance?: string | null; session?: number; rebalance?: number; protocolType?: string; protocols?: Array<{ name: string; metadata: Uint8Array }> } = {}): Record<string, unknown> {
  return {
    groupId,
    sessionTimeoutMs: options.session ?? 1000,
    rebalanceTimeoutMs: options.rebalance ?? 2000,
    memberId,
    groupInstanceId: options.instance ?? null,
    protocolType: options.protocolType ?? 'consumer',
    protocols: options.protocols ?? [{ name: 'range', metadata: subscription(['t']) }],
    reason: null,
  };
}

/** SyncGroup body. */
export function syncBody(groupId: string, generationId: number, memberId: string, assignments: Array<{ memberId: string; assignment: Uint8Array }> = [], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { groupId, generationId, memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments, ...extra };
}

/** Heartbeat body. */
export function heartbeatBody(groupId: string, generationId: number, memberId: string, groupInstanceId: string | null = null): Record<string, unknown> {
  return { groupId, generationId, memberId, groupInstanceId };
}

/** OffsetCommit v8 body. */
export function commitBody(groupId: string, generationId: number, memberId: string, offsets: Array<[string, number, number, string | null]>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const topics = new Map<string, Array<Record<string, unknown>>>();
  for (const [t, p, o, m] of offsets) {
    if (!topics.has(t)) topics.set(t, []);
    topics.get(t)!.push({ partitionIndex: p, committedOffset: o, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: m });
  }
  return {
    groupId,
    generationIdOrMemberEpoch: generationId,
    memberId,
    groupInstanceId: null,
    retentionTimeMs: -1,
    topics: [...topics].map(([name, partitions]) => ({ name, partitions })),
    ...extra,
  };
}

/**
 * The committed-offset keys (`group-offsets/<group>/<topic>/<partition>`) that the broker's
 * offsets log holds, starting with `prefix`, as a restart would load them.
 */
export async function storedOffsetKeys(storage: Storage, prefix = 'group-offsets/'): Promise<string[]> {
  const store = new LogGroupStore({ openLog: () => storage.openPartition(GROUP_OFFSETS_TOPIC, 0) });
  const groups = await store.load();
  return groups
    .flatMap((g) => g.offsets.map((o) => offsetKey(g.groupId, o.topic, o.partition)))
    .filter((k) => k.startsWith(prefix))
    .sort();
}
