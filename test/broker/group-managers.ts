/**
 * Helpers for the unit tests of the group coordinator's parts: a membership manager and an
 * offset manager wired to an in-memory {@link GroupStore} and a manual clock, without a broker.
 */
import { silentLogger } from '../../core/contracts/logger.ts';
import type { OffsetAndMetadata } from '../../core/broker/groups/offset-and-metadata.ts';
import type { GroupStore, OffsetChange, StoredGroup, StoredGroupMeta } from '../../core/broker/groups/group-store.ts';
import { type JoinRequest, MembershipManager } from '../../core/broker/groups/membership-manager.ts';
import { OffsetManager } from '../../core/broker/groups/offset-manager.ts';
import { type GroupCoordinatorOptions, type GroupSettings, groupSettings } from '../../core/broker/groups/options.ts';
import type { CoordinatorPhase } from '../../core/broker/groups/phase.ts';
import { ManualTimers, subscription } from './group-helpers.ts';

/** A {@link GroupStore} in memory that records every write and can be told to fail the next one. */
export class MemoryGroupStore implements GroupStore {
  readonly offsets = new Map<string, Map<string, OffsetAndMetadata>>();
  readonly meta = new Map<string, StoredGroupMeta>();
  readonly writes: string[] = [];
  failNext = false;

  async load(): Promise<StoredGroup[]> {
    const ids = new Set([...this.offsets.keys(), ...this.meta.keys()]);
    return [...ids].map((groupId) => ({
      groupId,
      meta: this.meta.get(groupId) ?? null,
      offsets: [...(this.offsets.get(groupId) ?? new Map<string, OffsetAndMetadata>())].map(([tp, value]) => {
        const [topic, partition] = tp.split('/');
        return { topic: topic!, partition: Number(partition), value };
      }),
    }));
  }

  async writeOffsets(groupId: string, changes: readonly OffsetChange[]): Promise<void> {
    this.#maybeFail();
    this.writes.push(`offsets ${groupId} ${changes.length}`);
    let parts = this.offsets.get(groupId);
    if (!parts) this.offsets.set(groupId, (parts = new Map()));
    for (const c of changes) {
      if (c.value === null) parts.delete(`${c.topic}/${c.partition}`);
      else parts.set(`${c.topic}/${c.partition}`, c.value);
    }
    if (parts.size === 0) this.offsets.delete(groupId);
  }

  async writeMeta(groupId: string, meta: StoredGroupMeta): Promise<void> {
    this.#maybeFail();
    this.writes.push(`meta ${groupId}`);
    this.meta.set(groupId, meta);
  }

  async deleteGroup(groupId: string): Promise<void> {
    this.#maybeFail();
    this.writes.push(`delete ${groupId}`);
    this.offsets.delete(groupId);
    this.meta.delete(groupId);
  }

  async settle(): Promise<void> {}

  /** The stored offset of one partition. */
  offset(groupId: string, topic: string, partition: number): OffsetAndMetadata | undefined {
    return this.offsets.get(groupId)?.get(`${topic}/${partition}`);
  }

  #maybeFail(): void {
    if (!this.failNext) return;
    this.failNext = false;
    throw new Error('disk full');
  }
}

/** Both managers over one store and clock, as the coordinator wires them. */
export interface Managers {
  readonly timers: ManualTimers;
  readonly settings: GroupSettings;
  readonly store: MemoryGroupStore;
  readonly membership: MembershipManager;
  readonly offsets: OffsetManager;
  /** Partitions a commit may name (`topic/partition`). */
  readonly partitions: Set<string>;
  phase: CoordinatorPhase;
}

/**
 * Managers in the running phase; partitions t/0–t/2 and u/0 exist. They persist in a
 * {@link MemoryGroupStore} (`store`) unless given another `groupStore`.
 */
export function managers(options: Partial<GroupCoordinatorOptions> = {}, groupStore?: GroupStore): Managers {
  const timers = new ManualTimers();
  const settings = groupSettings({ timers, initialRebalanceDelayMs: 0, minSessionTimeoutMs: 100, offsetsRetentionCheckIntervalMs: 0, ...options });
  const store = new MemoryGroupStore();
  const partitions = new Set(['t/0', 't/1', 't/2', 'u/0']);
  const m = { timers, settings, store, partitions, phase: 'running' } as Managers;
  const phase = (): CoordinatorPhase => m.phase;
  const persist = groupStore ?? store;
  const membership: MembershipManager = new MembershipManager({ settings, store: persist, logger: silentLogger, phase, hasOffsets: (id): boolean => offsets.hasOffsets(id) });
  const offsets = new OffsetManager({ settings, store: persist, logger: silentLogger, phase, membership, partitionExists: (t, p) => partitions.has(`${t}/${p}`) });
  return Object.assign(m, { membership, offsets });
}

/** A JoinGroup as the handler would pass it (v9: member id required, skip-assignment supported). */
export function joinRequest(groupId: string, memberId = '', options: Partial<JoinRequest> & { topics?: string[] } = {}): JoinRequest {
  const { topics, ...rest } = options;
  return {
    groupId,
    memberId,
    groupInstanceId: null,
    sessionTimeoutMs: 1000,
    rebalanceTimeoutMs: 2000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: subscription(topics ?? ['t']) }],
    clientId: 'test',
    clientHost: '/127.0.0.1',
    requireKnownMemberId: true,
    supportsSkipAssignment: true,
    ...rest,
  };
}
